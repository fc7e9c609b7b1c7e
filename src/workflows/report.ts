/**
 * reportWorkflow: one firing of one configuration. It settles the period (named, or the one
 * before the scheduled time in the configuration's timezone), skips targets whose file is already
 * archived, runs one child per remaining target, and reports per target what happened. It fails
 * only when every target it ran failed.
 */
import {
  ApplicationFailure,
  executeChild,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ReportActivities } from '../activities/index.js';
import { jobFromConfig } from '../config/report-job.js';
import { parsePeriod, periodForConfig } from '../config/period.js';
import type { Period } from '../domain/period.js';
import type { ReportConfig } from '../config/schema.js';
import { targetsOf } from '../config/targets.js';
import type { ReportTarget } from '../domain/target.js';
import { businessKey } from '../domain/business-key.js';
import { FiringProgressTracker } from './firing-progress.js';
import { inWindow } from './in-window.js';
import { rootCauseMessage } from './failure-message.js';
import { firingProgressQuery } from './messages.js';
import { STRIPE_RUNNING_CAP } from './permit-state.js';
import { reportRunWorkflow } from './report-run.js';
import { ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute } from './search-attributes.js';
import type { ReportWorkflowInput } from './types.js';
import type { ReportWorkflowResult, TargetOutcome } from '../domain/outcomes.js';
import type { ReportsSinks } from '../domain/metrics-sink.js';

/** The worker's metrics (not called on replay): targets by outcome and firings by result. */
const { metrics } = proxySinks<ReportsSinks>();

const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// The archive may be down for minutes (an S3 outage, a remount): the firing waits it out, about
// 15 minutes in all, instead of failing every target of the period at once.
const { findArchivedTargets } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const { notifyOutcome } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

// Reading every archived file of the period may take minutes for large itemized reports; it
// heartbeats per file. The archive may be down for a while: retried for about half an hour.
const { summarizeFiring } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

// Slack, an SMTP server or a webhook may be down or rate-limited for a while: retried with backoff
// for about 15 minutes (a 429's Retry-After sets the next delay); a refusal (404, a bad login, a
// refused recipient) is not retried.
const { notifyDestination } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 6 },
});

function invalid(config: ReportConfig, err: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`configuration ${config.id}: ${(err as Error).message}`, 'InvalidInputError');
}

function settlePeriod(input: ReportWorkflowInput): Period {
  const { config } = input;
  let period: Period;
  try {
    if (input.period) period = parsePeriod(input.period, config.schedule.timezone);
    else {
      // The period comes from when the run was scheduled, never from now: a late or caught-up
      // firing still reports on the period it was meant for.
      const scheduledAt = workflowInfo().typedSearchAttributes.get(ScheduledStartTime) ?? new Date(workflowInfo().startTime);
      period = periodForConfig(config, scheduledAt);
    }
  } catch (err) {
    throw invalid(config, err);
  }
  if (Date.parse(period.end) > Date.now()) {
    throw invalid(config, new Error(`period ${period.name} has not ended yet (it ends ${period.end}); a report on it would be incomplete`));
  }
  return period;
}

