/**
 * Reaching a run's event mailbox (src/workflows/run-events.ts) from outside a workflow: by
 * signal-with-start on `report-run-events/<run id>`, so whichever of the relay and the waiting
 * workflow comes first creates it. Used by the webhook relay and by the subscribe activity.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CLOSES_ONCE_SUBSCRIBED, reportRunEventSignal, stripeEventSignal, subscribeSignal, type RunEventNotice } from '../workflows/messages.js';
import { runEventsWorkflowId } from '../domain/business-key.js';

export type Delivery = 'direct' | 'mailbox';

/**
 * Once a workflow has subscribed, the mailbox names it in its memo (read with describe, not a
 * visibility search) and the event is signalled straight to it: one hop instead of two, which
 * is most of a webhook's latency when many runs finish at once. Before that, or if the
 * subscriber has gone, the event goes into the mailbox, which keeps it and drops repeats.
 */
export async function deliverRunEvent(client: Client, taskQueue: string, runId: string, notice: RunEventNotice): Promise<Delivery> {
  const workflowId = runEventsWorkflowId(runId);
  const subscriber = await currentSubscriber(client, workflowId);
  if (subscriber) {
    try {
      await client.workflow.getHandle(subscriber).signal(reportRunEventSignal, notice);
      return 'direct';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  await client.workflow.signalWithStart('runEventsWorkflow', {
    workflowId,
    taskQueue,
    args: [runId],
    signal: stripeEventSignal,
    signalArgs: [notice],
    memo: CLOSES_ONCE_SUBSCRIBED,
  });
  return 'mailbox';
}

/**
 * A mailbox closes once it has a subscriber and has handed it what it held (runEventsWorkflow's
 * CLOSES_ONCE_SUBSCRIBED), so a closed one still names the subscriber. One that closed
 * without a subscriber (it timed out as an orphan) names none, and the event starts a new one.
 */
async function currentSubscriber(client: Client, mailboxId: string): Promise<string | undefined> {
  try {
    const mailbox = await client.workflow.getHandle(mailboxId).describe();
    const subscriber = mailbox.memo?.subscriber;
    return typeof subscriber === 'string' ? subscriber : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * The memo applies when this starts the mailbox (the usual case): the relay finds the subscriber
 * from then on, before the mailbox's first task has run. A mailbox the relay started first (the
 * event came early) hears the signal, delivers and names the subscriber itself.
 */
export async function subscribeToRun(client: Client, taskQueue: string, runId: string, workflowId: string): Promise<void> {
  await client.workflow.signalWithStart('runEventsWorkflow', {
    workflowId: runEventsWorkflowId(runId),
    taskQueue,
    args: [runId],
    signal: subscribeSignal,
    signalArgs: [{ workflowId }],
    memo: { ...CLOSES_ONCE_SUBSCRIBED, subscriber: workflowId },
  });
}
