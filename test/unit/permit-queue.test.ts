/**
 * The permit pool's queue order (queueWaiter): lowest rank first, equal ranks in arrival order,
 * and waiters carried over from a 0.2.0 pool (no rank) placed by when they started waiting.
 */
import { describe, expect, it } from 'vitest';
import { newPoolState, queueWaiter } from '../../src/workflows/permit-state.js';

describe('the permit queue', () => {
  it('without ranks given, first come first served, and no rank stored', () => {
    const state = newPoolState('permits/sandbox/x', 2);
    for (const [id, at] of [['a', 10], ['b', 10], ['c', 11], ['d', 12]] as const) queueWaiter(state, id, at);
    expect(state.waiters).toEqual(['a', 'b', 'c', 'd']);
    expect(state.waitingSince).toEqual({ a: 10, b: 10, c: 11, d: 12 });
    expect(state.ranks ?? {}).toEqual({});
  });

  it('a batch started earlier queues ahead of one started later, whichever asked first', () => {
    const state = newPoolState('permits/sandbox/x', 2);
    // Two batches' targets asking interleaved, as when they start together.
    const asks: [string, number][] = [['b2-0', 2000.002], ['b1-0', 2000.001], ['b2-1', 2000.002], ['b0-0', 2000], ['b1-1', 2000.001], ['b0-1', 2000]];
    for (const [id, rank] of asks) queueWaiter(state, id, 3000, rank);
    expect(state.waiters).toEqual(['b0-0', 'b0-1', 'b1-0', 'b1-1', 'b2-0', 'b2-1']);
    expect(state.ranks).toMatchObject({ 'b0-0': 2000, 'b2-1': 2000.002 });
  });

  it('a run outside a batch, asking now, queues after the batches that started before it', () => {
    const state = newPoolState('permits/sandbox/x', 2);
    queueWaiter(state, 'batch-early', 4500, 1000);
    queueWaiter(state, 'manual', 5000);
    queueWaiter(state, 'batch-late-start', 6000, 4000);
    expect(state.waiters).toEqual(['batch-early', 'batch-late-start', 'manual']);
    expect(state.ranks).toEqual({ 'batch-early': 1000, 'batch-late-start': 4000 });
  });

  it('waiters from a 0.2.0 pool (no rank) keep their place by waitingSince', () => {
    const state = { ...newPoolState('permits/sandbox/x', 2), waiters: ['old1', 'old2'], waitingSince: { old1: 100, old2: 300 } };
    delete (state as { ranks?: unknown }).ranks;
    queueWaiter(state, 'new', 400, 200);
    expect(state.waiters).toEqual(['old1', 'new', 'old2']);
  });

  it('a long queue: inserting by binary search keeps the order', () => {
    const state = newPoolState('permits/sandbox/x', 2);
    const ranks = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1000);
    ranks.forEach((r, i) => queueWaiter(state, `w${i}`, 5000 + i, r));
    const got = state.waiters.map((id) => state.ranks![id]!);
    expect(got).toEqual([...ranks].sort((a, b) => a - b));
    // Equal ranks stay in arrival order.
    const sevens = state.waiters.filter((id) => state.ranks![id] === 7).map((id) => Number(id.slice(1)));
    expect(sevens).toEqual([...sevens].sort((a, b) => a - b));
  });
});
