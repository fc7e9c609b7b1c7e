/** `reports status [config]`: recent and running periods with their state, read from Temporal. */
import type { Client } from '@temporalio/client';
import type { Settings } from '../settings.js';
import { poolStateQuery, type PermitPoolState } from '../workflows/messages.js';
import { ReportConfigAttribute, ReportPeriodAttribute, ReportRunSucceededAttribute } from '../workflows/search-attributes.js';
import { readFiring } from '../temporal/firing-status.js';
import { queryWithin } from '../temporal/query.js';
import { archiveFromSettings, loadNamedConfig, withClient } from './connect.js';
import { loadFiringOutcomes, outcomesKey } from '../archive/firing-outcomes.js';
import type { ArchiveStore } from '../archive/store.js';
import { failedOf } from '../domain/outcomes.js';
import { InvalidInputError } from '../domain/errors.js';
import { firingStatusLines } from './progress-format.js';
import { table } from './table.js';

export async function listFirings(client: Client, configId: string | undefined, limit: number, only: { running?: boolean } = {}) {
  // Firings only (report/<config>/<period>), not their per-target children.
  const query = [
    `WorkflowType = 'reportWorkflow'`,
    configId ? `ReportConfig = '${configId.replaceAll("'", '')}'` : '',
    only.running ? `ExecutionStatus = 'Running'` : '',
  ]
    .filter(Boolean)
    .join(' AND ');
  const rows: { workflowId: string; config: string; period: string; status: string; started: string; closed: string }[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const attrs = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      config: attrs.get(ReportConfigAttribute) ?? wf.workflowId.split('/')[1] ?? '',
      period: attrs.get(ReportPeriodAttribute) ?? '(settling)',
      status: wf.status.name,
      started: wf.startTime.toISOString().slice(0, 19).replace('T', ' '),
      closed: wf.closeTime ? wf.closeTime.toISOString().slice(0, 19).replace('T', ' ') : '',
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

/** Stripe keeps a ReportRun's file this long after it succeeded. */
const FILE_KEPT_DAYS = 90;

export interface RetentionWarning {
  workflowId: string;
  succeededAt: Date;
  daysLeft: number;
  status: string;
}

/** Runs Stripe finished whose file never reached the archive, with fewer than `warnDays` of Stripe's 90 left. */
export async function retentionWarnings(client: Client, now = new Date(), warnDays = 15): Promise<RetentionWarning[]> {
  const cutoff = new Date(now.getTime() - (FILE_KEPT_DAYS - warnDays) * 86_400_000);
  const query = `WorkflowType = 'reportRunWorkflow' AND ReportRunSucceededAt < '${cutoff.toISOString()}' AND ExecutionStatus != 'Completed'`;
  const warnings: RetentionWarning[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const succeededAt = wf.typedSearchAttributes.get(ReportRunSucceededAttribute);
    if (!succeededAt) continue;
    const daysLeft = Math.floor((succeededAt.getTime() + FILE_KEPT_DAYS * 86_400_000 - now.getTime()) / 86_400_000);
    warnings.push({ workflowId: wf.workflowId, succeededAt, daysLeft, status: wf.status.name });
  }
  return warnings;
}

/** Every running permit pool with its capacity, holders and waiters (from the `poolState` query). */
export async function permitPools(client: Client, answerWithinMs = 3000): Promise<(PermitPoolState | { poolId: string; unanswered: true })[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'permitPoolWorkflow' AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
  // A query needs a worker on the pool's task queue: with none running, say so instead of waiting.
  return Promise.all(
    ids.map((poolId) => queryWithin(client, poolId, poolStateQuery, answerWithinMs).catch(() => ({ poolId, unanswered: true as const }))),
  );
}

/** Running firings whose targets `reports status` shows, the most recent first. */
const RUNNING_FIRINGS_SHOWN = 50;

/** Targets' stages asked at most per `reports status`, over all running firings (each firing's own query is extra). */
const TARGETS_ASKED = 1000;

/** Each running firing's targets by stage and its oldest waiting target; firings one after another, their targets 16 at a time. */
export async function runningFiringLines(client: Client, workflowIds: string[], budget = TARGETS_ASKED): Promise<string[]> {
  const lines: string[] = [];
  for (const workflowId of workflowIds) {
    try {
      const view = await readFiring(client, workflowId, { maxTargets: budget });
      budget = Math.max(0, budget - view.answers.filter((a) => a.asked).length);
      lines.push(...firingStatusLines(workflowId, view, Date.now()));
    } catch (err) {
      // No worker (or one older than the query) answers: say so, do not wait.
      lines.push(`${workflowId}  (no progress: ${/did not register a handler/.test((err as Error).message) ? 'its worker is older than this command' : 'no worker answered'})`);
    }
  }
  return lines;
}

/**
 * `reports status <config> --period P`: the period's outcome file (the latest firing's outcome
 * per target), from the archive; no Temporal needed.
 */
export async function periodOutcomeLines(store: ArchiveStore, configId: string, period: string): Promise<string[]> {
  const file = await loadFiringOutcomes(store, configId, period);
  if (!file) return [`no outcome file for ${configId} ${period} in ${store.describe()} (no firing of that period finished since 0.2.0)`];
  const { archived, skipped, failed } = file.counts;
  const failures = failedOf(file.outcomes);
  return [
    `${configId} ${period}: ${file.targets} targets, ${archived} archived, ${skipped} skipped, ${failed} failed (firing ${file.firing}, written ${file.written_at})`,
    ...(failures.length > 0 ? ['', table(['failed target', 'reason'], failures.slice(0, FAILED_SHOWN).map((f) => [f.target, f.reason]))] : []),
    ...(failures.length > FAILED_SHOWN ? [`… and ${failures.length - FAILED_SHOWN} more failed`] : []),
    `every target: ${outcomesKey(configId, period)} in ${store.describe()}`,
  ];
}

const FAILED_SHOWN = 50;

export async function statusCommand(settings: Settings, configId: string | undefined, out: (line: string) => void, opts: { period?: string } = {}): Promise<number> {
  if (opts.period !== undefined) {
    if (!configId) throw new InvalidInputError('reports status --period needs a configuration: reports status <config> --period <P>');
    const config = loadNamedConfig(settings, configId);
    for (const line of await periodOutcomeLines(archiveFromSettings(settings)(config.archive), config.id, opts.period)) out(line);
    return 0;
  }
  return withClient(settings, async (client) => {
    for (const w of await retentionWarnings(client)) {
      if (configId && !w.workflowId.startsWith(`report/${configId}/`)) continue;
      const [, config, period] = w.workflowId.split('/');
      out(
        `WARNING ${w.workflowId}: Stripe finished this run on ${w.succeededAt.toISOString().slice(0, 10)} but its file was never archived (${w.status}); ` +
          (w.daysLeft >= 0 ? `Stripe deletes it in ${w.daysLeft} days` : 'Stripe has deleted it') +
          ` — run \`npx reports run ${config} --period ${period}\``,
      );
    }
    const pools = await permitPools(client);
    if (pools.length > 0) {
      out(
        table(
          ['permit pool', 'capacity', 'effective', 'held', 'waiting', 'granted', 'reclaimed', '429s'],
          pools.map((p) =>
            'unanswered' in p
              ? [p.poolId, '(no worker answered)', '', '', '', '', '', '']
              : [p.poolId, String(p.capacity), String(p.effectiveCapacity), String(Object.keys(p.holders).length), String(p.waiters.length), String(p.grants), String(p.reclaimed), String(p.capHits)],
          ),
        ),
      );
      out('');
    }
    const rows = await listFirings(client, configId, 50);
    if (rows.length === 0) {
      out(configId ? `no runs of ${configId} yet` : 'no runs yet');
      return 0;
    }
    out(table(['config', 'period', 'state', 'started (UTC)', 'closed (UTC)', 'workflow'], rows.map((r) => [r.config, r.period, r.status, r.started, r.closed, r.workflowId])));
    // Running ones older than the 50 most recent firings too.
    const running = await listFirings(client, configId, RUNNING_FIRINGS_SHOWN, { running: true });
    if (running.length > 0) {
      out('');
      out('running firings, targets by stage:');
      for (const line of await runningFiringLines(client, running.map((r) => r.workflowId))) out(line);
    }
    return 0;
  });
}
