/**
 * reportRunWorkflow: one ReportRun for one configuration, period and target, from validation to
 * an archived, verified file. Its workflow id is the business key, so starting it twice for the
 * same period and target does nothing new.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ReportRunSucceededAttribute } from './search-attributes.js';
import type { ReportActivities, RunStatus } from '../activities/index.js';
import { rootCauseMessage } from './failure-message.js';
import { acquirePermit } from './permits.js';
import { runEventsWorkflowId } from '../domain/business-key.js';
import { progressQuery, reportRunEventSignal, unsubscribeSignal } from './messages.js';
import { defaultPollTiming, type PollTiming } from './timing.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ReportJob } from '../domain/report-job.js';
import { progressSince, type RunProgress } from '../domain/progress.js';
import type { FinishedRunStatus, MeasuredStage } from '../domain/metrics-sink.js';
import type { ReportsSinks } from '../domain/sinks.js';

/** The worker's metrics (not called on replay): stage durations in workflow time, how runs ended. */
const { metrics } = proxySinks<ReportsSinks>();

/** Runs `stage` and reports how long it took, in workflow time, when it ends with an answer. */
async function measured<T>(stage: MeasuredStage, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  metrics.stageDone(stage, (Date.now() - started) / 1000);
  return result;
}

/** Calls to Stripe (and small local chores): a minute each, retried with backoff for ~15 minutes. */
const callOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
} as const;
const stripeCalls = proxyActivities<ReportActivities>(callOptions);

/**
 * Short calls run as local activities: after an event wakes the workflow, the check, the permit
 * release and scheduling the transfer fit in one workflow task instead of a server round trip
 * each (with direct event delivery and two workflow threads, this took the webhook bench's p95
 * from ~1.5 s to under 1 s). Since PATCH_LOCAL_CALLS, every short call of a target does: see there.
 */
const localCalls = proxyLocalActivities<ReportActivities>(callOptions);

/**
 * The transfer heartbeats every second: a worker that died mid-file is noticed within 30 s and the
 * next attempt, on any host, resumes from the heartbeat details and the archive's partial write.
 */
function fileTransfer(t: PollTiming) {
  return proxyActivities<ReportActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: t.transferRetryMs, backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: t.transferAttempts },
  });
}

/** Patches to running logic (README, "Upgrading"): each id is recorded in the history of the runs that take it. */
const PATCH_AWAIT_UNSUBSCRIBE = 'await-unsubscribe-on-failure';
const PATCH_RERUN_COMPRESSED = 'rerun-compressed-when-too-large';
/**
 * Checking the data, asking for a permit, creating the run, subscribing to its events and giving
 * the permit back run as local activities, in the workflow task that needs them. As activities, each waited in the task
 * queue behind the transfers of the runs that had just finished, then cost a workflow task of its
 * own: a target took about eight workflow tasks and four activities, and the permits freed at the
 * end of a wave found few waiters ready (N = 1,000 bench: first run created 14 s after the start,
 * a freed permit reused after 3.2 s at the median).
 */
const PATCH_LOCAL_CALLS = 'short-calls-as-local-activities';
// The same unreleased patch also covers this release's other changes to a run's calls: no
// unsubscribe (the mailbox closes itself) and slower polling when subscribed to events. One patch
// per release's change to a run, as each patch costs two history events and a visibility write.

export interface ReportRunResult {
  runId: string;
  file: ArchivedFile;
}

