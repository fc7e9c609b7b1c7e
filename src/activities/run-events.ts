/**
 * Subscribes the calling reportRunWorkflow to its run's Stripe events. With no webhook relay
 * configured there is nothing to subscribe to, and polling alone completes the run.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { subscribeToRun } from '../temporal/run-mailbox.js';

export function createRunEventActivities(deps: { temporal: Client; webhooks?: boolean }) {
  return {
    async subscribeToRunEvents(runId: string): Promise<boolean> {
      if (!deps.webhooks) return false;
      const info = Context.current().info;
      await subscribeToRun(deps.temporal, info.taskQueue, runId, info.workflowExecution!.workflowId);
      return true;
    },
  };
}
