/**
 * withoutIsolateTimeout: worker threads started after it run vm calls without Node's per-call
 * watchdog thread, still give the right answers, and one stuck in a loop is reported by its
 * missing beat while a healthy one is not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import vm from 'node:vm';
import { withoutIsolateTimeout, withoutUnboundedTimeout, type StuckThread } from '../../src/workflow-threads.js';

const dir = mkdtempSync(path.join(tmpdir(), 'workflow-threads-'));
const stuck: StuckThread[] = [];
const threads = withoutIsolateTimeout((s) => stuck.push(s), 1_500);
afterAll(() => {
  threads.stop();
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** Worker as the SDK gets it: looked up on the module when constructed. */
const startThread = (file: string): Worker => new (require('node:worker_threads') as typeof import('node:worker_threads')).Worker(file);

describe('workflow threads without the isolate timeout', () => {
  it('runs a timed vm call directly, with the same answer', async () => {
    const file = script(
      'vm-call.cjs',
      `const vm = require('node:vm');
       const { parentPort } = require('node:worker_threads');
       const ctx = vm.createContext({});
       const s = new vm.Script('6 * 7');
       const started = process.hrtime.bigint();
       let answer;
       for (let i = 0; i < 2000; i++) answer = s.runInContext(ctx, { timeout: 5000 });
       const usPerCall = Number(process.hrtime.bigint() - started) / 2000 / 1000;
       parentPort.postMessage({ answer, patched: !String(vm.Script.prototype.runInContext).includes('[native code]'), usPerCall });`,
    );
    const worker = startThread(file);
    const result = await new Promise<{ answer: number; patched: boolean; usPerCall: number }>((resolve) => worker.once('message', resolve));
    await worker.terminate();
    expect(result.answer).toBe(42);
    expect(result.patched).toBe(true);
    // A thread started and joined per call costs tens of µs; a direct call well under a few.
    expect(result.usPerCall).toBeLessThan(20);
  });

  it('reports a thread stuck in one task by its missing beat, and not a healthy one', async () => {
    const healthy = startThread(script('healthy.cjs', `setInterval(() => {}, 100);`));
    const looping = startThread(script('looping.cjs', `setTimeout(() => { for (;;) {} }, 200);`));
    const [healthyId, loopingId] = [healthy.threadId, looping.threadId];
    await new Promise((r) => setTimeout(r, 4_000));
    await Promise.all([healthy.terminate(), looping.terminate()]);
    expect(stuck.map((s) => s.threadId)).toEqual([loopingId]);
    expect(healthyId).not.toBe(loopingId);
    expect(stuck[0]!.silentMs).toBeGreaterThanOrEqual(1_500);
  }, 15_000);

  it('on the main thread, drops only the debugMode 49-day timeout: finite timeouts still stop a loop', () => {
    withoutUnboundedTimeout();
    withoutUnboundedTimeout(); // idempotent: one wrapper, not two
    const ctx = vm.createContext({});
    expect(String(vm.Script.prototype.runInContext).includes('[native code]')).toBe(false);
    const s = new vm.Script('6 * 7');
    const started = process.hrtime.bigint();
    let answer: unknown;
    for (let i = 0; i < 2000; i++) answer = s.runInContext(ctx, { timeout: 0xffff_ffff });
    // As above: a watchdog thread per call costs tens of µs.
    expect(Number(process.hrtime.bigint() - started) / 2000 / 1000).toBeLessThan(20);
    expect(answer).toBe(42);
    expect(() => new vm.Script('for (;;) {}').runInContext(ctx, { timeout: 50 })).toThrow(/timed out/);
  });
});
