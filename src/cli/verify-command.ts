/**
 * `reports verify [--config C] [--period P]`: re-hash archived files against their manifests and
 * report every mismatch or missing file, then list each period's finance summary with its
 * headline, flagging one that summed a file the archive no longer holds. Each configuration is
 * checked in its own archive (filesystem or S3); exit 1 on any problem.
 */
import { archiveFromSettings } from './connect.js';
import type { ArchiveStore } from '../archive/store.js';
import { isSummaryFinding, verifyArchive, type VerifyFinding } from '../archive/verify.js';
import { loadConfigDir } from '../config/load.js';
import type { Settings } from '../settings.js';
import { summaryDigest } from '../summary/format.js';
import { loadSummary } from '../summary/summary-store.js';
import { table } from './table.js';

/** A summary's line and, when it can be read, its headline per currency. */
async function summaryLines(store: ArchiveStore, f: VerifyFinding): Promise<string[]> {
  const state = f.status === 'summary-ok' ? 'matches the archived files' : 'STALE';
  const lines = [`${f.key}: ${state}; ${f.detail ?? ''}`];
  const [configId, period] = f.key.split('/') as [string, string];
  const summary = await loadSummary(store, configId, period).catch(() => undefined);
  if (summary) lines.push(...summaryDigest(summary, f.key).headline.map((h) => `  ${h}`));
  return lines;
}

export async function verifyCommand(settings: Settings, opts: { config?: string; period?: string }, out: (line: string) => void): Promise<number> {
  const archiveFor = archiveFromSettings(settings);
  const configs = loadConfigDir(settings.schedulesDir).flatMap((r) => (r.ok ? [r.config] : []));
  const chosen = opts.config ? configs.filter((c) => c.id === opts.config) : configs;
  // A configuration whose file is gone may still have files in the default archive.
  const targets = chosen.length > 0 ? chosen.map((c) => ({ id: c.id, store: archiveFor(c.archive) })) : opts.config ? [{ id: opts.config, store: archiveFor(undefined) }] : [];
  let checked = 0;
  let bad = 0;
  let stale = 0;
  const rows: string[][] = [];
  const summaries: string[] = [];
  for (const { id, store } of targets) {
    const prefix = opts.period ? `${id}/${opts.period}/` : `${id}/`;
    const found: VerifyFinding[] = [];
    await verifyArchive(store, prefix, (f) => {
      if (isSummaryFinding(f)) {
        found.push(f);
        if (f.status === 'summary-stale') stale++;
        return;
      }
      checked++;
      if (f.status !== 'ok') {
        bad++;
        rows.push([f.key, f.status, f.detail ?? '']);
      }
    });
    for (const f of found) summaries.push(...(await summaryLines(store, f)));
  }
  if (rows.length > 0) out(table(['file', 'problem', 'detail'], rows));
  if (summaries.length > 0) out(['Summaries:', ...summaries].join('\n'));
  out(`${checked} archived file(s) checked, ${checked - bad} match their manifests, ${bad} with problems`);
  if (stale > 0) out(`${stale} summar${stale === 1 ? 'y names' : 'ies name'} files changed or gone since ${stale === 1 ? 'it was' : 'they were'} computed (STALE above): ${stale === 1 ? 'its figures are' : 'their figures are'} not the archive's`);
  return bad + stale > 0 ? 1 : 0;
}
