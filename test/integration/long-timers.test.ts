/**
 * Long timers on the real server, shortened: what happens when each fires. The data-availability
 * deadline, the run deadline, a run mailbox's orphan and idle timeouts, the permit pool's
 * continue-as-new and its periodic reclaim of dead holders. Production waits hours or days for
 * most of these; here each is a second or so, set through the same arguments production passes.
 */
import { patchMarkers } from '../helpers/markers.js';
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type SignalDefinition } from '@temporalio/common';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFiringOutcomes } from '../../src/archive/firing-outcomes.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import { runEventsWorkflowId } from '../../src/domain/business-key.js';
import type { Emulator } from '../../src/emulator/index.js';
import { dataDeadlinesPassed } from '../../src/observability/metrics.js';
import { startReport } from '../../src/temporal/start-report.js';
import { CLOSES_ONCE_SUBSCRIBED, poolStateQuery, progressQuery, stripeEventSignal, subscribeSignal, type PermitPoolState } from '../../src/workflows/messages.js';
import { poolIdFor } from '../../src/workflows/permit-state.js';
import type { runEventsWorkflow, RunEventsOptions } from '../../src/workflows/run-events.js';
import type { PollTiming } from '../../src/workflows/timing.js';
import { withOutcomes } from '../helpers/outcomes.js';
import { peakOverlap } from '../helpers/run-overlap.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const scope = `timers-${Date.now()}`;
let stack: TestStack;
let emulator: Emulator;
let client: Client;

beforeAll(async () => {
  stack = await startStack({
    name: 'long-timers',
    emulator: { processingMs: 300 },
    keys: { ORG_KEY: 'sk_org_test_timers0key0000' },
    // Webhooks on: each run subscribes to its mailbox (the run deadline must close it). Every pool
    // this worker starts checks its holders every 500 ms and continues as new past 100 events.
    worker: { keyScopeFor: () => scope, webhooks: true, poolOptions: { reclaimEveryMs: 500, maxEvents: 100 } },
  });
  ({ emulator, client } = stack);
});

afterAll(async () => {
  await stack?.close();
});

const fast = { initialMs: 200, maxMs: 500, subscribedInitialMs: 200, subscribedMaxMs: 500, dataFirstRecheckMs: 300 };
const accounts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ account: `acct_${prefix}${i}` }));

function config(id: string, fields: Record<string, unknown>): ReportConfig {
  return ReportConfigSchema.parse({ id, report: 'balance.summary.1', mode: 'sandbox', key_env: 'ORG_KEY', ...fields });
}

/** One firing of a configuration for 2025-10 on this file's worker. */
const fire = (cfg: ReportConfig, timing: Partial<PollTiming> = fast) => startReport(client, cfg, '2025-10', { taskQueue: stack.temporal.taskQueue, timing });

/** How a workflow failed, as its caller sees it (the failure it was given, not a stack on the console). */
async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const poolHandle = (name: string) => client.workflow.getHandle(poolIdFor('sandbox', name));
const poolState = (name: string) => poolHandle(name).query(poolStateQuery);

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** The durations (ms) of the timers that fired in this history, in order. */
function firedTimers(events: HistoryEvents): number[] {
  const started = new Map(events.filter((e) => e.timerStartedEventAttributes).map((e) => [e.timerStartedEventAttributes!.timerId, e.timerStartedEventAttributes!]));
  return events
    .filter((e) => e.timerFiredEventAttributes)
    .map((e) => {
      const d = started.get(e.timerFiredEventAttributes!.timerId)!.startToFireTimeout!;
      return Number(String(d.seconds ?? 0)) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
    });
}

/** Every run of a workflow id's continue-as-new chain, oldest first, with its history. */
async function executionChain(workflowId: string): Promise<{ runId: string; events: HistoryEvents }[]> {
  const chain: { runId: string; events: HistoryEvents }[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const events: HistoryEvents = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    chain.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return chain;
}

/** The pool state a run handed to its successor when it continued as new (none if it did not). */
function carriedState(events: HistoryEvents): PermitPoolState | undefined {
  const payload = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0];
  return payload ? client.options.loadedDataConverter.payloadConverter.fromPayload<PermitPoolState>(payload) : undefined;
}

