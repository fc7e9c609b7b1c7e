/**
 * Firings of any size, on real parts: the firing runs its targets in batches (child workflows),
 * continues as new past a number of batches, keeps only counts and the first failures in its
 * history and result, and writes every target's outcome to `<config>/<period>/outcomes.json`.
 * Small batch sizes stand in for the production sizes (a pool's capacity, 200 batches per run).
 */
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, config, fast } from '../helpers/org-config.js';
import { FAILED_TARGETS_NAMED, type ReportWorkflowResult } from '../../src/domain/outcomes.js';
import type { Emulator } from '../../src/emulator/index.js';
import { readFiringProgress } from '../../src/temporal/firing-status.js';
import { startReport } from '../../src/temporal/start-report.js';
import { loadConfigFile } from '../../src/config/load.js';
import { INLINE_TARGETS_MAX_BYTES, storeTargetList } from '../../src/archive/target-list.js';
import { syncSchedules } from '../../src/schedules/sync.js';
import { periodOutcomeLines } from '../../src/cli/status-command.js';
import { scheduleIdFor } from '../../src/schedules/schedule-id.js';
import type { ReportWorkflowInput } from '../../src/workflows/types.js';
import { outcomesOf } from '../helpers/outcomes.js';
import { localActivityMarkers } from '../helpers/markers.js';
import proto from '@temporalio/proto';
import { startStack, type TestStack } from '../helpers/stack.js';
import type { TestTemporal } from '../helpers/temporal.js';

const ORG_KEY = 'sk_org_test_batches0key000';
let stack: TestStack;
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'batches', emulator: { processingMs: 300 }, keys: { ORG_KEY }, worker: { keyScopeFor: () => `batches-${Date.now()}` } });
  ({ emulator, temporal, client, archiveDir } = stack);
});

afterAll(async () => {
  await stack?.close();
});


/** Every run of a workflow id (continued as new), with its history length and largest event payload. */
async function runsOf(workflowId: string): Promise<Array<{ runId: string; events: number; status: string }>> {
  const runs = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push({ runId: wf.runId, events: wf.historyLength ?? 0, status: wf.status.name });
  return runs;
}

