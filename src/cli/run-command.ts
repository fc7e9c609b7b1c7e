/**
 * `reports run <config> [--period P] [--wait] [--dry-run] [--force]`: the same firing the
 * schedule (or Trigger in the Temporal UI) starts, for a named period or the previous one.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { parsePeriod, periodForConfig } from '../config/period.js';
import type { Period } from '../domain/period.js';
import type { ReportConfig } from '../config/schema.js';
import { targetsOf } from '../config/targets.js';
import type { Settings } from '../settings.js';
import { startReport } from '../temporal/start-report.js';
import { watchFiring } from '../temporal/watch.js';
import { businessKey } from '../domain/business-key.js';
import { failedOf, resultCounts, resultFailed, type ReportWorkflowResult, type TargetOutcome } from '../domain/outcomes.js';
import { loadFiringOutcomes } from '../archive/firing-outcomes.js';
import type { ArchiveStore } from '../archive/store.js';
import { createStripeClients } from '../activities/stripe-clients.js';
import { formatPlannedRequests, plannedRequests, type TemplateLookup } from './dry-run.js';
import { loadNamedConfig, withClient, archiveFromSettings } from './connect.js';
import { linesOnly, type LiveOutput } from './live-output.js';
import { firingSummary, targetChangeLine } from './progress-format.js';
import { table } from './table.js';

export interface RunOptions {
  period?: string;
  wait?: boolean;
  dryRun?: boolean;
  force?: boolean;
}

/** The first ids of a long list, and how many more. */
function listed(ids: string[], shown = 20): string {
  return ids.length <= shown ? ids.join(', ') : `${ids.slice(0, shown).join(', ')}, … and ${ids.length - shown} more (${ids.length} targets)`;
}

export function plan(config: ReportConfig, period: Period): string {
  const lines = [
    `configuration  ${config.id} (${config.api} ${config.report}, ${config.mode})`,
    ...(config.query ? [`query          ${config.query.file ?? '(inline)'}: ${config.query.sql.trim().split('\n').length} lines of SQL`] : []),
    `period         ${period.name} in ${period.timezone}`,
    `interval (UTC) ${period.start} to ${period.end} (end exclusive)`,
    `targets        ${listed(targetsOf(config).map((t) => t.id))}`,
    `parameters     ${JSON.stringify({ ...config.parameters, interval_start: period.start, interval_end: period.end })}`,
  ];
  return lines.join('\n');
}

/**
 * Each target's request. With the configuration's key in the environment (not demo mode) each
 * template is read from Stripe and the parameters checked against it; otherwise offline.
 */
async function dryRunRequests(settings: Settings, config: ReportConfig, period: Period): Promise<string> {
  const versions = { v2Prefix: settings.stripeV2Prefix, v2Version: settings.stripeV2Version, v1Version: settings.stripeV1Version, dataVersion: settings.stripeDataVersion };
  const online = !settings.demo && Boolean(process.env[config.key_env]);
  if (!online) return formatPlannedRequests(await plannedRequests(config, period, undefined, versions), false);
  const stripe = createStripeClients({ baseUrl: settings.stripeApiBase, ...versions });
  const lookup: TemplateLookup = async (job) => {
    const client = stripe.clientFor(job);
    const opts = { context: job.target.context };
    return job.api === 'data' ? client.getDataReport(job.report, opts) : client.getReport(job.report, opts);
  };
  try {
    return formatPlannedRequests(await plannedRequests(config, period, lookup, versions), true);
  } finally {
    await stripe.close();
  }
}

/** Targets listed one per line after a firing; a larger firing gets counts, its failures and where the rest are. */
const LISTED_TARGETS = 50;

export function outcomeTable(outcomes: TargetOutcome[]): string {
  return table(
    ['target', 'outcome', 'detail'],
    outcomes.map((o) => [o.target, o.status, o.status === 'archived' ? `${o.file.location} (${o.file.size} bytes)` : o.reason]),
  );
}

/**
 * What a finished firing says: every target when there are few (from the outcome file in the
 * archive, or from the result of a firing started by 0.2.0), else the counts and the failed targets.
 */
export async function outcomeReport(result: ReportWorkflowResult, store: ArchiveStore): Promise<string> {
  const outcomes = result.outcomes ?? (await loadFiringOutcomes(store, result.config, result.period))?.outcomes;
  if (outcomes && outcomes.length <= LISTED_TARGETS) return outcomeTable(outcomes);
  const { archived, skipped, failed } = resultCounts(result);
  const lines = [`${archived} archived, ${skipped} skipped, ${failed} failed`];
  const named = outcomes ? failedOf(outcomes) : resultFailed(result);
  if (named.length > 0) lines.push(table(['target', 'outcome', 'detail'], named.slice(0, LISTED_TARGETS).map((f) => [f.target, 'failed', f.reason])));
  if (failed > Math.min(named.length, LISTED_TARGETS)) lines.push(`… and ${failed - Math.min(named.length, LISTED_TARGETS)} more failed`);
  if (result.outcomesFile) lines.push(`every target: ${result.outcomesFile} in ${store.describe()}`);
  return lines.join('\n');
}

/**
 * `live`: where `--wait` shows progress (a terminal redraws the summary in place; a pipe gets
 * plain lines); by default plain lines through `out`.
 */
export async function runCommand(settings: Settings, name: string, opts: RunOptions, out: (line: string) => void, live: LiveOutput = linesOnly(out)): Promise<number> {
  const config = loadNamedConfig(settings, name);
  const period = opts.period !== undefined ? parsePeriod(opts.period, config.schedule.timezone) : periodForConfig(config, new Date());
  out(plan(config, period));
  if (opts.dryRun) {
    out(await dryRunRequests(settings, config, period));
    out('dry run: nothing started');
    return 0;
  }
  const archiveFor = archiveFromSettings(settings);
  return withClient(settings, async (client: Client) => {
    let handle: WorkflowHandle;
    try {
      handle = await startReport(client, config, period.name, { taskQueue: settings.taskQueue, force: opts.force, archiveFor });
      out(`started ${handle.workflowId}`);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = client.workflow.getHandle(businessKey(config.id, period.name));
      out(`${handle.workflowId} is already running; ${opts.wait ? 'following it' : 'not started again'}`);
    }
    if (!opts.wait) return 0;
    const targets = targetsOf(config).map((t) => ({ id: t.id, workflowId: businessKey(config.id, period.name, t.id) }));
    let result: ReportWorkflowResult;
    try {
      result = await watchFiring(client, handle, targets, {
        onChange: (p) => live.line(targetChangeLine(Date.now(), p)),
        onView: (view) => live.status(firingSummary(view)),
      });
    } catch (err) {
      live.done();
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      out(`failed: ${cause}`);
      return 1;
    }
    live.done();
    out('');
    out(await outcomeReport(result, archiveFor(config.archive)));
    return resultCounts(result).failed > 0 ? 1 : 0;
  });
}
