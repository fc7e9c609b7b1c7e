/**
 * The emulator's memory: runs and their lifecycle, the running cap, counters, faults and the
 * availability clock. Runs move on timers (not lazily on read) so the running gauge, the peak and
 * the webhooks happen when they would at Stripe, whether or not anyone polls.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { availabilityOf, type Catalog, type CatalogReport } from './catalog.js';
import { csvRowCount, csvSize, csvStream, type CsvSpec, type QueryColumn } from './csv.js';
import type { FileBody } from './files.js';
import { ApiError } from './http.js';
import { discrepancyId } from './ledger.js';
import { mulberry32 } from './prng.js';
import type { Configurable, EmulatorCounters, EmulatorFaults, LedgerDiscrepancy, RunInfo } from './types.js';
import { writeZip } from './zip.js';

/** Stripe's largest result file; a larger one fails with file_size_above_limit. */
export const MAX_FILE_BYTES = 5 * 1024 ** 3;

export interface Config {
  processingMs: number;
  runningCap: { live: number; sandbox: number };
  downloadUrlTtlSeconds: number;
  rowsPerRun: number;
  bytesPerRun?: number;
  /** Downloads are paced to this rate when set. */
  downloadBytesPerSecond?: number;
  /** Stripe's largest result file (5 GB); tests lower it to reach file_size_above_limit cheaply. */
  maxFileBytes?: number;
  webhookUrl?: string;
  webhookSecret?: string;
}

/** What a Data API run (`/v2/data`) adds to a run. */
export interface DataRun {
  kind: 'report' | 'query';
  /** Report runs: the Data API report's name (no version suffix) and id. */
  name?: string;
  reportId?: string;
  /** Query runs: the SQL as sent, the dataset, and why the parser refused it (the run then fails). */
  sql?: string;
  dataset?: string;
  invalidSql?: string;
  /** The result file's columns and types. */
  columns: QueryColumn[];
  /** Data rows of the result, once succeeded. */
  rowCount?: number;
  canceled?: { atMs: number; code?: string; message?: string };
}

export type FailureCode = 'internal_error' | 'file_size_above_limit' | 'query_run_invalid_sql';

export interface Run {
  id: string;
  api: 'v1' | 'v2' | 'data';
  livemode: boolean;
  /** Hash of the creating key: the running cap is counted per key. */
  keyId: string;
  report: CatalogReport;
  createdMs: number;
  /** RFC 3339 with nanoseconds, as Stripe may send. */
  createdIso: string;
  /** What the request asked for, echoed back (v2 strings, v1 mixed). */
  echo: Record<string, unknown>;
  compress: boolean;
  context: string | null;
  /** The connected_account parameter, if given. */
  connectedAccount: string | null;
  /** Idempotency-Key of the creating request: a harness checks retries reused it. */
  idempotencyKey: string | null;
  csv: CsvSpec;
  status: 'running' | 'succeeded' | 'failed' | 'canceled';
  failure?: { code: FailureCode; message: string };
  /** Data API runs only. */
  data?: DataRun;
  finishedMs?: number;
  size?: number;
  zipPath?: string;
  /** v1 File id of the result. */
  fileId?: string;
  timer?: NodeJS.Timeout;
  sha?: Promise<string>;
}

const newCounters = (): EmulatorCounters => ({
  runsCreated: 0,
  peakRunning: 0,
  running: 0,
  rateLimited: 0,
  extraRateLimited: 0,
  runsFailed: 0,
  idempotentReplays: 0,
  downloads: 0,
  rangeRequests: 0,
  webhooksSent: 0,
  webhooksDropped: 0,
  webhooksDuplicated: 0,
  webhooksDelayed: 0,
  downloadsTruncated: 0,
  downloadsReset: 0,
  downloadsCorrupted: 0,
  urlsExpired: 0,
  serverErrors: 0,
  responsesLost: 0,
});

const rateLimited = (message: string) =>
  new ApiError(429, 'rate_limit', 'report_run_rate_limit_exceeded', message, undefined, { 'Retry-After': '1' });

export class State {
  readonly runs = new Map<string, Run>();
  readonly fileIds = new Map<string, string>();
  /** Balance transactions in the ledger and in no file (POST /_emulator/ledger/discrepancy). */
  ledgerDiscrepancies: LedgerDiscrepancy[] = [];
  /** The last ledger GET /v1/balance_transactions listed (see balance-transactions.ts). */
  ledgerCache: unknown = null;
  counters = newCounters();
  faults: EmulatorFaults;
  random: () => number;
  advancedTo: Date | null = null;
  /** Called once per run when it succeeds or fails (events and webhooks hang off this). */
  onSettled: (run: Run) => void = () => undefined;
  private readonly runningByKey = new Map<string, number>();
  private readonly tmpDir = mkdtempSync(join(tmpdir(), 'stripe-emulator-'));
  private closed = false;