describe('firings in batches', () => {
  it('23 targets in batches of 5, 2 batches per run: every target archived once, the firing continues as new, outcomes in the archive', async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const cfg = config('batched', { targets: accounts('b', 23), permits: { capacity: 4 } });
    const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast, fanOut: { batchSize: 5, batchesPerRun: 2 } });
    const result: ReportWorkflowResult = await handle.result();

    // The result carries counts and the outcome file, never every target.
    expect(result.outcomes).toBeUndefined();
    expect(result).toMatchObject({ targets: 23, counts: { archived: 23, skipped: 0, failed: 0 }, failed: [], outcomesFile: 'batched/2025-10/outcomes.json' });
    const outcomes = await outcomesOf(result, archiveDir);
    expect(outcomes.map((o) => o.target)).toEqual(cfg.targets!.map((t) => ('account' in t ? t.account : '')));
    expect(new Set(outcomes.map((o) => (o.status === 'archived' ? o.runId : ''))).size).toBe(23);
    expect(emulator.counters().runsCreated).toBe(23);
    const files = readdirSync(path.join(archiveDir, 'batched', '2025-10'));
    expect(files.filter((f) => f.endsWith('.csv'))).toHaveLength(23);
    expect(files).toContain('outcomes.json');

    // 5 batches, 2 per run: three runs of the firing, each with a short history; five batch workflows.
    const runs = await runsOf(handle.workflowId);
    expect(runs).toHaveLength(3);
    expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW')).toHaveLength(2);
    for (const r of runs) expect(r.events).toBeLessThan(80);
    for (let b = 0; b < 5; b++) expect((await client.workflow.getHandle(`${handle.workflowId}/batch-${b}`).describe()).status.name).toBe('COMPLETED');
    expect(existsSync(path.join(archiveDir, '.firings', 'batched', '2025-10'))).toBe(true);

    // Again: every target is found archived, batch by batch, and nothing is created.
    const again = await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast, fanOut: { batchSize: 5, batchesPerRun: 2 } })).result();
    expect(again.counts).toEqual({ archived: 0, skipped: 23, failed: 0 });
    expect((await outcomesOf(again, archiveDir)).every((o) => o.status === 'skipped' && o.reason.startsWith('already archived'))).toBe(true);
    expect(emulator.counters().runsCreated).toBe(23);
  });

  it('the first wave\'s batches ask for their permits before the other batches start, so the first wave\'s permits go to them alone', async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    // Capacity 4 in batches of 2: 5 batches in flight, the first 2 of them a capacity (the first wave).
    const cfg = config('head-start', { targets: accounts('h', 12), permits: { capacity: 4 } });
    const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast, fanOut: { batchSize: 2 } });
    expect((await handle.result()).counts).toEqual({ archived: 12, skipped: 0, failed: 0 });

    const T = proto.temporal.api.enums.v1.EventType;
    const ms = (ev: proto.temporal.api.history.v1.IHistoryEvent) => Number(ev.eventTime?.seconds ?? 0) * 1000 + Math.floor((ev.eventTime?.nanos ?? 0) / 1e6);
    const firing = (await handle.fetchHistory()).events ?? [];
    const batchStarted = (b: number) => ms(firing.find((ev) => ev.eventType === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED && ev.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId === `${handle.workflowId}/batch-${b}`)!);
    const asked = async (target: string) => ms(localActivityMarkers((await client.workflow.getHandle(`${handle.workflowId}/${target}`).fetchHistory()).events ?? [], 'requestPermit')[0]!);
    const firstWaveAsked = Math.max(...(await Promise.all(['acct_h0', 'acct_h1', 'acct_h2', 'acct_h3'].map(asked))));
    for (const b of [2, 3, 4]) expect(batchStarted(b)).toBeGreaterThanOrEqual(firstWaveAsked);
    expect(batchStarted(1) - batchStarted(0)).toBeLessThan(1000);
  });

  it('failed targets beyond those the result names are all in the outcome file, and the failure message points there', async () => {
    const bad = accounts('deny', FAILED_TARGETS_NAMED + 5);
    emulator.setFaults({ inaccessibleAccounts: bad.map((b) => b.account) });
    try {
      const cfg = config('batched-bad', { targets: [...accounts('ok', 3), ...bad], max_failed_targets: 0 });
      const err = await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast, fanOut: { batchSize: 7 } })).result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as Error & { details?: unknown[] };
      expect(cause.message).toContain(`${bad.length} of ${bad.length + 3} targets failed (more than 0 allowed)`);
      expect(cause.message).toContain('… and 5 more in batched-bad/2025-10/outcomes.json');
      const result = cause.details?.[0] as ReportWorkflowResult;
      expect(result.counts).toEqual({ archived: 3, skipped: 0, failed: bad.length });
      expect(result.failed).toHaveLength(FAILED_TARGETS_NAMED);
      const outcomes = await outcomesOf(result, archiveDir);
      const failed = outcomes.filter((o) => o.status === 'failed');
      expect(failed.map((o) => o.target).sort()).toEqual(bad.map((b) => b.account).sort());
      for (const o of failed) expect(o.status === 'failed' && o.reason).toMatch(/403.*report_inaccessible/);
      // `reports status <config> --period P` reads the same file: counts, then every failed target with its reason.
      const lines = (await periodOutcomeLines(stack.archiveFor(cfg.archive), 'batched-bad', '2025-10')).join('\n');
      expect(lines).toContain(`batched-bad 2025-10: ${bad.length + 3} targets, 3 archived, 0 skipped, ${bad.length} failed`);
      for (const b of bad) expect(lines).toMatch(new RegExp(`${b.account}\\s+.*report_inaccessible`));
      expect(lines).toContain('every target: batched-bad/2025-10/outcomes.json');
    } finally {
      emulator.setFaults({});
    }
  });

  it('progress of a firing in batches adds up its batches: every target counted once while it runs', async () => {
    emulator.configure({ processingMs: 2000 });
    try {
      const cfg = config('batched-progress', { targets: accounts('p', 12), permits: { capacity: 3 } });
      const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast, fanOut: { batchSize: 4 } });
      let sawBatches = false;
      await expect
        .poll(
          async () => {
            const p = await readFiringProgress(client, handle.workflowId).catch(() => undefined);
            if (!p || p.phase === 'starting') return false;
            expect(p.pending + p.inFlight.length + p.archived + p.skipped + p.failed).toBe(12);
            if (p.inFlight.length > 0) sawBatches = true;
            return p.archived === 12;
          },
          { timeout: 60_000, interval: 300 },
        )
        .toBe(true);
      expect(sawBatches).toBe(true);
      await handle.result();
    } finally {
      emulator.configure({ processingMs: 300 });
    }
  });

  it('targets_from with 100,000 accounts: the list goes to the archive once, the schedule carries only its reference', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'many-targets-'));
    const ids = Array.from({ length: 100_000 }, (_, i) => `acct_1Many${String(i).padStart(11, '0')}`);
    writeFileSync(path.join(dir, 'accounts.txt'), `# every connected account\n${ids.join('\n')}\n`);
    const id = `many-${Date.now().toString(36)}`;
    writeFileSync(
      path.join(dir, `${id}.yaml`),
      `report: balance.summary.1\nmode: sandbox\nkey_env: ORG_KEY\nschedule:\n  cron: "0 6 2 * *"\ntargets_from:\n  file: accounts.txt\n  as: connected_account\n  platform: acct_1Platform000000\n`,
    );
    const loaded = loadConfigFile(path.join(dir, `${id}.yaml`));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.targets).toHaveLength(100_000);
    expect(JSON.stringify(loaded.config.targets).length).toBeGreaterThan(2 * 1024 * 1024); // more than Temporal takes in one payload

    const scope = `many-${Date.now()}`;
    const report = await syncSchedules(client, [loaded], { taskQueue: temporal.taskQueue, scope, archiveFor: stack.archiveFor });
    expect(report.failed).toEqual([]);
    const schedule = client.schedule.getHandle(scheduleIdFor(id));
    try {
      const action = (await schedule.describe()).action as { args?: ReportWorkflowInput[] };
      const input = action.args![0]!;
      expect(input.config.targets).toBeUndefined();
      expect(input.targetList).toMatchObject({ count: 100_000, key: expect.stringMatching(new RegExp(`^\\.targets/${id}/[0-9a-f]{64}\\.json$`)) });
      expect(JSON.stringify(input).length).toBeLessThan(INLINE_TARGETS_MAX_BYTES);
      const body = readFileSync(path.join(archiveDir, input.targetList!.key), 'utf8');
      expect(createHash('sha256').update(body).digest('hex')).toBe(input.targetList!.sha256);
      expect(JSON.parse(body)).toHaveLength(100_000);
      expect(JSON.parse(body)[99_999]).toEqual({ connected_account: ids[99_999], platform: 'acct_1Platform000000' });
      // Synced again unchanged: the same list, not written again.
      await syncSchedules(client, [loaded], { taskQueue: temporal.taskQueue, scope, archiveFor: stack.archiveFor });
      expect(readdirSync(path.join(archiveDir, '.targets', id))).toEqual([`${input.targetList!.sha256}.json`]);
    } finally {
      await schedule.delete();
    }
  });

  it('a firing whose targets are a list in the archive: each batch reads its slice, every target archived once', async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const cfg = config('listed', { targets: accounts('l', 12) });
    const placed = await storeTargetList(stack.archiveFor(cfg.archive), cfg);
    expect(placed.config.targets).toBeUndefined();
    const handle = await client.workflow.start('reportWorkflow', {
      taskQueue: temporal.taskQueue,
      workflowId: `report/listed/2025-10`,
      args: [{ ...placed, period: '2025-10', timing: fast, fanOut: { batchSize: 5 } } satisfies ReportWorkflowInput],
    });
    const result: ReportWorkflowResult = await handle.result();
    expect(result).toMatchObject({ targets: 12, counts: { archived: 12, skipped: 0, failed: 0 } });
    expect((await outcomesOf(result, archiveDir)).map((o) => o.target)).toEqual(accounts('l', 12).map((a) => a.account));
    expect(emulator.counters().runsCreated).toBe(12);
  });
});
