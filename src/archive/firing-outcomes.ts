/**
 * A firing's per-target outcomes in the archive. Each batch of a firing saves its part under
 * `.firings/<config>/<period>/<firing run>/batch-NNNNN.json` (a hidden folder: listings of the
 * archive and of a period do not see it); when the last batch is done the parts are joined into
 * `<config>/<period>/outcomes.json`, beside the files and the summary, for `reports status`, the
 * CLI and the notification. A batch run again replaces its part, so a part is never counted twice.
 */
import { ReportsError } from '../domain/errors.js';
import { countOutcomes, type FiringOutcomes, type TargetOutcome } from '../domain/outcomes.js';
import { readJsonDocument, type ArchiveStore } from './store.js';

export interface FiringRef {
  config: string;
  period: string;
  /** The firing's workflow id and the run that started its batches. */
  workflowId: string;
  runId: string;
}

export function outcomesKey(configId: string, period: string): string {
  return `${configId}/${period}/outcomes.json`;
}

export function batchOutcomesKey(ref: FiringRef, batch: number): string {
  return `.firings/${ref.config}/${ref.period}/${ref.runId}/batch-${String(batch).padStart(5, '0')}.json`;
}

export async function saveBatchOutcomes(store: ArchiveStore, ref: FiringRef, batch: number, outcomes: TargetOutcome[]): Promise<string> {
  const key = batchOutcomesKey(ref, batch);
  await store.writeDocument(key, JSON.stringify(outcomes), 'application/json');
  return key;
}

/**
 * Joins the batches' parts into the period's outcome file (written one line per target, so a
 * file of 100,000 targets stays readable with grep and jq). A missing part is an error naming it:
 * the firing retries rather than write a file that leaves targets out.
 */
export async function writeFiringOutcomes(
  store: ArchiveStore,
  ref: FiringRef & { interval: { start: string; end: string } },
  batches: number,
  onBatch?: (done: number) => void,
): Promise<{ key: string; outcomes: FiringOutcomes }> {
  const all: TargetOutcome[] = [];
  for (let b = 0; b < batches; b++) {
    const part = await readJsonDocument<TargetOutcome[]>(store, batchOutcomesKey(ref, b));
    if (!part) throw new ReportsError(`the outcomes of batch ${b} of ${ref.workflowId} are missing from ${store.describe()} (${batchOutcomesKey(ref, b)})`, true);
    all.push(...part);
    onBatch?.(b + 1);
  }
  const file: FiringOutcomes = {
    outcomes_version: 1,
    config: ref.config,
    period: ref.period,
    interval: ref.interval,
    firing: ref.workflowId,
    written_at: new Date().toISOString(),
    targets: all.length,
    counts: countOutcomes(all),
    outcomes: all,
  };
  const key = outcomesKey(ref.config, ref.period);
  await store.writeDocument(key, renderOutcomes(file), 'application/json');
  return { key, outcomes: file };
}

/** JSON with one outcome per line. */
function renderOutcomes(file: FiringOutcomes): string {
  const { outcomes, ...head } = file;
  const lines = outcomes.map((o) => JSON.stringify(o));
  return `${JSON.stringify(head).slice(0, -1)},"outcomes":[\n${lines.join(',\n')}\n]}\n`;
}

export async function loadFiringOutcomes(store: ArchiveStore, configId: string, period: string): Promise<FiringOutcomes | undefined> {
  return readJsonDocument<FiringOutcomes>(store, outcomesKey(configId, period));
}
