/**
 * The same archive behaviour on both backends, through real workflows: a report archived with its
 * manifest, skipped when run again, a forced re-run with different content kept as a second
 * version (never overwritten), and `verify` finding tampered and missing files.
 */
import type { Client } from '@temporalio/client';
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveFor } from '../../src/archive/stores.js';
import { verifyArchive } from '../../src/archive/verify.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { Emulator } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { outcomesOf, withOutcomes } from '../helpers/outcomes.js';
import type { S3TestServer } from '../helpers/s3-server.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { ARCHIVE_BACKENDS, startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let emulator: Emulator;
let s3: S3TestServer;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;
let archiveFor: ArchiveFor;

beforeAll(async () => {
  stack = await startStack({ name: 'backends', emulator: { processingMs: 200 }, keys: { KEY: 'sk_test_backends0key00' }, s3: true });
  ({ emulator, temporal, client, archiveDir, archiveFor } = stack);
  s3 = stack.s3!;
});

afterAll(async () => {
  await stack?.close();
});

describe.each(ARCHIVE_BACKENDS)('on the %s backend', (name) => {
  const config = (): ReportConfig =>
    ReportConfigSchema.parse({ id: `versions-${name}`, report: 'balance_change_from_activity.itemized.3', mode: 'sandbox', key_env: 'KEY', archive: stack.archiveSpec(name, 'reports') });
  const run = async (force = false) => withOutcomes(await (await startReport(client, config(), '2025-10', { taskQueue: temporal.taskQueue, force, timing: { initialMs: 200 } })).result(), archiveFor(config().archive));

  it('archives once, skips a second run, keeps different content as a second version', async () => {
    const store = archiveFor(config().archive);
    const first = (await run()).outcomes[0]!;
    expect(first.status).toBe('archived');
    if (first.status !== 'archived') return;
    const manifest = await store.manifest(`versions-${name}/2025-10/self.csv`);
    expect(manifest?.sha256).toBe(await emulator.fileSha256(first.runId));

    expect((await run()).outcomes[0]?.status).toBe('skipped');

    // Stripe's data changed (more rows) and the period is forced: both files are kept.
    emulator.configure({ rowsPerRun: 80 });
    try {
      const second = (await run(true)).outcomes[0]!;
      expect(second.status).toBe('archived');
      if (second.status !== 'archived') return;
      expect(second.file.location).toMatch(/self\.v2\.csv$/);
      const v2 = await store.manifest(`versions-${name}/2025-10/self.v2.csv`);
      expect(v2).toMatchObject({ sha256: await emulator.fileSha256(second.runId), supersedes: `versions-${name}/2025-10/self.csv` });
      expect((await store.manifest(`versions-${name}/2025-10/self.csv`))?.sha256).toBe(manifest?.sha256);
    } finally {
      emulator.configure({ rowsPerRun: 50 });
    }

    const all = await verifyArchive(store, `versions-${name}/`);
    // The period's finance summary is checked too, and names the file it read.
    expect(all.filter((f) => f.status.startsWith('summary')).map((f) => f.status)).toEqual(['summary-ok']);
    const findings = all.filter((f) => !f.status.startsWith('summary'));
    expect(findings.map((f) => [f.key, f.status])).toEqual([
      [`versions-${name}/2025-10/self.csv`, 'ok'],
      [`versions-${name}/2025-10/self.v2.csv`, 'ok'],
    ]);
  });

  it('result.extract: the ZIP and the CSV inside it are both archived, the CSV byte-identical to an uncompressed run', async () => {
    const fields = { report: 'balance_change_from_activity.itemized.3', mode: 'sandbox', key_env: 'KEY', archive: stack.archiveSpec(name, 'reports') };
    const zipped = ReportConfigSchema.parse({ id: `extract-${name}`, ...fields, result: { compress: true, extract: true } });
    const plain = ReportConfigSchema.parse({ id: `plain-${name}`, ...fields });
    const runOf = async (cfg: ReportConfig) => (await outcomesOf(await (await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue, timing: { initialMs: 200 } })).result(), archiveFor(cfg.archive)))[0]!;
    const [z, p] = await Promise.all([runOf(zipped), runOf(plain)]);
    expect(z.status).toBe('archived');
    expect(p.status).toBe('archived');
    if (z.status !== 'archived' || p.status !== 'archived') return;
    // The emulator's files are a function of the report and its parameters: the uncompressed
    // run's file is what the ZIP must hold.
    const csvSha = await emulator.fileSha256(p.runId);
    expect(z.file.contentType).toBe('zip');
    expect(z.file.extracted).toMatchObject({ contentType: 'csv', sha256: csvSha, size: p.file.size });
    const store = archiveFor(zipped.archive);
    const zipManifest = await store.manifest(`extract-${name}/2025-10/self.zip`);
    expect(zipManifest?.sha256).toBe(await emulator.fileSha256(z.runId));
    expect(await store.manifest(`extract-${name}/2025-10/self.csv`)).toMatchObject({
      sha256: csvSha,
      content_type: 'csv',
      run_id: z.runId,
      extracted_from: { key: `extract-${name}/2025-10/self.zip`, sha256: zipManifest?.sha256, entry: expect.stringMatching(/\.csv$/) },
    });
    expect((await verifyArchive(store, `extract-${name}/`)).filter((f) => !f.status.startsWith('summary')).map((f) => [f.key, f.status])).toEqual([
      [`extract-${name}/2025-10/self.csv`, 'ok'],
      [`extract-${name}/2025-10/self.zip`, 'ok'],
    ]);
    // Run again: the ZIP is found archived, nothing new.
    expect((await runOf(zipped)).status).toBe('skipped');
  });

  it('verify reports a tampered file and a missing file', async () => {
    const store = archiveFor(config().archive);
    const tamper = async (key: string, text: string) => {
      if (name === 'filesystem') appendFileSync(path.join(archiveDir, key), text);
      else await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: `reports/${key}`, Body: text }));
    };
    const remove = async (key: string) => {
      if (name === 'filesystem') rmSync(path.join(archiveDir, key));
      else await s3.client().send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `reports/${key}` }));
    };
    await tamper(`versions-${name}/2025-10/self.csv`, 'x');
    await remove(`versions-${name}/2025-10/self.v2.csv`);
    const findings = await verifyArchive(store, `versions-${name}/2025-10/`);
    const byKey = Object.fromEntries(findings.map((f) => [f.key, f.status]));
    expect(byKey[`versions-${name}/2025-10/self.csv`]).toMatch(/size-mismatch|hash-mismatch/);
    expect(byKey[`versions-${name}/2025-10/self.v2.csv`]).toBe('missing');
  });
});
