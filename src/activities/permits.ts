/**
 * Activities around the permit pool: ask for a permit (signal-with-start, so the pool workflow
 * exists on first use), give it back, and tell the pool which holders are gone.
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
      try {
        await deps.temporal.workflow.getHandle(poolId).signal(releasePermitSignal, { holderId });
      } catch (err) {
        // A pool that is gone holds nothing of ours.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /** Which of these workflows are no longer running (completed, failed, terminated, timed out, gone). */
    async closedWorkflows(workflowIds: string[]): Promise<string[]> {
      const closed: string[] = [];
      const queue = [...workflowIds];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let id = queue.shift(); id; id = queue.shift()) {
            try {
              const d = await deps.temporal.workflow.getHandle(id).describe();
              if (d.status.name !== 'RUNNING') closed.push(id);
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
