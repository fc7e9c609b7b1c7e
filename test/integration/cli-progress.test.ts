/**
 * Progress where people look, as an operator sees it: `reports status` (a process) while a firing
 * holds targets waiting behind a permit pool of one, and `reports run --wait` read through a pipe
 * (plain lines, one per change). Real dev server, a real worker, the emulator over HTTP.
 */
import type { Client } from '@temporalio/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatUtc } from '../../src/cli/progress-format.js';
import { ReportConfigSchema } from '../../src/config/schema.js';
import type { RunProgress } from '../../src/domain/progress.js';
import { readFiringProgress, STAGE_ORDER } from '../../src/temporal/firing-status.js';
import { startReport } from '../../src/temporal/start-report.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { reportsCommand } from '../helpers/processes.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const ORG_KEY = 'sk_org_test_progress0key0000';
let stack: TestStack;
let client: Client;
let schedulesDir: string;
const pools = `progress-${Date.now()}`;

beforeAll(async () => {
  stack = await startStack({ name: 'cli-progress', keys: { ORG_KEY } });
  client = stack.client;
  schedulesDir = path.join(stack.archiveDir, 'schedules');
  mkdirSync(schedulesDir);
});

afterAll(async () => {
  await stack?.close();
});

/** A configuration over `n` accounts whose ReportRuns go one at a time (a pool of one of its own). */
function writeConfig(id: string, n: number): string[] {
  const accounts = Array.from({ length: n }, (_, i) => `acct_${id.replaceAll('-', '')}${i}`);
  const yaml = [
    'report: balance.summary.1',
    'mode: sandbox',
    'key_env: ORG_KEY',
    'schedule:\n  timezone: UTC',
    `targets:\n${accounts.map((a) => `  - account: ${a}`).join('\n')}`,
    `permits:\n  capacity: 1\n  pool: ${pools}-${id}`,
    '',
  ].join('\n');
  writeFileSync(path.join(schedulesDir, `${id}.yaml`), yaml);
  return accounts;
}

// The worker's archive too: `run --wait` reads every target's outcome from the outcome file there.
const env = () => ({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: stack.temporal.taskQueue, REPORTS_SCHEDULES_DIR: schedulesDir, REPORTS_ARCHIVE_DIR: stack.archiveDir });

describe('reports status', () => {
  it('shows a running firing’s targets by stage and its oldest waiting target', async () => {
    // Each run stays running at Stripe long enough for the command to look.
    stack.emulator.configure({ processingMs: 60_000 });
    const accounts = writeConfig('held', 5);
    const config = ReportConfigSchema.parse({
      id: 'held',
      report: 'balance.summary.1',
      mode: 'sandbox',
      key_env: 'ORG_KEY',
      targets: accounts.map((account) => ({ account })),
      permits: { capacity: 1, pool: `${pools}-held` },
    });
    const handle = await startReport(client, config, '2025-10', { taskQueue: stack.temporal.taskQueue });
    try {
      // A pool of one: the five targets are one batch, all started at once (the pool decides who
      // runs): one running at Stripe, four waiting for the permit. The firing knows its batch; the
      // batch knows its targets (readFiringProgress adds them up, as `reports status` does).
      const stages = async () => {
        const firing = await readFiringProgress(client, handle.workflowId);
        const children = await Promise.all(firing.inFlight.map((t) => client.workflow.getHandle(t.workflowId).query(progressQuery).then((p) => [t.target, p] as const)));
        return { firing, children: new Map<string, RunProgress>(children) };
      };
      await expect
        .poll(async () => [...(await stages()).children.values()].map((p) => p.stage).sort(), { timeout: 30_000, interval: 300 })
        .toEqual(['running', 'waiting_for_permit', 'waiting_for_permit', 'waiting_for_permit', 'waiting_for_permit']);
      const { firing, children } = await stages();
      expect(firing).toMatchObject({ phase: 'running', targets: 5, pending: 0, archived: 0, skipped: 0, failed: 0 });
      // The oldest waiter: the earliest `since` among those waiting for the permit.
      const waiters = [...children].filter(([, p]) => p.stage === 'waiting_for_permit');
      const since = Math.min(...waiters.map(([, p]) => p.since!));

      const status = await reportsCommand(['status', 'held'], env());
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/held\s+2025-10\s+RUNNING/);
      expect(status.stdout).toContain('running firings, targets by stage:');
      expect(status.stdout).toContain('report/held/2025-10  5 targets: waiting for permit 4, running 1\n');
      const oldest = status.stdout.match(/^ {2}oldest waiting: (\S+), waiting for permit since (.+ UTC) \((\d+)s\)$/m);
      expect(oldest, status.stdout).not.toBeNull();
      expect(waiters.filter(([, p]) => p.since === since).map(([t]) => t)).toContain(oldest![1]);
      expect(oldest![2]).toBe(formatUtc(since));
      expect(Number(oldest![3])).toBeLessThan(60);
    } finally {
      await handle.terminate('test done');
      stack.emulator.configure({ processingMs: 2000 });
    }
  });
});

