/**
 * The transfer (Stripe → archive in one activity) on real parts, on both archive backends (the
 * filesystem and a real S3-compatible server): a truncated body, a connection reset, a wrong
 * size, a corrupt ZIP, an expired URL, a URL refused past the retry budget, a full disk, wrong S3
 * credentials, a cancelled attempt resumed from its heartbeat details, and a worker SIGKILLed a
 * third of the way through a 1 GB transfer. Each ends in a verified archive (the stored bytes hash
 * to the emulator's sha256) or a clear failure with nothing archived, and in both cases no
 * partial file and no unfinished multipart upload left.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTransferActivities, type TransferCheckpoint } from '../../src/activities/transfer.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import type { S3Archive } from '../../src/archive/s3.js';
import { createArchiveFor, type ArchiveFor } from '../../src/archive/stores.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { ArchivedFile } from '../../src/domain/outcomes.js';
import type { ReportJob } from '../../src/domain/report-job.js';
import { type Emulator, type EmulatorFaults } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { retentionWarnings } from '../../src/cli/status-command.js';
import { loadFiringOutcomes } from '../../src/archive/firing-outcomes.js';
import type { ReportWorkflowResult } from '../../src/domain/outcomes.js';
import { outcomesOf } from '../helpers/outcomes.js';
import type { S3TestServer } from '../helpers/s3-server.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { ARCHIVE_BACKENDS, s3Credentials, startStack, type ArchiveBackend, type TestStack } from '../helpers/stack.js';

/** The activity's own log lines at error only: an attempt retried on purpose logs a WARN with its stack. */
const quiet = { logger: new DefaultLogger('ERROR') };

const KEY = 'sk_test_download0key0000';

let stack: TestStack;
let emulator: Emulator;
let s3: S3TestServer;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;
let archiveFor: ArchiveFor;
let stripe: TestStack['stripe'];

beforeAll(async () => {
  stack = await startStack({ name: 'download', emulator: { processingMs: 200, seed: 3 }, keys: { KEY }, s3: true });
  ({ emulator, temporal, client, archiveDir, archiveFor, stripe } = stack);
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

/** Partial files (filesystem) or unfinished multipart uploads (S3) under a configuration. */
async function leftovers(cfg: ReportConfig, root = archiveDir): Promise<string[]> {
  if (cfg.archive?.backend === 's3') {
    const uploads = await s3.client().send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `downloads/${cfg.id}/` }));
    return (uploads.Uploads ?? []).map((u) => `upload ${u.Key}`);
  }
  const dir = path.join(root, cfg.id, '2025-10');
  return readdirSync(dir, { withFileTypes: true } as const)
    .filter((e) => e.name.endsWith('.partial'))
    .map((e) => e.name);
}

/** The period's finance summary (derived from the files, beside them): not what these tests count. */
const SUMMARY = /(^|\/)summary\.(json|md)$/;

/** Everything stored under a configuration but its summary: archived files, manifests, objects without a manifest. */
async function storedNames(cfg: ReportConfig, root = archiveDir): Promise<string[]> {
  if (cfg.archive?.backend === 's3') {
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `downloads/${cfg.id}/` }));
    return (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !SUMMARY.test(k));
  }
  return readdirSync(path.join(root, cfg.id, '2025-10')).filter((n) => !n.endsWith('.partial') && !SUMMARY.test(n));
}

/** The archive holds exactly the emulator's file under the key, with a manifest saying so, and nothing partial. */
async function expectVerifiedArchive(cfg: ReportConfig, result: unknown, size?: number): Promise<void> {
  expect(result).not.toBeInstanceOf(Error);
  const store = archiveFor(cfg.archive);
  const [o] = (await outcomesOf(result as ReportWorkflowResult, store)) as { status: string; runId: string; file: { size: number } }[];
  expect(o?.status).toBe('archived');
  const key = `${cfg.id}/2025-10/self.${cfg.result.compress ? 'zip' : 'csv'}`;
  const expected = await emulator.fileSha256(o!.runId);
  expect((await store.manifest(key))?.sha256).toBe(expected);
  expect(await sha256((await store.open(key))!)).toBe(expected);
  if (size !== undefined) expect(o!.file.size).toBe(size);
  expect(await leftovers(cfg)).toEqual([]);
}

