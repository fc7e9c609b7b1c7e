/**
 * A finished firing's per-target outcomes, as `reports run` and the notification read them: from
 * the outcome file in the archive (`<config>/<period>/outcomes.json`), or from the result of a
 * firing started by 0.2.0, which carried them.
 */
import { expect } from 'vitest';
import { loadFiringOutcomes } from '../../src/archive/firing-outcomes.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import type { ArchiveStore } from '../../src/archive/store.js';
import type { ReportWorkflowResult, TargetOutcome } from '../../src/domain/outcomes.js';

export async function outcomesOf(result: ReportWorkflowResult, archive: string | ArchiveStore): Promise<TargetOutcome[]> {
  if (result.outcomes) return result.outcomes;
  const store = typeof archive === 'string' ? new FilesystemArchive(archive) : archive;
  const file = await loadFiringOutcomes(store, result.config, result.period);
  if (!file) throw new Error(`no outcome file for ${result.config} ${result.period} in ${store.describe()}`);
  expect(file.counts).toEqual(result.counts);
  return file.outcomes;
}

/** A finished firing's result with every target's outcome filled in (from the outcome file when the result does not carry them). */
export type ResultWithOutcomes = ReportWorkflowResult & { outcomes: TargetOutcome[] };

export async function withOutcomes(result: ReportWorkflowResult, archive: string | ArchiveStore): Promise<ResultWithOutcomes> {
  return { ...result, outcomes: await outcomesOf(result, archive) };
}
