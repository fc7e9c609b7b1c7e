/**
 * One ReportRun's work, as it crosses Temporal: one configuration, one period, one target.
 * Never a secret key, never file contents, never a signed download URL (it grants access to
 * financial data for minutes).
 */
import type { Period } from './period.js';
import type { ReportTarget } from './target.js';

/** Where a configuration's files are archived. No secrets: S3 credentials stay in the worker's environment. */
export type ArchiveSpec =
  | { backend: 'filesystem' }
  | {
      backend: 's3';
      bucket: string;
      prefix?: string;
      region?: string;
      endpoint?: string;
      server_side_encryption?: 'AES256' | 'aws:kms';
      kms_key_id?: string;
    };

export interface ReportJob {
  configId: string;
  /** `data`: Stripe's Data API (`/v2/data`): a report by name or id, or a SQL query. */
  api: 'v2' | 'v1' | 'data';
  /** The report (v2 template id, v1 report_type, Data API report name or id); for a query, a label (`query`, `query:revenue.sql`). */
  report: string;
  mode: 'live' | 'sandbox';
  /** Name of the environment variable with the key; the worker reads it. */
  keyEnv: string;
  period: Period;
  target: ReportTarget;
  /** Parameters besides the interval, from the configuration. */
  parameters: Record<string, string | string[]>;
  compress: boolean;
  /** Also archive the CSV inside the ZIP (only with compress). */
  extract: boolean;
  /** `report/<config>/<period>/<target>`: the workflow id and the root of the idempotency key. */
  businessKey: string;
  archive: ArchiveSpec;
  /**
   * Which permit pool bounds this run, and its capacity (unset: per key, Stripe's cap). `rank`:
   * where it queues in the pool, lowest first (its firing batch's start, in ms); unset, it queues
   * by arrival.
   */
  permits: { pool?: string; capacity?: number; rank?: number };
  /** How long to wait for Stripe to have data for the whole period, and the longest recheck interval. */
  waitForData: { deadlineMs: number; recheckMs: number };
  /**
   * `api: data` with `query:` instead of `report:`: the SQL as written (placeholders unrendered;
   * read from `file` when the configuration loaded, so it travels with the job).
   */
  query?: { sql: string; file?: string };
  /** Set when the run was made compressed though the configuration did not ask: why (kept in the manifest). */
  compressedBecause?: string;
}
