/**
 * Downloads on real parts, on both archive backends (the filesystem and a real S3-compatible
 * server): a truncated body, a connection reset, a wrong size, a corrupt ZIP, an expired URL, a
 * URL refused past the retry budget, a full disk, wrong S3 credentials, and a worker SIGKILLed
 * halfway through a 1 GB download. Each ends in a verified archive (the stored bytes hash to the
 * emulator's sha256) or a clear failure with nothing archived and no partial file left.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { createArchiveFor, type ArchiveFor } from '../../src/archive/stores.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import { type Emulator, type EmulatorFaults } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { retentionWarnings } from '../../src/cli/status-command.js';
import type { S3TestServer } from '../helpers/s3-server.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { ARCHIVE_BACKENDS, s3Credentials, startStack, type ArchiveBackend, type TestStack } from '../helpers/stack.js';

const KEY = 'sk_test_download0key0000';

let stack: TestStack;
let emulator: Emulator;
let s3: S3TestServer;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;
let stagingDir: string;
let archiveFor: ArchiveFor;
let stripe: TestStack['stripe'];

beforeAll(async () => {
  stack = await startStack({ name: 'download', emulator: { processingMs: 200, seed: 3 }, keys: { KEY }, s3: true });
  ({ emulator, temporal, client, archiveDir, stagingDir, archiveFor, stripe } = stack);
  s3 = stack.s3!;
});

afterAll(async () => {
  await stack?.close();
});


function config(name: ArchiveBackend, id: string, fields: Record<string, unknown> = {}): ReportConfig {
  return ReportConfigSchema.parse({
    id: `${id}-${name}`,
    report: 'balance_change_from_activity.itemized.3',
    mode: 'sandbox',
    key_env: 'KEY',
    archive: stack.archiveSpec(name, 'downloads'),
    ...fields,
  });
}

async function sha256(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream) h.update(c as Buffer);
  return h.digest('hex');
}

const fast = { initialMs: 200, maxMs: 500, transferRetryMs: 100 };

/** Runs one configuration for 2025-10 with a fault on, then off again. */
async function runWith(cfg: ReportConfig, setup: { faults?: EmulatorFaults; configure?: Parameters<Emulator['configure']>[0]; attempts?: number }, during?: () => Promise<void>) {
  emulator.setFaults(setup.faults ?? {});
  if (setup.configure) emulator.configure(setup.configure);
  try {
    const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: { ...fast, transferAttempts: setup.attempts ?? 10 } });
    await during?.();
    return await handle.result().catch((e: unknown) => e as WorkflowFailedError);
  } finally {
    emulator.setFaults({});
    emulator.configure({ bytesPerRun: undefined, downloadUrlTtlSeconds: 300 });
  }
}

/** The archive holds exactly the emulator's file under the key, with a manifest saying so. */
async function expectVerifiedArchive(cfg: ReportConfig, result: unknown, size?: number): Promise<void> {
  expect(result).not.toBeInstanceOf(Error);
  const [o] = (result as { outcomes: { status: string; runId: string; file: { size: number } }[] }).outcomes;
  expect(o?.status).toBe('archived');
  const store = archiveFor(cfg.archive);
  const key = `${cfg.id}/2025-10/self.${cfg.result.compress ? 'zip' : 'csv'}`;
  const expected = await emulator.fileSha256(o!.runId);
  expect((await store.manifest(key))?.sha256).toBe(expected);
  expect(await sha256((await store.open(key))!)).toBe(expected);
  if (size !== undefined) expect(o!.file.size).toBe(size);
  expect(readdirSync(stagingDir).filter((f) => f.endsWith('.part'))).toEqual([]);
}

/** A clear failure: the message, nothing under the configuration in the archive, no partial file. */
async function expectCleanFailure(cfg: ReportConfig, result: unknown, message: RegExp): Promise<void> {
  expect(result).toBeInstanceOf(WorkflowFailedError);
  expect((result as WorkflowFailedError).cause?.message).toMatch(message);
  const keys: string[] = [];
  for await (const k of archiveFor(cfg.archive).keys(`${cfg.id}/`)) keys.push(k);
  expect(keys).toEqual([]);
  // Not even a partial download: the failed run's staged files are discarded.
  expect(readdirSync(stagingDir)).toEqual([]);
}

