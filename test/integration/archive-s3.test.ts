/**
 * The S3 archive against a real S3-compatible server (versitygw, posix backend) on loopback:
 * write → place → manifest, find/manifest read back, the same manifest again is a no-op, different
 * content is refused and the first stays, a 50 MB file goes up in parts with its sha256 intact, an
 * interrupted upload resumes without sending its parts again (and refuses other bytes), cleanup
 * aborts unfinished uploads, wrong credentials fail fast and clearly. No mock and no skip: if the
 * server cannot start, beforeAll throws and every test fails.
 */
import { createHash, randomBytes } from 'node:crypto';
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
import { ArchiveAccessError, ResumedPartMismatchError, S3Archive } from '../../src/archive/s3.js';
import { archiveKey, type WriteCheckpoint } from '../../src/archive/store.js';
import { ReportsError } from '../../src/domain/errors.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

let server: S3TestServer;
let client: S3Client;
let startError: unknown;

beforeAll(async () => {
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

function file(content: Buffer | string): { bytes: Buffer; size: number; sha256: string } {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Feeds bytes to a write in 1 MiB chunks. */
async function feed(write: { write(c: Buffer): Promise<void> }, bytes: Buffer): Promise<void> {
  for (let i = 0; i < bytes.length; i += 1024 * 1024) await write.write(bytes.subarray(i, i + 1024 * 1024));
}

/** What the transfer activity does: write, place, manifest last. */
async function put(store: S3Archive, key: string, f: { bytes: Buffer }, manifest: ArchiveManifest, transferId = 'test-transfer') {
  const write = await store.beginWrite({ key, transferId, size: f.bytes.length, contentType: 'csv' });
  await feed(write, f.bytes);
  await write.place();
  return store.writeManifest(key, manifest);
}

async function uploadsUnder(prefix: string) {
  return (await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }))).Uploads ?? [];
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

  it('writes a file, then its manifest; find and manifest read them back', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2025-10', 'acct_1', 'csv');
    expect(await store.find(key)).toBeUndefined();
    expect(await store.manifest(key)).toBeUndefined();

    const f = file('a,b\n1,2\n');
    const manifest = manifestFor(f);
    const put1 = await put(store, key, f, manifest);
    expect(put1).toEqual({
      location: `s3://${server.bucket}/reports/monthly/2025-10/acct_1.csv`,
      manifestLocation: `s3://${server.bucket}/reports/monthly/2025-10/acct_1.csv.manifest.json`,
      size: f.size,
      sha256: f.sha256,
      contentType: 'csv',
    });
    expect(await store.find(key)).toEqual(put1);
    expect(await store.manifest(key)).toEqual(manifest);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: 'reports/monthly/2025-10/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'reports/monthly/2025-10/acct_1.csv',
      'reports/monthly/2025-10/acct_1.csv.manifest.json',
    ]);
    expect((await objectBytes('reports/monthly/2025-10/acct_1.csv')).toString()).toBe('a,b\n1,2\n');
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: 'reports/monthly/2025-10/acct_1.csv' }));
    expect(head.Metadata?.['transfer-id']).toBe('test-transfer');
    expect(await uploadsUnder('reports/monthly/')).toEqual([]);
  });

  it('the same manifest again is a no-op; a second file at a placed key is refused and the first stays', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2025-11', 'acct_1', 'csv');
    const first = file('same\n');
    await put(store, key, first, manifestFor(first, 'monthly', '2025-11'));
    const before = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `reports/${key}.manifest.json` }));
    await store.writeManifest(key, { ...manifestFor(first, 'monthly', '2025-11'), archived_at: '2030-01-01T00:00:00Z' });
    const after = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `reports/${key}.manifest.json` }));
    expect(after.ETag).toBe(before.ETag);
    expect((await store.manifest(key))?.archived_at).toBe('2025-11-02T06:00:01Z');

    const other = file('second, different\n');
    await expect(store.writeManifest(key, manifestFor(other, 'monthly', '2025-11'))).rejects.toBeInstanceOf(ArchiveConflictError);
    const attempt = put(store, key, other, manifestFor(other, 'monthly', '2025-11'), 'other-transfer');
    await expect(attempt).rejects.toBeInstanceOf(ArchiveConflictError);
    await expect(attempt).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/refusing to overwrite/) });
    expect((await objectBytes(`reports/${key}`)).toString()).toBe('same\n');
    expect((await store.manifest(key))?.sha256).toBe(first.sha256);
    // The refused upload is not left open.
    expect(await uploadsUnder(`reports/${key}`)).toEqual([]);
  });

  it('finds its own file placed without a manifest (a crash between the two), and never takes over a stray object', async () => {
    const store = archive();
    const key = archiveKey('monthly', '2026-01', 'acct_1', 'csv');
    const f = file('interrupted\n');
    const write = await store.beginWrite({ key, transferId: 'mine', size: f.size, contentType: 'csv' });
    await feed(write, f.bytes);
    await write.place();
    expect(await store.find(key)).toBeUndefined();
    expect(await store.placedWithoutManifest(key, 'mine')).toBe(f.size);
    expect(await store.placedWithoutManifest(key, 'someone-else')).toBeUndefined();
    await store.writeManifest(key, manifestFor(f, 'monthly', '2026-01'));
    expect(await store.placedWithoutManifest(key, 'mine')).toBeUndefined();
    expect((await store.find(key))?.sha256).toBe(f.sha256);

    // An object without a manifest holding other bytes is never overwritten.
    const strayKey = archiveKey('monthly', '2026-02', 'acct_1', 'csv');
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `reports/${strayKey}`, Body: 'stray\n' }));
    const mine = file('mine\n');
    await expect(put(store, strayKey, mine, manifestFor(mine, 'monthly', '2026-02'))).rejects.toBeInstanceOf(ArchiveConflictError);
    expect((await objectBytes(`reports/${strayKey}`)).toString()).toBe('stray\n');
    expect(await store.manifest(strayKey)).toBeUndefined();
  });

  it('uploads a 50 MB file in several parts, streamed, and its sha256 reads back intact', async () => {
    const store = archive('big', { partSize: 8 * 1024 * 1024 });
    const key = archiveKey('daily', '2025-10-14', 'acct_big', 'csv');
    const f = file(randomBytes(50 * 1024 * 1024));
    const parts: number[] = [];
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') parts.push((args.input as { PartNumber: number }).PartNumber);
        return next(args);
      },
      { step: 'initialize', name: 'countParts' },
    );

    const stored = await put(store, key, f, manifestFor(f, 'daily', '2025-10-14', 'acct_big'));
    expect(stored.size).toBe(f.size);
    expect(parts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const objectKey = `big/${key}`;
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: objectKey }));
    expect(head.ContentLength).toBe(f.size);
    expect(head.ETag).toMatch(/-7"?$/);
    // The server's view: the object's SHA-256 checksum is the composite of the part checksums the
    // server verified. (versitygw refuses several attributes in one GetObjectAttributes.)
    const checksum = await client.send(new GetObjectAttributesCommand({ Bucket: server.bucket, Key: objectKey, ObjectAttributes: ['Checksum'] }));
    expect(checksum.Checksum?.ChecksumSHA256).toBeTruthy();
    expect(checksum.Checksum?.ChecksumType).toBe('COMPOSITE');

    const readBack = createHash('sha256');
    const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: objectKey }));
    for await (const chunk of res.Body as AsyncIterable<Buffer>) readBack.update(chunk);
    expect(readBack.digest('hex')).toBe(f.sha256);
    expect((await store.find(key))?.sha256).toBe(f.sha256);
    expect(await uploadsUnder('big/')).toEqual([]);
  }, 180_000);

  it('resumes an interrupted upload from its checkpoint without sending its parts again, and refuses other bytes', async () => {
    const partSize = 5 * 1024 * 1024;
    const store = archive('resume', { partSize });
    const sent: number[] = [];
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') sent.push((args.input as { PartNumber: number }).PartNumber);
        return next(args);
      },
      { step: 'initialize', name: 'countResumedParts' },
    );
    const key = archiveKey('monthly', '2025-10', 'acct_r', 'csv');
    const f = file(randomBytes(3 * partSize + 1234));
    const target = { key, transferId: 'resume', size: f.size, contentType: 'csv' as const };

    const first = await store.beginWrite(target);
    await feed(first, f.bytes.subarray(0, 2 * partSize + 777)); // two parts and a bit
    await first.pause();
    const checkpoint: WriteCheckpoint = first.checkpoint();
    expect(checkpoint).toMatchObject({ backend: 's3', partSize, parts: [[1, expect.any(String), expect.any(String), partSize], [2, expect.any(String), expect.any(String), partSize]] });
    expect(sent.sort()).toEqual([1, 2]);

    // Another host: from the checkpoint. The bytes come from 0 again; only the rest goes up.
    const second = await store.beginWrite(target, JSON.parse(JSON.stringify(checkpoint)) as WriteCheckpoint);
    expect(second.offset).toBe(2 * partSize);
    expect(second.storedPrefix()).toBeUndefined();
    await feed(second, f.bytes);
    await second.place();
    expect(sent.sort()).toEqual([1, 2, 3, 4]);
    expect(createHash('sha256').update(await objectBytes(`resume/${key}`)).digest('hex')).toBe(f.sha256);

    // Resumed with other bytes than were sent: the upload is dropped, the next attempt starts over.
    const key2 = archiveKey('monthly', '2025-11', 'acct_r', 'csv');
    const t2 = { ...target, key: key2 };
    const w1 = await store.beginWrite(t2);
    await feed(w1, f.bytes.subarray(0, partSize + 1));
    await w1.pause();
    const w2 = await store.beginWrite(t2, w1.checkpoint());
    expect(w2.offset).toBe(partSize);
    await expect(feed(w2, randomBytes(f.size))).rejects.toBeInstanceOf(ResumedPartMismatchError);
    expect(await uploadsUnder(`resume/${key2}`)).toEqual([]);
    expect((await store.beginWrite(t2)).offset).toBe(0);
    // Cleanup after a failure for good: every unfinished upload of the business key goes.
    expect(await store.discardWrites(archiveKey('monthly', '2025-11', 'acct_r', '').slice(0, -1), 'resume')).toBe(1);
    expect(await uploadsUnder('resume/')).toEqual([]);
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
    const started = Date.now();
    const error = await store.beginWrite({ key: archiveKey('monthly', '2025-10', 'acct_9', 'csv'), transferId: 't', size: 2, contentType: 'csv' }).then(
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
        if (context.commandName === 'PutObjectCommand' || context.commandName === 'CreateMultipartUploadCommand') {
          seen.push({ command: context.commandName, sse: headers['x-amz-server-side-encryption'], kms: headers['x-amz-server-side-encryption-aws-kms-key-id'] });
          // The test server has no KMS: stop here, after the headers are built.
          throw Object.assign(new Error('stopped by the test'), { name: 'StoppedByTest', $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureSse' },
    );
    const f = file('encrypted\n');
    const key = archiveKey('monthly', '2025-10', 'acct_1', 'csv');
    await expect(store.beginWrite({ key, transferId: 't', size: f.size, contentType: 'csv' })).rejects.toThrow(/stopped by the test/);
    await expect(store.writeManifest(key, manifestFor(f))).rejects.toThrow(/stopped by the test/);
    expect(seen).toEqual([
      { command: 'CreateMultipartUploadCommand', sse: 'aws:kms', kms: 'alias/reports' },
      { command: 'PutObjectCommand', sse: 'aws:kms', kms: 'alias/reports' },
    ]);
    expect(() => new S3Archive({ bucket: 'b', kmsKeyId: 'k' })).toThrow(/aws:kms/);
  });

  it('refuses keys that leave the prefix', async () => {
    await expect(archive().find('../outside.csv')).rejects.toBeInstanceOf(ArchiveConflictError);
  });
});
