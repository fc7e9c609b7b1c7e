/**
 * permitPoolWorkflow: a durable semaphore that keeps running ReportRuns under Stripe's cap
 * (500 live / 100 sandbox). One long-lived workflow per pool (`permits/<mode>/<scope>`).
 *
 * - Holders ask by signal (sent by an activity with signal-with-start, so the pool exists on
 *   first use); the pool answers with a `permitGranted` signal, first come first served.
 * - It never hands out more than its (effective) capacity.
 * - Release is idempotent: an unknown holder is ignored.
 * - A holder that died, was terminated or timed out is found by a periodic check (an activity
 *   that describes holders, at most `RECLAIM_CHECKS` per check, those checked longest ago first)
 *   and its permit is reclaimed within a few checks.
 * - Its own work per signal does not grow with the number of holders or waiters (a count of
 *   holders, an index of waiters), so a pool of 500 with thousands waiting grants as fast as a small one.
 * - 429 `report_run_rate_limit_exceeded` lowers the effective capacity; it climbs back one permit
 *   per few runs finished without another 429, and a tenth of the capacity per quiet period.
 * - History stays bounded: the pool continues as new, carrying its state, when Temporal
 *   suggests it or after `maxEvents` events.
 * - Its state goes to the worker's metrics (a sink) whenever it changes and on every reclaim tick.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  sleep,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { ReportActivities } from '../activities/index.js';
import {
  permitGrantedSignal,
  poolStateQuery,
  releasePermitSignal,
  requestPermitSignal,
  runningCapHitSignal,
  type PermitPoolState,
} from './messages.js';
import { defaultPoolOptions, queueWaiter, type PermitPoolOptions } from './permit-state.js';
import type { ReportsSinks } from '../domain/sinks.js';

/** The worker's metrics (not called on replay). */
const { metrics } = proxySinks<ReportsSinks>();

const { closedWorkflows } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds' },
});

/** Holders described per check: the check's cost stays flat however many permits are held. */
export const RECLAIM_CHECKS = 100;

/**
 * Since this patch the pool decides nothing by comparing `Date.now()` with a deadline: the reclaim
 * check and the end of a congestion are paced by timers, whose firing is in the history, and a
 * holder granted again during a check is recognised by the check itself, not by timestamps. Found
 * by the chaos run: a worker that took over the pool after a workflow task timed out saw the
 * previous task's time in its first activation, skipped a reclaim check that was due, and the
 * replay of that history (which sees the right time) scheduled it: a nondeterminism error on
 * every later task, the pool stuck, every firing waiting. Pools started before it keep the old
 * loop until they continue as new.
 */
const PATCH_TIMER_PACED = 'pool-paced-by-timers';

