/**
 * Webhooks end to end: the emulator pushes signed events to a real relay, which signals the run's
 * mailbox, which wakes the waiting reportRunWorkflow. Polling is set to a minute so that a run
 * finishing in seconds can only be explained by the event; and with events dropped or duplicated,
 * polling still finishes every run exactly once.
 */
import { localActivityMarkers } from '../helpers/markers.js';
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { Emulator } from '../../src/emulator/index.js';
import { createLineLogger } from '../../src/observability/logger.js';
import { startReport } from '../../src/temporal/start-report.js';
import { startRelay, type Relay } from '../../src/webhook/index.js';
import { runEventsWorkflowId } from '../../src/domain/business-key.js';
import type { PollTiming } from '../../src/workflows/timing.js';
import { withOutcomes, type ResultWithOutcomes } from '../helpers/outcomes.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const KEY = 'sk_test_hooks0key0000abcd';
const ORG_KEY = 'sk_org_test_hooks0key0000';
const SECRET = `whsec_e2e_${randomBytes(8).toString('hex')}`;
/** Polling alone would take a minute: anything much faster was the webhook. */
const SLOW: Partial<PollTiming> = { initialMs: 60_000, maxMs: 60_000, subscribedInitialMs: 60_000, subscribedMaxMs: 60_000 };
const FAST: Partial<PollTiming> = { initialMs: 200, maxMs: 500, subscribedInitialMs: 200, subscribedMaxMs: 500 };

let relay: Relay;
const relayLines: string[] = [];
let stack: TestStack;
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'hooks', emulator: { processingMs: 500 }, keys: { KEY, ORG_KEY }, worker: { webhooks: true } });
  ({ emulator, temporal, client, archiveDir } = stack);
  relay = await startRelay({ client, taskQueue: temporal.taskQueue, port: 0, secrets: [SECRET], logger: createLineLogger('relay', (l) => relayLines.push(l)) });
  emulator.configure({ webhookUrl: relay.url, webhookSecret: SECRET });
});

afterAll(async () => {
  await relay?.close();
  await stack?.close();
});

beforeEach(() => {
  emulator.setFaults({});
  emulator.configure({ processingMs: 500 });
});

let seq = 0;
function config(fields: Record<string, unknown> = {}): ReportConfig {
  return ReportConfigSchema.parse({ id: `hooks-${Date.now().toString(36)}-${++seq}`, report: 'balance.summary.1', mode: 'sandbox', key_env: 'KEY', ...fields });
}

async function run(cfg: ReportConfig, timing: Partial<PollTiming>, period = '2025-10'): Promise<{ result: ResultWithOutcomes; ms: number }> {
  const started = Date.now();
  const result = await (await startReport(client, cfg, period, { taskQueue: temporal.taskQueue, timing })).result();
  const ms = Date.now() - started;
  return { result: await withOutcomes(result, archiveDir), ms };
}

async function runHistory(cfg: ReportConfig, target: string, period: string) {
  return (await client.workflow.getHandle(`report/${cfg.id}/${period}/${target}`).fetchHistory()).events ?? [];
}

/** reportRunEvent signals the waiting workflow received (after the mailbox's dedupe). */
async function wakeSignals(cfg: ReportConfig, target = 'self', period = '2025-10'): Promise<number> {
  return (await runHistory(cfg, target, period)).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reportRunEvent').length;
}

/** Status checks the run's workflow made (local activities, one marker each). */
async function statusChecks(cfg: ReportConfig, target = 'self', period = '2025-10'): Promise<number> {
  return localActivityMarkers(await runHistory(cfg, target, period), 'checkReportRun').length;
}

