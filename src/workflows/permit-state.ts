/** Pure helpers for the permit pool, shared by the workflow and the activities that start it. */
import type { PermitPoolState } from './messages.js';

/** Stripe's cap on running ReportRuns per account: a pool's capacity when nothing smaller is set. */
export const STRIPE_RUNNING_CAP: Readonly<Record<'live' | 'sandbox', number>> = { live: 500, sandbox: 100 };

export function newPoolState(poolId: string, capacity: number): PermitPoolState {
  return { poolId, capacity, effectiveCapacity: capacity, holders: {}, waiters: [], waitingSince: {}, congestedUntil: 0, grants: 0, reclaimed: 0, capHits: 0 };
}

/**
 * The task queue permit pools run on, beside the worker's own: a pool's workflow tasks never wait
 * behind the runs'. A new workflow's first task (a pool's start, and each continue-as-new) goes
 * to the shared queue, behind every run a firing has just started: measured in the N = 1,000
 * bench, the pool's first task waited 6.5 s behind 325 runs' and no permit went out before 7.6 s.
 * Pools started before this queue existed stay on the worker's own queue, which still runs them.
 */
export function permitTaskQueue(taskQueue: string): string {
  return `${taskQueue}-permits`;
}

/** `permits/<mode>/<scope>`: one pool per key by default (scope = a hash of the key), or a named one. */
export function poolIdFor(mode: 'live' | 'sandbox', scope: string): string {
  return `permits/${mode}/${scope}`;
}

/**
 * Puts a waiter in the queue by rank, after every waiter of the same or a lower rank, and notes
 * when it started waiting. A waiter without a rank of its own (a run outside a firing's batch, a
 * 0.2.0 holder) ranks at that time, first come first served, and only given ranks are stored: the
 * pool's state, carried when it continues as new, does not grow by a copy of `waitingSince`. The
 * queue is kept in rank order, so the usual case (a rank no lower than the last) is an append,
 * and the rest a binary search: the pool's work per request stays flat however long the queue.
 */
export function queueWaiter(state: PermitPoolState, holderId: string, now: number, rank?: number): void {
  const waitingSince = (state.waitingSince ??= {});
  waitingSince[holderId] = now;
  if (rank !== undefined) (state.ranks ??= {})[holderId] = rank;
  const rankOf = (id: string) => state.ranks?.[id] ?? waitingSince[id] ?? 0;
  const own = rankOf(holderId);
  const queue = state.waiters;
  if (queue.length === 0 || rankOf(queue[queue.length - 1]!) <= own) {
    queue.push(holderId);
    return;
  }
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rankOf(queue[mid]!) <= own) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, holderId);
}

export interface PermitPoolOptions {
  /** How often the pool checks that its holders still run; bounds how long a dead holder's permit stays taken. */
  reclaimEveryMs: number;
  /** How long capacity stays lowered after a 429 (at least Stripe's Retry-After). */
  congestionMs: number;
  /** Continue as new past this many history events (Temporal also suggests it on its own). */
  maxEvents: number;
}

export const defaultPoolOptions: PermitPoolOptions = { reclaimEveryMs: 30_000, congestionMs: 30_000, maxEvents: 5_000 };