export async function reportWorkflow(input: ReportWorkflowInput): Promise<ReportWorkflowResult> {
  const { config } = input;
  const progress = new FiringProgressTracker();
  setHandler(firingProgressQuery, () => progress.snapshot());
  const period = settlePeriod(input);
  // Scheduled firings learn their period only here: make it searchable (`reports status`, UI).
  upsertSearchAttributes([
    { key: ReportConfigAttribute, value: config.id },
    { key: ReportPeriodAttribute, value: period.name },
  ]);
  const targets = targetsOf(config);
  progress.plan(period.name, targets.length);
  const ext = config.result.compress ? 'zip' : 'csv';
  const archived = input.force
    ? {}
    : await findArchivedTargets(config.id, period.name, targets.map((t) => ({ id: t.id, ext })), config.archive);

  const outcomes = await inWindow(
    targets,
    fanOutWindow(config),
    progress.follow((target) => businessKey(config.id, period.name, target.id), async (target): Promise<TargetOutcome> => {
      if (archived[target.id]) return { target: target.id, status: 'skipped', reason: `already archived at ${archived[target.id]!.location}` };
      // The job adds `query` only for Data API query configurations: a running firing's children
      // get exactly the input they got before, so this needed no patch.
      const job = jobFromConfig(config, period, target);
      try {
        const result = await executeChild(reportRunWorkflow, {
          workflowId: job.businessKey,
          args: [job, input.timing ?? {}],
          // A target that archived is never run twice by accident; --force says "again".
          workflowIdReusePolicy: input.force ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          typedSearchAttributes: [
            { key: ReportConfigAttribute, value: config.id },
            { key: ReportPeriodAttribute, value: period.name },
            { key: ReportTargetAttribute, value: target.id },
          ],
        });
        return { target: target.id, status: 'archived', runId: result.runId, file: result.file };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          return { target: target.id, status: 'skipped', reason: `already running or done as ${job.businessKey}` };
        }
        return { target: target.id, status: 'failed', reason: rootCauseMessage(err) };
      }
    }),
  );

  const result: ReportWorkflowResult = { config: config.id, period: period.name, interval: { start: period.start, end: period.end }, outcomes };
  const failed = outcomes.filter((o) => o.status === 'failed');
  const ran = outcomes.filter((o) => o.status !== 'skipped');
  const count = (status: TargetOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  metrics.firingEnded({ configuration: config.id, archived: count('archived'), skipped: count('skipped'), failed: failed.length });
  log.info('firing finished', { configuration: config.id, period: period.name, archived: count('archived'), skipped: count('skipped'), failed: failed.length });
  if (patched('finance-summary')) {
    await summarizeAndNotify(config, period, result);
  } else if (config.notify) {
    const wanted = failed.length > 0 ? config.notify.on.includes('failure') : config.notify.on.includes('success');
    // A notification that cannot be sent must not undo an archived close: log it and go on.
    if (wanted && config.notify.webhook_url) await notifyOutcome(config.notify.webhook_url, result).catch((err) => log.warn(`notification failed: ${rootCauseMessage(err)}`));
  }
  const limit = failureLimit(config, ran.length);
  if (ran.length > 0 && failed.length > limit) {
    const which = failed.length === ran.length ? 'every target failed' : `${failed.length} of ${ran.length} targets failed (more than ${limit} allowed)`;
    throw ApplicationFailure.nonRetryable(
      `${config.id} ${period.name}: ${which}: ${failed.map((f) => `${f.target}: ${f.status === 'failed' ? f.reason : ''}`).join('; ')}`,
      'TargetsFailed',
      result,
    );
  }
  return result;
}

/**
 * After the last target: the finance summary of the archived files (stored beside them), then one
 * message per destination. Neither can undo an archive: a summary that cannot be computed or a
 * destination that stays down is said in the firing's result, and the firing goes on.
 */
async function summarizeAndNotify(config: ReportConfig, period: Period, result: ReportWorkflowResult): Promise<void> {
  try {
    result.summary = await summarizeFiring(config, period, result.outcomes);
  } catch (err) {
    result.summaryError = rootCauseMessage(err);
    log.warn(`summary failed: ${result.summaryError}`);
  }
  const notify = config.notify;
  if (!notify) return;
  const failedTargets = result.outcomes.some((o) => o.status === 'failed');
  if (!notify.on.includes(failedTargets ? 'failure' : 'success')) return;
  const destinations = (['slack', 'email', 'webhook'] as const).filter((d) => (d === 'webhook' ? notify.webhook_url : notify[d]));
  result.notifications = [];
  for (const destination of destinations) {
    try {
      result.notifications.push(await notifyDestination(destination, config, result));
    } catch (err) {
      const reason = rootCauseMessage(err);
      log.warn(`notification to ${destination} failed: ${reason}`);
      result.notifications.push({ destination, status: 'failed', reason });
    }
  }
}

/** How many failed targets a firing tolerates: `max_failed_targets`, or all but one. */
function failureLimit(config: ReportConfig, ran: number): number {
  const max = config.max_failed_targets;
  if (max === undefined) return Math.max(0, ran - 1);
  if (typeof max === 'number') return max;
  return Math.floor((ran * Number(max.slice(0, -1))) / 100);
}

/**
 * Children in flight at once: twice the permit pool's capacity (Stripe's cap when the configuration
 * sets none; a worker may set a smaller default, which only makes the window generous). More would only wait for permits,
 * while each costs the parent history and the pool a waiter; fewer would leave permits idle.
 */
function fanOutWindow(config: ReportConfig): number {
  const capacity = config.permits.capacity ?? STRIPE_RUNNING_CAP[config.mode];
  return Math.max(2, 2 * capacity);
}
