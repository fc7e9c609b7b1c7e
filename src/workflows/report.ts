/**
 * reportWorkflow: one firing of one configuration. It settles the period (named, or the one
 * before the scheduled time in the configuration's timezone), skips targets whose file is already
 * archived, runs one child per remaining target, and reports per target what happened. It fails
 * only when every target it ran failed.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
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
import type { ReportTarget, TargetListRef } from '../domain/target.js';
import { businessKey } from '../domain/business-key.js';
import { FiringProgressTracker } from './firing-progress.js';
import { inWindow } from '../domain/in-window.js';
import { firingBatchWorkflow } from './firing-batch.js';
import { runTarget } from './run-target.js';
import type { FiringRef } from '../archive/firing-outcomes.js';
import { rootCauseMessage } from './failure-message.js';
import { firingProgressQuery } from './messages.js';
import { STRIPE_RUNNING_CAP } from './permit-state.js';
import { reportRunWorkflow } from './report-run.js';
import { ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute } from './search-attributes.js';
import type { FiringCarried, ReportWorkflowInput } from './types.js';
import { addCounts, FAILED_TARGETS_NAMED, resultCounts, type BatchResult, type FailedTarget, type OutcomeCounts, type ReportWorkflowResult, type TargetOutcome } from '../domain/outcomes.js';
import type { ReportsSinks } from '../domain/sinks.js';

/** The worker's metrics (not called on replay): targets by outcome and firings by result. */
const { metrics } = proxySinks<ReportsSinks>();

const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// The archive may be down for minutes (an S3 outage, a remount): the firing waits it out, about
// 15 minutes in all, instead of failing every target of the period at once.
const { findArchivedTargets } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

