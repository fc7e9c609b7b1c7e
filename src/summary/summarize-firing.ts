/**
 * A firing's finance summary, from the files it archived (and those an earlier firing archived
 * for targets skipped this time): each file read once, streamed, a few at a time; totals per
 * currency over every target; the targets that failed, with why; and what moved since the
 * previous period's summary, when there is one.
 */
import type { ArchiveStore } from '../archive/store.js';
import { ReportsError } from '../domain/errors.js';
import { PeriodFiles } from './archived-file.js';
import { figureChanges } from './changes.js';
import { ReportFileError } from './errors.js';
import { reportFamily } from './family.js';
import { totalsFor } from './figures.js';
import { summarizeArchivedFile } from './summarize-file.js';
import { loadSummary } from './summary-store.js';
import type { FiringSummary, ReportFamily, TargetSummary } from '../domain/summary.js';

export interface SummaryTarget {
  target: string;
  /** The archived file (`<config>/<period>/<target>.csv|zip`); unset: the newest file archived for the target this period. */
  key?: string;
  /** Archived by an earlier firing (skipped this time): read again here. */
  skipped?: boolean;
}

export interface SummarizeFiringInput {
  config: string;
  period: string;
  interval: { start: string; end: string };
  api: 'v1' | 'v2' | 'data';
  report: string;
  /** Targets with a file in the archive for this period. */
  targets: SummaryTarget[];
  /** Targets that did not archive, with Stripe's or the project's reason. */
  failed: Array<{ target: string; reason: string }>;
  /** The previous period's name (the caller's period math): its summary, if saved, gives the changes. */
  previousPeriod?: string;
  /**
   * Files read at once (default 16): enough to overlap S3 latency and keep the filesystem's threads
   * busy on many small files (10,000 in 5 s instead of 6), few enough to keep memory small.
   */
  parallel?: number;
  now?: Date;
  /** Told after each target's file, with how many are done: the activity heartbeats with it (10,000 files take a while). */
  onFile?: (done: number) => void;
}

/** Said plainly when the family is unknown: nothing was added up. */
export function unknownFamilyNote(api: string, report: string): string {
  const what = api === 'data' && /^query(:|$)/.test(report) ? `A SQL query's result (${report})` : report;
  return `${what} is not a report type this project sums: rows and files are counted only`;
}

async function inBatches<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
}

function firingTotals(family: ReportFamily, targets: TargetSummary[]) {
  const totals = totalsFor(family);
  for (const t of targets) totals?.addFigures(t.currencies);
  return totals?.figures() ?? [];
}

export async function summarizeFiring(store: ArchiveStore, input: SummarizeFiringInput): Promise<FiringSummary> {
  const family = reportFamily(input.api, input.report);
  const files = new PeriodFiles(store, input.config, input.period);
  const targets: TargetSummary[] = [];
  const failed = [...input.failed];
  let skipped = 0;
  let done = 0;
  await inBatches(input.targets, input.parallel ?? 16, async (t) => {
    await summarizeTarget(t);
    input.onFile?.(++done);
  });
  async function summarizeTarget(t: SummaryTarget): Promise<void> {
    const key = await files.fileFor(t.target, t.key);
    if (!key) {
      failed.push({ target: t.target, reason: `no archived file for ${input.period} under ${input.config}/${input.period}/${t.target}.*` });
      return;
    }
    try {
      targets.push(await summarizeArchivedFile(store, t.target, key, family, files.manifest(key)));
      if (t.skipped) skipped++;
    } catch (err) {
      // One unreadable file does not hide every other target's figures: it is named with why.
      if (!(err instanceof ReportFileError)) throw err;
      failed.push({ target: t.target, reason: `archived, but its file cannot be summed: ${err.message}` });
    }
  }
  targets.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  failed.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  const totals = firingTotals(family, targets);
  const summary: FiringSummary = {
    summary_version: 1,
    config: input.config,
    period: input.period,
    interval: input.interval,
    api: input.api,
    report: input.report,
    family,
    ...(family === 'unknown' ? { note: unknownFamilyNote(input.api, input.report) } : {}),
    generated_at: (input.now ?? new Date()).toISOString(),
    files: targets.length,
    rows: targets.reduce((n, t) => n + t.rows, 0),
    totals,
    targets,
    failed,
    skipped,
  };
  if (input.previousPeriod) {
    // A previous summary that cannot be read (edited by hand, a later version) only loses the comparison.
    const previous = await loadSummary(store, input.config, input.previousPeriod).catch((err: unknown) => {
      if (err instanceof ReportsError && !err.retryable) return undefined;
      throw err;
    });
    if (previous) summary.previous = { period: previous.period, changes: figureChanges(previous.totals, totals) };
  }
  return summary;
}
