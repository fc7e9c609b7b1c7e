/**
 * runEventsWorkflow: the mailbox for one ReportRun's Stripe events, id `report-run-events/<run id>`.
 *
 * Why a mailbox: Stripe's event names only the run (`reprun_…`/`frr_…`), while the workflow that
 * waits has a business-key id. The relay and the waiting workflow both reach the mailbox by an id
 * derived from the run id alone (signal-with-start from either side, no visibility search), so:
 * - an event that arrives before the workflow has even learned its run id (the run was just
 *   created) waits in the mailbox and is delivered the moment the workflow subscribes;
 * - duplicates are delivered once (by event id);
 * - once subscribed, the mailbox names the subscriber in its memo and the relay signals it
 *   directly (src/temporal/run-mailbox.ts); the waiting workflow drops repeats itself;
 * - an event for a run nobody waits for is logged and dropped when the mailbox times out.
 * Events only wake the workflow; it still asks Stripe for the run's status.
 *
 * A mailbox started by this version closes as soon as it has a subscriber and has handed it what
 * it held: the relay reads the memo of a closed mailbox as well, so from then on it is only a
 * record of who waits. A subscription made by the waiting workflow (memo given at start) costs
 * one workflow task and no unsubscribe.
 */
import { condition, getExternalWorkflowHandle, log, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { CLOSES_ONCE_SUBSCRIBED, reportRunEventSignal, stripeEventSignal, subscribeSignal, unsubscribeSignal, type RunEventNotice } from './messages.js';

export interface RunEventsOptions {
  /** How long events wait for a subscriber before they are dropped as "nobody waits". */
  orphanAfterMs: number;
  /** How long a subscribed mailbox started without CLOSES_ONCE_SUBSCRIBED (by 0.2.0) stays open without hearing anything. */
  idleAfterMs: number;
}

const defaults: RunEventsOptions = { orphanAfterMs: 15 * 60_000, idleAfterMs: 48 * 3_600_000 };

/**
 * A mailbox started with CLOSES_ONCE_SUBSCRIBED in its memo (every one this version starts)
 * closes once it has delivered what it held. Before, it stayed open until the waiting workflow
 * said `unsubscribe` (or 48 h passed): an extra signal, workflow task and history events per run
 * for nothing the relay needed. Versioned by the start memo, not patched(): a patch costs every
 * mailbox two more history events (its marker and the TemporalChangeVersion search attribute)
 * and a visibility write, while the memo is fixed in the started event, so a replay takes the
 * same path. Mailboxes started by 0.2.0 have no such memo and keep the old behaviour.
 */
export async function runEventsWorkflow(runId: string, options: Partial<RunEventsOptions> = {}): Promise<{ delivered: number; dropped: number }> {
  const o = { ...defaults, ...options };
  const pending: RunEventNotice[] = [];
  const seen = new Set<string>();
  // Read before a buffered signal reaches a handler (a handler's upsertMemo changes the memo).
  const startMemo = workflowInfo().memo;
  const closesOnceSubscribed = startMemo?.closesOnceSubscribed === CLOSES_ONCE_SUBSCRIBED.closesOnceSubscribed;
  // A subscription that started the mailbox named the subscriber at start: no upsert needed then.
  const named = closesOnceSubscribed ? startMemo?.subscriber : undefined;
  let subscriber: string | undefined;
  let closed = false;
  let activity = 0;
  let delivered = 0;
  setHandler(stripeEventSignal, (e) => {
    activity++;
    if (seen.has(e.eventId)) return; // Stripe delivers at least once: drop repeats here
    seen.add(e.eventId);
    pending.push(e);
  });
  setHandler(subscribeSignal, ({ workflowId }) => {
    activity++;
    if (subscriber !== workflowId && named !== workflowId) upsertMemo({ subscriber: workflowId }); // the relay's shortcut
    subscriber = workflowId;
  });
  setHandler(unsubscribeSignal, ({ workflowId }) => {
    activity++;
    if (workflowId === subscriber) closed = true;
  });

  for (;;) {
    const before = activity;
    const timeout = subscriber ? o.idleAfterMs : o.orphanAfterMs;
    const ready = () => closed || (subscriber !== undefined && (pending.length > 0 || closesOnceSubscribed)) || activity !== before;
    // Subscribed already (the usual start): nothing to wait for, not even a timer.
    const woke = (closesOnceSubscribed && ready()) || (await condition(ready, timeout));
    if (subscriber && pending.length > 0) {
      const batch = pending.splice(0);
      for (const e of batch) {
        await getExternalWorkflowHandle(subscriber)
          .signal(reportRunEventSignal, e)
          .then(() => delivered++)
          .catch(() => {
            closed = true; // the subscriber is gone: nothing left to wake
          });
      }
    }
    if (closed || (closesOnceSubscribed && subscriber)) break;
    if (!woke) {
      if (!subscriber) log.info(`Stripe event(s) for ${runId}: no workflow waits for this run; dropped`, { runId, events: pending.map((e) => e.eventId) });
      break;
    }
  }
  return { delivered, dropped: pending.length };
}
