/**
 * A rolling upgrade (README, "Upgrading"): workers of the previous release (its commit checked out
 * with `git worktree`) start firings and stop with runs in every waiting stage: waiting for
 * Stripe's data, for a permit, for Stripe to finish, and mid-transfer. Workers of the current
 * code take over on the same task queue; every run finishes and archives once, and no history
 * holds a non-determinism error.
 */
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ReportWorkflowResult } from '../../src/domain/outcomes.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { poolStateQuery, progressQuery } from '../../src/workflows/messages.js';
import { withOutcomes } from '../helpers/outcomes.js';
import { reportsCommand, startRelayProcess, startWorkerProcess, stopProcess, type WorkerProcess } from '../helpers/processes.js';
import { checkoutRelease, type ReleaseCheckout } from '../helpers/release-checkout.js';
import { freePort } from '../helpers/s3-server.js';

/** The release upgraded from: the latest one before the current code. */
const FROM = '0.2.0';
const KEY = 'sk_test_upgrade0key00000';
const SECRET = 'whsec_upgrade0test0secret';
const TASK_QUEUE = 'upgrade';
const WorkflowTaskFailedCause = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;

let release: ReleaseCheckout;
let emulator: Emulator;
let relay: WorkerProcess;
let connection: Connection;
let client: Client;
let root: string;
const running: WorkerProcess[] = [];

const env = () => ({
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  STRIPE_API_BASE: emulator.url,
  REPORTS_ARCHIVE_DIR: path.join(root, 'archive'),
  REPORTS_SCHEDULES_DIR: path.join(root, 'schedules'),
  REPORTS_WEBHOOKS: 'true',
  REPORTS_SHUTDOWN_GRACE_SECONDS: '5',
  UPGRADE_KEY: KEY,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
});

async function worker(checkout?: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ taskQueue: TASK_QUEUE, stripeBase: emulator.url, archiveDir: path.join(root, 'archive'), env: env(), checkout });
  running.push(w);
  return w;
}

function writeConfig(id: string, yaml: string): void {
  writeFileSync(
    path.join(root, 'schedules', `${id}.yaml`),
    `mode: sandbox\nkey_env: UPGRADE_KEY\nschedule:\n  cron: "0 6 2 * *"\n  timezone: UTC\nperiod: month\n${yaml}`,
  );
}