/** The name storedNames gives the period's outcome file. */
function outcomesName(cfg: ReportConfig): string {
  return cfg.archive?.backend === 's3' ? `downloads/${cfg.id}/2025-10/outcomes.json` : 'outcomes.json';
}

/**
 * A clear failure: the message, nothing under the configuration in the archive, nothing partial;
 * only the period's outcome file, saying why.
 */
async function expectCleanFailure(cfg: ReportConfig, result: unknown, message: RegExp, root = archiveDir): Promise<void> {
  expect(result).toBeInstanceOf(WorkflowFailedError);
  expect((result as WorkflowFailedError).cause?.message).toMatch(message);
  const store = archiveFor(cfg.archive);
  const keys: string[] = [];
  for await (const k of store.keys(`${cfg.id}/`)) keys.push(k);
  expect(keys).toEqual([]);
  expect((await loadFiringOutcomes(store, cfg.id, '2025-10'))?.outcomes).toEqual([expect.objectContaining({ target: 'self', status: 'failed', reason: expect.stringMatching(message) })]);
  // Not even a partial file or upload: the failed run's transfer is discarded.
  expect(await leftovers(cfg, root).catch(() => [])).toEqual([]);
  expect(await storedNames(cfg, root).catch(() => [])).toEqual([outcomesName(cfg)]);
}

/** Counts UploadPart bytes per part number on the in-process worker's S3 client. */
function countParts(cfg: ReportConfig): Map<number, number[]> {
  const parts = new Map<number, number[]>();
  const store = archiveFor(cfg.archive) as S3Archive;
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { PartNumber?: number; ContentLength?: number; Key?: string };
      if (context.commandName === 'UploadPartCommand' && input.Key?.includes(`/${cfg.id}`)) {
        parts.set(input.PartNumber!, [...(parts.get(input.PartNumber!) ?? []), input.ContentLength!]);
      }
      return next(args);
    },
    { step: 'initialize', name: `countParts-${cfg.id}` },
  );
  return parts;
}

/**
 * A real run of `cfg` gives the job and the run id; its own transfer is left to finish (a forced
 * re-run would make a new ReportRun). Returns the same job under another business key: a fresh
 * transfer of the same run's file, for an activity driven by hand.
 */
async function anotherTransferOfARun(cfg: ReportConfig): Promise<{ runId: string; again: ReportJob }> {
  const result = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: fast }).then((h) => h.result());
  const [o] = await outcomesOf(result, archiveFor(cfg.archive));
  expect(o?.status).toBe('archived');
  const runId = (o as { runId: string }).runId;
  const history = await client.workflow.getHandle(`report/${cfg.id}/2025-10/self`).fetchHistory();
  const job = (await import('@temporalio/common')).defaultPayloadConverter.fromPayload(
    history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
  ) as ReportJob;
  return { runId, again: { ...job, configId: `${cfg.id}-again`, businessKey: `${job.businessKey}-again` } };
}

