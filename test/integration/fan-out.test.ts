/**
 * Many accounts at once, on real parts: one child per target, the durable permit pool keeping
 * running ReportRuns under the cap, one failing target not harming the others, reclaiming the
 * permit of a terminated holder or of one transferring its file, and a worker SIGKILLed while
 * permits are held.
 */
import type { Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { outcomesOf } from '../helpers/outcomes.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, config, fast } from '../helpers/org-config.js';
import type { Emulator } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { poolStateQuery, progressQuery, requestPermitSignal } from '../../src/workflows/messages.js';
import { permitTaskQueue, poolIdFor } from '../../src/workflows/permit-state.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { peakOverlap } from '../helpers/run-overlap.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const ORG_KEY = 'sk_org_test_fanout0key0000';
const scope = `fanout-${Date.now()}`;
let stack: TestStack;
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'fanout', emulator: { processingMs: 500 }, keys: { ORG_KEY }, worker: { keyScopeFor: () => scope, poolOptions: { reclaimEveryMs: 1000, congestionMs: 1000 } } });
  ({ emulator, temporal, client, archiveDir } = stack);
});

afterAll(async () => {
  await stack?.close();
});


async function pool(poolScope = scope) {
  return client.workflow.getHandle(poolIdFor('sandbox', poolScope)).query(poolStateQuery);
}

describe('fan-out under the permit pool', () => {
  it('50 targets with cap 5: all archived, peak running ≤ 5, no 429 from the emulator', async () => {
    emulator.configure({ runningCap: { live: 500, sandbox: 5 } });
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const cfg = config('fifty', { targets: accounts('f', 50), permits: { capacity: 5 } });
    const outcomes = await outcomesOf(await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast })).result(), archiveDir);
    expect(outcomes.filter((o) => o.status === 'archived')).toHaveLength(50);
    const c = emulator.counters();
    expect(c.runsCreated).toBe(50);
    expect(c.peakRunning).toBeLessThanOrEqual(5);
    expect(c.peakRunning).toBeGreaterThanOrEqual(4); // the pool does use its capacity
    expect(c.rateLimited).toBe(0);
    const state = await pool();
    expect(Object.keys(state.holders)).toEqual([]);
    expect(state.waiters).toEqual([]);
    expect(state.grants).toBeGreaterThanOrEqual(50);
    // Paced by timers (PATCH_TIMER_PACED): no timer started and cancelled per signal, and no
    // decision by the clock that a replay could take differently (no failed workflow task).
    const events = (await client.workflow.getHandle(poolIdFor('sandbox', scope)).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.timerCanceledEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes).length).toBeGreaterThanOrEqual(100); // 50 requests, 50 releases
    for (const t of ['acct_f0', 'acct_f49']) expect(existsSync(path.join(archiveDir, 'fifty', '2025-10', `${t}.csv`))).toBe(true);
    // On its own task queue, polled by the same worker: never behind the runs' tasks.
    expect((await client.workflow.getHandle(poolIdFor('sandbox', scope)).describe()).taskQueue).toBe(permitTaskQueue(temporal.taskQueue));
    // The pools run on the main thread (debugMode), without the SDK's promise hook there: it would
    // ask every promise's realm for its workflow (`promise.constructor.constructor(…)`), and here
    // nobody asks.
    const asked: string[] = [];
    class Probe<T> extends Promise<T> {}
    Object.defineProperty(Probe, 'constructor', { value: (body: string) => (asked.push(body), () => undefined) });
    await new Probe<void>((resolve) => resolve());
    expect(asked).toEqual([]);
  });

  it('one failing target is reported by name while the rest archive', async () => {
    emulator.setFaults({ inaccessibleAccounts: ['acct_bad1'] });
    try {
      const cfg = config('one-bad', { targets: [...accounts('g', 4), { account: 'acct_bad1' }] });
      const outcomes = await outcomesOf(await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast })).result(), archiveDir);
      const bad = outcomes.find((o) => o.target === 'acct_bad1');
      expect(bad?.status).toBe('failed');
      expect(bad?.status === 'failed' && bad.reason).toMatch(/403.*report_inaccessible/);
      expect(outcomes.filter((o) => o.status === 'archived').map((o) => o.target).sort()).toEqual(['acct_g0', 'acct_g1', 'acct_g2', 'acct_g3']);
    } finally {
      emulator.setFaults({});
    }
  });

  it('Stripe\'s cap used by others (429): the pool backs off, everything still archives', async () => {
    emulator.configure({ runningCap: { live: 500, sandbox: 3 } });
    const cfg = config('capped', { targets: accounts('c', 12), permits: { capacity: 8, pool: `capped-${scope}` } });
    const outcomes = await outcomesOf(await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast })).result(), archiveDir);
    expect(outcomes.every((o) => o.status === 'archived')).toBe(true);
    expect(emulator.counters().rateLimited).toBeGreaterThan(0);
    const state = await pool(`capped-${scope}`);
    expect(state.capHits).toBeGreaterThan(0);
    expect(Object.keys(state.holders)).toEqual([]);
    emulator.configure({ runningCap: { live: 500, sandbox: 100 } });
  });

  it('refuses an organization key with no targets before any run', async () => {
    const before = emulator.counters().runsCreated;
    const err = await (await startReport(client, config('org-no-targets', {}), '2025-10', { taskQueue: temporal.taskQueue })).result().catch((e: Error) => e);
    expect((err as { cause?: Error }).cause?.message).toMatch(/an organization key needs targets/);
    expect(emulator.counters().runsCreated).toBe(before);
  });

  it('aggregated for a report that cannot aggregate is refused by name', async () => {
    const cfg = config('no-aggregate', { report: 'balance_change_from_activity.itemized.3', targets: [{ organization: 'aggregated' }, { organization: 'concatenated' }] });
    const outcomes = await outcomesOf(await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast })).result(), archiveDir);
    const agg = outcomes.find((o) => o.target === 'organization-aggregated');
    expect(agg?.status === 'failed' && agg.reason).toMatch(/cannot aggregate/);
    expect(outcomes.find((o) => o.target === 'organization-concatenated')?.status).toBe('archived');
  });
});