// Joining the batches' outcome files reads one part per batch: heartbeats per part.
const { writeFiringOutcomes, saveFiringOutcomes, saveBatchOutcomes, readTargets } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
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
  if (patched('firing-batches')) return fireInBatches(input, period, progress);
  // Firings started by 0.2.0: every child of the firing and every outcome in its own history.
  const targets = targetsOf(config);
  progress.plan(period.name, targets.length);
  const ext = config.result.compress ? 'zip' : 'csv';
  const archived = input.force
    ? {}
    : await findArchivedTargets(config.id, period.name, targets.map((t) => ({ id: t.id, ext })), config.archive);

  const outcomes = await inWindow(
    targets,
    fanOutWindow(config),
    progress.follow(
      (target) => businessKey(config.id, period.name, target.id),
      (target): Promise<TargetOutcome> => runTarget(config, period, target, { archived: archived[target.id], force: input.force, timing: input.timing }),
    ),
  );

  const result: ReportWorkflowResult = { config: config.id, period: period.name, interval: { start: period.start, end: period.end }, outcomes };
  const failed = outcomes.filter((o) => o.status === 'failed');
  const ran = outcomes.filter((o) => o.status !== 'skipped');
  const count = (status: TargetOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  metrics.firingEnded({ configuration: config.id, archived: count('archived'), skipped: count('skipped'), failed: failed.length });
  log.info('firing finished', { configuration: config.id, period: period.name, archived: count('archived'), skipped: count('skipped'), failed: failed.length });
  if (patched('finance-summary')) {
    result.outcomesFile = await saveFiringOutcomes(config.archive, { ...firingRef(config, period), interval: result.interval }, outcomes);
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

function firingRef(config: ReportConfig, period: Period, runId = workflowInfo().runId): FiringRef {
  return { config: config.id, period: period.name, workflowId: workflowInfo().workflowId, runId };
}

/**
 * A firing of any size: its targets in batches, each a child workflow that runs its own targets
 * and keeps their outcomes in the archive. The firing keeps only counts, the first failures and
 * as many batches in flight as keep the permit pool busy; past `perRun` batches it continues as
 * new, so its history stays bounded whatever the number of targets. Then the outcome file, the
 * summary and the notifications, as before.
 */
async function fireInBatches(input: ReportWorkflowInput, period: Period, progress: FiringProgressTracker): Promise<ReportWorkflowResult> {
  const { config, targetList } = input;
  // A long list stays in the archive: the firing knows only how many, each batch reads its slice.
  const targets = targetList ? undefined : targetsOf(config);
  const total = targetList?.count ?? targets!.length;
  const plan = batchPlan(config, input.fanOut);
  const batches = Math.ceil(total / plan.size);
  const carried: FiringCarried = input.carried ?? { runId: workflowInfo().runId, nextBatch: 0, counts: { archived: 0, skipped: 0, failed: 0 }, failed: [] };
  const firing = firingRef(config, period, carried.runId);
  // The batches get the configuration without its list of targets: each gets its own slice.
  const shared: ReportConfig = { ...config, targets: undefined, targets_from: undefined };
  let next = carried.nextBatch;
  let counts = carried.counts;
  const failed = [...carried.failed];
  progress.plan(period.name, total);
  progress.resume(Math.min(total, next * plan.size), counts);
  const lastOfThisRun = Math.min(batches, next + plan.perRun);
  let batchesEnded = 0;
  const lane = async () => {
    while (next < lastOfThisRun) {
      const batch = next++;
      const offset = batch * plan.size;
      const count = Math.min(plan.size, total - offset);
      const workflowId = `${firing.workflowId}/batch-${batch}`;
      progress.batchStarted(workflowId, count);
      const result = await runBatch(workflowId, {
        config: shared,
        period,
        firing,
        batch,
        ...(targetList ? { targets: [], targetSlice: { list: targetList, offset, count } } : { targets: targets!.slice(offset, offset + count) }),
        force: input.force,
        timing: input.timing,
        startedAt: Date.now(),
      });
      progress.batchFinished(workflowId, result.counts);
      batchesEnded++;
      counts = addCounts(counts, result.counts);
      failed.push(...result.failed.slice(0, FAILED_TARGETS_NAMED - failed.length));
    }
  };
  // The first wave's batches (a capacity of targets) ask for their permits before the others
  // start. While the pool has permits free it grants in arrival order, so batches started together
  // shared the first wave's permits: none ended after it, and at the third wave the pool ran dry
  // until the next batches asked (N = 1,000 bench: 75 permits free and no waiter for 4 s at t =
  // 63 s, the wave's last run created 9 s after its first). The other lanes start once a batch has
  // ended, or after FIRST_WAVE_HEAD_START, long before the first wave's runs end on Stripe.
  const lanes = Math.min(plan.inFlight, lastOfThisRun - next);
  const headStart = lanes > plan.firstWave ? condition(() => batchesEnded > 0, FIRST_WAVE_HEAD_START) : undefined;
  await Promise.all(Array.from({ length: lanes }, async (_, i) => {
    if (i >= plan.firstWave) await headStart;
    await lane();
  }));
  if (next < batches) {
    // Only counts and the first failures go on; the batches' outcomes are in the archive.
    await continueAsNew<typeof reportWorkflow>({ ...input, period: period.name, carried: { runId: carried.runId, nextBatch: next, counts, failed } });
  }

  const interval = { start: period.start, end: period.end };
  const written = await writeFiringOutcomes(config.archive, { ...firing, interval }, batches);
  const result: ReportWorkflowResult = { config: config.id, period: period.name, interval, targets: total, counts: written.counts, failed, outcomesFile: written.key };
  metrics.firingEnded({ configuration: config.id, ...written.counts });
  log.info('firing finished', { configuration: config.id, period: period.name, ...written.counts });
  await summarizeAndNotify(config, period, result, targetList);
  const ran = written.counts.archived + written.counts.failed;
  const limit = failureLimit(config, ran);
  if (ran > 0 && written.counts.failed > limit) {
    const which = written.counts.failed === ran ? 'every target failed' : `${written.counts.failed} of ${ran} targets failed (more than ${limit} allowed)`;
    const more = written.counts.failed > failed.length ? `; … and ${written.counts.failed - failed.length} more in ${written.key}` : '';
    throw ApplicationFailure.nonRetryable(`${config.id} ${period.name}: ${which}: ${failed.map((f) => `${f.target}: ${f.reason}`).join('; ')}${more}`, 'TargetsFailed', result);
  }
  return result;

  /**
   * A batch fails only when its archive stays unreachable past its activities' retries (about 15
   * minutes) or refuses access: its targets then fail by name, with the reason, and the firing goes
   * on with the other batches (if the archive cannot even take that, the firing fails with it).
   */
  async function runBatch(workflowId: string, batch: Parameters<typeof firingBatchWorkflow>[0]): Promise<BatchResult> {
    try {
      return await executeChild(firingBatchWorkflow, {
        workflowId,
        args: [batch],
        typedSearchAttributes: [
          { key: ReportConfigAttribute, value: config.id },
          { key: ReportPeriodAttribute, value: period.name },
        ],
      });
    } catch (err) {
      const reason = `batch ${batch.batch} failed: ${rootCauseMessage(err)}`;
      log.warn(reason, { configuration: config.id, period: period.name });
      const ids = batch.targetSlice ? await readTargets(config.archive, batch.targetSlice.list, batch.targetSlice.offset, batch.targetSlice.count) : batch.targets;
      const outcomes = ids.map((t): TargetOutcome => ({ target: t.id, status: 'failed', reason }));
      await saveBatchOutcomes(config.archive, batch.firing, batch.batch, outcomes);
      return { counts: { archived: 0, skipped: 0, failed: outcomes.length }, failed: outcomes.slice(0, FAILED_TARGETS_NAMED).map((o) => ({ target: o.target, reason })) };
    }
  }
}

/**
 * Targets per batch and batches in flight. A batch is a quarter of a pool's capacity (10 to 500
 * targets), and about two capacities of targets are in flight, so a permit freed always finds a
 * waiter (the batches of a wave end together and the next ones start and ask within a second or
 * two, long before the wave after; with three, the N = 1,000 bench ran as fast with a third more
 * workflows in the worker's memory: peak RSS 432 MB against 389). Small batches matter: the pool grants first come first served, so a batch's targets run
 * side by side and the batch ends about one run after it started; with one capacity per batch the
 * targets of the batches in flight ran interleaved, each batch ended only with its last run, and
 * the pool ran dry between them (measured: no target waiting at t = 90 s and 210 s of the
 * N = 1,000 bench, makespan 1.2 × the bound). No workflow holds more than 500 children.
 */
export function batchPlan(config: ReportConfig, knobs: ReportWorkflowInput['fanOut'] = {}): { size: number; inFlight: number; firstWave: number; perRun: number } {
  const capacity = config.permits.capacity ?? STRIPE_RUNNING_CAP[config.mode];
  const size = knobs.batchSize ?? Math.max(10, Math.min(500, Math.ceil(capacity / 4)));
  return { size, inFlight: Math.max(2, Math.ceil((2 * capacity) / size) + 1), firstWave: Math.ceil(capacity / size), perRun: knobs.batchesPerRun ?? 200 };
}

/** How long the first wave's batches start ahead of the others at most (fireInBatches). */
const FIRST_WAVE_HEAD_START = '5 seconds';

/**
 * After the last target: the finance summary of the archived files (stored beside them), then one
 * message per destination. Neither can undo an archive: a summary that cannot be computed or a
 * destination that stays down is said in the firing's result, and the firing goes on.
 */
async function summarizeAndNotify(config: ReportConfig, period: Period, result: ReportWorkflowResult, targetList?: TargetListRef): Promise<void> {
  try {
    result.summary = await summarizeFiring(config, period, result.outcomesFile!, targetList);
  } catch (err) {
    result.summaryError = rootCauseMessage(err);
    log.warn(`summary failed: ${result.summaryError}`);
  }
  const notify = config.notify;
  if (!notify) return;
  const failedTargets = resultCounts(result).failed > 0;
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