beforeAll(async () => {
  release = checkoutRelease(FROM);
  root = mkdtempSync(path.join(tmpdir(), 'upgrade-'));
  mkdirSync(path.join(root, 'schedules'));
  const relayPort = await freePort();
  emulator = await startEmulator({ processingMs: 1000, webhookUrl: `http://127.0.0.1:${relayPort}/webhooks/stripe`, webhookSecret: SECRET });
  relay = await startRelayProcess({ temporalAddress: inject('temporalAddress'), taskQueue: TASK_QUEUE, port: relayPort, secrets: [SECRET] });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 900_000);

afterAll(async () => {
  await Promise.all([...running, relay].filter(Boolean).map((p) => stopProcess(p.child, 5_000)));
  await connection?.close();
  await emulator?.close();
  release?.remove();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe(`a rolling upgrade from ${FROM} to the current code`, () => {
  it('runs caught waiting for data, a permit, Stripe and mid-transfer by the old workers all finish on the new ones, archived once, with no non-determinism', async () => {
    // Files of 8 MB; the first transfer is slowed so the old worker is stopped in the middle of it.
    // The data of November ends mid-month: a firing for November waits for it.
    emulator.configure({ bytesPerRun: 8_000_000, downloadBytesPerSecond: 100_000 });
    await fetch(`${emulator.url}/_emulator/availability`, { method: 'POST', body: JSON.stringify({ to: '2025-11-15T00:00:00Z' }) });
    writeConfig('up-transfer', 'report: balance.summary.1\n');
    writeConfig('up-data', `report: balance.summary.1\nwait_for_data:\n  deadline: 1d\n  recheck: 2s\n`);
    writeConfig(
      'up-stage',
      `report: balance_change_from_activity.itemized.3\ntargets:\n${[1, 2, 3, 4].map((i) => `  - connected_account: acct_upgrade${i}`).join('\n')}\npermits:\n  pool: up-stage\n  capacity: 2\n`,
    );
    const firings = [
      ['up-transfer', '2025-10'],
      ['up-data', '2025-11'],
      ['up-stage', '2025-10'],
    ] as const;

    const old = await worker(release.dir);
    // Started by the old release's own command, as its schedules and operators did.
    const start = async (id: string, period: string) => {
      const r = await reportsCommand(['run', id, '--period', period], env(), 120_000, release.dir);
      expect(r.code, r.stderr).toBe(0);
    };
    await start('up-transfer', '2025-10');
    await start('up-data', '2025-11');
    const transfer = client.workflow.getHandle('report/up-transfer/2025-10/self');
    await until('the transfer under way', async () =>
      ((await transfer.describe()).raw.pendingActivities ?? []).some((p) => p.activityType?.name === 'transferReportFile' && (p.heartbeatDetails?.payloads?.length ?? 0) > 0),
    );
    const waitingForData = client.workflow.getHandle('report/up-data/2025-11/self');
    await until('a run waiting for data', async () => (await waitingForData.query(progressQuery)).stage === 'waiting_for_data');

    // Two permits for four targets (the firing runs twice its permits at once): two runs wait for
    // Stripe (20 s), two for a permit.
    emulator.configure({ processingMs: 20_000 });
    await start('up-stage', '2025-10');
    const pool = client.workflow.getHandle('permits/sandbox/up-stage');
    await until('two holders and two waiters', async () => {
      const s = await pool.query(poolStateQuery);
      return Object.keys(s.holders).length === 2 && s.waiters.length === 2;
    });
    for (const id of Object.keys((await pool.query(poolStateQuery)).holders)) {
      await until(`${id} waiting for Stripe`, async () => (await client.workflow.getHandle(id).query(progressQuery)).stage === 'running');
    }
    const stages = Object.fromEntries(
      await Promise.all(
        ['up-transfer/2025-10/self', 'up-data/2025-11/self', ...[1, 2, 3, 4].map((i) => `up-stage/2025-10/acct_upgrade${i}`)].map(
          async (k) => [k, (await client.workflow.getHandle(`report/${k}`).query(progressQuery)).stage] as const,
        ),
      ),
    );
    expect(Object.values(stages).sort(), JSON.stringify(stages)).toEqual(['downloading', 'running', 'running', 'waiting_for_data', 'waiting_for_permit', 'waiting_for_permit']);

    // The deploy: the old worker stops (its transfer handed back), the new code takes over.
    const stopped = await stopProcess(old.child, 60_000);
    expect(stopped.code, old.output().slice(-2000)).toBe(0);
    emulator.configure({ downloadBytesPerSecond: undefined });
    await fetch(`${emulator.url}/_emulator/availability`, { method: 'POST', body: JSON.stringify({ to: new Date().toISOString() }) });
    const current = await worker();

    const watch = { on: true };
    const results = await Promise.race([
      Promise.all(firings.map(([id, period]) => client.workflow.getHandle(`report/${id}/${period}`).result() as Promise<ReportWorkflowResult>)),
      watchForFailedTasks(watch),
    ]).finally(() => (watch.on = false));
    // Firings the old release started still carry every outcome in their result (the helper takes those).
    for (const r of await Promise.all(results.map((x) => withOutcomes(x, path.join(root, 'archive'))))) expect(r.outcomes.map((o) => `${r.config} ${o.target} ${o.status}`)).toEqual(r.outcomes.map((o) => `${r.config} ${o.target} archived`));

    // Once each: one ReportRun per target, each archive verified against its manifest.
    const runs = emulator.listRuns();
    expect(runs).toHaveLength(6);
    expect(new Set(runs.map((r) => `${r.connectedAccount}/${r.intervalStart}`)).size).toBe(6);
    for (const [id, , n] of [['up-transfer', '2025-10', 1], ['up-data', '2025-11', 1], ['up-stage', '2025-10', 4]] as const) {
      const verify = await reportsCommand(['verify', '--config', id], env());
      expect(verify.stdout, verify.stderr).toContain(`${n} match their manifests, 0 with problems`);
    }

    // Every workflow the old release started and the new code finished: both workers' identities
    // in its history, and no failed workflow task anywhere.
    const histories = await allHistories();
    expect(failedWorkflowTasks(histories)).toEqual([]);
    const identities = (h: proto.temporal.api.history.v1.IHistory) =>
      new Set(h.events!.map((e) => e.workflowTaskStartedEventAttributes?.identity).filter((i): i is string => Boolean(i)).map((i) => Number(i.split('@')[0])));
    const takenOver = [...histories].filter(([, h]) => {
      const ids = identities(h);
      return ids.has(old.child.pid!) && ids.has(current.child.pid!);
    });
    const kinds = new Set(takenOver.map(([id]) => id.split('/')[0]));
    expect([...kinds].sort(), takenOver.map(([id]) => id).join(', ')).toEqual(['permits', 'report', 'report-run-events']);
    expect(takenOver.map(([id]) => id)).toEqual(
      expect.arrayContaining(['report/up-stage/2025-10', 'report/up-data/2025-11/self', 'report/up-transfer/2025-10/self', 'report/up-stage/2025-10/acct_upgrade4']),
    );
  }, 900_000);
});

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every workflow on the upgrade's task queue, with its history (every run of a pool). */
async function allHistories(): Promise<Map<string, proto.temporal.api.history.v1.IHistory>> {
  const out = new Map<string, proto.temporal.api.history.v1.IHistory>();
  for await (const w of client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) {
    const key = out.has(w.workflowId) ? `${w.workflowId}#${w.runId}` : w.workflowId;
    out.set(key, await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory());
  }
  return out;
}

/** Workflow tasks that failed, by workflow and cause (a non-determinism error is one). */
function failedWorkflowTasks(histories: Map<string, proto.temporal.api.history.v1.IHistory>): string[] {
  const failed: string[] = [];
  for (const [id, h] of histories) {
    for (const e of h.events!) {
      const f = e.workflowTaskFailedEventAttributes;
      if (f) failed.push(`${id}: ${WorkflowTaskFailedCause[f.cause ?? 0]}: ${f.failure?.message ?? ''}`);
    }
  }
  return failed;
}

/** Fails as soon as any history on the task queue holds a failed workflow task (a new worker would retry it forever). */
async function watchForFailedTasks(watch: { on: boolean }): Promise<never> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    if (!watch.on) return new Promise<never>(() => undefined);
    const failed = await allHistories().then(failedWorkflowTasks, () => []);
    if (failed.length > 0) throw new Error(`failed workflow tasks after the upgrade:\n${failed.join('\n')}`);
  }
}
