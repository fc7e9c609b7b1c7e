/**
 * Periods on real parts: backfills archive one file per period and never run an archived period
 * twice; a period whose data Stripe has not processed yet waits, durably, and completes once the
 * data is there.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodsBetween } from '../../src/config/period.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { Emulator } from '../../src/emulator/index.js';
import { backfill, type BackfillProgress } from '../../src/temporal/backfill.js';
import { startReport } from '../../src/temporal/start-report.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { outcomesOf, withOutcomes } from '../helpers/outcomes.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'periods', emulator: { processingMs: 200 }, keys: { KEY: 'sk_test_periods0key0000' } });
  ({ emulator, temporal, client, archiveDir } = stack);
});

afterAll(async () => {
  await stack?.close();
});

function config(id: string, fields: Record<string, unknown> = {}): ReportConfig {
  return ReportConfigSchema.parse({ id, report: 'balance.summary.1', mode: 'sandbox', key_env: 'KEY', schedule: { timezone: 'America/New_York' }, ...fields });
}

const fast = { initialMs: 200, maxMs: 1000, dataFirstRecheckMs: 300 };

describe('backfill', () => {
  it('12 months archive 12 periods; running it again creates no new ReportRun', async () => {
    const cfg = config('backfill-12');
    const periods = periodsBetween('2024-11', '2025-10', 'America/New_York');
    expect(periods.map((p) => p.name)).toEqual([
      '2024-11', '2024-12', '2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10',
    ]);
    const seen: BackfillProgress[] = [];
    const before = emulator.counters().runsCreated;
    const first = await backfill(client, cfg, periods, { taskQueue: temporal.taskQueue, timing: fast, onProgress: (p) => seen.push(p) });
    expect(first.map((p) => p.state)).toEqual(Array(12).fill('done'));
    expect(emulator.counters().runsCreated).toBe(before + 12);
    for (const p of periods) expect(existsSync(path.join(archiveDir, 'backfill-12', p.name, 'self.csv'))).toBe(true);
    // Progress said what was running, done and failed along the way, and ended with all done.
    expect(seen.some((p) => p.state === 'running')).toBe(true);
    expect(seen.at(-1)?.totals).toEqual({ queued: 0, running: 0, done: 12, failed: 0 });

    const again = await backfill(client, cfg, periods, { taskQueue: temporal.taskQueue, timing: fast });
    const outcomes = await Promise.all(again.map((p) => (p.result ? outcomesOf(p.result, archiveDir) : undefined)));
    expect(outcomes.flatMap((o) => o?.map((x) => x.status))).toEqual(Array(12).fill('skipped'));
    expect(emulator.counters().runsCreated).toBe(before + 12);
  });

  it('refuses --from after --to and mixed units, by name', () => {
    expect(() => periodsBetween('2025-10', '2025-01', 'UTC')).toThrow('--from 2025-10 is after --to 2025-01');
    expect(() => periodsBetween('2025-10', '2025-Q4', 'UTC')).toThrow('name both the same way');
  });
});

describe('data availability', () => {
  it('a period whose data is not available yet waits, then completes once Stripe has it', async () => {
    emulator.advanceAvailability(new Date('2025-10-15T00:00:00Z'));
    try {
      const cfg = config('waits-for-data', { wait_for_data: { deadline: '10m', recheck: '1s' } });
      const before = emulator.counters().runsCreated;
      const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast });
      const child = client.workflow.getHandle('report/waits-for-data/2025-10/self');
      await expect.poll(() => child.query(progressQuery).then((p) => p.stage).catch(() => 'pending'), { timeout: 15_000 }).toBe('waiting_for_data');
      expect((await child.query(progressQuery)).detail).toContain('Stripe has data until 2025-10-15');
      // Still waiting a few rechecks later, and nothing was created meanwhile.
      await new Promise((r) => setTimeout(r, 2000));
      expect((await child.query(progressQuery)).stage).toBe('waiting_for_data');
      expect(emulator.counters().runsCreated).toBe(before);

      emulator.advanceAvailability(new Date());
      const result = await withOutcomes(await handle.result(), archiveDir);
      expect(result.outcomes[0]?.status).toBe('archived');
      expect(emulator.counters().runsCreated).toBe(before + 1);
    } finally {
      emulator.advanceAvailability(new Date());
    }
  });

  it('gives up at the deadline with a clear message', async () => {
    emulator.advanceAvailability(new Date('2025-10-15T00:00:00Z'));
    try {
      const cfg = config('data-deadline', { wait_for_data: { deadline: '2s', recheck: '1s' } });
      const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause?.message).toMatch(/still has balance.summary.1 data only until 2025-10-15T00:00:00(\.000)?Z, before the end of period 2025-10/);
    } finally {
      emulator.advanceAvailability(new Date());
    }
  });
});
