/** Signal and query definitions shared by workflows, the worker, the relay and the CLI. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FiringProgress, RunProgress } from '../domain/progress.js';

/**
 * A Stripe event about this workflow's ReportRun arrived (verified by the relay). It makes the
 * workflow check the run now instead of at the next poll; a `…succeeded` event that names the
 * run waited for goes straight to the transfer, whose first step reads the run from Stripe and
 * refuses one without a file. Either way, an event alone archives nothing.
 */
export const reportRunEventSignal = defineSignal<[Omit<RunEventNotice, 'receivedAt'> & Partial<Pick<RunEventNotice, 'receivedAt'>>]>('reportRunEvent');

export const progressQuery = defineQuery<RunProgress>('progress');
/** A firing's targets: pending, in flight (which, since when) and finished counts. */
export const firingProgressQuery = defineQuery<FiringProgress>('firingProgress');

// ---- permit pool ------------------------------------------------------------------------------

/** A holder (a reportRunWorkflow, by workflow id) asks for a permit. Idempotent. */
export interface PermitRequest {
  holderId: string;
  /** The capacity the requester's configuration asks for; the pool follows the latest. */
  capacity: number;
  /**
   * Waiters are granted lowest rank first, equal ranks in arrival order. A firing's batch gives
   * its start time (ms): the batches started together then run one after the other instead of
   * interleaved, so each ends about one run after it started and the next takes its place.
   * Absent (0.2.0, a run outside a batch): the pool's time at arrival, first come first served.
   */
  rank?: number;
}
export const requestPermitSignal = defineSignal<[PermitRequest]>('requestPermit');
/** The holder's run stopped running (or the holder gave up waiting). Idempotent. */
export const releasePermitSignal = defineSignal<[{ holderId: string }]>('releasePermit');
/** Sent by the pool to the holder. */
export const permitGrantedSignal = defineSignal<[{ poolId: string }]>('permitGranted');
/** Stripe answered 429 report_run_rate_limit_exceeded: someone else uses the cap too. */
export const runningCapHitSignal = defineSignal<[{ holderId: string; retryAfterMs?: number }]>('runningCapHit');

export interface PermitPoolState {
  poolId: string;
  capacity: number;
  /** Below `capacity` while Stripe keeps answering 429 (others use the cap too). */
  effectiveCapacity: number;
  /** Holder workflow id → when it got its permit (ms). */
  holders: Record<string, number>;
  /** Holder workflow ids in arrival order. */
  waiters: string[];
  /** Waiter → since when it waits (ms), for the oldest wait in the metrics (absent in pools started before 0.2.0). */
  waitingSince?: Record<string, number>;
  /** Waiter → the rank it gave (PermitRequest); `waiters` is in rank order. A waiter without one ranks at its waitingSince. */
  ranks?: Record<string, number>;
  /** Until when the lowered capacity holds (ms); 0 = not lowered. */
  congestedUntil: number;
  grants: number;
  reclaimed: number;
  capHits: number;
  /** Runs finished since the capacity was last lowered by a 429, toward the next permit given back (absent before 0.2.0). */
  releasesSinceCapHit?: number;
}
export const poolStateQuery = defineQuery<PermitPoolState>('poolState');

// ---- Stripe events about one ReportRun -----------------------------------------------------------

/** A verified Stripe event about a run, as the webhook relay passes it on (ids only, no payload). */
export interface RunEventNotice {
  eventId: string;
  type: string;
  /** When the relay received it (ms), for latency logs. */
  receivedAt: number;
  /** The run it is about (relays before 0.3.0 do not say). */
  runId?: string;
}
export const stripeEventSignal = defineSignal<[RunEventNotice]>('stripeEvent');
/** The reportRunWorkflow waiting on this run: deliver its events to `workflowId`. */
export const subscribeSignal = defineSignal<[{ workflowId: string }]>('subscribe');
/** The start memo of every mailbox this version starts: it closes once subscribed (runEventsWorkflow). */
export const CLOSES_ONCE_SUBSCRIBED = { closesOnceSubscribed: true } as const;
/** The run stopped running: the mailbox can close (sent only to mailboxes started without CLOSES_ONCE_SUBSCRIBED). */
export const unsubscribeSignal = defineSignal<[{ workflowId: string }]>('unsubscribe');