export async function reportRunWorkflow(job: ReportJob, timing: Partial<PollTiming> = {}): Promise<ReportRunResult> {
  const t = { ...defaultPollTiming, ...timing };
  const progress = progressSince('validating');
  let eventArrived = false;
  /** Runs a verified `…succeeded` event named (relays of this version name the run). */
  const succeededByEvent = new Set<string>();
  const seenEvents = new Set<string>();
  setHandler(progressQuery, () => progress);
  setHandler(reportRunEventSignal, ({ eventId, type, runId }) => {
    // Stripe delivers at least once, and the relay may pass an event straight here.
    if (seenEvents.has(eventId)) return;
    seenEvents.add(eventId);
    eventArrived = true;
    if (runId && type.endsWith('.succeeded')) succeededByEvent.add(runId);
  });

  // What every line of this workflow is about (the SDK adds workflowId and Temporal's runId).
  // Stage changes are debug lines: the activities log the same facts at info (created, succeeded,
  // archived); what only the workflow knows (waiting for data, the target failing) is info or warn.
  const about = (reportRunId?: string) => ({ configuration: job.configId, period: job.period.name, target: job.target.id, ...(reportRunId ? { reportRunId } : {}) });
  // Asked once, before the first call: the whole execution takes one way or the other.
  const current = patched(PATCH_LOCAL_CALLS);
  const calls = current ? localCalls : stripeCalls;
  try {
    await measured('waiting_for_data', () => waitForData(job, t, progress, calls));

    // Derived from the business key and this execution: activity retries reuse the same key and
    // get the same ReportRun back; a deliberate re-run of a failed period gets a new one.
    const idempotencyKey = `${job.businessKey}/${workflowInfo().firstExecutionRunId}`;
    let runJob = job;
    let { runId, status, letGo } = await runAtStripe(runJob, idempotencyKey);

    // Over Stripe's 5 GB limit for a CSV: its guide says to ask for a compressed file. Once, under
    // a key of its own; the manifest says why the file is a ZIP.
    if (status.status === 'failed' && status.errorCode === 'file_size_above_limit' && !job.compress && patched(PATCH_RERUN_COMPRESSED)) {
      await letGo;
      log.warn('ReportRun too large for a CSV; running it again compressed', about(runId));
      runJob = { ...job, compress: true, compressedBecause: `ReportRun ${runId} failed with file_size_above_limit (a CSV over Stripe's 5 GB limit): run again with compress_file` };
      ({ runId, status, letGo } = await runAtStripe(runJob, `${idempotencyKey}/compressed`));
    }

    // Failed, or cancelled at Stripe (the Data API can): the target ends with Stripe's reason.
    if (status.status !== 'succeeded') {
      await letGo;
      throw ApplicationFailure.nonRetryable(
        `ReportRun ${runId} ${status.status} at Stripe: ${[status.errorCode, status.errorMessage].filter(Boolean).join(': ')}`,
        'ReportRunFailed',
      );
    }

    // Stripe keeps the file 90 days from now: make that findable if archiving never finishes.
    upsertSearchAttributes([{ key: ReportRunSucceededAttribute, value: new Date() }]);
    progress.stage = 'downloading';
    log.debug('ReportRun succeeded; downloading', { ...about(runId), size: status.size });
    const transfer = fileTransfer(t);
    try {
      // One activity streams the file from Stripe into the archive, verified on the way.
      const [file] = await measured('transfer', () => Promise.all([transfer.transferReportFile(runJob, runId), letGo]));
      progress.stage = 'archived';
      log.debug('archived', { ...about(runId), location: file.location, size: file.size });
      return { runId, file };
    } catch (err) {
      // Failed for good (or cancelled): no partial file or unfinished upload of this run stays behind.
      await CancellationScope.nonCancellable(() => stripeCalls.discardTransfer(runJob, runId)).catch(() => undefined);
      throw err;
    }
  } catch (err) {
    progress.stage = 'failed';
    progress.detail = rootCauseMessage(err);
    log.warn('target failed', { ...about(progress.runId), reason: progress.detail });
    throw err;
  }

  /**
   * One ReportRun at Stripe: a permit, the run created, waited for until it stops running. The
   * permit (and, before PATCH_LOCAL_CALLS, the mailbox) is let go as soon as it stops
   * (`letGo`, awaited before the end).
   */
  async function runAtStripe(runJob: ReportJob, idempotencyKey: string): Promise<{ runId: string; status: RunStatus; letGo?: Promise<unknown> }> {
    progress.stage = 'waiting_for_permit';
    log.debug('waiting for a permit', about());
    const permit = await measured('waiting_for_permit', () => acquirePermit(runJob, current));

    progress.stage = 'creating';
    log.debug('permit granted; creating the ReportRun', { ...about(), pool: permit.poolId });
    let runId: string;
    let status: RunStatus | undefined;
    let letGo: Promise<unknown> | undefined;
    try {
      // The status in Stripe's answer to the create is the run's first check (since PATCH_LOCAL_CALLS:
      // created and subscribed in one local activity, no check right after).
      let created: RunStatus | undefined;
      let subscribed: boolean;
      const permitRef = { poolId: permit.poolId, holderId: permit.holderId };
      if (current) {
        ({ runId, status: created, subscribed } = await localCalls.startReportRun(runJob, idempotencyKey, permitRef));
        progress.runId = runId;
      } else {
        ({ runId } = await stripeCalls.createReportRun(runJob, idempotencyKey, permitRef));
        progress.runId = runId;
        subscribed = await stripeCalls.subscribeToRunEvents(runId);
      }
      log.debug('ReportRun created; waiting for it', about(runId));
      // The mailboxes of this version close by themselves once subscribed (runEventsWorkflow's
      // CLOSES_ONCE_SUBSCRIBED): a run under PATCH_LOCAL_CALLS, of the same version, sends no
      // unsubscribe. (A mailbox a 0.2.0 relay started for an early event waits out its 48 h.)
      const unsubscribeAfter = subscribed && !current;
      try {
        status = await waitWhileRunning(runId, subscribed && current ? { initialMs: t.subscribedInitialMs, maxMs: t.subscribedMaxMs } : t, created);
      } finally {
        // The permit is held from creating the run until it stops running. The release goes out
        // now, in the workflow task that schedules the transfer. Succeeded (since PATCH_LOCAL_CALLS):
        // sent by the worker as the task completes, so the transfer is scheduled without waiting
        // for the pool (a local activity here held it back: webhook bench p95 387–473 ms, 193–333
        // without). Otherwise a local activity (a signal before the patch), awaited before this
        // workflow ends or runs again compressed (a release sent unawaited could overtake the new request).
        const succeeded = current && status?.status === 'succeeded';
        letGo = Promise.all([succeeded ? permit.releaseUnawaited() : permit.release(), unsubscribeAfter ? unsubscribe(runId) : undefined]);
      }
    } catch (err) {
      // Failed or cancelled before the run stopped (creating it included): still give the permit
      // back. Since the patch, also wait for the mailbox to hear the unsubscribe: the server drops
      // a signal whose sender has closed, and the mailbox would stay open for its 48 h idle time.
      await (patched(PATCH_AWAIT_UNSUBSCRIBE) && letGo ? letGo : permit.release());
      throw err;
    }
    return { runId, status, letGo };
  }

  /**
   * Waits until the run stops running and tells the metrics how it ended and how long Stripe took
   * (a firing cancelled meanwhile leaves the run `canceled` as far as this workflow knows).
   */
  async function waitWhileRunning(runId: string, polling: Pick<PollTiming, 'initialMs' | 'maxMs'>, created?: RunStatus): Promise<RunStatus> {
    progress.stage = 'running';
    const started = Date.now();
    let status: RunStatus;
    try {
      status = await pollWhileRunning(runId, started + t.deadlineMs, polling, created);
    } catch (err) {
      if (isCancellation(err)) metrics.runFinished({ api: job.api, report: job.report, status: 'canceled' });
      throw err;
    }
    metrics.stageDone('waiting_for_stripe', (Date.now() - started) / 1000);
    metrics.runFinished({ api: job.api, report: job.report, status: status.status as FinishedRunStatus });
    return status;
  }

  /**
   * Polls with backoff until the run stops running; an event from the relay cuts a wait short.
   * Subscribed to the run's events (since PATCH_LOCAL_CALLS), polling is the safety net for a lost
   * event and waits longer (subscribedInitialMs): each check is a workflow task, a call to Stripe
   * and six history events, and at the start's 2 s ×1.5 a 30 s run was checked six times.
   */
  async function pollWhileRunning(runId: string, deadline: number, polling: Pick<PollTiming, 'initialMs' | 'maxMs'>, created?: RunStatus): Promise<RunStatus> {
    let wait = polling.initialMs;
    let known = created;
    for (;;) {
      // Stripe said (signed) that this very run succeeded: no check in between. The transfer reads
      // the run first and refuses one without a file, so the event alone archives nothing; and the
      // call saved is on the path from Stripe settling to the download starting.
      if (current && succeededByEvent.has(runId)) {
        // The line the status check would have logged: operators follow a run by it.
        log.info('ReportRun succeeded', { ...about(runId), seenBy: 'event' });
        return { status: 'succeeded' };
      }
      let status: RunStatus;
      if (known) {
        // The answer to the create: an event since then (a failure, say) still cuts the first wait short.
        [status, known] = [known, undefined];
      } else {
        eventArrived = false;
        status = await localCalls.checkReportRun(job, runId);
        progress.polls++;
      }
      if (status.status !== 'running') return status;
      if (Date.now() >= deadline) {
        throw ApplicationFailure.nonRetryable(`ReportRun ${runId} still running after ${Math.round(t.deadlineMs / 60000)} minutes`, 'ReportRunTimeout');
      }
      await condition(() => eventArrived, wait);
      wait = Math.min(wait * t.factor, polling.maxMs);
    }
  }
}