  constructor(
    readonly catalog: Catalog,
    readonly config: Config,
    faults: EmulatorFaults,
    seed: number,
    readonly log: (line: string) => void,
  ) {
    this.faults = { ...faults };
    this.random = mulberry32(seed);
  }

  /** Sets what is given; an optional setting given as undefined or null is cleared. */
  configure(o: Configurable): void {
    const c = this.config as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (v !== undefined && v !== null) c[k] = v;
      else if (k === 'bytesPerRun' || k === 'downloadBytesPerSecond' || k === 'maxFileBytes' || k === 'webhookUrl' || k === 'webhookSecret') delete c[k];
    }
  }

  /** Adds a balance transaction to the ledger only; answers its id (stable: the n-th discrepancy's). */
  addLedgerDiscrepancy(d: LedgerDiscrepancy): { id: string } {
    this.ledgerDiscrepancies = [...this.ledgerDiscrepancies, { ...d }];
    return { id: discrepancyId(this.ledgerDiscrepancies.length - 1) };
  }

  resetCounters(): void {
    const running = this.counters.running;
    this.counters = { ...newCounters(), running, peakRunning: running };
  }

  findReport(id: string): CatalogReport | undefined {
    return this.catalog.reports.find((r) => r.id === id);
  }

  availability(report: CatalogReport) {
    return availabilityOf(this.catalog, report, this.advancedTo);
  }

  /** Probability draws for faults, from the seeded PRNG. */
  roll(rate: number | undefined): boolean {
    return !!rate && this.random() < rate;
  }

  /**
   * Registers a new running run, or throws 429 when this key already has its cap running (or,
   * with extraRateLimitRate, now and then below it: Stripe rate limits for reasons of its own).
   */
  start(run: Omit<Run, 'status'>): Run {
    const cap = run.livemode ? this.config.runningCap.live : this.config.runningCap.sandbox;
    const mine = this.runningByKey.get(run.keyId) ?? 0;
    if (mine >= cap) {
      this.counters.rateLimited++;
      throw rateLimited(`Too many report runs are running for this key (${mine} of ${cap}). Retry when some have finished.`);
    }
    if (this.roll(this.faults.extraRateLimitRate)) {
      this.counters.rateLimited++;
      this.counters.extraRateLimited++;
      throw rateLimited('Too many requests to create report runs. Retry shortly (emulated fault).');
    }
    const r = run as Run;
    r.status = 'running';
    this.runs.set(r.id, r);
    if (r.fileId) this.fileIds.set(r.fileId, r.id);
    this.runningByKey.set(r.keyId, mine + 1);
    this.counters.runsCreated++;
    this.counters.running++;
    this.counters.peakRunning = Math.max(this.counters.peakRunning, this.counters.running);
    r.timer = setTimeout(() => void this.complete(r), this.config.processingMs);
    return r;
  }

  private async complete(run: Run): Promise<void> {
    run.timer = undefined;
    if (this.closed || run.status !== 'running') return;
    if (run.data?.invalidSql !== undefined) return this.settle(run, { code: 'query_run_invalid_sql', message: run.data.invalidSql });
    const failing = this.faults.failReports ?? [];
    const named = [run.report.id, run.id, run.data?.name].filter((x): x is string => !!x);
    if (named.some((n) => failing.includes(n)) || this.roll(this.faults.failRunRate)) {
      return this.settle(run, { code: 'internal_error', message: 'The report run failed because of an internal error.' });
    }
    try {
      // The limit is on the file served: a compressed one may stay under it (Stripe's guide: a
      // report over 5 GB must be requested with compress_file).
      const limit = this.config.maxFileBytes ?? MAX_FILE_BYTES;
      const limitOnCsv = !run.compress;
      if (limitOnCsv && run.csv.bytes !== undefined && run.csv.bytes > limit) return this.tooLarge(run);
      const csvBytes = await csvSize(run.csv);
      if (limitOnCsv && csvBytes > limit) return this.tooLarge(run);
      if (run.data) run.data.rowCount = await csvRowCount(run.csv);
      if (run.compress) {
        const path = join(this.tmpDir, `${run.id}.zip`);
        run.size = await writeZip({
          path,
          entryName: `${fileStem(run)}.csv`,
          size: csvBytes,
          mtime: new Date(run.csv.intervalStart),
          open: () => csvStream(run.csv),
        });
        run.zipPath = path;
      } else run.size = csvBytes;
      if (this.closed || run.status !== 'running') return;
      if (run.size > limit) return this.tooLarge(run);
      this.settle(run);
    } catch (err) {
      if (this.closed || run.status !== 'running') return;
      this.log(`run ${run.id}: building the file failed: ${(err as Error).message}`);
      this.settle(run, { code: 'internal_error', message: 'The report file could not be produced.' });
    }
  }

  private tooLarge(run: Run): void {
    const what = run.data?.kind === 'query' ? 'query' : 'interval';
    const message = !run.data
      ? 'The report file would be larger than 5 GB. Use a shorter interval.'
      : run.compress
        ? `The result file would be larger than 5 GB even compressed. Narrow the ${what}.`
        : `The result file would be larger than 5 GB. Ask for result_options.compress_file, or narrow the ${what}.`;
    this.settle(run, { code: 'file_size_above_limit', message });
  }

  /**
   * Stripe cancels a running Data API run (a test hook: the API has no cancel call). The run
   * stops running at once: it frees its place under the cap and emits no event.
   */
  cancel(id: string, detail: { code?: string; message?: string } = {}): Run {
    const run = this.runs.get(id);
    if (!run) throw new ApiError(404, 'invalid_request_error', 'not_found', `No such run: ${id}`);
    if (!run.data) throw new ApiError(409, 'invalid_request_error', 'not_cancelable', `Only Data API runs can be canceled; ${id} is a ${run.api} run.`);
    if (run.status !== 'running') throw new ApiError(409, 'invalid_request_error', 'not_cancelable', `Run ${id} is ${run.status}, not running.`);
    if (run.timer) clearTimeout(run.timer);
    run.timer = undefined;
    run.data.canceled = { atMs: Date.now(), ...detail };
    this.finish(run, 'canceled');
    return run;
  }

  private settle(run: Run, failure?: Run['failure']): void {
    run.failure = failure;
    this.finish(run, failure ? 'failed' : 'succeeded');
    if (failure) this.counters.runsFailed++;
    try {
      this.onSettled(run);
    } catch (err) {
      this.log(`run ${run.id}: event hook failed: ${(err as Error).message}`);
    }
  }

  /** The run stops running: its place under the cap is free again. */
  private finish(run: Run, status: 'succeeded' | 'failed' | 'canceled'): void {
    run.status = status;
    run.finishedMs = Date.now();
    this.counters.running--;
    this.runningByKey.set(run.keyId, (this.runningByKey.get(run.keyId) ?? 1) - 1);
    this.log(`run ${run.id} ${run.data?.name ?? run.report.id} ${status}${run.failure ? ` (${run.failure.code})` : ''}`);
  }

  /** Every run as GET /_emulator/runs lists it, in creation order. */
  listRuns(): RunInfo[] {
    return [...this.runs.values()].map((r) => ({
      id: r.id,
      api: r.api,
      report: r.data?.name ?? r.report.id,
      livemode: r.livemode,
      status: r.status,
      failure: r.failure ? { ...r.failure } : null,
      createdMs: r.createdMs,
      finishedMs: r.finishedMs ?? null,
      context: r.context,
      connectedAccount: r.connectedAccount,
      intervalStart: new Date(r.csv.intervalStart).toISOString(),
      intervalEnd: new Date(r.csv.intervalEnd).toISOString(),
      compress: r.compress,
      size: r.status === 'succeeded' ? (r.size ?? 0) : null,
      idempotencyKey: r.idempotencyKey,
      ...(r.data ? { kind: r.data.kind, ...(r.data.sql !== undefined ? { sql: r.data.sql } : {}) } : {}),
    }));
  }

  /** The run's result file as a servable body. */
  fileBody(run: Run): FileBody {
    const size = run.size ?? 0;
    const zip = run.zipPath;
    return {
      size,
      contentType: zip ? 'application/zip' : 'text/csv; charset=utf-8',
      filename: `${fileStem(run)}.${zip ? 'zip' : 'csv'}`,
      open: (start, end): Readable => (zip ? createReadStream(zip, { start, end }) : csvStream(run.csv, start, end)),
    };
  }

  /** sha256 of the result, by streaming it once (cached per run). */
  sha256(runId: string): Promise<string> {
    const run = this.runs.get(runId);
    if (!run) return Promise.reject(new ApiError(404, 'invalid_request_error', 'not_found', `No such report run: ${runId}`));
    if (run.status !== 'succeeded') {
      return Promise.reject(new ApiError(409, 'invalid_request_error', 'run_not_succeeded', `Report run ${runId} is ${run.status}`));
    }
    run.sha ??= (async () => {
      const hash = createHash('sha256');
      const body = this.fileBody(run);
      for await (const chunk of body.open(0, Math.max(0, body.size - 1))) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    // A failed hash (e.g. closed mid-way) must not stick.
    run.sha.catch(() => (run.sha = undefined));
    return run.sha;
  }

  close(): void {
    this.closed = true;
    for (const r of this.runs.values()) if (r.timer) clearTimeout(r.timer);
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

/** The result file's name without extension: the report id, or a query run's id. */
function fileStem(run: Run): string {
  return run.data?.kind === 'query' ? run.id : run.report.id;
}