describe('the data-availability deadline', () => {
  // test/integration/periods.test.ts covers the wait itself and the message of the firing's failure
  // ('gives up at the deadline with a clear message'); this covers what that one does not look at.
  it('fires: the target fails as DataNotAvailable naming the period, before any ReportRun or permit', async () => {
    emulator.advanceAvailability(new Date('2025-10-15T00:00:00Z'));
    try {
      const pool = `data-${scope}`;
      const cfg = config('data-deadline', { targets: accounts('d', 1), wait_for_data: { deadline: '1s', recheck: '1s' }, permits: { pool } });
      const before = emulator.counters().runsCreated;
      const passed = async () => (await dataDeadlinesPassed.get()).values.find((v) => v.labels.configuration === 'data-deadline')?.value ?? 0;
      const passedBefore = await passed();
      const firing = await fire(cfg);
      const target = client.workflow.getHandle('report/data-deadline/2025-10/acct_d0');

      expect((await failureOf(firing)).type).toBe('TargetsFailed');
      const failure = await failureOf(target);
      expect(failure.type).toBe('DataNotAvailable');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('before the end of period 2025-10');
      expect((await target.query(progressQuery)).stage).toBe('failed');
      // It never got as far as asking for a permit or creating a run.
      expect(emulator.counters().runsCreated).toBe(before);
      await expect(poolHandle(pool).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect(await passed()).toBe(passedBefore + 1);
    } finally {
      emulator.advanceAvailability(new Date());
    }
  });
});

describe('the run deadline', () => {
  it('fires while Stripe still runs the ReportRun: ReportRunTimeout naming the run, permit released, mailbox closed, nothing archived', async () => {
    const pool = `deadline-${scope}`;
    const cfg = config('run-deadline', { targets: accounts('l', 1), permits: { capacity: 1, pool } });
    const runsBefore = emulator.listRuns().length;
    const downloadsBefore = emulator.counters().downloads;
    emulator.configure({ processingMs: 10 * 60_000 });
    try {
      const firing = await fire(cfg, { ...fast, deadlineMs: 1500 });
      const target = client.workflow.getHandle('report/run-deadline/2025-10/acct_l0');
      const firingFailure = await failureOf(firing);
      const runs = emulator.listRuns().slice(runsBefore);
      expect(runs).toHaveLength(1);
      const run = runs[0]!;
      expect(firingFailure.message).toContain(`acct_l0: ReportRun ${run.id} still running`);
      const failure = await failureOf(target);
      expect(failure.type).toBe('ReportRunTimeout');
      expect(failure.message).toContain(run.id);
      expect(run.status).toBe('running'); // Stripe was still at it: the deadline, not Stripe, ended it

      const state = await poolState(pool);
      expect(state.grants).toBe(1);
      expect(state.holders).toEqual({});
      expect(state.waiters).toEqual([]);

      // The run's mailbox is closed (it would otherwise wait 48 h): it closes by itself once
      // subscribed, and the run sends no unsubscribe (runs started by 0.2.0 did, and since the
      // patch await-unsubscribe-on-failure waited for it when failing).
      const targetEvents = (await target.fetchHistory()).events!;
      expect(patchMarkers(targetEvents, 'short-calls-as-local-activities')).toHaveLength(1);
      expect(targetEvents.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'unsubscribe')).toHaveLength(0);
      const mailbox = client.workflow.getHandle<typeof runEventsWorkflow>(runEventsWorkflowId(run.id));
      await expect.poll(async () => (await mailbox.describe()).status.name, { timeout: 10_000 }).toBe('COMPLETED');
      expect(await mailbox.result()).toEqual({ delivered: 0, dropped: 0 });

      // Nothing archived: only the period's outcome file, saying why.
      expect(readdirSync(path.join(stack.archiveDir, 'run-deadline'), { recursive: true }).sort()).toEqual(['2025-10', path.join('2025-10', 'outcomes.json')]);
      expect((await loadFiringOutcomes(new FilesystemArchive(stack.archiveDir), 'run-deadline', '2025-10'))?.outcomes).toEqual([
        expect.objectContaining({ target: 'acct_l0', status: 'failed', reason: expect.stringContaining(`ReportRun ${run.id} still running`) }),
      ]);
      expect(emulator.counters().downloads).toBe(downloadsBefore);
    } finally {
      emulator.configure({ processingMs: 300 });
    }
  });
});

