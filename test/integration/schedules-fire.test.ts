/**
 * A run the schedule itself starts reports on the period its scheduled time implies, not the one
 * "now" is in: a synced schedule, backfilled over a past firing, on a real worker against the
 * emulator. This is what makes catch-up after an outage and backfills produce the right months.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/load.js';
import { scheduleIdFor, syncSchedules } from '../../src/schedules/sync.js';
import type { ReportWorkflowResult } from '../../src/domain/outcomes.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const configId = `fire-${randomBytes(4).toString('hex')}`;
let stack: TestStack;
let temporal: TestTemporal;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'archive', emulator: { processingMs: 300, seed: 11 }, keys: { SANDBOX_KEY: 'sk_test_fire0key0000abcd' } });
  ({ temporal, archiveDir } = stack);
});

afterAll(async () => {
  await temporal?.client.schedule
    .getHandle(scheduleIdFor(configId))
    .delete()
    .catch(() => {});
  await stack?.close();
});

it('a scheduled firing archives the period before its scheduled time in the configuration timezone, not the current one', async () => {
  const { client, taskQueue } = temporal;
  const dir = mkdtempSync(path.join(tmpdir(), 'schedules-'));
  writeFileSync(
    path.join(dir, `${configId}.yaml`),
    `report: balance.summary.1
mode: sandbox
key_env: SANDBOX_KEY
schedule:
  cron: "0 6 2 * *"
  timezone: America/New_York
period: month
`,
  );
  const report = await syncSchedules(client, loadConfigDir(dir), { taskQueue, scope: `test-${configId}` });
  expect(report.created).toEqual([scheduleIdFor(configId)]);

  // 06:00 in New York on 2 March 2025 is 11:00 UTC: the firing for February.
  const handle = client.schedule.getHandle(scheduleIdFor(configId));
  await handle.backfill({ start: new Date('2025-03-02T10:30:00Z'), end: new Date('2025-03-02T11:30:00Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });

  let workflowId: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!workflowId) {
    workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
    if (!workflowId && Date.now() > deadline) throw new Error('the backfill started no workflow within 30 s');
    if (!workflowId) await new Promise((r) => setTimeout(r, 200));
  }
  expect(workflowId.startsWith(`report/${configId}-`)).toBe(true);

  const run = client.workflow.getHandle<() => Promise<ReportWorkflowResult>>(workflowId);
  const result = await run.result();
  expect((await run.describe()).typedSearchAttributes.get(ScheduledStartTime)).toEqual(new Date('2025-03-02T11:00:00Z'));
  expect(result.period).toBe('2025-02');
  expect(result.interval).toEqual({ start: '2025-02-01T05:00:00.000Z', end: '2025-03-01T05:00:00.000Z' });
  expect(existsSync(path.join(archiveDir, configId, '2025-02', 'self.csv'))).toBe(true);
  expect(readdirSync(path.join(archiveDir, configId))).toEqual(['2025-02']);
});
