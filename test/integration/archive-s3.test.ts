/**
 * The S3 archive against a real S3-compatible server (versitygw, posix backend) on loopback:
 * put → find/manifest, same content again is a no-op, different content is refused and the first
 * stays, a 50 MB file goes up in parts with its sha256 intact, wrong credentials fail fast and
 * clearly. No mock and no skip: if the server cannot start, beforeAll throws and every test fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import {
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveConflictError } from '../../src/archive/filesystem.js';
import type { ArchiveManifest } from '../../src/archive/manifest.js';
import { ArchiveAccessError, S3Archive } from '../../src/archive/s3.js';
import { archiveKey } from '../../src/archive/store.js';
import { ReportsError } from '../../src/domain/errors.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

let server: S3TestServer;
let staging: string;
let client: S3Client;
let startError: unknown;

beforeAll(async () => {
  staging = mkdtempSync(path.join(tmpdir(), 'reports-s3-staging-'));
  try {
    server = await startS3Server();
    client = server.client();
  } catch (err) {
    // Kept and thrown in every test: a failed beforeAll would only mark the tests skipped.
    startError = err;
  }
}, 600_000);

beforeEach(() => {
  if (startError) throw new Error(`the S3 test server did not start: ${startError instanceof Error ? startError.message : String(startError)}`);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (staging) rmSync(staging, { recursive: true, force: true });
});

function archive(prefix = 'reports', extra: Partial<ConstructorParameters<typeof S3Archive>[0]> = {}): S3Archive {
  return new S3Archive({
    bucket: server.bucket,
    prefix,
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...extra,
  });
}

let counter = 0;
function stage(content: Buffer | string): { stagedPath: string; size: number; sha256: string } {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const stagedPath = path.join(staging, `staged-${++counter}.csv`);
  writeFileSync(stagedPath, buffer);
  return { stagedPath, size: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex') };
}

function manifestFor(file: { size: number; sha256: string }, config = 'monthly', period = '2025-10', target = 'acct_1'): ArchiveManifest {
  return {
    manifest_version: 1,
    config,
    period: { name: period, unit: 'month', timezone: 'UTC', interval_start: '2025-10-01T00:00:00Z', interval_end: '2025-11-01T00:00:00Z' },
    target: { id: target, kind: 'account', stripe_context: target },
    api: 'v2',
    report: 'balance.summary.1',
    parameters: {},
    run_id: 'frr_test',
    livemode: false,
    size: file.size,
    sha256: file.sha256,
    content_type: 'csv',
    source_host: 'files.stripe.com',
    downloaded_at: '2025-11-02T06:00:00Z',
    archived_at: '2025-11-02T06:00:01Z',
    project_version: 'test',
  };
}

async function objectBytes(key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe('S3Archive on a real S3-compatible server', () => {
  it('describes itself as s3://bucket/prefix', () => {
    expect(archive('reports/').describe()).toBe(`s3://${server.bucket}/reports`);
    expect(archive('').describe()).toBe(`s3://${server.bucket}`);
  });

  it('puts a file and its manifest; find and manifest read them back', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2025-10', 'acct_1', 'csv');
    expect(await store.find(key)).toBeUndefined();
    expect(await store.manifest(key)).toBeUndefined();

    const file = stage('a,b\n1,2\n');
    const manifest = manifestFor(file);
    const put = await store.put({ key, stagedPath: file.stagedPath, manifest });
    expect(put).toEqual({
      location: `s3://${server.bucket}/reports/monthly/2025-10/acct_1.csv`,
      manifestLocation: `s3://${server.bucket}/reports/monthly/2025-10/acct_1.csv.manifest.json`,
      size: file.size,
      sha256: file.sha256,
      contentType: 'csv',
    });
    expect(existsSync(file.stagedPath)).toBe(false);
    expect(await store.find(key)).toEqual(put);
    expect(await store.manifest(key)).toEqual(manifest);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: 'reports/monthly/2025-10/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'reports/monthly/2025-10/acct_1.csv',
      'reports/monthly/2025-10/acct_1.csv.manifest.json',
    ]);
    expect((await objectBytes('reports/monthly/2025-10/acct_1.csv')).toString()).toBe('a,b\n1,2\n');
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: 'reports/monthly/2025-10/acct_1.csv', ChecksumMode: 'ENABLED' }));
    expect(head.Metadata?.sha256).toBe(file.sha256);
    expect(head.ChecksumSHA256).toBe(Buffer.from(file.sha256, 'hex').toString('base64'));
  });

  it('storing the same content again is a no-op and drops the staged copy', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2025-11', 'acct_1', 'csv');
    const first = stage('same\n');
    await store.put({ key, stagedPath: first.stagedPath, manifest: manifestFor(first, 'monthly', '2025-11') });
    const before = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `reports/${key}.manifest.json` }));

    const again = stage('same\n');
    const second = await store.put({ key, stagedPath: again.stagedPath, manifest: { ...manifestFor(again, 'monthly', '2025-11'), archived_at: '2030-01-01T00:00:00Z' } });
    expect(second.sha256).toBe(first.sha256);
    expect(existsSync(again.stagedPath)).toBe(false);
    const after = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `reports/${key}.manifest.json` }));
    expect(after.ETag).toBe(before.ETag);
    expect((await store.manifest(key))?.archived_at).toBe('2025-11-02T06:00:01Z');
  });

  it('refuses different content under the same key and keeps the first', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2025-12', 'acct_1', 'csv');
    const first = stage('first\n');
    await store.put({ key, stagedPath: first.stagedPath, manifest: manifestFor(first, 'monthly', '2025-12') });

    const other = stage('second, different\n');
    const attempt = store.put({ key, stagedPath: other.stagedPath, manifest: manifestFor(other, 'monthly', '2025-12') });
    await expect(attempt).rejects.toBeInstanceOf(ArchiveConflictError);
    await expect(attempt).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/refusing to overwrite/) });
    expect((await objectBytes(`reports/${key}`)).toString()).toBe('first\n');
    expect((await store.manifest(key))?.sha256).toBe(first.sha256);
    expect(existsSync(other.stagedPath)).toBe(true);
  });

  it('finishes a put that stopped between the file and its manifest, and refuses a stray object of other content', async () => {
    const store = archive();
    // The file went up, then the worker died before the manifest: the retry completes it.
    const key = archiveKey('monthly', '2026-01', 'acct_1', 'csv');
    const file = stage('interrupted\n');
    const manifest = manifestFor(file, 'monthly', '2026-01');
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `reports/${key}`, Body: 'interrupted\n', Metadata: { sha256: file.sha256 } }));
    expect(await store.find(key)).toBeUndefined();
    const done = await store.put({ key, stagedPath: file.stagedPath, manifest });
    expect(await store.find(key)).toEqual(done);

    // An object without a manifest holding other bytes is never overwritten.
    const strayKey = archiveKey('monthly', '2026-02', 'acct_1', 'csv');
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `reports/${strayKey}`, Body: 'stray\n' }));
    const mine = stage('mine\n');
    await expect(store.put({ key: strayKey, stagedPath: mine.stagedPath, manifest: manifestFor(mine, 'monthly', '2026-02') })).rejects.toBeInstanceOf(
      ArchiveConflictError,
    );
    expect((await objectBytes(`reports/${strayKey}`)).toString()).toBe('stray\n');
    expect(await store.manifest(strayKey)).toBeUndefined();
  });

  it('uploads a 50 MB file in several parts, streamed, and its sha256 reads back intact', async () => {
    const store = archive('big', { partSize: 8 * 1024 * 1024 });
    const key = archiveKey('daily', '2025-10-14', 'acct_big', 'csv');
    const stagedPath = path.join(staging, 'big.csv');
    const hash = createHash('sha256');
    const out = createWriteStream(stagedPath);
    const size = 50 * 1024 * 1024;
    for (let written = 0; written < size; ) {
      const chunk = randomBytes(Math.min(1024 * 1024, size - written));
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      written += chunk.length;
    }
    out.end();
    await once(out, 'finish');
    const sha256 = hash.digest('hex');

    const parts: number[] = [];
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') parts.push((args.input as { PartNumber: number }).PartNumber);
        return next(args);
      },
      { step: 'initialize', name: 'countParts' },
    );

    const put = await store.put({ key, stagedPath, manifest: manifestFor({ size, sha256 }, 'daily', '2025-10-14', 'acct_big') });
    expect(put.size).toBe(size);
    expect(parts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const objectKey = `big/${key}`;
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: objectKey }));
    expect(head.ContentLength).toBe(size);
    expect(head.ETag).toMatch(/-7"?$/);
    // The server's view: the multipart ETag carries the part count; the object's SHA-256 checksum
    // is the composite of the part checksums the server verified. (versitygw keeps no per-part
    // list after completion, and refuses several attributes in one GetObjectAttributes.)
    const checksum = await client.send(new GetObjectAttributesCommand({ Bucket: server.bucket, Key: objectKey, ObjectAttributes: ['Checksum'] }));
    expect(checksum.Checksum?.ChecksumSHA256).toBeTruthy();
    expect(checksum.Checksum?.ChecksumType).toBe('COMPOSITE');
    expect((await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: objectKey, PartNumber: 1 }))).PartsCount).toBe(7);

    const readBack = createHash('sha256');
    const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: objectKey }));
    for await (const chunk of res.Body as AsyncIterable<Buffer>) readBack.update(chunk);
    expect(readBack.digest('hex')).toBe(sha256);
    expect((await store.find(key))?.sha256).toBe(sha256);
    expect(existsSync(stagedPath)).toBe(false);

    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 180_000);

  it('wrong credentials fail fast with a clear, non-retryable error that never shows the secret', async () => {
    const secret = 'definitely-not-the-secret-9f8e7d';
    const store = new S3Archive({
      bucket: server.bucket,
      prefix: 'reports',
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: secret },
    });
    const file = stage('x\n');
    const started = Date.now();
    const error = await store.put({ key: archiveKey('monthly', '2025-10', 'acct_9', 'csv'), stagedPath: file.stagedPath, manifest: manifestFor(file) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ArchiveAccessError);
    expect(error).toBeInstanceOf(ReportsError);
    const e = error as ArchiveAccessError;
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/refused/);
    expect(e.message).toContain(`s3://${server.bucket}/reports`);
    expect(e.message).not.toContain(secret);
    expect(JSON.stringify(e)).not.toContain(secret);

    const unknownKey = new S3Archive({
      bucket: server.bucket,
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: 'nobody', secretAccessKey: secret },
    });
    await expect(unknownKey.find('monthly/2025-10/acct_1.csv')).rejects.toMatchObject({ name: 'ArchiveAccessError', retryable: false });
    // A missing bucket is a configuration error too, not something to retry.
    await expect(archive('reports', { bucket: 'no-such-bucket' }).manifest('monthly/2025-10/acct_1.csv')).rejects.toMatchObject({
      name: 'ArchiveAccessError',
      retryable: false,
    });
  });

  it('passes server-side encryption through on every write', async () => {
    const store = archive('sse', { serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/reports' });
    const seen: Array<{ command: string; sse?: string; kms?: string }> = [];
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
        if (context.commandName === 'PutObjectCommand') {
          seen.push({ command: context.commandName, sse: headers['x-amz-server-side-encryption'], kms: headers['x-amz-server-side-encryption-aws-kms-key-id'] });
          // The test server has no KMS: stop here, after the headers are built.
          throw Object.assign(new Error('stopped by the test'), { name: 'StoppedByTest', $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureSse' },
    );
    const file = stage('encrypted\n');
    await expect(store.put({ key: archiveKey('monthly', '2025-10', 'acct_1', 'csv'), stagedPath: file.stagedPath, manifest: manifestFor(file) })).rejects.toThrow(
      /stopped by the test/,
    );
    expect(seen).toEqual([{ command: 'PutObjectCommand', sse: 'aws:kms', kms: 'alias/reports' }]);
    expect(() => new S3Archive({ bucket: 'b', kmsKeyId: 'k' })).toThrow(/aws:kms/);
  });

  it('refuses keys that leave the prefix', async () => {
    await expect(archive().find('../outside.csv')).rejects.toBeInstanceOf(ArchiveConflictError);
  });
});