describe('a run mailbox’s timeouts', () => {
  /** A mailbox started as the relay or a subscriber starts one, with shortened timeouts. */
  const mailbox = <A>(name: string, options: RunEventsOptions, signal: SignalDefinition<[A]>, arg: A) => {
    const runId = `reprun_${name}_${scope}`;
    return client.workflow.signalWithStart<typeof runEventsWorkflow, [A]>('runEventsWorkflow', {
      workflowId: runEventsWorkflowId(runId),
      taskQueue: stack.temporal.taskQueue,
      args: [runId, options],
      signal,
      signalArgs: [arg],
      memo: CLOSES_ONCE_SUBSCRIBED,
    });
  };

  it('an event nobody subscribes to is dropped when orphanAfterMs passes', async () => {
    const event = { eventId: `evt_orphan_${scope}`, type: 'v2.reporting.report_run.succeeded', receivedAt: Date.now() };
    const handle = await mailbox('orphan', { orphanAfterMs: 1000, idleAfterMs: 10 * 60_000 }, stripeEventSignal, event);
    expect(await handle.result()).toEqual({ delivered: 0, dropped: 1 });
    const events = (await handle.fetchHistory()).events ?? [];
    expect(firedTimers(events)).toEqual([1000]); // the orphan timeout fired, nothing else
    expect(events.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toBe(false);
  });

  it('a subscribed mailbox closes at once: no timeout runs, and its memo names the subscriber', async () => {
    // Started by 0.2.0 (no CLOSES_ONCE_SUBSCRIBED memo), it waited idleAfterMs for an unsubscribe
    // (the 0.2.0 replay histories keep that path); now a subscription is only a record.
    const subscriber = `report/nobody/2025-10/${scope}`;
    const handle = await mailbox('idle', { orphanAfterMs: 10 * 60_000, idleAfterMs: 10 * 60_000 }, subscribeSignal, { workflowId: subscriber });
    expect(await handle.result()).toEqual({ delivered: 0, dropped: 0 });
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(false);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect((await handle.describe()).memo?.subscriber).toBe(subscriber);
  });
});

describe('the permit pool’s long life', () => {
  it('continues as new while permits are held and waited for: every target archives once, under the capacity, and the pool ends empty', async () => {
    const pool = `chain-${scope}`;
    const targets = 30;
    const capacity = 3;
    const cfg = config('pool-chain', { targets: accounts('c', targets), permits: { capacity, pool } });
    const before = emulator.counters().runsCreated;
    const result = await withOutcomes(await (await fire(cfg)).result(), stack.archiveDir);
    expect(result.outcomes.map((o) => o.status)).toEqual(Array(targets).fill('archived'));
    expect(emulator.counters().runsCreated - before).toBe(targets);
    const runIds = result.outcomes.map((o) => (o.status === 'archived' ? o.runId : ''));
    expect(new Set(runIds).size).toBe(targets);
    expect(peakOverlap(emulator, runIds)).toBeLessThanOrEqual(capacity);

    // The pool's chain: at least two runs handed permits still held to their successor, one of them
    // with holders still waiting too, and none more permits than the capacity.
    const chain = await executionChain(poolIdFor('sandbox', pool));
    const handedOver = chain.map((r) => carriedState(r.events)).filter((s): s is PermitPoolState => s !== undefined);
    const busy = handedOver.filter((s) => Object.keys(s.holders).length > 0);
    expect(busy.length).toBeGreaterThanOrEqual(2);
    expect(busy.some((s) => s.waiters.length > 0)).toBe(true);
    for (const s of handedOver) expect(Object.keys(s.holders).length).toBeLessThanOrEqual(capacity);

    // Its counts went on across the chain, and nothing was held, waited for or reclaimed at the end.
    const state = await poolState(pool);
    expect(state.grants).toBe(targets);
    expect(state.reclaimed).toBe(0);
    expect(state.holders).toEqual({});
    expect(state.waiters).toEqual([]);
  });

  it('reclaims the permit of a holder terminated while holding it, granted by an earlier run of the pool', async () => {
    // test/integration/fan-out.test.ts reclaims within one run of the pool; here the permit was
    // granted before the pool continued as new, so only the carried state knows the holder.
    const pool = `reclaim-${scope}`;
    const cfg = config('pool-reclaim', { targets: accounts('r', 2), permits: { capacity: 1, pool } });
    const before = emulator.counters().runsCreated;
    emulator.configure({ processingMs: 10 * 60_000 });
    let firing: Awaited<ReturnType<typeof fire>>;
    let holder: string;
    try {
      firing = await fire(cfg);
      await expect.poll(async () => Object.keys((await poolState(pool).catch(() => undefined))?.holders ?? {}).length, { timeout: 15_000 }).toBe(1);
      const grantedIn = (await poolHandle(pool).describe()).runId;
      holder = Object.keys((await poolState(pool)).holders)[0]!;
      // The pool's own reclaim checks fill its history: it continues as new, the holder still holding.
      await expect.poll(async () => (await poolHandle(pool).describe()).runId, { timeout: 30_000 }).not.toBe(grantedIn);
    } finally {
      emulator.configure({ processingMs: 300 });
    }
    const other = holder.endsWith('acct_r0') ? 'acct_r1' : 'acct_r0';
    const held = await poolState(pool);
    expect(Object.keys(held.holders)).toEqual([holder]);
    expect(held.waiters).toEqual([`report/pool-reclaim/2025-10/${other}`]);

    await client.workflow.getHandle(holder).terminate('test: a holder dies holding its permit');
    const result = await withOutcomes(await firing.result(), stack.archiveDir);
    expect(result.outcomes.find((o) => o.target === other)?.status).toBe('archived');
    expect(result.outcomes.find((o) => o.target !== other)?.status).toBe('failed');
    expect(emulator.counters().runsCreated - before).toBe(2); // the dead holder's run is not made again
    const state = await poolState(pool);
    expect(state.reclaimed).toBe(held.reclaimed + 1);
    expect(state.grants).toBe(2);
    expect(state.holders).toEqual({});
    expect(state.waiters).toEqual([]);
  });
});
