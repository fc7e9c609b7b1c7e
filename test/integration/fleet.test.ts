/**
 * The deploy topology as processes (issue #10): a Temporal server that has never seen this project
 * (no search attributes), the webhook relay in its own process, three `reports worker` processes
 * each with its own local folders (HOME, TMPDIR), sharing only the archive (a folder, and S3 on
 * versitygw), and the CLI as an operator runs it. One worker is SIGKILLed in the middle of a
 * fan-out of 200 targets under a cap of 20, another in the middle of a 1 GB transfer; every target
 * is archived exactly once, one ReportRun per target, nothing partial left anywhere.
 */
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Archive } from '../../src/archive/s3.js';
import type { ArchiveStore } from '../../src/archive/store.js';
import type { ReportWorkflowResult } from '../../src/domain/outcomes.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { projectSearchAttributes } from '../../src/workflows/search-attributes.js';
import { startFreshTemporal, type FreshTemporal } from '../helpers/fresh-temporal.js';
import { startTemporalOnPostgres } from '../helpers/temporal-postgres.js';
import { reportsCommand, startRelayProcess, startWorkerProcess, stopProcess, type WorkerProcess } from '../helpers/processes.js';
import { freePort, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { withOutcomes } from '../helpers/outcomes.js';

const KEY = 'sk_org_test_fleet0key0000';
const SECRET = 'whsec_fleet0test0secret0000';
const TASK_QUEUE = 'fleet';
const BACKENDS = ['filesystem', 's3'] as const;
const TARGETS = 200;
const CAP = 20;
const GB = 1_000_000_000;
/**
 * The 1 GB downloads are paced to take about 50 s, so the kill lands mid-transfer however fast or
 * loaded the machine is (the server sees a transfer's progress in heartbeats every 2 s).
 */
const GB_PACE = 20_000_000;

let temporal: FreshTemporal;
let emulator: Emulator;
let s3: S3TestServer;
let relay: WorkerProcess;
let client: Client;
let connection: Connection;
let root: string;
let archiveDir: string;
let schedulesDir: string;
const workers: { name: string; home: string; process?: WorkerProcess }[] = [];

/** What every process of the fleet shares: where Temporal, Stripe and the archive are, and the key. */
const fleetEnv = () => ({
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  STRIPE_API_BASE: emulator.url,
  REPORTS_ARCHIVE_DIR: archiveDir,
  REPORTS_SCHEDULES_DIR: schedulesDir,
  REPORTS_WEBHOOKS: 'true',
  FLEET_KEY: KEY,
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  AWS_REGION: s3.region,
});

async function startWorker(w: (typeof workers)[number], env: Record<string, string> = {}): Promise<WorkerProcess> {
  w.process = await startWorkerProcess({
    taskQueue: TASK_QUEUE,
    stripeBase: emulator.url,
    archiveDir,
    temporalAddress: temporal.address,
    // Its own local disk: nothing it leaves there is seen by another host.
    env: { ...fleetEnv(), HOME: w.home, TMPDIR: path.join(w.home, 'tmp'), ...env },
  });
  return w.process;
}

function writeConfig(id: string, backend: (typeof BACKENDS)[number], targets: number, extra = ''): void {
  const archive = backend === 's3' ? `archive:\n  backend: s3\n  bucket: ${s3.bucket}\n  prefix: fleet\n  endpoint: ${s3.endpoint}\n` : '';
  const list = Array.from({ length: targets }, (_, i) => `  - account: acct_${id.replaceAll('-', '')}${i}`).join('\n');
  writeFileSync(
    path.join(schedulesDir, `${id}.yaml`),
    `report: balance.summary.1\nmode: sandbox\nkey_env: FLEET_KEY\nschedule:\n  cron: "0 6 2 * *"\n  timezone: UTC\nperiod: month\ntargets:\n${list}\n${archive}${extra}`,
  );
}

/** The archive a configuration written by writeConfig archives to: the shared folder, or the bucket's `fleet` prefix. */
function archiveOf(backend: (typeof BACKENDS)[number]): string | ArchiveStore {
  return backend === 's3' ? new S3Archive({ bucket: s3.bucket, prefix: 'fleet', client: s3.client() }) : archiveDir;
}

/** Files a transfer leaves while it works: none may stay once everything is done. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(part|partial|tmp)$/.test(e.name)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/** The servers the fleet runs on, neither with the project's search attributes: the dev server, and the Temporal server on PostgreSQL. */
const SERVERS: [string, () => Promise<FreshTemporal>][] = [
  ['a fresh dev server (SQLite)', startFreshTemporal],
  ['a fresh Temporal server on PostgreSQL', startTemporalOnPostgres],
];

describe.each(SERVERS)('a fleet on %s that has never seen the project', (_server, startServer) => {
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'fleet-'));
    archiveDir = path.join(root, 'archive');
    schedulesDir = path.join(root, 'schedules');
    mkdirSync(schedulesDir);
    temporal = await startServer();
    s3 = await startS3Server();
    emulator = await startEmulator({ processingMs: 1000, webhookSecret: SECRET });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
    workers.length = 0;
    for (const name of ['a', 'b', 'c']) {
      const home = path.join(root, `host-${name}`);
      mkdirSync(path.join(home, 'tmp'), { recursive: true });
      workers.push({ name, home });
    }
    relay = await startRelayOnFreePort();
  }, 300_000);

  /**
   * A port found free may be taken before the relay binds it (an outgoing connection's ephemeral
   * port): pick another and try again, then point the emulator's webhooks at the one it got.
   */
  async function startRelayOnFreePort(): Promise<WorkerProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const started = await startRelayProcess({ temporalAddress: temporal.address, taskQueue: TASK_QUEUE, port, secrets: [SECRET] });
        emulator.configure({ webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe` });
        return started;
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
      }
    }
  }

  afterAll(async () => {
    await Promise.all([...workers.map((w) => (w.process ? stopProcess(w.process.child, 5_000) : undefined)), relay ? stopProcess(relay.child, 5_000) : undefined]);
    await connection?.close();
    await emulator?.close();
    await s3?.stop();
    await temporal?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('`reports worker` adds the search attributes; `reports sync` and `reports run --wait` archive every target; a second worker changes nothing', async () => {
    const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(before.customAttributes ?? {}).filter((k) => k.startsWith('Report'))).toEqual([]);

    const a = await startWorker(workers[0]!);
    expect(a.output()).toContain('"searchAttributes":["ReportConfig","ReportPeriod","ReportTarget","ReportRunSucceededAt"]');
    const after = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const attribute of projectSearchAttributes) expect(Object.keys(after.customAttributes ?? {})).toContain(attribute.name);

    for (const backend of BACKENDS) writeConfig(`fleet-small-${backend}`, backend, 3);
    const sync = await reportsCommand(['sync'], fleetEnv());
    expect(sync.stderr).toBe('');
    expect(sync.stdout).toContain('2 created');
    expect(sync.code).toBe(0);
    for (const backend of BACKENDS) {
      const run = await reportsCommand(['run', `fleet-small-${backend}`, '--period', '2025-10', '--wait'], fleetEnv());
      expect(run.stdout.match(/\barchived\b/g)?.length ?? 0, run.stdout + run.stderr).toBeGreaterThanOrEqual(3);
      expect(run.code).toBe(0);
    }

    // The second and third workers find everything in place and change nothing.
    const b = await startWorker(workers[1]!);
    const c = await startWorker(workers[2]!);
    for (const w of [b, c]) expect(w.output()).not.toContain('added search attributes');
    const again = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(again.customAttributes).toEqual(after.customAttributes);
    const rerun = await reportsCommand(['run', 'fleet-small-filesystem', '--period', '2025-10', '--wait'], fleetEnv());
    expect(rerun.code).toBe(0);
    expect(rerun.stdout.match(/\bskipped\b/g)?.length ?? 0).toBeGreaterThanOrEqual(3);

    // Every long-running process answers /healthz.
    for (const p of [a, b, c, relay]) {
      const res = await fetch(p.healthUrl);
      expect(res.status, p.healthUrl).toBe(200);
      expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    }
  }, 300_000);

  it('a configuration whose key_env the workers lack fails by name; the others keep archiving', async () => {
    writeConfig('fleet-nokey', 'filesystem', 2, '');
    const file = path.join(schedulesDir, 'fleet-nokey.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('key_env: FLEET_KEY', 'key_env: FLEET_MISSING_KEY'));
    writeConfig('fleet-other', 'filesystem', 2);
    const [missing, other] = await Promise.all([
      reportsCommand(['run', 'fleet-nokey', '--period', '2025-10', '--wait'], fleetEnv()),
      reportsCommand(['run', 'fleet-other', '--period', '2025-10', '--wait'], fleetEnv()),
    ]);
    expect(missing.code).toBe(1);
    // A configuration-wide problem fails the firing, naming the variable for every target.
    expect(missing.stdout).toMatch(/failed: fleet-nokey 2025-10: .*FLEET_MISSING_KEY is not set/);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    expect(other.stdout.match(/\barchived\b/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    rmSync(file);
  }, 300_000);

  it.each(BACKENDS)(
    '%s archive: 200 targets under a cap of 20 with a worker SIGKILLed mid-fan-out, then a 1 GB transfer whose worker is SIGKILLed: all archived once',
    async (backend) => {
      const big = `fleet-big-${backend}`;
      const large = `fleet-large-${backend}`;
      writeConfig(big, backend, TARGETS, `permits:\n  pool: ${big}\n  capacity: ${CAP}\n`);
      writeConfig(large, backend, 1);
      await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });

      // The fan-out: kill one worker once the first wave is through and more runs are being created, start it again.
      const started = await reportsCommand(['run', big, '--period', '2025-10'], fleetEnv());
      expect(started.code, started.stderr).toBe(0);
      const firing = client.workflow.getHandle(`report/${big}/2025-10`);
      await expect.poll(() => emulator.counters().runsCreated, { timeout: 300_000, interval: 200 }).toBeGreaterThanOrEqual(CAP + 10);
      const victim = workers[(BACKENDS.indexOf(backend) + 1) % workers.length]!;
      victim.process!.child.kill('SIGKILL');
      await new Promise((r) => victim.process!.child.once('exit', r));
      await startWorker(victim);
      const result = await withOutcomes((await firing.result()) as ReportWorkflowResult, archiveOf(backend));
      const events = relay.output().match(/"outcome":"routed"/g)?.length ?? 0;
      expect(events, 'the relay routed Stripe events to the runs').toBeGreaterThan(0);
      const failed = result.outcomes.filter((o) => o.status !== 'archived');
      expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
      expect(result.outcomes).toHaveLength(TARGETS);
      const runIds = new Set(result.outcomes.map((o) => (o.status === 'archived' ? o.runId : '')));
      expect(runIds.size).toBe(TARGETS);
      expect(emulator.counters().runsCreated).toBe(TARGETS);
      expect(emulator.counters().peakRunning).toBeLessThanOrEqual(CAP);

      // A 1 GB file: kill the worker that is transferring it once a third has arrived.
      emulator.configure({ bytesPerRun: GB, downloadBytesPerSecond: GB_PACE });
      const before = emulator.counters();
      try {
        const run = await reportsCommand(['run', large, '--period', '2025-10'], fleetEnv());
        expect(run.code, run.stderr).toBe(0);
        const holder = await transferringWorker(`report/${large}/2025-10/acct_fleetlarge${backend}0`, GB / 3);
        holder!.process!.child.kill('SIGKILL');
        await new Promise((r) => holder!.process!.child.once('exit', r));
        await startWorker(holder!);
        const largeResult = await withOutcomes((await client.workflow.getHandle(`report/${large}/2025-10`).result()) as ReportWorkflowResult, archiveOf(backend));
        expect(largeResult.outcomes.map((o) => o.status)).toEqual(['archived']);
        const file = largeResult.outcomes[0]!;
        if (file.status === 'archived') {
          expect(file.file.size).toBe(GB);
          expect(file.file.sha256).toBe(await emulator.fileSha256(file.runId));
        }
        // The retry resumes from the heartbeat details: on the filesystem from the partial file's
        // offset (a Range request); on S3 with the parts already uploaded (the file is read again
        // from byte 0 to re-hash it, but those parts are not sent again: see download.test.ts).
        // (When the killed attempt had already received every byte, the retry finds the complete
        // partial file and asks for nothing.)
        const after = emulator.counters();
        if (backend === 'filesystem') expect(after.rangeRequests - before.rangeRequests, 'every download after the first resumed with Range').toBe(after.downloads - before.downloads - 1);
        else expect(emulator.counters().downloads, 'a second attempt finished the transfer').toBeGreaterThanOrEqual(2);
      } finally {
        emulator.configure({ bytesPerRun: undefined, downloadBytesPerSecond: undefined });
      }
      expect(emulator.counters().runsCreated).toBe(TARGETS + 1);

      // From the outside: the archive verifies, nothing partial anywhere, no open multipart upload.
      for (const config of [big, large]) {
        const verify = await reportsCommand(['verify', '--config', config], fleetEnv());
        expect(verify.stdout, verify.stderr).toContain(`${config === big ? TARGETS : 1} match their manifests, 0 with problems`);
        expect(verify.code).toBe(0);
      }
      expect(leftovers(root)).toEqual([]);
      if (backend === 's3') {
        const uploads = await s3.client().send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
        expect(uploads.Uploads ?? []).toEqual([]);
      }
    },
    900_000,
  );

  it('SIGTERM during a transfer: the worker hands the transfer back within its grace time and exits 0; another resumes it; archived once', async () => {
    const id = 'fleet-sigterm';
    writeConfig(id, 'filesystem', 1);
    // One worker, with a grace time shorter than the transfer, so the transfer must hand back.
    for (const w of workers.slice(1)) expect((await stopProcess(w.process!.child, 60_000)).code, 'an idle worker stops cleanly').toBe(0);
    await stopProcess(workers[0]!.process!.child, 60_000);
    await startWorker(workers[0]!, { REPORTS_SHUTDOWN_GRACE_SECONDS: '1' });
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    emulator.configure({ bytesPerRun: GB, downloadBytesPerSecond: GB_PACE });
    try {
      expect((await reportsCommand(['run', id, '--period', '2025-10'], fleetEnv())).code).toBe(0);
      const holder = await transferringWorker(`report/${id}/2025-10/acct_fleetsigterm0`, GB / 4);
      const signalled = Date.now();
      const ended = await stopProcess(holder.process!.child, 120_000);
      const stoppedMs = Date.now() - signalled;
      expect(ended.code, holder.process!.output().slice(-2000)).toBe(0);
      expect(stoppedMs, 'within the grace time and the forced-shutdown bound').toBeLessThan(35_000);
      expect(holder.process!.output()).toContain('SIGTERM: stopping');
      await startWorker(workers[1]!);
      const result = await withOutcomes((await client.workflow.getHandle(`report/${id}/2025-10`).result()) as ReportWorkflowResult, archiveDir);
      const outcome = result.outcomes[0]!;
      expect(outcome.status).toBe('archived');
      if (outcome.status === 'archived') expect(outcome.file.sha256).toBe(await emulator.fileSha256(outcome.runId));
      const counters = emulator.counters();
      expect(counters.rangeRequests, 'every download after the first resumed with Range, none started over').toBe(counters.downloads - 1);
      expect(emulator.counters().runsCreated).toBe(1);
      const verify = await reportsCommand(['verify', '--config', id], fleetEnv());
      expect(verify.stdout).toContain('1 match their manifests, 0 with problems');
      expect(leftovers(root)).toEqual([]);
    } finally {
      emulator.configure({ bytesPerRun: undefined, downloadBytesPerSecond: undefined });
    }
  }, 600_000);
});

/** The fleet's worker whose transfer for this run has passed `bytes` (from the activity's heartbeat details and worker identity `pid@host`). */
async function transferringWorker(workflowId: string, bytes: number): Promise<(typeof workers)[number]> {
  let identity = '';
  let seen = 'nothing yet';
  await expect
    .poll(
      async () => {
        const described = await client.workflow.getHandle(workflowId).describe();
        const pending = described.raw.pendingActivities ?? [];
        // What the failure message shows if the mark is never passed: where the run was instead.
        seen = `${described.status.name}; pending: ${pending.map((p) => `${p.activityType?.name} attempt ${p.attempt} ${JSON.stringify(heartbeatBytes(p.heartbeatDetails?.payloads?.[0]?.data))}`).join(', ') || 'none'}`;
        for (const p of pending) {
          const { sent, of } = heartbeatBytes(p.heartbeatDetails?.payloads?.[0]?.data);
          // Past the mark and not yet complete: the kill lands in the middle of the transfer.
          if (sent > bytes && sent < of) {
            identity = p.lastWorkerIdentity ?? '';
            return sent;
          }
        }
        return 0;
      },
      { timeout: 300_000, interval: 100 },
    )
    .toBeGreaterThan(bytes)
    .catch((err: Error) => {
      throw new Error(`no transfer of ${workflowId} past ${bytes} bytes in 5 minutes; last seen: ${seen}`, { cause: err });
    });
  const holder = workers.find((w) => w.process?.child.pid === Number(identity.split('@')[0]));
  expect(holder, `the transfer runs on one of the fleet's workers (${identity})`).toBeDefined();
  return holder!;
}

/** The byte offset a transfer reports in its heartbeat details. */
function heartbeatBytes(data: Uint8Array | null | undefined): { sent: number; of: number } {
  if (!data) return { sent: 0, of: 0 };
  try {
    const details = JSON.parse(Buffer.from(data).toString('utf8')) as { bytes?: unknown; of?: unknown };
    return { sent: typeof details.bytes === 'number' ? details.bytes : 0, of: typeof details.of === 'number' ? details.of : 0 };
  } catch {
    return { sent: 0, of: 0 };
  }
}