export async function permitPoolWorkflow(state: PermitPoolState, options: Partial<PermitPoolOptions> = {}): Promise<never> {
  const o = { ...defaultPoolOptions, ...options };
  const paced = patched(PATCH_TIMER_PACED);
  const waitingSince = (state.waitingSince ??= {});
  const held = new HeldCount(state);
  const waiting = new Set(state.waiters);
  /** When each holder was last described (in memory: after continuing as new, all count as never). */
  const lastChecked = new Map<string, number>();
  let dirty = true;
  // Holders that asked again while holding (they restarted waiting): send their grant again.
  const regrant = new Set<string>();
  setHandler(poolStateQuery, () => state);
  setHandler(requestPermitSignal, ({ holderId, capacity, rank }) => {
    if (capacity > 0 && capacity !== state.capacity) {
      // Follow the configuration's capacity; keep a lowered one lowered.
      const congested = paced ? state.congestedUntil > 0 : state.congestedUntil > Date.now();
      state.effectiveCapacity = Math.min(capacity, congested ? state.effectiveCapacity : capacity);
      state.capacity = capacity;
    }
    if (holderId in state.holders) regrant.add(holderId); // the holder asked again: it may have restarted waiting
    else if (!waiting.has(holderId)) {
      // Without a rank, the time of arrival: appended, as before ranks existed.
      queueWaiter(state, holderId, Date.now(), rank);
      waiting.add(holderId);
    }
    dirty = true;
  });
  setHandler(releasePermitSignal, ({ holderId }) => {
    if (holderId in state.holders) climbAfterRelease(state);
    held.free(holderId);
    lastChecked.delete(holderId);
    // A waiter that gives up (cancelled while waiting) is rare: only then is the queue rewritten.
    if (waiting.delete(holderId)) state.waiters = state.waiters.filter((w) => w !== holderId);
    delete waitingSince[holderId];
    delete state.ranks?.[holderId];
    dirty = true;
  });
  setHandler(runningCapHitSignal, ({ retryAfterMs }) => {
    state.capHits++;
    // Others use the cap too: hand out fewer permits than we hold now, for a while.
    state.effectiveCapacity = Math.max(1, Math.min(state.effectiveCapacity, held.count - 1));
    const quietFor = Math.max(o.congestionMs, retryAfterMs ?? 0);
    state.congestedUntil = Date.now() + quietFor;
    state.releasesSinceCapHit = 0;
    if (paced) congestion.restart(quietFor);
    dirty = true;
  });

  /**
   * The end of a congestion, on a timer (PATCH_TIMER_PACED): each 429 starts the quiet period
   * again; when one passes, a tenth of the capacity comes back and, while still below it, another
   * quiet period starts. `congestedUntil` stays set while congested (for the metrics and the
   * requests above) and is cleared when the capacity is whole again.
   */
  const congestion = {
    epoch: 0,
    restart(ms: number): void {
      const epoch = ++this.epoch;
      void sleep(Math.max(1, ms)).then(() => {
        if (epoch !== this.epoch || !state.congestedUntil) return; // a later 429 restarted it, or releases climbed back
        state.effectiveCapacity = Math.min(state.capacity, state.effectiveCapacity + Math.max(1, Math.ceil(state.capacity / 10)));
        if (state.effectiveCapacity < state.capacity) {
          state.congestedUntil = Date.now() + o.congestionMs;
          this.restart(o.congestionMs);
        } else state.congestedUntil = 0;
        dirty = true;
      });
    },
  };
  // Carried over a continue-as-new: the rest of the quiet period.
  if (paced && state.congestedUntil) congestion.restart(state.congestedUntil - Date.now());

  const inFlight = new Set<Promise<void>>();
  const markDirty = () => {
    dirty = true;
  };
  let nextReclaim = Date.now() + o.reclaimEveryMs;
  let reclaiming: Promise<void> | undefined;
  let reportedGrants = state.grants;
  const report = () => {
    const now = Date.now();
    // The first in the queue: in arrival order without ranks; with them, about the longest waiting.
    const oldest = Math.min(now, waitingSince[state.waiters[0] ?? ''] ?? now);
    metrics.permitPool({
      pool: state.poolId,
      capacity: state.capacity,
      effectiveCapacity: state.effectiveCapacity,
      held: held.count,
      waiting: state.waiters.length,
      oldestWaitSeconds: (now - oldest) / 1000,
      granted: state.grants - reportedGrants,
    });
    reportedGrants = state.grants;
  };
  if (paced) {
    /**
     * The reclaim check, every `reclaimEveryMs` on a timer, beside the grants and never in their
     * way (the worker running it may die with it, found only at its 30 s timeout).
     */
    void (async () => {
      for (;;) {
        // An idle pool (no permit held) does not wake at all: nothing to reclaim.
        await condition(() => held.count > 0);
        await sleep(o.reclaimEveryMs);
        reclaiming = reclaimDeadHolders(state, held, lastChecked, true).catch(() => undefined);
        await reclaiming;
        reclaiming = undefined;
        dirty = true;
      }
    })();
    for (;;) {
      // Woken by a signal, a grant's answer, a reclaim check or a congestion's end: no timer per wake.
      await condition(() => dirty);
      dirty = false;
      await grantThenMaybeContinue();
    }
  }
  for (;;) {
    await condition(() => dirty, Math.max(1, Math.min(nextReclaim, congestionEnd()) - Date.now()));
    dirty = false;
    const now = Date.now();
    if (state.congestedUntil && now >= state.congestedUntil) {
      // No 429 for a while: climb back a tenth of the capacity per quiet period.
      state.effectiveCapacity = Math.min(state.capacity, state.effectiveCapacity + Math.max(1, Math.ceil(state.capacity / 10)));
      state.congestedUntil = state.effectiveCapacity < state.capacity ? now + o.congestionMs : 0;
    }
    if (now >= nextReclaim && !reclaiming) {
      // Beside the grants, never in their way: the worker running the check may die with it
      // (found only at its 30 s timeout), and grants and releases must go on meanwhile. Found by
      // the chaos run: awaited here, every worker killed mid-check stopped all grants for 2 minutes.
      nextReclaim = Number.MAX_SAFE_INTEGER;
      reclaiming = reclaimDeadHolders(state, held, lastChecked).catch(() => undefined).finally(() => {
        reclaiming = undefined;
        nextReclaim = Date.now() + o.reclaimEveryMs;
        dirty = true;
      });
    }
    await grantThenMaybeContinue();
  }

  /**
   * Grants go out without waiting for each to be confirmed, so releases arriving meanwhile are
   * handled at once; all of them (and a reclaim check under way) are settled before continuing
   * as new, when Temporal suggests it or past `maxEvents`.
   */
  async function grantThenMaybeContinue(): Promise<void> {
    grant(state, held, waiting, regrant, inFlight, markDirty);
    report();
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > o.maxEvents) {
      await condition(allHandlersFinished);
      grant(state, held, waiting, regrant, inFlight, markDirty);
      report();
      await Promise.all([...inFlight, reclaiming]);
      await continueAsNew<typeof permitPoolWorkflow>(state, options);
    }
  }

  function congestionEnd(): number {
    return state.congestedUntil || Number.MAX_SAFE_INTEGER;
  }
}

