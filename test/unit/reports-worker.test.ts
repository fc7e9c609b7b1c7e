/**
 * ReportsWorker runs the report worker and the permit pools' worker as one: either ending ends the
 * other, and run() returns only once both have ended, with the first failure, and the permit
 * releases the workflows asked for have been answered (PermitReleases).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { PermitReleases } from '../../src/activities/permits.js';
import { ReportsWorker } from '../../src/worker.js';

/** What ReportsWorker uses of an SDK worker: run until shut down (or failed), then stopped. */
class FakeWorker {
  state: 'RUNNING' | 'STOPPED' | 'FAILED' = 'RUNNING';
  ended = false;
  private end!: (err?: Error) => void;
  private readonly done = new Promise<void>((resolve, reject) => {
    this.end = (err) => {
      this.ended = true;
      if (err) reject(err);
      else resolve();
    };
  });
  constructor(private readonly stopDelayMs = 0) {}
  run(): Promise<void> {
    return this.done;
  }
  getState() {
    return this.state;
  }
  shutdown(): void {
    this.state = 'STOPPED';
    setTimeout(() => this.end(), this.stopDelayMs);
  }
  fail(err: Error): void {
    this.state = 'FAILED';
    this.end(err);
  }
}

const both = (main: FakeWorker, permits: FakeWorker, releases?: PermitReleases) => new ReportsWorker(main as unknown as Worker, permits as unknown as Worker, releases);

/** What PermitReleases uses of a client: a pool's handle, whose signal answers when `answer` says. */
function fakeClient(answer: (poolId: string) => Promise<void>) {
  const signalled: Array<{ poolId: string; holderId: string }> = [];
  const client = {
    workflow: {
      getHandle: (poolId: string) => ({
        signal: async (_signal: unknown, { holderId }: { holderId: string }) => {
          signalled.push({ poolId, holderId });
          await answer(poolId);
        },
      }),
    },
  };
  return { client: client as unknown as Client, signalled };
}

describe('ReportsWorker', () => {
  it('one failing: the other is shut down and awaited, and the failure thrown', async () => {
    const [main, permits] = [new FakeWorker(50), new FakeWorker()];
    const w = both(main, permits);
    const running = w.run();
    permits.fail(new Error('permits poller broke'));
    await expect(running).rejects.toThrow('permits poller broke');
    expect(main.state).toBe('STOPPED');
    // Its run had ended (after its 50 ms shutdown) before run() returned.
    expect(main.ended).toBe(true);
  });

  it('shut down: both end, run() resolves, and it is RUNNING only while both are', async () => {
    const [main, permits] = [new FakeWorker(), new FakeWorker(20)];
    const w = both(main, permits);
    const running = w.run();
    expect(w.getState()).toBe('RUNNING');
    permits.state = 'FAILED';
    expect(w.getState()).toBe('FAILED');
    permits.state = 'RUNNING';
    w.shutdown();
    await expect(running).resolves.toBeUndefined();
    expect([main.ended, permits.ended]).toEqual([true, true]);
  });

  it('waits for the permit releases under way before run() returns; a failed one is logged, a gone pool is not', async () => {
    let answerSlow!: () => void;
    const slow = new Promise<void>((r) => (answerSlow = r));
    const { client, signalled } = fakeClient(async (poolId) => {
      if (poolId === 'permits/live/slow') await slow;
      if (poolId === 'permits/live/broken') throw new Error('UNAVAILABLE: server gone');
      if (poolId === 'permits/live/gone') throw new WorkflowNotFoundError('not found', poolId, undefined);
    });
    const logged: Array<Record<string, unknown>> = [];
    const releases = new PermitReleases(client, (fields) => logged.push(fields));
    const [main, permits] = [new FakeWorker(), new FakeWorker()];
    const w = both(main, permits, releases);
    const running = w.run();
    // send() returns at once: the workflow task is not held back.
    for (const pool of ['slow', 'broken', 'gone']) releases.send(`permits/live/${pool}`, `report/c/2025-10/acct_${pool}`);
    expect(signalled.map((s) => s.holderId)).toEqual(['report/c/2025-10/acct_slow', 'report/c/2025-10/acct_broken', 'report/c/2025-10/acct_gone']);
    w.shutdown();
    let returned = false;
    void running.then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 50));
    expect([main.ended, permits.ended, returned]).toEqual([true, true, false]);
    answerSlow();
    await expect(running).resolves.toBeUndefined();
    expect(logged).toEqual([{ pool: 'permits/live/broken', holder: 'report/c/2025-10/acct_broken', err: 'UNAVAILABLE: server gone' }]);
  });
});
