/** `reports backfill <config> --from P --to P [--force]`: one firing per period, with progress. */
import { periodsBetween } from '../config/period.js';
import { businessKey } from '../domain/business-key.js';
import { resultCounts } from '../domain/outcomes.js';
import type { Settings } from '../settings.js';
import { backfill, type PeriodState } from '../temporal/backfill.js';
import { readFiringProgress, summariseFiring } from '../temporal/firing-status.js';
import { loadNamedConfig, withClient, archiveFromSettings } from './connect.js';
import { linesOnly, type LiveOutput } from './live-output.js';
import { firingSummary } from './progress-format.js';
import { table } from './table.js';

/** How often the running periods' firings are asked where their targets are (one query each). */
const LOOK_EVERY_MS = 2000;

const totalsText = (t: Record<PeriodState, number>) => `running ${t.running}, done ${t.done}, failed ${t.failed}, queued ${t.queued}`;

export async function backfillCommand(
  settings: Settings,
  name: string,
  opts: { from: string; to: string; force?: boolean; concurrency?: number },
  out: (line: string) => void,
  live: LiveOutput = linesOnly(out),
): Promise<number> {
  const config = loadNamedConfig(settings, name);
  const periods = periodsBetween(opts.from, opts.to, config.schedule.timezone);
  out(`${config.id}: ${periods.length} periods from ${periods[0]!.name} to ${periods.at(-1)!.name} (${config.schedule.timezone})`);
  return withClient(settings, async (client) => {
    // Period → its firing's targets in one line; kept only while the period runs. The period
    // counts are on every change line already: the summary says what those lines cannot.
    const running = new Map<string, string>();
    const show = () => {
      if (running.size > 0) live.status(`running ${[...running].map(([period, s]) => `${period} (${s})`).join(', ')}`);
    };
    let finished = false;
    let stop = () => {};
    const stopped = new Promise<void>((r) => (stop = r));
    const looking = (async () => {
      while (!finished) {
        await Promise.race([stopped, new Promise((r) => setTimeout(r, LOOK_EVERY_MS).unref())]);
        if (finished) break;
        await Promise.all(
          [...running.keys()].map(async (period) => {
            const firing = await readFiringProgress(client, businessKey(config.id, period)).catch(() => undefined);
            // Parent counts only: which stage each target in flight is in is `reports status`'s business.
            if (firing && running.has(period)) running.set(period, firingSummary(summariseFiring(firing, firing.inFlight.map((target) => ({ target, asked: false })))));
          }),
        );
        if (!finished) show();
      }
    })();
    let results;
    try {
      results = await backfill(client, config, periods, {
        taskQueue: settings.taskQueue,
        force: opts.force,
        concurrency: opts.concurrency,
        archiveFor: archiveFromSettings(settings),
        onProgress: (p) => {
          if (p.state === 'running') running.set(p.period, 'starting');
          else running.delete(p.period);
          live.line(`${p.period.padEnd(10)} ${p.state.padEnd(8)} [${totalsText(p.totals)}]${p.error ? ` ${p.error}` : ''}`);
        },
      });
    } finally {
      finished = true;
      stop();
      await looking;
      live.done();
    }
    const rows = results.map((r) => {
      const c = r.result ? resultCounts(r.result) : { archived: 0, skipped: 0, failed: 0 };
      return [r.period, r.state, String(c.archived), String(c.skipped), String(c.failed), r.error ?? ''];
    });
    out('');
    out(table(['period', 'state', 'archived', 'skipped', 'failed', 'error'], rows));
    return results.some((r) => r.state === 'failed' || (r.result !== undefined && resultCounts(r.result).failed > 0)) ? 1 : 0;
  });
}