describe('a webhook cuts the wait short', () => {
  it.each([
    ['v2', {}, undefined],
    ['v1', { api: 'v1', report: 'balance_change_from_activity.itemized.3', period: 'day' }, undefined],
    ['Data API report run', { api: 'data', report: 'balance.summary' }, 'v2.data.report_run.succeeded'],
    ['Data API query run', { api: 'data', report: undefined, query: { sql: 'SELECT currency, sum(net) AS net FROM balance_transactions WHERE created >= {{interval_start}} AND created < {{interval_end}} GROUP BY currency' } }, 'v2.data.query_run.succeeded'],
  ])('%s: archived within seconds of the run finishing, though polling waits a minute', async (_api, fields, event) => {
    const cfg = config(fields);
    const routed = relay.stats().routed;
    const { result, ms } = await run(cfg, SLOW, 'period' in fields ? '2025-10-14' : '2025-10');
    expect(result.outcomes[0]?.status).toBe('archived');
    expect(ms).toBeLessThan(10_000);
    expect(relay.stats().routed).toBeGreaterThan(routed);
    expect(await wakeSignals(cfg, 'self', 'period' in fields ? '2025-10-14' : '2025-10')).toBe(1);
    // No status check at all: Stripe's answer to the create said running, and the signed
    // `succeeded` event naming the run goes straight to the transfer (which reads the run itself).
    expect(await statusChecks(cfg, 'self', 'period' in fields ? '2025-10-14' : '2025-10')).toBe(0);
    const outcome = result.outcomes[0];
    if (event && outcome?.status === 'archived') {
      expect(relayLines.find((l) => l.includes(outcome.runId) && l.includes('routed'))).toContain(event);
    }
  });

  it('a failed run fails its target within seconds too', async () => {
    emulator.setFaults({ failReports: ['balance_change_from_activity.summary.1'] });
    const cfg = config({ report: 'balance_change_from_activity.summary.1' });
    const started = Date.now();
    const err = await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: SLOW })).result().catch((e: unknown) => e as Error);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(String((err as { cause?: Error }).cause?.message ?? (err as Error).message)).toMatch(/failed at Stripe/);
  });

  it('a Data API query run Stripe fails (v2.data.query_run.failed) fails its target within seconds', async () => {
    const cfg = config({ api: 'data', report: undefined, query: { sql: 'SELECT FROM WHERE' } });
    const routed = relay.stats().routed;
    const started = Date.now();
    const err = await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: SLOW })).result().catch((e: unknown) => e as Error);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(String((err as { cause?: Error }).cause?.message ?? (err as Error).message)).toMatch(/failed at Stripe: query_run_invalid_sql/);
    expect(relay.stats().routed).toBeGreaterThan(routed);
  });

  it('duplicated events make no status check', async () => {
    emulator.setFaults({ duplicateWebhookRate: 1 });
    const cfg = config();
    const routed = relay.stats().routed;
    const { result, ms } = await run(cfg, SLOW);
    expect(result.outcomes[0]?.status).toBe('archived');
    expect(ms).toBeLessThan(10_000);
    // The second copy may land after the run is archived; wait for it before counting.
    await until(() => relay.stats().routed >= routed + 2);
    // Each copy may reach the workflow (straight from the relay). It never checks the run: the
    // create's answer said running, and the first `succeeded` copy takes it to the transfer,
    // however many copies came.
    expect(await wakeSignals(cfg)).toBeGreaterThanOrEqual(1);
    expect(await statusChecks(cfg)).toBe(0);
  });

  it('early event: the event reaches the mailbox before the workflow subscribes, and the run completes within seconds', async () => {
    // Finished 1 ms after creation, and the create's answer 500 ms on its way back: the event is
    // pushed while createReportRun is still returning, whoever is faster on this machine.
    emulator.configure({ processingMs: 1 });
    emulator.setFaults({ postAnswerDelayMs: 500 });
    const cfg = config();
    const { result, ms } = await run(cfg, SLOW);
    const outcome = result.outcomes[0];
    expect(outcome?.status).toBe('archived');
    expect(ms).toBeLessThan(10_000);
    if (outcome?.status !== 'archived') return;
    // The relay created the mailbox (its event came first) and the subscription found it there.
    const history = await client.workflow.getHandle(runEventsWorkflowId(outcome.runId)).fetchHistory();
    const signals = (history.events ?? []).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    expect(signals.slice(0, 2)).toEqual(['stripeEvent', 'subscribe']);
    // It handed the event over and closed, naming the subscriber for any later event.
    const mailbox = client.workflow.getHandle(runEventsWorkflowId(outcome.runId));
    expect(await mailbox.result()).toEqual({ delivered: 1, dropped: 0 });
    expect((await mailbox.describe()).memo?.subscriber).toEqual(expect.stringContaining(cfg.id));
  });

  it('late event: pushed 1.5 s after the run finished, it still wakes the waiting workflow', async () => {
    // Long enough that the first poll surely sees the run still running.
    emulator.configure({ processingMs: 1_500 });
    emulator.setFaults({ webhookDelayMs: 1_500 });
    const cfg = config();
    const routed = relay.stats().routed;
    const { result, ms } = await run(cfg, SLOW);
    expect(result.outcomes[0]?.status).toBe('archived');
    expect(ms).toBeGreaterThan(3_000);
    expect(ms).toBeLessThan(12_000);
    expect(relay.stats().routed).toBe(routed + 1);
    expect(await wakeSignals(cfg)).toBe(1);
  });
});

