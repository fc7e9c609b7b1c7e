/**
 * The holder's side of the permit pool, used by reportRunWorkflow: ask, wait for the grant,
 * release exactly once in a scope that cancellation cannot skip.
 */
import { CancellationScope, condition, getExternalWorkflowHandle, proxyActivities, proxyLocalActivities, proxySinks, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/index.js';
import { permitGrantedSignal, releasePermitSignal } from './messages.js';
import type { ReportJob } from '../domain/report-job.js';
import type { ReportsSinks } from '../domain/sinks.js';

const requestOptions = { startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds' } } as const;
const asActivity = proxyActivities<ReportActivities>(requestOptions);
/** A signal-with-start or a signal: short, so a local activity in the holder's task (reportRunWorkflow's PATCH_LOCAL_CALLS). */
const asLocalActivity = proxyLocalActivities<ReportActivities>(requestOptions);

const { permits: sentByWorker } = proxySinks<ReportsSinks>();

/** While waiting, ask again this often: harmless if the pool has us, a rescue if it lost us. */
const ASK_AGAIN_MS = 10 * 60 * 1000;

export interface HeldPermit {
  poolId: string;
  holderId: string;
  /** Gives the permit back and resolves once the pool has it (a local activity, or a signal before). */
  release(): Promise<void>;
  /**
   * Gives the permit back as this workflow task completes, sent by the worker (PermitSink), with
   * nothing to wait for: for a run that succeeded, whose next step (the transfer) must not wait
   * for the pool's answer. Not before a new request of the same holder, which the release could
   * overtake. Only for a permit asked for by local activity (PATCH_LOCAL_CALLS): one asked for
   * before must be released as it was (its history holds that signal and waits for it).
   */
  releaseUnawaited(): void;
}

export async function acquirePermit(job: ReportJob, local = false): Promise<HeldPermit> {
  const { requestPermit } = local ? asLocalActivity : asActivity;
  const holderId = workflowInfo().workflowId;
  let granted = false;
  setHandler(permitGrantedSignal, () => {
    granted = true;
  });
  let poolId: string | undefined;
  let released: Promise<void> | undefined;
  // Releases once; a second call waits for the same signal.
  const release = (): Promise<void> => {
    if (!poolId) return Promise.resolve();
    const pool = poolId;
    released ??= CancellationScope.nonCancellable(() =>
      local
        ? asLocalActivity.releasePermit(pool, holderId)
        : getExternalWorkflowHandle(pool)
            .signal(releasePermitSignal, { holderId })
            .catch(() => undefined), // a pool that is gone holds nothing of ours
    );
    return released;
  };
  const releaseUnawaited = (): void => {
    // A programming error, not a state of the run: the workflow task fails (and is retried) instead of replaying differently.
    if (!local) throw new Error('releaseUnawaited is for permits asked for by local activity (PATCH_LOCAL_CALLS)');
    if (released || !poolId) return;
    sentByWorker.release(poolId, holderId);
    released = Promise.resolve();
  };
  try {
    do {
      ({ poolId } = await requestPermit(job, holderId));
    } while (!(await condition(() => granted, ASK_AGAIN_MS)));
  } catch (err) {
    // Cancelled or failed while waiting: leave the queue.
    await release();
    throw err;
  }
  return { poolId: poolId!, holderId, release, releaseUnawaited };
}
