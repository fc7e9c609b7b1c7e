/** `reports sync [--dry-run]`: make Temporal's schedules match schedules/*.yaml. */
import type { Client } from '@temporalio/client';
import { formatProblem, loadConfigDir } from '../config/load.js';
import { formatSyncReport, syncSchedules } from '../schedules/sync.js';
import type { Settings } from '../settings.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { archiveFromSettings, withClient } from './connect.js';

/** Shared by the command and `npm start`: load, report bad files, sync, print. */
export async function syncFromDir(client: Client, settings: Settings, out: (line: string) => void, dryRun = false): Promise<number> {
  const results = loadConfigDir(settings.schedulesDir);
  for (const r of results) if (!r.ok) for (const p of r.problems) out(`problem ${formatProblem(p)}`);
  const report = await syncSchedules(client, results, { taskQueue: settings.taskQueue, dryRun, log: dryRun ? out : undefined, archiveFor: archiveFromSettings(settings) });
  out(formatSyncReport(report));
  return report.failed.length > 0 || results.some((r) => !r.ok) ? 1 : 0;
}

export function syncCommand(settings: Settings, opts: { dryRun?: boolean }, out: (line: string) => void): Promise<number> {
  return withClient(settings, async (client) => {
    // Schedules set the project's search attributes: a fresh namespace needs them first.
    if (!opts.dryRun) {
      const { added } = await ensureSearchAttributes(client, client.options.namespace);
      if (added.length > 0) out(`added search attributes ${added.join(', ')} to namespace ${client.options.namespace}`);
    }
    return syncFromDir(client, settings, out, opts.dryRun);
  });
}
