/**
 * The manifest stored beside every archived file: what an accountant needs to prove later which
 * report this file is. Never a key and never the signed download URL, only its host.
 */
export interface ArchiveManifest {
  manifest_version: 1;
  config: string;
  period: { name: string; unit: string; timezone: string; interval_start: string; interval_end: string };
  target: { id: string; kind: string; stripe_context?: string; connected_account?: string; organization?: string };
  api: 'v2' | 'v1' | 'data';
  report: string;
  parameters: Record<string, unknown>;
  run_id: string;
  livemode: boolean;
  size: number;
  sha256: string;
  content_type: 'csv' | 'zip';
  source_host: string;
  run_created_at?: string;
  run_succeeded_at?: string;
  downloaded_at: string;
  archived_at: string;
  project_version: string;
  /** Set on a later version: the key of the version before it (kept, never overwritten). */
  supersedes?: string;
  /** Set for a Data API query (`query:`): the SQL exactly as sent (placeholders rendered), its sha256, and the file it came from. */
  query?: { sql: string; sha256: string; file?: string };
  /** Set when the file is a ZIP the configuration did not ask for: why (a CSV over Stripe's 5 GB limit). */
  compressed_because?: string;
  /** Set on a CSV extracted from an archived ZIP (`result.extract`): which ZIP, and which entry. */
  extracted_from?: { key: string; sha256: string; entry: string };
}
