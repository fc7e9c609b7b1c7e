/**
 * Activities around the permit pool: ask for a permit (signal-with-start, so the pool workflow
 * exists on first use), give it back, and tell the pool which holders are gone. Beside them, the
 * worker's sender of the releases a workflow asks for by sink (PermitReleases).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Mode } from '../stripe/keys.js';
import { releasePermitSignal, requestPermitSignal } from '../workflows/messages.js';
import { newPoolState, permitTaskQueue, poolIdFor } from '../workflows/permit-state.js';
import type { PermitPoolOptions } from '../workflows/permit-state.js';
import type { ReportJob } from '../domain/report-job.js';
import type { KeyScopeFor } from './stripe-clients.js';

export interface PermitDeps {
  temporal: Client;
  keyScopeFor: KeyScopeFor;
  /** Pool capacity when a configuration sets none: Stripe's cap by default (500 live, 100 sandbox). */
  defaultCapacity: Record<Mode, number>;
  /** How a pool started by this worker reclaims and backs off (tests shorten the intervals). */
  poolOptions?: Partial<PermitPoolOptions>;
}

export function createPermitActivities(deps: PermitDeps) {
  const poolOf = (job: ReportJob) => ({
    poolId: poolIdFor(job.mode, job.permits.pool ?? deps.keyScopeFor(job)),
    capacity: job.permits.capacity ?? deps.defaultCapacity[job.mode],
  });
  return {
    /** Asks for a permit for `holderId`; the pool answers with a signal to the holder. */
    async requestPermit(job: ReportJob, holderId: string): Promise<{ poolId: string }> {
      const { poolId, capacity } = poolOf(job);
      await deps.temporal.workflow.signalWithStart('permitPoolWorkflow', {
        workflowId: poolId,
        taskQueue: permitTaskQueue(Context.current().info.taskQueue),
        args: [newPoolState(poolId, capacity), deps.poolOptions ?? {}],
        signal: requestPermitSignal,
        signalArgs: [{ holderId, capacity, ...(job.permits.rank !== undefined ? { rank: job.permits.rank } : {}) }],
      });
      return { poolId };
    },

    /**
     * Gives `holderId`'s permit back. A signal from here, not from the holder's workflow: a
     * signal-external command costs the holder two history events and a workflow task of its own
     * when the server confirms it; as a local activity, one marker in the task that sent it.
     */
    async releasePermit(poolId: string, holderId: string): Promise<void> {
      await signalRelease(deps.temporal, poolId, holderId);
    },

    /**
     * Which of these holders hold no permit any more: their workflow is no longer running
     * (completed, failed, terminated, timed out, gone), or it is transferring its file (a pending
     * `transferReportFile`: its ReportRun stopped running at Stripe, so its permit was given back,
     * by a release the pool may never have heard, lost with the worker that sent it: PermitSink).
     * The name is the pool's activity type, kept so that the pools' histories replay.
     */
    async closedWorkflows(workflowIds: string[]): Promise<string[]> {
      const closed: string[] = [];
      const queue = [...workflowIds];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let id = queue.shift(); id; id = queue.shift()) {
            try {
              const d = await deps.temporal.workflow.getHandle(id).describe();
              const transferring = d.raw.pendingActivities?.some((a) => a.activityType?.name === TRANSFER_ACTIVITY) ?? false;
              if (d.status.name !== 'RUNNING' || transferring) closed.push(id);
            } catch (err) {
              if (err instanceof WorkflowNotFoundError) closed.push(id);
              else throw err;
            }
          }
        }),
      );
      return closed;
    },
  };
}

/** The activity that streams a file to the archive (transfer.ts): a holder running it is past its ReportRun. */
const TRANSFER_ACTIVITY = 'transferReportFile';

/** Tells the pool `holderId` is done with its permit; a pool that is gone holds nothing of ours. */
async function signalRelease(temporal: Client, poolId: string, holderId: string): Promise<void> {
  try {
    await temporal.workflow.getHandle(poolId).signal(releasePermitSignal, { holderId });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * The worker's side of the PermitSink (src/domain/sinks.ts): sends a release when a workflow task
 * asks for one, without holding the task back, and keeps the sends under way so that a worker
 * shutting down waits for them (`drain`). The client retries a send that fails for a transient
 * reason; one that still fails is logged, and the pool's reclaim check frees the permit.
 */
export class PermitReleases {
  private readonly underWay = new Set<Promise<void>>();

  constructor(
    private readonly temporal: Client,
    private readonly log: (fields: Record<string, unknown>, message: string) => void,
  ) {}

  send(poolId: string, holderId: string): void {
    const sent: Promise<void> = signalRelease(this.temporal, poolId, holderId)
      .catch((err: unknown) =>
        this.log({ pool: poolId, holder: holderId, err: err instanceof Error ? err.message : String(err) }, 'permit release not delivered; the pool reclaims the permit at its next check'),
      )
      .finally(() => this.underWay.delete(sent));
    this.underWay.add(sent);
  }

  /** Resolves once every release sent so far has been answered (or has failed and been logged). */
  async drain(): Promise<void> {
    await Promise.all([...this.underWay]);
  }
}
