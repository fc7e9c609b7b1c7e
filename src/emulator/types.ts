/** The emulator's public option, fault and counter shapes (re-exported by index.ts). */

export interface EmulatorFaults {
  /** 0..1 probability a Stripe API request (not control/files) answers 500. */
  serverErrorRate?: number;
  /** 0..1 probability a run ends failed (status_details.failed error_code internal_error). */
  failRunRate?: number;
  /** Report ids / report_types (or run ids) whose runs always fail. */
  failReports?: string[];
  dropWebhookRate?: number;
  /** 0..1: send the same event twice. */
  duplicateWebhookRate?: number;
  /** Delay before posting a webhook. */
  webhookDelayMs?: number;
  /** 0..1 probability a download ends early (connection closed after ~half the bytes). */
  truncateDownloadRate?: number;
  /** 0..1 probability a download is cut by a TCP reset after ~half the bytes. */
  resetDownloadRate?: number;
  /** 0..1 probability a download has one byte flipped in the middle of the file. */
  corruptDownloadRate?: number;
  /** Added to the file size the API announces (result.file.size / result.size); 0 = truthful. */
  sizeSkewBytes?: number;
  /** Stripe-Context / Stripe-Account or connected_account values answering 403 report_inaccessible. */
  inaccessibleAccounts?: string[];
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  catalogPath?: string;
  processingMs?: number;
  runningCap?: { live: number; sandbox: number };
  downloadUrlTtlSeconds?: number;
  rowsPerRun?: number;
  bytesPerRun?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  faults?: EmulatorFaults;
  seed?: number;
  log?: (line: string) => void;
}

export interface EmulatorCounters {
  runsCreated: number;
  peakRunning: number;
  running: number;
  /** 429 report_run_rate_limit_exceeded answers sent. */
  rateLimited: number;
  idempotentReplays: number;
  downloads: number;
  rangeRequests: number;
  webhooksSent: number;
  webhooksDropped: number;
  serverErrors: number;
}

export type Configurable = Partial<
  Pick<
    EmulatorOptions,
    'processingMs' | 'runningCap' | 'downloadUrlTtlSeconds' | 'rowsPerRun' | 'bytesPerRun' | 'webhookUrl' | 'webhookSecret'
  >
>;

export interface Emulator {
  url: string;
  port: number;
  counters(): EmulatorCounters;
  setFaults(f: EmulatorFaults): void;
  configure(o: Configurable): void;
  advanceAvailability(to: Date): void;
  fileSha256(runId: string): Promise<string>;
  /** When a run was created and settled (ms since the epoch), for latency measurements. */
  runTiming(runId: string): { id: string; status: string; createdMs: number; finishedMs: number | null };
  close(): Promise<void>;
}