describe.each(ARCHIVE_BACKENDS)('downloads archived on the %s backend', (name) => {
  it.each([
    ['a truncated body (connection closed mid-stream)', 'truncated', { truncateDownloadRate: 1 }],
    ['a connection reset mid-stream (TCP RST)', 'reset', { resetDownloadRate: 1 }],
  ] as const)('%s resumes with Range and archives the exact file', async (_what, id, faults) => {
    const cfg = config(name, id);
    const ranges = emulator.counters().rangeRequests;
    // Every download is cut off until the first one was; then the connection behaves again.
    const before = emulator.counters().downloads;
    const result = await runWith(cfg, { faults, configure: { bytesPerRun: 5_000_000 } }, async () => {
      await expect.poll(() => emulator.counters().downloads, { timeout: 30_000, interval: 20 }).toBeGreaterThan(before);
      emulator.setFaults({});
    });
    expect(emulator.counters().rangeRequests).toBeGreaterThan(ranges);
    await expectVerifiedArchive(cfg, result, 5_000_000);
  });

  it('a body cut off on every attempt fails after the retry budget, and its partial file is removed', async () => {
    const cfg = config(name, 'always-cut');
    const result = await runWith(cfg, { faults: { truncateDownloadRate: 1 }, configure: { bytesPerRun: 2_000_000 }, attempts: 3 });
    await expectCleanFailure(cfg, result, /download of run reprun_\w+ broke after \d+ of 2000000 bytes/);
  });

  it.each([
    ['more', 1000],
    ['fewer', -1000],
  ])('a file with %s bytes than Stripe announced fails clearly and nothing is archived', async (_what, skew) => {
    const cfg = config(name, `size${skew}`);
    // The file has 200000 bytes; the API announces 200000 + skew.
    const result = await runWith(cfg, { faults: { sizeSkewBytes: skew }, configure: { bytesPerRun: 200_000 }, attempts: 3 });
    await expectCleanFailure(cfg, result, new RegExp(`has 200000 bytes but Stripe announced ${200_000 + skew}`));
  });

  it('a corrupt ZIP every time fails clearly (CRC-32) and nothing is archived', async () => {
    const cfg = config(name, 'corrupt-zip', { result: { compress: true } });
    const result = await runWith(cfg, { faults: { corruptDownloadRate: 1 }, configure: { bytesPerRun: 300_000 }, attempts: 2 });
    await expectCleanFailure(cfg, result, /CRC|corrupt/i);
  });

  it('a corrupt ZIP once is fetched again and the intact one archived', async () => {
    const cfg = config(name, 'corrupt-once', { result: { compress: true } });
    const before = emulator.counters().downloads;
    const result = await runWith(cfg, { faults: { corruptDownloadRate: 1 }, configure: { bytesPerRun: 300_000 } }, async () => {
      await expect.poll(() => emulator.counters().downloads, { timeout: 30_000, interval: 20 }).toBeGreaterThan(before);
      emulator.setFaults({});
    });
    await expectVerifiedArchive(cfg, result);
  });

  it('an expired URL (403) is fetched fresh from the run on the next attempt, and the file archived', async () => {
    const cfg = config(name, 'expired-once');
    const result = await runWith(cfg, { configure: { downloadUrlTtlSeconds: 0 } }, async () => {
      // Wait until a download attempt has failed on the expired URL, then let URLs live again.
      const child = client.workflow.getHandle(`report/${cfg.id}/2025-10/self`);
      await expect
        .poll(async () => (await child.describe().catch(() => undefined))?.raw.pendingActivities?.find((a) => a.activityType?.name === 'downloadReportFile')?.attempt ?? 0, {
          timeout: 30_000,
          interval: 50,
        })
        .toBeGreaterThan(1);
      emulator.configure({ downloadUrlTtlSeconds: 300 });
    });
    await expectVerifiedArchive(cfg, result);
  });

  it('a download URL refused past the retry budget fails with a clear reason, and nothing is archived', async () => {
    const cfg = config(name, 'expired');
    const result = await runWith(cfg, { configure: { downloadUrlTtlSeconds: 0 }, attempts: 3 });
    await expectCleanFailure(cfg, result, /download URL for run reprun_\w+ was refused \(403, expired or revoked\)/);
    // Stripe finished the run but its file never reached the archive: `reports status` warns
    // once Stripe's 90 days are running out (here: seen from 80 days on).
    const later = new Date(Date.now() + 80 * 86_400_000);
    const workflowId = `report/${cfg.id}/2025-10/self`;
    await expect.poll(async () => (await retentionWarnings(client, later)).find((w) => w.workflowId === workflowId)?.daysLeft, { timeout: 15_000 }).toBeLessThanOrEqual(10);
    expect((await retentionWarnings(client)).find((w) => w.workflowId === workflowId)).toBeUndefined();
  });

  it('a full disk fails clearly and leaves no partial file', async () => {
    // A 256 KiB tmpfs as the staging folder: a 2 MB report cannot fit. Needs root, as CI has.
    const small = mkdtempSync(path.join(tmpdir(), 'fulldisk-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    expect(mounted.status, `mount a tmpfs (needs root): ${mounted.stderr}`).toBe(0);
    const w = await startTestWorker({ stripe: { baseUrl: emulator.url, env: { KEY } }, archiveDir: path.join(small, 'archive'), s3Defaults: s3Credentials(s3) });
    emulator.configure({ bytesPerRun: 2_000_000 });
    try {
      const cfg = config(name, 'disk-full');
      const handle = await startReport(w.client, cfg, '2025-10', { taskQueue: w.taskQueue, timing: { ...fast, transferAttempts: 2 } });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err.cause?.message).toMatch(/disk full in .*staging after \d+ of 2000000 bytes/);
      expect(readdirSync(path.join(small, 'staging'))).toEqual([]);
      const keys: string[] = [];
      for await (const k of archiveFor(cfg.archive).keys(`${cfg.id}/`)) keys.push(k);
      expect(keys).toEqual([]);
    } finally {
      emulator.configure({ bytesPerRun: undefined });
      await w.close();
      spawnSync('umount', [small]);
    }
  });
});

describe('wrong S3 credentials', () => {
  it('fail the period before any ReportRun is created: once (not retried), clearly, without the secret', async () => {
    const secret = 'wrong-secret-do-not-print-0123456789';
    const w = await startTestWorker({ stripe: { baseUrl: emulator.url, env: { KEY } }, archiveDir, s3Defaults: s3Credentials(s3, secret) });
    const runsBefore = emulator.counters().runsCreated;
    try {
      const cfg = config('s3', 'wrong-creds');
      const handle = await startReport(w.client, cfg, '2025-10', { taskQueue: w.taskQueue, timing: fast });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      let root: Error = err;
      while (root.cause instanceof Error) root = root.cause;
      // The archive is read (what is archived already?) before Stripe is asked for anything.
      expect(root.message).toMatch(/refused \(403 SignatureDoesNotMatch.*check the access key, secret and the bucket policy/);
      expect(emulator.counters().runsCreated).toBe(runsBefore);
      const history = await handle.fetchHistory();
      expect(JSON.stringify(history)).not.toContain(secret);
      expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(secret);
      const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      const failed = history.events?.find((e) => e.activityTaskFailedEventAttributes);
      expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
      expect(failed?.activityTaskFailedEventAttributes?.retryState).toBe(proto.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
      const keys: string[] = [];
      for await (const k of archiveFor(cfg.archive).keys(`${cfg.id}/`)) keys.push(k);
      expect(keys).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe.each(ARCHIVE_BACKENDS)('a worker SIGKILLed halfway through a 1 GB download (%s backend)', (name) => {
  it('resumes from its offset with Range and archives a file whose sha256 matches the emulator', async () => {
    const taskQueue = `download-kill-${name}-${Date.now()}`;
    const startWorker = async () =>
      (
        await startWorkerProcess({
          taskQueue,
          stripeBase: emulator.url,
          archiveDir,
          // The S3 archive takes its credentials from the worker's standard AWS environment.
          env: { KEY, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
        })
      ).child;
    const GB = 1_000_000_000;
    emulator.configure({ bytesPerRun: GB });
    const rangesBefore = emulator.counters().rangeRequests;
    let worker = await startWorker();
    try {
      const cfg = config(name, 'one-gb');
      const handle = await startReport(client, cfg, '2025-10', { taskQueue, timing: fast });
      // The emulator runs in this process and keeps its event loop busy while it streams, so a
      // separate shell watches the partial file and kills the worker once a third has arrived.
      const watcher = spawn('bash', ['-c', `while :; do for f in "${stagingDir}"/*.part; do [ -f "$f" ] && [ $(stat -c %s "$f") -gt ${Math.floor(GB / 3)} ] && kill -9 ${worker.pid} && exit 0; done; sleep 0.05; done`]);
      const first = await Promise.race([
        new Promise<'killed'>((r) => worker.once('exit', () => r('killed'))),
        handle.result().then(() => 'finished' as const),
      ]);
      watcher.kill();
      expect(first, 'the worker is killed before the download finishes').toBe('killed');
      const partSize = () => readdirSync(stagingDir).filter((f) => f.endsWith('.part')).map((f) => statSync(path.join(stagingDir, f)).size)[0] ?? 0;
      const offset = partSize();
      expect(offset).toBeGreaterThan(GB / 3);
      expect(offset).toBeLessThan(GB);
      worker = await startWorker();
      const result = await handle.result();
      expect(emulator.counters().rangeRequests).toBeGreaterThan(rangesBefore);
      await expectVerifiedArchive(cfg, result, GB);
    } finally {
      worker.kill('SIGTERM');
      emulator.configure({ bytesPerRun: undefined });
    }
  }, 600_000);
});
