/**
 * Downloads on real parts: resuming with Range after a broken body, an expired URL refused past
 * the retry budget, a full disk, and a worker SIGKILLed halfway through a 1 GB download.
 * Each ends in a verified archive or a clear failure, never a partial file that looks complete.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStripeClients } from '../../src/activities/stripe-clients.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { retentionWarnings } from '../../src/cli/status-command.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';

const KEY = 'sk_test_download0key0000';
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;
let stripe: ReturnType<typeof createStripeClients>;

beforeAll(async () => {
  emulator = await startEmulator({ processingMs: 200, seed: 3 });
  archiveDir = mkdtempSync(path.join(tmpdir(), 'download-'));
  stripe = createStripeClients({ baseUrl: emulator.url, env: { KEY } });
  temporal = await startTestWorker({ clientFor: stripe.clientFor, archive: new FilesystemArchive(archiveDir), stagingDir: path.join(archiveDir, '.staging') });
  client = temporal.client;
});

afterAll(async () => {
  await temporal?.close();
  await stripe?.close();
  await emulator?.close();
});

function config(id: string, fields: Record<string, unknown> = {}): ReportConfig {
  return ReportConfigSchema.parse({ id, report: 'balance_change_from_activity.itemized.3', mode: 'sandbox', key_env: 'KEY', ...fields });
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

const fast = { initialMs: 200, maxMs: 500, transferRetryMs: 100 };

describe('downloads', () => {
  it('a body cut off mid-stream resumes with Range and archives the exact file', async () => {
    emulator.configure({ bytesPerRun: 5_000_000 });
    // Every download is cut off until the first one was; then the connection behaves again.
    emulator.setFaults({ truncateDownloadRate: 1 });
    const before = emulator.counters();
    try {
      const handle = await startReport(client, config('resume'), '2025-10', { taskQueue: temporal.taskQueue, timing: fast });
      await expect.poll(() => emulator.counters().downloads, { timeout: 30_000, interval: 20 }).toBeGreaterThan(before.downloads);
      emulator.setFaults({});
      const [o] = (await handle.result()).outcomes;
      expect(o?.status).toBe('archived');
      if (o?.status !== 'archived') return;
      expect(emulator.counters().rangeRequests).toBeGreaterThan(before.rangeRequests);
      expect(o.file.size).toBe(5_000_000);
      expect(await sha256(o.file.location)).toBe(await emulator.fileSha256(o.runId));
    } finally {
      emulator.setFaults({});
      emulator.configure({ bytesPerRun: undefined });
    }
  });

  it('a download URL refused past the retry budget fails with a clear reason, and nothing is archived', async () => {
    emulator.configure({ downloadUrlTtlSeconds: 0 });
    try {
      const handle = await startReport(client, config('expired'), '2025-10', { taskQueue: temporal.taskQueue, timing: { ...fast, transferAttempts: 3 } });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause?.message).toMatch(/download URL for run reprun_\w+ was refused \(403, expired or revoked\)/);
      expect(existsSync(path.join(archiveDir, 'expired'))).toBe(false);
      // Stripe finished the run but its file never reached the archive: `reports status` warns
      // once Stripe's 90 days are running out (here: seen from 80 days on).
      const later = new Date(Date.now() + 80 * 86_400_000);
      await expect
        .poll(async () => (await retentionWarnings(client, later)).find((w) => w.workflowId === 'report/expired/2025-10/self')?.daysLeft, { timeout: 15_000 })
        .toBeLessThanOrEqual(10);
      expect((await retentionWarnings(client)).find((w) => w.workflowId === 'report/expired/2025-10/self')).toBeUndefined();
    } finally {
      emulator.configure({ downloadUrlTtlSeconds: 300 });
    }
  });

  it('a full disk fails clearly and leaves no partial file', async () => {
    // A 256 KiB tmpfs as the staging folder: a 2 MB report cannot fit. Needs root, as CI has.
    const small = mkdtempSync(path.join(tmpdir(), 'fulldisk-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    expect(mounted.status, `mount a tmpfs (needs root): ${mounted.stderr}`).toBe(0);
    const w = await startTestWorker({ clientFor: stripe.clientFor, archive: new FilesystemArchive(path.join(small, 'archive')), stagingDir: path.join(small, 'staging') });
    emulator.configure({ bytesPerRun: 2_000_000 });
    try {
      const handle = await startReport(w.client, config('disk-full'), '2025-10', { taskQueue: w.taskQueue, timing: { ...fast, transferAttempts: 2 } });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err.cause?.message).toMatch(/disk full in .*staging after \d+ of 2000000 bytes/);
      expect(readdirSync(path.join(small, 'staging'))).toEqual([]);
      expect(existsSync(path.join(small, 'archive', 'disk-full'))).toBe(false);
    } finally {
      emulator.configure({ bytesPerRun: undefined });
      await w.close();
      spawnSync('umount', [small]);
    }
  });
});

describe('a worker SIGKILLed halfway through a 1 GB download', () => {
  it('resumes from its offset with Range and archives a file whose sha256 matches the emulator', async () => {
    const taskQueue = `download-kill-${Date.now()}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'kill-1g-'));
    mkdirSync(path.join(dir, '.staging'), { recursive: true });
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: taskQueue,
      BUNDLE_PATH: inject('workflowBundlePath'),
      STRIPE_API_BASE: emulator.url,
      ARCHIVE_DIR: dir,
      POOL_SCOPE: taskQueue,
      KEY,
    };
    const startWorker = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/helpers/worker-process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
      return child;
    };
    const GB = 1_000_000_000;
    emulator.configure({ bytesPerRun: GB });
    const rangesBefore = emulator.counters().rangeRequests;
    let worker = await startWorker();
    try {
      const handle = await startReport(client, config('one-gb'), '2025-10', { taskQueue, timing: fast });
      // The emulator runs in this process and keeps its event loop busy while it streams, so a
      // separate shell watches the partial file and kills the worker once a third has arrived.
      const staging = path.join(dir, '.staging');
      const watcher = spawn('bash', ['-c', `while :; do for f in "${staging}"/*.part; do [ -f "$f" ] && [ $(stat -c %s "$f") -gt ${Math.floor(GB / 3)} ] && kill -9 ${worker.pid} && exit 0; done; sleep 0.05; done`]);
      const first = await Promise.race([
        new Promise<'killed'>((r) => worker.once('exit', () => r('killed'))),
        handle.result().then(() => 'finished' as const),
      ]);
      watcher.kill();
      expect(first, 'the worker is killed before the download finishes').toBe('killed');
      const partSize = () => readdirSync(staging).filter((f) => f.endsWith('.part')).map((f) => statSync(path.join(staging, f)).size)[0] ?? 0;
      const offset = partSize();
      expect(offset).toBeGreaterThan(GB / 3);
      expect(offset).toBeLessThan(GB);
      worker = await startWorker();
      const [o] = (await handle.result()).outcomes;
      expect(o?.status).toBe('archived');
      if (o?.status !== 'archived') return;
      expect(emulator.counters().rangeRequests).toBeGreaterThan(rangesBefore);
      expect(o.file.size).toBe(GB);
      expect(await sha256(o.file.location)).toBe(await emulator.fileSha256(o.runId));
    } finally {
      worker.kill('SIGTERM');
      emulator.configure({ bytesPerRun: undefined });
    }
  }, 600_000);
});
