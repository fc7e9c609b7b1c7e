/**
 * The `reports` command as a user runs it (a child process), against the suite's Temporal server,
 * a real worker and the emulator: run --dry-run / --wait, backfill and status. Also notifications.
 */
import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';

const run = promisify(execFile);
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let dir: string;
let hook: Server;
const notifications: { text: string }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notifications.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  emulator = await startEmulator({ processingMs: 300 });
  dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  mkdirSync(path.join(dir, 'schedules'));
  const env = { KEY: 'sk_test_cli0key0000abcd', HOOK_URL: hookUrl };
  temporal = await startTestWorker({ stripe: { baseUrl: emulator.url, env }, archiveDir: path.join(dir, 'archive'), env });
  client = temporal.client;
  writeFileSync(
    path.join(dir, 'schedules', 'cli-monthly.yaml'),
    'report: balance.summary.1\nmode: sandbox\nkey_env: KEY\nschedule:\n  timezone: America/New_York\nnotify:\n  webhook_url: ${HOOK_URL}\n  on: [success, failure]\n',
  );
});

afterAll(async () => {
  await temporal?.close();
  await emulator?.close();
  hook?.close();
});

async function reports(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.resolve('bin/reports.js'), ...args], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: temporal.taskQueue,
        REPORTS_SCHEDULES_DIR: path.join(dir, 'schedules'),
        // The worker's archive: `run --wait` reads every target's outcome from the outcome file there.
        REPORTS_ARCHIVE_DIR: path.join(dir, 'archive'),
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('reports run', () => {
  it('--dry-run prints the plan with the UTC interval and starts nothing', async () => {
    const r = await reports('run', 'cli-monthly', '--period', '2025-10', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('interval (UTC) 2025-10-01T04:00:00.000Z to 2025-11-01T04:00:00.000Z');
    expect(r.stdout).toContain('targets        self');
    await expect(client.workflow.getHandle('report/cli-monthly/2025-10').describe()).rejects.toThrow();
  });

  it('--wait shows progress per target and ends with a summary table; the webhook hears of it', async () => {
    // Long enough that the once-a-second progress sees the run running (at 300 ms it may jump from creating to archived).
    emulator.configure({ processingMs: 2_500 });
    const r = await reports('run', 'cli-monthly', '--period', '2025-10', '--wait').finally(() => emulator.configure({ processingMs: 300 }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/self\s+(running|downloading|archiving) reprun_/);
    expect(r.stdout).toMatch(/target\s+outcome\s+detail/);
    expect(r.stdout).toMatch(/self\s+archived\s+.*cli-monthly\/2025-10\/self\.csv/);
    // The webhook gets the finance summary: its first line says what archived, then the figures per currency.
    expect(notifications.at(-1)?.text.split('\n')[0]).toBe('cli-monthly 2025-10: 1 archived');
    expect(notifications.at(-1)?.text).toMatch(/^USD ending balance \$[\d,]+\.\d\d$/m);
  });

  it('a period that does not exist is refused by name', async () => {
    const r = await reports('run', 'cli-monthly', '--period', '2025-13');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('period "2025-13" does not exist');
  });
});

describe('reports backfill and status', () => {
  it('backfills with progress, then status lists the periods', async () => {
    const r = await reports('backfill', 'cli-monthly', '--from', '2025-07', '--to', '2025-08');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2025-07\s+running/);
    expect(r.stdout).toMatch(/2025-08\s+done/);
    expect(r.stdout).toMatch(/done 2, failed 0, queued 0/);
    const again = await reports('backfill', 'cli-monthly', '--from', '2025-07', '--to', '2025-08');
    expect(again.stdout).toMatch(/2025-07\s+done\s+0\s+1\s+0/); // archived 0, skipped 1, failed 0

    // A pool whose task queue has no worker (here: one nobody polls) is listed without hanging status.
    await client.workflow.start('permitPoolWorkflow', {
      workflowId: `permits/sandbox/orphan-${temporal.taskQueue}`,
      taskQueue: `nobody-${temporal.taskQueue}`,
      args: [{ poolId: 'orphan', capacity: 1, effectiveCapacity: 1, holders: {}, waiters: [], congestedUntil: 0, grants: 0, reclaimed: 0, capHits: 0 }],
    });
    const status = await reports('status', 'cli-monthly');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/cli-monthly\s+2025-07\s+COMPLETED/);
    expect(status.stdout).toMatch(/cli-monthly\s+2025-08\s+COMPLETED/);
    // The permit pool this worker used, with nothing held or waiting once all is done.
    expect(status.stdout).toMatch(new RegExp(`permits/sandbox/test-${temporal.taskQueue}\\s+100\\s+100\\s+0\\s+0\\s+\\d+`));
    expect(status.stdout).toMatch(new RegExp(`permits/sandbox/orphan-${temporal.taskQueue}\\s+\\(no worker answered\\)`));
    await client.workflow.getHandle(`permits/sandbox/orphan-${temporal.taskQueue}`).terminate('test done');
  });

  it('--from after --to is refused before anything starts', async () => {
    const r = await reports('backfill', 'cli-monthly', '--from', '2025-09', '--to', '2025-01');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--from 2025-09 is after --to 2025-01');
  });
});
