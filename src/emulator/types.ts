/** The emulator's public option, fault and counter shapes (re-exported by index.ts). */

export interface EmulatorFaults {
  /** 0..1 probability a Stripe API request (not control/files) answers 500. */
  serverErrorRate?: number;
  /** 0..1 probability a POST is carried out but its answer is lost (connection reset). */
  lostResponseRate?: number;
  /** 0..1 probability a run ends failed (status_details.failed error_code internal_error). */
  failRunRate?: number;
  /** Report ids / report_types, Data API report names, `analytical` (every query run) or run ids whose runs always fail. */
  failReports?: string[];
  dropWebhookRate?: number;
  /** 0..1: send the same event twice. */
  duplicateWebhookRate?: number;
  /** Delay before posting a webhook: every event's, or only delayWebhookRate's share of them. */
  webhookDelayMs?: number;
  /** 0..1: the share of events delayed by webhookDelayMs (unset: all of them); needs webhookDelayMs. */
  delayWebhookRate?: number;
  /**
   * Delay before answering a POST that was carried out, as over a slow connection back from
   * Stripe: a run created meanwhile may already have finished and sent its event.
   */
  postAnswerDelayMs?: number;
  /**
   * 0..1 probability a create-run answers 429 report_run_rate_limit_exceeded although under the
   * cap, and a page of GET /v1/balance_transactions answers Stripe's general 429 rate_limit.
   */
  extraRateLimitRate?: number;
  /** 0..1 probability a GET on a pre-signed download URL is refused as expired (403 AccessDenied). */
  expireDownloadUrlRate?: number;
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
  /** Paces downloads to this many bytes per second (unset: as fast as the socket takes them). */
  downloadBytesPerSecond?: number;
  /** Stripe's largest result file, 5 GB by default; a larger one fails with file_size_above_limit. */
  maxFileBytes?: number;
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
  /** 429 report_run_rate_limit_exceeded answers sent: the cap's and the injected ones. */
  rateLimited: number;
  /** The 429s injected by extraRateLimitRate (also counted in rateLimited). */
  extraRateLimited: number;
  /** Runs that ended failed, whatever the reason. */
  runsFailed: number;
  idempotentReplays: number;
  downloads: number;
  rangeRequests: number;
  webhooksSent: number;
  webhooksDropped: number;
  /** Events sent twice (duplicateWebhookRate). */
  webhooksDuplicated: number;
  /** Events held back by webhookDelayMs. */
  webhooksDelayed: number;
  /** Downloads the faults really cut short, reset, or corrupted (a draw a Range request missed is not counted). */
  downloadsTruncated: number;
  downloadsReset: number;
  downloadsCorrupted: number;
  /** Signed-URL requests refused as expired, by the fault or because the URL had expired. */
  urlsExpired: number;
  serverErrors: number;
  /** POSTs carried out whose answer the lostResponseRate fault cut off. */
  responsesLost: number;
}

/** A run as GET /_emulator/runs shows it: what the emulator made of the request, for invariant checks. */
export interface RunInfo {
  id: string;
  /** `data`: a Data API run (`/v2/data/report_runs` or `/v2/data/query_runs`, see `kind`). */
  api: 'v1' | 'v2' | 'data';
  /** Report id (v2) / report_type (v1) / Data API report name (`balance.summary`) / a query run's dataset. */
  report: string;
  livemode: boolean;
  /** `canceled`: only Data API runs, by POST /_emulator/runs/{id}/cancel. */
  status: 'running' | 'succeeded' | 'failed' | 'canceled';
  failure: { code: string; message: string } | null;
  createdMs: number;
  finishedMs: number | null;
  /** Stripe-Context (v2), Stripe-Account or Stripe-Context (v1). */
  context: string | null;
  /** The connected_account parameter. */
  connectedAccount: string | null;
  /** The interval the file covers, as ISO 8601 (defaults filled in). */
  intervalStart: string;
  intervalEnd: string;
  compress: boolean;
  /** The file's true size in bytes (without sizeSkewBytes), once succeeded. */
  size: number | null;
  /** Idempotency-Key of the request that created the run. */
  idempotencyKey: string | null;
  /** Data API runs only: a report run or a query run. */
  kind?: 'report' | 'query';
  /** Data API query runs only: the SQL as sent. */
  sql?: string;
}

export type Configurable = Partial<
  Pick<
    EmulatorOptions,
    | 'processingMs'
    | 'runningCap'
    | 'downloadUrlTtlSeconds'
    | 'rowsPerRun'
    | 'bytesPerRun'
    | 'downloadBytesPerSecond'
    | 'maxFileBytes'
    | 'webhookUrl'
    | 'webhookSecret'
  >
>;

/**
 * A balance transaction added to the ledger that GET /v1/balance_transactions serves and to no
 * report file: the ledger no longer ties out to the reports (POST /_emulator/ledger/discrepancy).
 */
export interface LedgerDiscrepancy {
  /** The account whose ledger gets it (`acct_…`, as Stripe-Account or the last segment of Stripe-Context names it); omitted: the key's own account. */
  account?: string;
  /** Lowercase ISO code. */
  currency: string;
  reporting_category: string;
  /** Minor units, signed, as the API gives amounts; net = amount − fee. */
  amount: number;
  fee?: number;
  /** Unix seconds; omitted: the start of whatever interval is listed, so it shows in every period. */
  created?: number;
  /** Only in this mode; omitted: both. */
  livemode?: boolean;
}

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
  /** Every run, in creation order. */
  listRuns(): RunInfo[];
  /** Stripe cancels a running Data API run: it becomes `canceled` (status_details.canceled_at, and code/message if given). */
  cancelRun(runId: string, detail?: { code?: string; message?: string }): RunInfo;
  /** Adds a balance transaction to the ledger only (see LedgerDiscrepancy); answers its id. */
  addLedgerDiscrepancy(d: LedgerDiscrepancy): { id: string };
  /** The ledger ties out to the files again. */
  clearLedgerDiscrepancies(): void;
  close(): Promise<void>;
}