/**
 * Stripe publishes report data with a lag (about twice a day for v1): a monthly close that fires
 * on the 1st must wait for it, not fail. Re-checks with backoff (doubling from a minute up to the
 * configuration's `wait_for_data.recheck`) until its deadline, durably, then fails clearly.
 */
async function waitForData(job: ReportJob, t: PollTiming, progress: RunProgress, calls: Pick<ReportActivities, 'prepareReportRun'>): Promise<void> {
  const deadline = Date.now() + job.waitForData.deadlineMs;
  let wait = Math.min(t.dataFirstRecheckMs, job.waitForData.recheckMs);
  for (;;) {
    const { dataAvailableUntil } = await calls.prepareReportRun(job);
    if (!dataAvailableUntil || Date.parse(dataAvailableUntil) >= Date.parse(job.period.end)) return;
    const now = Date.now();
    if (now >= deadline) {
      metrics.dataDeadlinePassed(job.configId);
      throw ApplicationFailure.nonRetryable(
        `Stripe still has ${job.report} data only until ${dataAvailableUntil}, before the end of period ${job.period.name} ` +
          `(${job.period.end}), after waiting ${Math.round(job.waitForData.deadlineMs / 3_600_000)} h; run it again later`,
        'DataNotAvailable',
      );
    }
    progress.stage = 'waiting_for_data';
    progress.detail = `Stripe has data until ${dataAvailableUntil}; period ends ${job.period.end}`;
    log.info('waiting for Stripe to have the data', { configuration: job.configId, period: job.period.name, target: job.target.id, dataAvailableUntil, periodEnd: job.period.end });
    await sleep(Math.min(wait, deadline - now));
    wait = Math.min(wait * 2, job.waitForData.recheckMs);
  }
}

/** Tells the run's event mailbox it can close; a mailbox already gone is fine. */
async function unsubscribe(runId: string): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    getExternalWorkflowHandle(runEventsWorkflowId(runId))
      .signal(unsubscribeSignal, { workflowId: workflowInfo().workflowId })
      .catch(() => undefined),
  );
}