/**
 * While the capacity is lowered, every few runs that finished without a new 429 give one permit
 * back (additive increase): a 429 now and then (Stripe sends some beyond the cap) costs a permit
 * for a few runs, not half a minute of throughput each; 429s that keep coming keep it low.
 */
function climbAfterRelease(state: PermitPoolState): void {
  if (state.effectiveCapacity >= state.capacity) return;
  state.releasesSinceCapHit = (state.releasesSinceCapHit ?? 0) + 1;
  if (state.releasesSinceCapHit < Math.max(1, Math.ceil(state.capacity / 20))) return;
  state.releasesSinceCapHit = 0;
  state.effectiveCapacity++;
  if (state.effectiveCapacity >= state.capacity) state.congestedUntil = 0;
}

/** The number of holders, kept beside `state.holders` so no grant counts them. */
class HeldCount {
  count: number;
  /** Holders granted while a reclaim check is out (PATCH_TIMER_PACED): not the closed ones it finds. */
  readonly grantedDuringCheck = new Set<string>();
  constructor(private readonly state: PermitPoolState) {
    this.count = Object.keys(state.holders).length;
  }
  take(holderId: string): void {
    if (!(holderId in this.state.holders)) this.count++;
    this.state.holders[holderId] = Date.now();
    this.grantedDuringCheck.add(holderId);
  }
  /** True when the holder held a permit. */
  free(holderId: string): boolean {
    if (!(holderId in this.state.holders)) return false;
    delete this.state.holders[holderId];
    this.count--;
    return true;
  }
}

/** Hands out free permits to waiters in order; a waiter that is gone is dropped. */
function grant(state: PermitPoolState, held: HeldCount, waiting: Set<string>, regrant: Set<string>, inFlight: Set<Promise<void>>, freed: () => void): void {
  const send = (holderId: string) => {
    const p = getExternalWorkflowHandle(holderId)
      .signal(permitGrantedSignal, { poolId: state.poolId })
      .catch(() => {
        // The holder closed before its grant arrived: the permit is free again.
        if (held.free(holderId)) {
          state.reclaimed++;
          freed();
        }
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for (const holderId of regrant) send(holderId);
  regrant.clear();
  while (state.waiters.length > 0 && held.count < state.effectiveCapacity) {
    const holderId = state.waiters.shift()!;
    waiting.delete(holderId);
    delete state.waitingSince?.[holderId];
    delete state.ranks?.[holderId];
    held.take(holderId);
    state.grants++;
    send(holderId);
  }
}

/** Describes the holders checked longest ago (at most RECLAIM_CHECKS) and frees the permits of those that closed. */
async function reclaimDeadHolders(state: PermitPoolState, held: HeldCount, lastChecked: Map<string, number>, paced = false): Promise<void> {
  const ids = Object.keys(state.holders);
  if (ids.length === 0) return;
  const due = ids.length <= RECLAIM_CHECKS ? ids : ids.sort((a, b) => (lastChecked.get(a) ?? 0) - (lastChecked.get(b) ?? 0)).slice(0, RECLAIM_CHECKS);
  const asked = Date.now();
  for (const id of due) lastChecked.set(id, asked);
  held.grantedDuringCheck.clear();
  const closed = await closedWorkflows(due);
  for (const id of closed) {
    // Granted again since the question (a new run under the same workflow id): not the closed one's.
    const grantedSince = paced ? held.grantedDuringCheck.has(id) : state.holders[id]! > asked;
    if (id in state.holders && !grantedSince && held.free(id)) {
      lastChecked.delete(id);
      state.reclaimed++;
    }
  }
}