describe('polling is the safety net', () => {
  it('every webhook dropped: runs still complete by polling', async () => {
    emulator.setFaults({ dropWebhookRate: 1 });
    const dropped = emulator.counters().webhooksDropped;
    const cfg = config({ targets: [{ account: 'acct_drop1' }, { account: 'acct_drop2' }], key_env: 'ORG_KEY' });
    const { result } = await run(cfg, FAST);
    expect(result.outcomes.map((o) => o.status)).toEqual(['archived', 'archived']);
    expect(emulator.counters().webhooksDropped).toBe(dropped + 2);
    for (const o of result.outcomes) if (o.status === 'archived') expect(relayLines.join('\n')).not.toContain(o.runId);
  });

  it('subscribed, polling waits subscribedInitialMs, not initialMs: a lost event costs one late check, not one every 200 ms', async () => {
    emulator.setFaults({ dropWebhookRate: 1 });
    const cfg = config();
    const { result, ms } = await run(cfg, { initialMs: 200, maxMs: 200, subscribedInitialMs: 2_500, subscribedMaxMs: 2_500 });
    expect(result.outcomes[0]?.status).toBe('archived');
    expect(ms).toBeGreaterThan(2_500);
    // The create's answer said running (it takes 500 ms); then one check, at 2.5 s.
    expect(await statusChecks(cfg)).toBe(1);
  });

  it('100 runs with 30% of events dropped and 30% duplicated: all archived, each exactly once', async () => {
    emulator.setFaults({ dropWebhookRate: 0.3, duplicateWebhookRate: 0.3 });
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const targets = Array.from({ length: 100 }, (_, i) => ({ account: `acct_hook${i}` }));
    const cfg = config({ targets, key_env: 'ORG_KEY' });
    const { result } = await run(cfg, { initialMs: 3_000, maxMs: 3_000, subscribedInitialMs: 3_000, subscribedMaxMs: 3_000 });
    expect(result.outcomes.filter((o) => o.status === 'archived')).toHaveLength(100);
    const files = readdirSync(path.join(archiveDir, cfg.id, '2025-10'));
    expect(files.filter((f) => f.endsWith('.csv'))).toHaveLength(100);
    expect(files.filter((f) => f.endsWith('.manifest.json'))).toHaveLength(100);
    // And the period's finance summary and outcome file, nothing else.
    expect(files.filter((f) => !/^(summary\.(json|md)|outcomes\.json)$/.test(f))).toHaveLength(200);
    expect(files).toContain('outcomes.json');
    const c = emulator.counters();
    expect(c.runsCreated).toBe(100);
    expect(c.webhooksDropped).toBeGreaterThan(0);
    expect(c.webhooksSent).toBeGreaterThan(0);
  }, 300_000);
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
