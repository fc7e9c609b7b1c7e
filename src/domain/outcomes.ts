/** What a firing learns about each target, and what it returns: references and hashes, never contents. */
import type { NotificationResult, SummaryDigest } from './summary.js';

export interface ArchivedFile {
  /** Where the file is, as the archive backend names it (a path for the filesystem). */
  location: string;
  manifestLocation: string;
  size: number;
  sha256: string;
  contentType: 'csv' | 'zip';
  /** The CSV extracted from this ZIP and archived beside it (`result.extract`). */
  extracted?: ArchivedFile;
}

export type TargetOutcome =
  | { target: string; status: 'archived'; runId: string; file: ArchivedFile }
  | { target: string; status: 'skipped'; reason: string }
  | { target: string; status: 'failed'; reason: string; runId?: string };

export interface ReportWorkflowResult {
  config: string;
  period: string;
  interval: { start: string; end: string };
  outcomes: TargetOutcome[];
  /** The finance summary stored beside the files (its key and headline figures). */
  summary?: SummaryDigest;
  /** Why there is no summary, when it could not be computed (the files are archived all the same). */
  summaryError?: string;
  /** One per destination the configuration names, when its `on` wanted a message. */
  notifications?: NotificationResult[];
}
