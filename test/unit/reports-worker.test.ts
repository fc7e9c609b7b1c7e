/**
 * ReportsWorker runs the report worker and the permit pools' worker as one: either ending ends the
 * other, and run() returns only once both have ended, with the first failure.
 */
import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
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

const both = (main: FakeWorker, permits: FakeWorker) => new ReportsWorker(main as unknown as Worker, permits as unknown as Worker);

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
});