describe.each(ARCHIVE_BACKENDS)('transfers archived on the %s backend', (name) => {
  it.each([
    ['a truncated body (connection closed mid-stream)', 'truncated', { truncateDownloadRate: 1 }],
    ['a connection reset mid-stream (TCP RST)', 'reset', { resetDownloadRate: 1 }],
  ] as const)('%s resumes where it broke and archives the exact file', async (_what, id, faults) => {
    const cfg = config(name, id);
    const size = 30_000_000;
    const ranges = emulator.counters().rangeRequests;
    const parts = name === 's3' ? countParts(cfg) : undefined;
    // Every download is cut off until the first one was; then the connection behaves again.
    const before = emulator.counters().downloads;
    const result = await runWith(cfg, { faults, configure: { bytesPerRun: size } }, async () => {
      await expect.poll(() => emulator.counters().downloads, { timeout: 30_000, interval: 20 }).toBeGreaterThan(before);
      emulator.setFaults({});
    });
    await expectVerifiedArchive(cfg, result, size);
    if (name === 'filesystem') {
      // The retry asked only for the rest (Range: bytes=N-), the prefix re-hashed from the partial file.
      expect(emulator.counters().rangeRequests).toBeGreaterThan(ranges);
    } else {
      // The retry re-read the prefix from Stripe to hash it, but uploaded every byte exactly once:
      // the first part (8 MiB, sent before the cut) is not sent again.
      const sent = [...parts!.values()].flat();
      expect(parts!.get(1)).toEqual([8 * 1024 * 1024]);
      expect(sent.reduce((a, b) => a + b, 0)).toBe(size);
    }
  });

  it('a body cut off on every attempt fails after the retry budget, and its partial file or upload is removed', async () => {
    const cfg = config(name, 'always-cut');
    const result = await runWith(cfg, { faults: { truncateDownloadRate: 1 }, configure: { bytesPerRun: 20_000_000 }, attempts: 3 });
    await expectCleanFailure(cfg, result, /download of run reprun_\w+ (broke|ended) after \d+ of 20000000 bytes/);
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
      // Wait until a transfer attempt has failed on the expired URL, then let URLs live again.
      const child = client.workflow.getHandle(`report/${cfg.id}/2025-10/self`);
      await expect
        .poll(async () => (await child.describe().catch(() => undefined))?.raw.pendingActivities?.find((a) => a.activityType?.name === 'transferReportFile')?.attempt ?? 0, {
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

  it('a cancelled attempt hands back at once, keeps its partial write, and the next resumes from its heartbeat details', async () => {
    const cfg = config(name, 'cancelled');
    const size = 400_000_000;
    emulator.configure({ bytesPerRun: size });
    const parts = name === 's3' ? countParts(cfg) : undefined;
    try {
      const { runId, again } = await anotherTransferOfARun(cfg);
      const againCfg = { ...cfg, id: `${cfg.id}-again` };
      parts?.clear();
      const { transferReportFile } = createTransferActivities(stripe.clientFor, archiveFor);

      const first = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, quiet);
      let last: TransferCheckpoint | undefined;
      first.on('heartbeat', (d: TransferCheckpoint) => {
        last = d;
        if (d.bytes > 0) first.cancel();
      });
      const started = Date.now();
      const cancelled = await first.run(transferReportFile, again, runId).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cancelled).toBeInstanceOf(CancelledFailure);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(last!.bytes).toBeGreaterThan(0);
      expect(last!.bytes).toBeLessThan(size);
      expect(await leftovers(againCfg as ReportConfig)).toHaveLength(1);

      const rangesBefore = emulator.counters().rangeRequests;
      const second = new MockActivityEnvironment({ heartbeatDetails: last, attempt: 2 }, quiet);
      let resumedAt: number | undefined;
      second.on('heartbeat', (d: TransferCheckpoint) => (resumedAt ??= d.bytes));
      const file = (await second.run(transferReportFile, again, runId)) as ArchivedFile;
      expect(file.sha256).toBe(await emulator.fileSha256(runId));
      expect(await leftovers(againCfg as ReportConfig)).toEqual([]);
      if (name === 'filesystem') {
        // Resumed from the partial file: its prefix re-hashed, the rest asked for with Range.
        expect(resumedAt).toBeGreaterThanOrEqual(last!.bytes - 64 * 1024 * 1024);
        expect(resumedAt).toBeGreaterThan(0);
        expect(emulator.counters().rangeRequests).toBe(rangesBefore + 1);
      } else {
        // The upload of the cancelled attempt was continued: no part went up twice.
        expect(last!.write).toMatchObject({ backend: 's3' });
        for (const [n, sizes] of parts!) expect(sizes, `part ${n}`).toHaveLength(1);
        expect([...parts!.values()].flat().reduce((a, b) => a + b, 0)).toBe(size);
      }

      // Once archived, another attempt returns the archived file without transferring again.
      const downloads = emulator.counters().downloads;
      // (Retried once like Temporal would: a kept-alive connection to the busy emulator may be reset.)
      const third = () => new MockActivityEnvironment({ attempt: 3 }, quiet).run(transferReportFile, again, runId);
      expect(await third().catch(third)).toEqual(file);
      expect(emulator.counters().downloads).toBe(downloads);
    } finally {
      emulator.configure({ bytesPerRun: undefined });
    }
  }, 300_000);

  it('a fresh transfer that ends within a second sends no heartbeat (a server write per target with nothing to resume from)', async () => {
    const cfg = config(name, 'quiet-beat');
    emulator.configure({ bytesPerRun: 200_000 });
    try {
      const { runId, again } = await anotherTransferOfARun(cfg);
      const { transferReportFile } = createTransferActivities(stripe.clientFor, archiveFor);
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, quiet);
      const beats: TransferCheckpoint[] = [];
      env.on('heartbeat', (d: TransferCheckpoint) => beats.push(d));
      const started = Date.now();
      const file = (await env.run(transferReportFile, again, runId)) as ArchivedFile;
      expect(file.sha256).toBe(await emulator.fileSha256(runId));
      // (A loaded machine may take over a second for 200 kB: then one beat, never one at byte 0.)
      if (Date.now() - started < 1_000) expect(beats).toEqual([]);
      expect(beats.filter((b) => b.bytes === 0)).toEqual([]);
    } finally {
      emulator.configure({ bytesPerRun: undefined });
    }
  }, 120_000);
});

describe('a full disk', () => {
  it('fails clearly and leaves no partial file', async () => {
    // A 256 KiB tmpfs as the archive folder: a 2 MB report cannot fit. Needs root, as CI has.
    const small = mkdtempSync(path.join(tmpdir(), 'fulldisk-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    expect(mounted.status, `mount a tmpfs (needs root): ${mounted.stderr}`).toBe(0);
    const w = await startTestWorker({ stripe: { baseUrl: emulator.url, env: { KEY } }, archiveDir: path.join(small, 'archive'), s3Defaults: s3Credentials(s3) });
    emulator.configure({ bytesPerRun: 2_000_000 });
    try {
      const cfg = config('filesystem', 'disk-full');
      const handle = await startReport(w.client, cfg, '2025-10', { taskQueue: w.taskQueue, timing: { ...fast, transferAttempts: 2 } });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err.cause?.message).toMatch(/disk full in .*archive after \d+ of 2000000 bytes/);
      expect(readdirSync(path.join(small, 'archive', cfg.id, '2025-10')).filter((n) => !SUMMARY.test(n))).toEqual(['outcomes.json']);
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

/** A watcher (Node, no other tool): SIGKILL process VICTIM once WORKFLOW_ID's transfer heartbeats more than BYTES. */
const KILL_PAST_BYTES = `
const { Client, Connection } = require('@temporalio/client');
(async () => {
  const client = new Client({ connection: await Connection.connect({ address: process.env.ADDRESS }) });
  for (;;) {
    const described = await client.workflow.getHandle(process.env.WORKFLOW_ID).describe().catch(() => undefined);
    for (const p of described?.raw.pendingActivities ?? []) {
      const data = p.heartbeatDetails?.payloads?.[0]?.data;
      const d = data ? JSON.parse(Buffer.from(data).toString('utf8')) : {};
      if (d.bytes > Number(process.env.BYTES) && d.bytes < d.of) {
        process.kill(Number(process.env.VICTIM), 'SIGKILL');
        process.exit(0);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
`;

describe.each(ARCHIVE_BACKENDS)('a worker SIGKILLed a third of the way through a 1 GB transfer (%s backend)', (name) => {
  it('the retry resumes from the heartbeat details, not from byte 0, and archives a file whose sha256 matches the emulator', async () => {
    const taskQueue = `download-kill-${name}-${Date.now()}`;
    const startWorker = async () =>
      (
        await startWorkerProcess({
          taskQueue,
          stripeBase: emulator.url,
          archiveDir,
          // The S3 archive takes its credentials from the worker's standard AWS environment. A key
          // of its own per backend: its permit pool (per key) then lives on this test's task queue,
          // not on the one of a worker an earlier test stopped.
          env: { KEY: `${KEY}${name === 's3' ? '0s3' : '0fs'}`, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
        })
      ).child;
    const GB = 1_000_000_000;
    emulator.configure({ bytesPerRun: GB });
    const rangesBefore = emulator.counters().rangeRequests;
    let worker = await startWorker();
    try {
      const cfg = config(name, 'one-gb');
      const workflowId = `report/${cfg.id}/2025-10/self`;
      const handle = await startReport(client, cfg, '2025-10', { taskQueue, timing: fast });
      // The emulator runs in this process and keeps its event loop busy while it streams, so a
      // separate process watches the transfer's heartbeat (bytes) and kills the worker past a third.
      const watcher = spawn(process.execPath, ['-e', KILL_PAST_BYTES], {
        env: { ...process.env, ADDRESS: inject('temporalAddress'), WORKFLOW_ID: workflowId, BYTES: String(Math.floor(GB / 3)), VICTIM: String(worker.pid) },
        stdio: 'ignore',
      });
      const first = await Promise.race([
        new Promise<'killed'>((r) => worker.once('exit', () => r('killed'))),
        handle.result().then(() => 'finished' as const),
      ]);
      watcher.kill();
      expect(first, 'the worker is killed before the transfer finishes').toBe('killed');
      const pending = async () => (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'transferReportFile');
      const { defaultPayloadConverter } = await import('@temporalio/common');
      const details = async () => {
        const p = (await pending())?.heartbeatDetails?.payloads?.[0];
        return p ? (defaultPayloadConverter.fromPayload(p) as TransferCheckpoint) : undefined;
      };
      const killedAt = (await details())!;
      expect(killedAt.bytes).toBeGreaterThan(GB / 3);
      expect(killedAt.bytes).toBeLessThan(GB);
      expect(await leftovers(cfg)).toHaveLength(1);

      worker = await startWorker();
      // The next attempt's first heartbeat, sent before it asks Stripe for anything: where it resumes.
      let resumed: TransferCheckpoint | undefined;
      await expect
        .poll(
          async () => {
            const p = await pending();
            const d = await details();
            if ((p?.attempt ?? 0) > 1 && d && d !== killedAt && JSON.stringify(d) !== JSON.stringify(killedAt)) resumed ??= d;
            return resumed !== undefined || (await handle.describe()).status.name !== 'RUNNING';
          },
          { timeout: 120_000, interval: 100 },
        )
        .toBe(true);
      const result = await handle.result();
      await expectVerifiedArchive(cfg, result, GB);
      if (name === 'filesystem') {
        expect(emulator.counters().rangeRequests).toBeGreaterThan(rangesBefore);
        if (resumed) expect(resumed.bytes).toBeGreaterThanOrEqual(GB / 3);
      } else if (resumed) {
        // The same multipart upload, continued: its parts were not sent again.
        const [k, r] = [killedAt.write, resumed.write];
        expect(k.backend === 's3' && r.backend === 's3' && r.uploadId === k.uploadId).toBe(true);
        if (k.backend === 's3' && r.backend === 's3') expect(r.parts.length).toBeGreaterThanOrEqual(k.parts.length);
      }
    } finally {
      worker.kill('SIGTERM');
      emulator.configure({ bytesPerRun: undefined });
    }
  }, 600_000);
});
