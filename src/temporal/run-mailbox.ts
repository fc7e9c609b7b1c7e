/**
 * Reaching a run's event mailbox (src/workflows/run-events.ts) from outside a workflow: by
 * signal-with-start on `report-run-events/<run id>`, so whichever of the relay and the waiting
 * workflow comes first creates it. Used by the webhook relay and by the subscribe activity.
 */
import type { Client } from '@temporalio/client';
import { stripeEventSignal, subscribeSignal, type RunEventNotice } from '../workflows/messages.js';
import { runEventsWorkflowId } from '../workflows/business-key.js';

export async function deliverRunEvent(client: Client, taskQueue: string, runId: string, notice: RunEventNotice): Promise<void> {
  await client.workflow.signalWithStart('runEventsWorkflow', {
    workflowId: runEventsWorkflowId(runId),
    taskQueue,
    args: [runId],
    signal: stripeEventSignal,
    signalArgs: [notice],
  });
}

export async function subscribeToRun(client: Client, taskQueue: string, runId: string, workflowId: string): Promise<void> {
  await client.workflow.signalWithStart('runEventsWorkflow', {
    workflowId: runEventsWorkflowId(runId),
    taskQueue,
    args: [runId],
    signal: subscribeSignal,
    signalArgs: [{ workflowId }],
  });
}
