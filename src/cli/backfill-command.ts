/** `reports backfill <config> --from P --to P [--force]`: one firing per period, with progress. */
import { periodsBetween } from '../config/period.js';
import type { Settings } from '../settings.js';
import { backfill } from '../temporal/backfill.js';
import { loadNamedConfig, withClient } from './connect.js';
import { table } from './table.js';

export async function backfillCommand(
  settings: Settings,
  name: string,
  opts: { from: string; to: string; force?: boolean; concurrency?: number },
  out: (line: string) => void,
): Promise<number> {
  const config = loadNamedConfig(settings, name);
  const periods = periodsBetween(opts.from, opts.to, config.schedule.timezone);
  out(`${config.id}: ${periods.length} periods from ${periods[0]!.name} to ${periods.at(-1)!.name} (${config.schedule.timezone})`);
  return withClient(settings, async (client) => {
    const results = await backfill(client, config, periods, {
      taskQueue: settings.taskQueue,
      force: opts.force,
      concurrency: opts.concurrency,
      onProgress: (p) => {
        const t = p.totals;
        out(`${p.period.padEnd(10)} ${p.state.padEnd(8)} [running ${t.running}, done ${t.done}, failed ${t.failed}, queued ${t.queued}]${p.error ? ` ${p.error}` : ''}`);
      },
    });
    const rows = results.map((r) => {
      const counts = (s: string) => r.result?.outcomes.filter((o) => o.status === s).length ?? 0;
      return [r.period, r.state, String(counts('archived')), String(counts('skipped')), String(counts('failed')), r.error ?? ''];
    });
    out('');
    out(table(['period', 'state', 'archived', 'skipped', 'failed', 'error'], rows));
    return results.some((r) => r.state === 'failed' || r.result?.outcomes.some((o) => o.status === 'failed')) ? 1 : 0;
  });
}
