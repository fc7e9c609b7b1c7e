/**
 * `reports notify <config> --period P [--to slack,email,webhook]`: sends a period's finance summary
 * again, from the archive (`<config>/<period>/summary.json`), to the configuration's destinations
 * or the ones named. The same code as the worker's notification activity sends it; secrets come
 * from this process's environment. Exit 1 when the summary is missing or a destination failed.
 */
import { archiveFromSettings } from './connect.js';
import { loadConfigDir } from '../config/load.js';
import { parsePeriod } from '../config/period.js';
import { destinationsOf, firingUrl, sendSummary, type Destination } from '../notify/send-summary.js';
import { businessKey } from '../domain/business-key.js';
import type { Settings } from '../settings.js';
import { loadSummary } from '../summary/summary-store.js';

export async function notifyCommand(settings: Settings, configId: string, opts: { period: string; to?: string }, out: (line: string) => void): Promise<number> {
  const config = loadConfigDir(settings.schedulesDir).flatMap((r) => (r.ok ? [r.config] : [])).find((c) => c.id === configId);
  if (!config) {
    out(`no valid configuration ${configId} in ${settings.schedulesDir} (npx reports validate says why)`);
    return 1;
  }
  const period = parsePeriod(opts.period, config.schedule.timezone).name;
  const configured = destinationsOf(config.notify);
  const wanted = opts.to ? (opts.to.split(',').map((d) => d.trim()) as Destination[]) : configured;
  const unknown = wanted.filter((d) => !configured.includes(d));
  if (unknown.length > 0 || wanted.length === 0) {
    out(`${config.id}: notify names ${configured.length > 0 ? configured.join(', ') : 'no destination'}; cannot send to ${unknown.join(', ') || 'nothing'}`);
    return 1;
  }
  const store = archiveFromSettings(settings)(config.archive);
  const summary = await loadSummary(store, config.id, period);
  if (!summary) {
    out(`${config.id} ${period}: no summary in ${store.describe()} (a firing saves it after its last target: npx reports run ${config.id} --period ${period})`);
    return 1;
  }
  let failed = 0;
  for (const destination of wanted) {
    try {
      await sendSummary(destination, config, summary, { store, firingUrl: firingUrl(settings.temporalUiUrl, process.env.TEMPORAL_NAMESPACE ?? 'default', businessKey(config.id, period)) });
      out(`sent     ${destination}`);
    } catch (err) {
      failed++;
      out(`failed   ${destination}: ${(err as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
