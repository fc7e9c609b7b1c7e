/**
 * A firing's summary in the archive, beside its files: `<config>/<period>/summary.json` (what
 * programs and the next period read) and `summary.md` (what people read). Both are derived from
 * the archived files, so saving again replaces them.
 */
import { readJsonDocument, summaryKeys, type ArchiveStore } from '../archive/store.js';
import { ReportsError } from '../domain/errors.js';
import { renderMarkdown } from './render-markdown.js';
import type { FiringSummary } from '../domain/summary.js';

/** Saves both documents; returns the key of `summary.json`. The JSON goes last: it is what `loadSummary` and `verify` read. */
export async function saveSummary(store: ArchiveStore, summary: FiringSummary): Promise<string> {
  const keys = summaryKeys(summary.config, summary.period);
  await store.writeDocument(keys.markdown, renderMarkdown(summary), 'text/markdown; charset=utf-8');
  await store.writeDocument(keys.json, JSON.stringify(summary, null, 2) + '\n', 'application/json');
  return keys.json;
}

/** The summary saved for a period, or undefined when there is none. */
export async function loadSummary(store: ArchiveStore, configId: string, period: string): Promise<FiringSummary | undefined> {
  const key = summaryKeys(configId, period).json;
  const parsed = await readJsonDocument<FiringSummary>(store, key);
  if (parsed === undefined) return undefined;
  if (parsed?.summary_version !== 1) throw new ReportsError(`${key} in ${store.describe()} is not a summary this version reads (summary_version ${String(parsed?.summary_version)})`, false);
  return parsed;
}
