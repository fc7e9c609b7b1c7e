/** Progress where people look: what the workflows keep, how a firing sums up, how it reads. */
import { describe, expect, it } from 'vitest';
import { firingStatusLines, formatDuration, stageCounts, targetChangeLine } from '../../src/cli/progress-format.js';
import { progressSince, type FiringProgress, type RunProgress } from '../../src/domain/progress.js';
import { summariseFiring, type TargetAnswer } from '../../src/temporal/firing-status.js';
import { FiringProgressTracker } from '../../src/workflows/firing-progress.js';

const T0 = Date.parse('2025-11-02T06:00:00Z');

describe('a run keeps when it entered its stage', () => {
  it('restamps `since` on a new stage only, and the query JSON carries it', () => {
    let now = T0;
    const p = progressSince('validating', () => now);
    now += 1000;
    p.stage = 'validating';
    expect(p.since).toBe(T0);
    p.stage = 'waiting_for_permit';
    now += 5000;
    p.runId = 'reprun_1';
    expect(JSON.parse(JSON.stringify(p))).toEqual({ stage: 'waiting_for_permit', since: T0 + 1000, polls: 0, runId: 'reprun_1' });
  });
});

describe('a firing knows its targets without asking them', () => {
  it('pending, in flight since when, and finished counts', async () => {
    let now = T0;
    const tracker = new FiringProgressTracker(() => now);
    expect(tracker.snapshot().phase).toBe('starting');
    tracker.plan('2025-10', 3);
    let finishA!: () => void;
    const step = tracker.follow(
      (t: { id: string }) => `report/c/2025-10/${t.id}`,
      async (t) => {
        if (t.id === 'b') return { target: t.id, status: 'skipped', reason: 'already archived' };
        await new Promise<void>((r) => (finishA = r));
        return { target: t.id, status: 'failed', reason: 'x' };
      },
    );
    const a = step({ id: 'a' });
    now += 10;
    await step({ id: 'b' });
    expect(tracker.snapshot()).toEqual({
      phase: 'running',
      period: '2025-10',
      targets: 3,
      pending: 1,
      inFlight: [{ target: 'a', workflowId: 'report/c/2025-10/a', startedAt: T0 }],
      archived: 0,
      skipped: 1,
      failed: 0,
    });
    finishA();
    await a;
    expect(tracker.snapshot()).toMatchObject({ phase: 'running', pending: 1, inFlight: [], failed: 1 });
  });
});

function firing(fields: Partial<FiringProgress>): FiringProgress {
  return { phase: 'running', period: '2025-10', targets: 0, pending: 0, inFlight: [], archived: 0, skipped: 0, failed: 0, ...fields };
}

function answer(target: string, progress?: Partial<RunProgress>, asked = true): TargetAnswer {
  return { target: { target, workflowId: `report/c/2025-10/${target}`, startedAt: T0 }, asked, progress: progress && { polls: 0, stage: 'running', ...progress } };
}

describe('a firing summed up', () => {
  const view = summariseFiring(firing({ targets: 9, pending: 2, archived: 1, skipped: 1 }), [
    answer('acct_run', { stage: 'running', since: T0 - 60_000 }),
    answer('acct_permit', { stage: 'waiting_for_permit', since: T0 + 1000 }),
    answer('acct_data', { stage: 'waiting_for_data', since: T0 - 1000 }),
    answer('acct_gone'),
    answer('acct_later', undefined, false),
  ]);

  it('counts every target once, in the order targets go', () => {
    expect(stageCounts(view.counts)).toBe('pending 2, waiting for data 1, waiting for permit 1, running 1, in flight 2, archived 1, skipped 1');
    expect(view).toMatchObject({ notAsked: 1, unanswered: 1 });
  });

  it('the oldest waiting target is the one longest in a waiting stage (a run at Stripe is running, not waiting)', () => {
    expect(view.oldestWaiting).toEqual({ target: 'acct_data', stage: 'waiting_for_data', since: T0 - 1000 });
    expect(firingStatusLines('report/c/2025-10', view, T0 + 191_000)).toEqual([
      'report/c/2025-10  9 targets: pending 2, waiting for data 1, waiting for permit 1, running 1, in flight 2, archived 1, skipped 1',
      '  oldest waiting: acct_data, waiting for data since 2025-11-02 05:59:59 UTC (3m 12s)',
      '  1 target in flight not asked for their stage (the longest in flight are)',
      '  1 target in flight did not answer (finishing, or no worker)',
    ]);
  });

  it('a firing still settling its period says so', () => {
    expect(firingStatusLines('report/c-1', summariseFiring(firing({ phase: 'starting', period: undefined }), []), T0)).toEqual(['report/c-1  starting (settling the period)']);
  });

  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [190_000, '3m 10s'],
    [2 * 3600_000 + 5 * 60_000, '2h 5m'],
    [3 * 86_400_000 + 4 * 3600_000, '3d 4h'],
  ])('%i ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('a target change is one line with its time, target, stage, run and detail', () => {
    expect(targetChangeLine(T0 + 3000, { target: 'acct_1', stage: 'waiting_for_data', detail: 'Stripe has data until …' })).toBe(
      `06:00:03  acct_1${' '.repeat(23)}waiting for data — Stripe has data until …`,
    );
  });
});