describe('reports run --wait through a pipe', () => {
  it('prints plain lines: no carriage return, no escape code, one line per change, summaries now and then', async () => {
    stack.emulator.configure({ processingMs: 1500 });
    const accounts = writeConfig('piped', 3);
    const r = await reportsCommand(['run', 'piped', '--period', '2025-10', '--wait'], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\r/);
    expect(r.stdout).not.toMatch(/\x1b/);

    const lines = r.stdout.split('\n');
    // Per target, each line is a new stage, in the order a run goes.
    for (const account of accounts) {
      const stages = lines.filter((l) => l.match(/^\d\d:\d\d:\d\d {2}(\S+)/)?.[1] === account).map((l) => l.slice(39).split(' reprun_')[0]!.split(' — ')[0]!.replaceAll(' ', '_'));
      expect(stages.length, r.stdout).toBeGreaterThan(0);
      const order = stages.map((s) => STAGE_ORDER.indexOf(s as never));
      expect(order.every((o) => o >= 0), stages.join()).toBe(true);
      expect(order.every((o, i) => i === 0 || o > order[i - 1]!), stages.join()).toBe(true);
    }
    // The firing's summary: only when it changed, at most every 5 s.
    const summaries = lines.filter((l) => /^\d\d:\d\d:\d\d {2}3 targets: /.test(l));
    expect(summaries.length, r.stdout).toBeGreaterThan(0);
    const seconds = summaries.map((l) => l.slice(0, 8).split(':').reduce((s, x) => s * 60 + Number(x), 0));
    expect(seconds.every((s, i) => i === 0 || s - seconds[i - 1]! >= 4), summaries.join('\n')).toBe(true);
    expect(summaries.every((l, i) => i === 0 || l.slice(10) !== summaries[i - 1]!.slice(10))).toBe(true);
    expect(r.stdout).toMatch(/target\s+outcome\s+detail/);
    for (const account of accounts) expect(r.stdout).toMatch(new RegExp(`${account}\\s+archived\\s+.*piped/2025-10/${account}\\.csv`));
  });
});

describe('reports backfill through a pipe', () => {
  it('prints plain lines: a line per period change, and what each running period’s targets are doing now and then', async () => {
    stack.emulator.configure({ processingMs: 1500 });
    writeConfig('piped-backfill', 2);
    const r = await reportsCommand(['backfill', 'piped-backfill', '--from', '2025-08', '--to', '2025-09'], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\r|\x1b/);
    const lines = r.stdout.split('\n');
    for (const period of ['2025-08', '2025-09']) {
      // The change lines (the summary table at the end starts with the period too).
      expect(lines.filter((l) => l.startsWith(`${period} `) && l.includes('[running ')).map((l) => l.split(/\s+/)[1])).toEqual(['running', 'done']);
    }
    const summaries = lines.filter((l) => /^\d\d:\d\d:\d\d {2}running 2025-0[89] \(/.test(l));
    expect(summaries.length, r.stdout).toBeGreaterThan(0);
    expect(summaries.join('\n')).toMatch(/2025-0[89] \(2 targets: [a-z ,0-9]+\)/);
  });
});
