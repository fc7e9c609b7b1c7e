/**
 * What crosses Temporal: workflow inputs and results. Never a secret key, never file contents,
 * never a signed download URL (it grants access to financial data for minutes).
 */
import type { Period } from '../config/period.js';
import type { ReportConfig } from '../config/schema.js';
import type { ReportTarget } from '../config/targets.js';
import type { PollTiming } from './timing.js';

export interface ReportWorkflowInput {
  config: ReportConfig;
  /** A named period (`2025-10`); omitted = the period before the scheduled (or start) time. */
  period?: string;
  /** Run targets again even when their file is already archived. */
  force?: boolean;
  /** Test and demo knobs for how often to check; production uses the defaults. */
  timing?: Partial<PollTiming>;
}

/** One ReportRun's work: one configuration, one period, one target. */
export interface ReportJob {
  configId: string;
  api: 'v2' | 'v1';
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
  /** Where the file is archived (no secrets: S3 credentials stay in the worker's environment). */
  archive: ReportConfig['archive'];
  /** Which permit pool bounds this run, and its capacity (unset: per key, Stripe's cap). */
  permits: { pool?: string; capacity?: number };
  /** How long to wait for Stripe to have data for the whole period, and the longest recheck interval. */
  waitForData: { deadlineMs: number; recheckMs: number };
}

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
}

/** Where a reportRunWorkflow is, for queries, `reports run --wait` and the UI. */
export type RunStage =
  | 'validating'
  | 'waiting_for_data'
  | 'waiting_for_permit'
  | 'creating'
  | 'running'
  | 'downloading'
  | 'archiving'
  | 'archived'
  | 'failed';

export interface RunProgress {
  stage: RunStage;
  runId?: string;
  polls: number;
  detail?: string;
}