describe('permits survive failures', () => {
  it('a terminated holder\'s permit is reclaimed', async () => {
    emulator.configure({ processingMs: 60_000 });
    const poolName = `reclaim-${scope}`;
    const cfg = config('reclaim', { targets: accounts('r', 2), permits: { capacity: 1, pool: poolName } });
    const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast });
    const p = () => pool(poolName).catch(() => undefined);
    await expect.poll(async () => Object.keys((await p())?.holders ?? {}).length, { timeout: 15_000 }).toBe(1);
    const holder = Object.keys((await p())!.holders)[0]!;
    const other = holder.endsWith('acct_r0') ? 'report/reclaim/2025-10/acct_r1' : 'report/reclaim/2025-10/acct_r0';
    expect((await p())!.waiters).toEqual([other]);
    emulator.configure({ processingMs: 300 });
    await client.workflow.getHandle(holder).terminate('test: a holder dies');
    // The waiting target gets the freed permit and finishes.
    const outcomes = await outcomesOf(await handle.result(), archiveDir);
    expect(outcomes.find((o) => `report/reclaim/2025-10/${o.target}` === other)?.status).toBe('archived');
    const state = (await p())!;
    expect(state.reclaimed).toBeGreaterThanOrEqual(1);
    expect(Object.keys(state.holders)).toEqual([]);
  });

  it('a holder transferring its file whose release the pool never heard: its permit is reclaimed while it transfers', async () => {
    // A release sent as the workflow task completes (PermitSink) is lost if its worker dies at that
    // moment; the pool's reclaim check must free it without waiting for the holder to end.
    const poolName = `transferring-${scope}`;
    const holder = 'report/transferring/2025-10/acct_t0';
    // 1.5 MB at 100 KB/s: the transfer lasts about 15 s.
    emulator.configure({ processingMs: 300, bytesPerRun: 1_500_000, downloadBytesPerSecond: 100_000 });
    try {
      const cfg = config('transferring', { targets: accounts('t', 1), permits: { capacity: 2, pool: poolName } });
      const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast });
      const transferring = async () =>
        (await client.workflow.getHandle(holder).describe().catch(() => undefined))?.raw.pendingActivities?.some((a) => a.activityType?.name === 'transferReportFile') ?? false;
      await expect.poll(transferring, { timeout: 15_000 }).toBe(true);
      const poolHandle = client.workflow.getHandle(poolIdFor('sandbox', poolName));
      await expect.poll(async () => Object.keys((await poolHandle.query(poolStateQuery)).holders), { timeout: 5_000 }).toEqual([]);
      // The pool believes the holder still holds a permit (as if its release were lost).
      await poolHandle.signal(requestPermitSignal, { holderId: holder, capacity: 2 });
      await expect.poll(async () => Object.keys((await poolHandle.query(poolStateQuery)).holders), { timeout: 5_000 }).toEqual([holder]);
      // Reclaim checks every second here: freed within a few, the holder still transferring.
      await expect.poll(async () => Object.keys((await poolHandle.query(poolStateQuery)).holders), { timeout: 10_000 }).toEqual([]);
      expect((await poolHandle.query(poolStateQuery)).reclaimed).toBe(1);
      expect(await transferring()).toBe(true);
      emulator.configure({ downloadBytesPerSecond: undefined, bytesPerRun: undefined });
      const outcomes = await outcomesOf(await handle.result(), archiveDir);
      expect(outcomes.map((o) => o.status)).toEqual(['archived']);
    } finally {
      emulator.configure({ processingMs: 500, downloadBytesPerSecond: undefined, bytesPerRun: undefined });
    }
  });

  it('a worker SIGKILLed while permits are held: every target completes, the pool returns to 0, no extra ReportRun', async () => {
    const taskQueue = `sigkill-${Date.now()}`;
    const killScope = `sigkill-${scope}`;
    const startWorker = async () => (await startWorkerProcess({ taskQueue, stripeBase: emulator.url, archiveDir, env: { ORG_KEY } })).child;
    emulator.configure({ processingMs: 3000 });
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    // A pool of its own by name: `reports worker` scopes pools by key otherwise.
    const cfg = config('sigkill', { targets: accounts('k', 12), permits: { capacity: 4, pool: killScope } });
    let worker = await startWorker();
    const handle = await startReport(client, cfg, '2025-10', { taskQueue, timing: fast });
    // Wait until permits are held and runs are running at Stripe, then kill the worker outright.
    await expect.poll(async () => emulator.counters().running, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const held = Object.keys((await pool(killScope)).holders).length;
    expect(held).toBeGreaterThan(0);
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    await new Promise((r) => setTimeout(r, 2000));
    worker = await startWorker();
    try {
      const outcomes = await outcomesOf(await handle.result(), archiveDir);
      expect(outcomes.map((o) => o.status)).toEqual(Array(12).fill('archived'));
      expect(emulator.counters().runsCreated).toBe(12);
      const runIds = outcomes.map((o) => (o.status === 'archived' ? o.runId : ''));
      expect(peakOverlap(emulator, runIds)).toBeLessThanOrEqual(4);
      expect(peakOverlap(emulator, runIds)).toBeGreaterThanOrEqual(3); // and the pool did use its capacity
      const state = await pool(killScope);
      expect(Object.keys(state.holders)).toEqual([]);
      expect(state.waiters).toEqual([]);
      const stages = await Promise.all(
        ['acct_k0', 'acct_k11'].map((a) => client.workflow.getHandle(`report/sigkill/2025-10/${a}`).query(progressQuery).then((p) => p.stage)),
      );
      expect(stages).toEqual(['archived', 'archived']);
    } finally {
      worker.kill('SIGTERM');
      emulator.configure({ processingMs: 500 });
    }
  });
});
