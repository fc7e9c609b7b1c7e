/**
 * `reports verify [--config C] [--period P]`: re-hash archived files against their manifests and
 * report every mismatch or missing file. Each configuration is checked in its own archive
 * (filesystem or S3); exit 1 on any problem.
 */
import { createArchiveFor } from '../archive/stores.js';
import { FilesystemArchive } from '../archive/filesystem.js';
import { verifyArchive } from '../archive/verify.js';
import { loadConfigDir } from '../config/load.js';
import type { Settings } from '../settings.js';
import { table } from './table.js';

export async function verifyCommand(settings: Settings, opts: { config?: string; period?: string }, out: (line: string) => void): Promise<number> {
  const archiveFor = createArchiveFor(new FilesystemArchive(settings.archiveDir));
  const configs = loadConfigDir(settings.schedulesDir).flatMap((r) => (r.ok ? [r.config] : []));
  const chosen = opts.config ? configs.filter((c) => c.id === opts.config) : configs;
  // A configuration whose file is gone may still have files in the default archive.
  const targets = chosen.length > 0 ? chosen.map((c) => ({ id: c.id, store: archiveFor(c.archive) })) : opts.config ? [{ id: opts.config, store: archiveFor(undefined) }] : [];
  let checked = 0;
  let bad = 0;
  const rows: string[][] = [];
  for (const { id, store } of targets) {
    const prefix = opts.period ? `${id}/${opts.period}/` : `${id}/`;
    await verifyArchive(store, prefix, (f) => {
      checked++;
      if (f.status !== 'ok') {
        bad++;
        rows.push([f.key, f.status, f.detail ?? '']);
      }
    });
  }
  if (rows.length > 0) out(table(['file', 'problem', 'detail'], rows));
  out(`${checked} archived file(s) checked, ${checked - bad} match their manifests, ${bad} with problems`);
  return bad > 0 ? 1 : 0;
}
