/**
 * S3-compatible archive: `s3://<bucket>/<prefix>/<config>/<period>/<target>.<ext>` with
 * `<…>.manifest.json` beside it. Same semantics as the filesystem archive:
 *   - the file goes up first, as a multipart upload streamed from the caller (Stripe's body):
 *     memory bounded by partSize × (queueSize + 1), a SHA-256 checksum per part checked by the
 *     server; the upload id and the parts sent are the write's checkpoint, so an attempt on any
 *     host resumes the upload. Completing it uses `If-None-Match: *`: nothing is overwritten;
 *   - the manifest goes up last (`If-None-Match: *` too), so a reader never sees a manifest whose
 *     file is incomplete or unverified;
 *   - the same manifest again is a no-op; a different one under the same key is refused with
 *     ArchiveConflictError.
 * The object carries the transfer id as user metadata (`x-amz-meta-transfer-id`): a retry that
 * finds its own object without a manifest (a crash between the two writes) finishes it. The
 * file's sha256 is in the manifest (a multipart object's ETag and checksum are composites).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
  type HeadObjectCommandOutput,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ReportsError } from '../domain/errors.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import { ArchiveConflictError } from './filesystem.js';
import type { ArchiveManifest } from './manifest.js';
import { archivedFile, isDocumentKeyAllowed, manifestKey, type ArchiveStore, type ArchiveWrite, type WriteCheckpoint, type WriteTarget } from './store.js';

/** The archive refused our credentials, or the bucket is missing or not ours: fix the configuration. */
export class ArchiveAccessError extends ReportsError {
  constructor(message: string, details: { status?: number; code?: string; requestId?: string } = {}) {
    super(message, false, details);
  }
}

export interface S3ArchiveOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash (both are trimmed). */
  prefix?: string;
  region?: string;
  /** An S3-compatible endpoint (MinIO, versitygw, R2 …); unset = AWS. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Unset = the SDK's default chain (environment, profile, instance role …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** With `serverSideEncryption: 'aws:kms'`; unset = the bucket's default KMS key. */
  kmsKeyId?: string;
  /** Use this client instead of building one (the options above that configure a client are ignored). */
  client?: S3Client;
  /** Part size for multipart uploads; default max(8 MiB, size / 9,000). S3 wants at least 5 MiB. */
  partSize?: number;
  /** Parts in flight at once; memory stays near partSize × queueSize. Default 4. */
  queueSize?: number;
  /** Ask the server to verify a SHA-256 checksum of every part (default true). */
  checksum?: boolean;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
/** S3 allows 10,000 parts; keep a margin. */
const MAX_PARTS = 9_000;
const TRANSFER_METADATA = 'transfer-id';

interface S3ErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: 'client' | 'server';
  $retryable?: unknown;
}

const ACCESS_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'NoSuchBucket',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'InvalidBucketName',
  'KMS.NotFoundException',
  'KMS.DisabledException',
  'CredentialsProviderError',
  // versitygw answers an unknown access key id with 404 XAdminUserNotFound (AWS: 403 InvalidAccessKeyId).
  'XAdminUserNotFound',
]);

function statusOf(err: unknown): number | undefined {
  return (err as S3ErrorShape)?.$metadata?.httpStatusCode;
}

function codeOf(err: unknown): string | undefined {
  const e = err as S3ErrorShape;
  return e?.Code ?? e?.name;
}

/** The object is not there: NoSuchKey from GetObject, a bodiless 404 from HeadObject. Not any 404. */
function isNotFound(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'NoSuchKey' || (code === 'NotFound' && statusOf(err) === 404);
}

function isPreconditionFailed(err: unknown): boolean {
  const code = codeOf(err);
  return statusOf(err) === 412 || code === 'PreconditionFailed' || code === 'ConditionalRequestConflict';
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

export class S3Archive implements ArchiveStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly options: S3ArchiveOptions;
  /** Strings that must never appear in an error message (the secret key). */
  private readonly secrets: string[];

  constructor(options: S3ArchiveOptions) {
    if (!options.bucket) throw new ArchiveAccessError('S3 archive: no bucket given');
    if (options.kmsKeyId && options.serverSideEncryption !== 'aws:kms') {
      throw new ArchiveAccessError("S3 archive: kmsKeyId needs serverSideEncryption: 'aws:kms'");
    }
    this.options = options;
    this.bucket = options.bucket;
    this.prefix = trimSlashes(options.prefix ?? '');
    this.secrets = [options.credentials?.secretAccessKey, options.credentials?.sessionToken].filter(
      (s): s is string => typeof s === 'string' && s.length >= 4,
    );
    if (options.client) this.client = options.client;
    else {
      const config: S3ClientConfig = {
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        // Checksums only when we ask for them (per part, SHA-256): some S3-compatible servers
        // refuse the SDK's default CRC32 trailers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      };
      if (options.endpoint) config.endpoint = options.endpoint;
      if (options.credentials) config.credentials = options.credentials;
      this.client = new S3Client(config);
    }
  }

  describe(): string {
    return this.prefix ? `s3://${this.bucket}/${this.prefix}` : `s3://${this.bucket}`;
  }

  /** The object key of an archive key: `<prefix>/<key>`. */
  objectKey(key: string): string {
    const segments = key.split('/');
    if (key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
      throw new ArchiveConflictError(`archive key ${key} leaves the archive prefix`);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private location(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  /** Maps an SDK error: access problems are non-retryable and named, the rest retry. Never the secret. */
  private failure(err: unknown, what: string): ReportsError {
    if (err instanceof ReportsError) return err;
    const e = err as S3ErrorShape;
    const status = statusOf(err);
    const code = codeOf(err);
    let detail = [code, e?.message].filter((s, i, all) => s && all.indexOf(s) === i).join(': ') || String(err);
    for (const secret of this.secrets) detail = detail.split(secret).join('[redacted]');
    const details = { status, code, requestId: e?.$metadata?.requestId };
    if ((code && ACCESS_ERRORS.has(code)) || status === 401 || status === 403 || status === 301) {
      const hint =
        code === 'NoSuchBucket'
          ? 'the bucket does not exist'
          : code === 'PermanentRedirect' || status === 301
            ? 'the bucket is in another region'
            : 'check the access key, secret and the bucket policy';
      return new ArchiveAccessError(`${what} on ${this.describe()} was refused (${status ?? 'no status'} ${detail}); ${hint}`, details);
    }
    const retryable = status === undefined || status >= 500 || status === 429 || e?.$fault === 'server' || code === 'RequestTimeout';
    return new ReportsError(`${what} on ${this.describe()} failed (${status ?? 'no response'} ${detail})`, retryable, details);
  }

  private async head(objectKey: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `HeadObject ${objectKey}`);
    }
  }

  /** An object's body as text, or undefined when there is no such object. */
  private async text(objectKey: string): Promise<string | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `GetObject ${objectKey}`);
    }
  }

  async manifest(key: string): Promise<ArchiveManifest | undefined> {
    const text = await this.text(this.objectKey(manifestKey(key)));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as ArchiveManifest;
    } catch {
      throw new ReportsError(`manifest ${this.location(manifestKey(key))} is not valid JSON`, false);
    }
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const root = this.prefix ? `${this.prefix}/` : '';
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${root}${prefix}` });
    try {
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (o.Key?.endsWith('.manifest.json')) yield o.Key.slice(root.length, -'.manifest.json'.length);
        }
      }
    } catch (err) {
      throw this.failure(err, `ListObjectsV2 ${root}${prefix}`);
    }
  }

  async open(key: string): Promise<Readable | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `GetObject ${this.objectKey(key)}`);
    }
  }

  async find(key: string): Promise<ArchivedFile | undefined> {
    const manifest = await this.manifest(key);
    if (!manifest) return undefined;
    const present = await this.head(this.objectKey(key));
    return present?.ContentLength === manifest.size ? archivedFile(key, manifest, (k) => this.location(k)) : undefined;
  }

  private encryption(): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
    const { serverSideEncryption, kmsKeyId } = this.options;
    if (!serverSideEncryption) return {};
    return kmsKeyId ? { ServerSideEncryption: serverSideEncryption, SSEKMSKeyId: kmsKeyId } : { ServerSideEncryption: serverSideEncryption };
  }

  private checksum(): { ChecksumAlgorithm?: 'SHA256' } {
    return this.options.checksum === false ? {} : { ChecksumAlgorithm: 'SHA256' };
  }

  conflict(key: string, existing: string | undefined, incoming: string | undefined, what: string): ArchiveConflictError {
    const held = existing ? `sha256 ${existing.slice(0, 12)}…` : 'unknown content';
    const offered = incoming ? `, new ${incoming.slice(0, 12)}…` : '';
    return new ArchiveConflictError(`archive ${this.location(key)} already holds a different ${what} (${held}${offered}); refusing to overwrite`);
  }

  async openRange(key: string, start: number, end: number): Promise<Readable> {
    const objectKey = this.objectKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: `bytes=${start}-${end}` }));
      return res.Body as Readable;
    } catch (err) {
      throw this.failure(err, `GetObject ${objectKey} (bytes ${start}-${end})`);
    }
  }

  /**
   * The parts of an unfinished upload, or undefined when it is gone (completed or aborted).
   * By hand, not the SDK's paginateListParts: that one follows NextPartNumberMarker without
   * looking at IsTruncated, and S3-compatible servers (versitygw) send the marker on the last page too.
   */
  private async listParts(objectKey: string, uploadId: string): Promise<Map<number, { etag: string; sha256?: string; size: number }> | undefined> {
    const parts = new Map<number, { etag: string; sha256?: string; size: number }>();
    let marker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumberMarker: marker }));
      } catch (err) {
        if (codeOf(err) === 'NoSuchUpload' || statusOf(err) === 404) return undefined;
        throw this.failure(err, `ListParts ${objectKey}`);
      }
      for (const p of page.Parts ?? []) {
        if (p.PartNumber && p.ETag) parts.set(p.PartNumber, { etag: p.ETag, sha256: p.ChecksumSHA256, size: p.Size ?? 0 });
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  }

  /** Unfinished uploads whose object key starts with `prefix`, oldest first. (The SDK has no paginator for this listing.) */
  private async uploadsUnder(prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
    const found: Array<{ key: string; uploadId: string; initiated: number }> = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }));
      } catch (err) {
        throw this.failure(err, `ListMultipartUploads ${prefix}`);
      }
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId) found.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
    return found.sort((a, b) => a.initiated - b.initiated);
  }

  private async abortUpload(objectKey: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }));
    } catch (err) {
      if (codeOf(err) === 'NoSuchUpload' || statusOf(err) === 404) return;
      throw this.failure(err, `AbortMultipartUpload ${objectKey}`);
    }
  }

  async beginWrite(target: WriteTarget, resume?: WriteCheckpoint): Promise<ArchiveWrite> {
    const objectKey = this.objectKey(target.key);
    let partSize = this.options.partSize ?? Math.max(DEFAULT_PART_SIZE, Math.ceil(target.size / MAX_PARTS));
    // The upload to resume: the heartbeat's, else (a crash before the first heartbeat) the newest for this key.
    const pending = (await this.uploadsUnder(objectKey)).filter((u) => u.key === objectKey);
    let uploadId = resume?.backend === 's3' && pending.some((u) => u.uploadId === resume.uploadId) ? resume.uploadId : pending.at(-1)?.uploadId;
    if (resume?.backend === 's3' && resume.uploadId === uploadId) partSize = resume.partSize;
    let parts: S3Part[] = [];
    if (uploadId) {
      const listed = await this.listParts(objectKey, uploadId);
      const recorded = new Map(resume?.backend === 's3' ? resume.parts.map(([n, , sha]) => [n, sha] as const) : []);
      if (listed) {
        // Only whole parts from part 1 on, each with its SHA-256: the resume re-checks them against the source.
        for (let n = 1; ; n++) {
          const p = listed.get(n);
          const sha256 = p?.sha256 ?? recorded.get(n);
          if (!p || p.size !== partSize || !sha256) break;
          parts.push({ n, etag: p.etag, sha256, size: p.size });
        }
      } else uploadId = undefined;
    }
    if (parts.length * partSize >= target.size) parts = parts.slice(0, Math.max(0, Math.ceil(target.size / partSize) - 1));
    // Anything else under this key is a stale attempt's: never more than one upload per key.
    for (const u of pending) if (u.uploadId !== uploadId) await this.abortUpload(objectKey, u.uploadId);
    if (!uploadId) {
      try {
        const created = await this.client.send(
          new CreateMultipartUploadCommand({
            Bucket: this.bucket,
            Key: objectKey,
            ContentType: target.contentType === 'zip' ? 'application/zip' : 'text/csv; charset=utf-8',
            Metadata: { [TRANSFER_METADATA]: target.transferId },
            ...this.checksum(),
            ...this.encryption(),
          }),
        );
        uploadId = created.UploadId!;
      } catch (err) {
        throw this.failure(err, `CreateMultipartUpload ${objectKey}`);
      }
      parts = [];
    }
    return new S3Write(this, objectKey, target, uploadId, partSize, parts, this.options.queueSize ?? 4);
  }

  /** Used by S3Write: one part up, with its SHA-256 for the server to check. */
  async uploadPart(objectKey: string, uploadId: string, n: number, body: Buffer): Promise<S3Part> {
    const digest = createHash('sha256').update(body).digest();
    const sha256 = digest.toString('base64');
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: objectKey,
      UploadId: uploadId,
      PartNumber: n,
      Body: body,
      ContentLength: body.length,
      ...(this.options.checksum === false ? {} : { ChecksumAlgorithm: 'SHA256' as const, ChecksumSHA256: sha256 }),
    });
    // The request signature wants the payload's SHA-256 too (over plain HTTP the SDK hashes the
    // body for it): it is the checksum just computed, so the signer need not hash the part again.
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-amz-content-sha256'] = digest.toString('hex');
        return next(args);
      },
      { step: 'build', name: 'partPayloadHash' },
    );
    try {
      const res = await this.client.send(command);
      return { n, etag: res.ETag!, sha256, size: body.length };
    } catch (err) {
      throw this.failure(err, `UploadPart ${n} of ${objectKey}`);
    }
  }

  /** Used by S3Write: the parts become the object, unless the key holds one already. */
  async complete(target: WriteTarget, objectKey: string, uploadId: string, parts: S3Part[]): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          IfNoneMatch: '*',
          MultipartUpload: {
            Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag, ...(this.options.checksum === false ? {} : { ChecksumSHA256: p.sha256 }) })),
          },
        }),
      );
    } catch (err) {
      if (isPreconditionFailed(err)) {
        await this.abortUpload(objectKey, uploadId);
        throw this.conflict(target.key, undefined, undefined, 'object');
      }
      throw this.failure(err, `CompleteMultipartUpload ${objectKey}`);
    }
    const stored = await this.head(objectKey);
    if (stored?.ContentLength !== target.size) {
      throw new ReportsError(`upload of ${objectKey} stored ${stored?.ContentLength ?? 'nothing'} bytes, expected ${target.size}`, true);
    }
  }

  async abort(objectKey: string, uploadId: string): Promise<void> {
    await this.abortUpload(objectKey, uploadId);
  }

  async placedWithoutManifest(key: string, transferId: string): Promise<number | undefined> {
    if (await this.manifest(key)) return undefined;
    const object = await this.head(this.objectKey(key));
    return object?.Metadata?.[TRANSFER_METADATA] === transferId ? object.ContentLength : undefined;
  }

  async removeUnlisted(key: string): Promise<void> {
    if (await this.manifest(key)) throw this.conflict(key, undefined, undefined, 'file with a manifest');
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      throw this.failure(err, `DeleteObject ${objectKey}`);
    }
  }

  async discardWrites(keyBase: string, _transferId: string): Promise<number> {
    // Multipart uploads carry no metadata in a listing: every unfinished upload of this business
    // key's files goes (one workflow per business key runs at a time, and this one failed for good).
    const base = this.objectKey(keyBase);
    const name = /^\.(v\d+\.)?(csv|zip)$/;
    const uploads = (await this.uploadsUnder(`${base}.`)).filter((u) => name.test(u.key.slice(base.length)));
    for (const u of uploads) await this.abortUpload(u.key, u.uploadId);
    return uploads.length;
  }

  async writeDocument(key: string, body: string, contentType: string): Promise<void> {
    if (!isDocumentKeyAllowed(key)) throw new ArchiveConflictError(`archive key ${key} is the name of an archived file or manifest, not of a document`);
    const objectKey = this.objectKey(key);
    try {
      // One PutObject is atomic; no If-None-Match: a document is derived and replaced when recomputed.
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: body, ContentType: contentType, ...this.checksum(), ...this.encryption() }),
      );
    } catch (err) {
      throw this.failure(err, `PutObject ${objectKey}`);
    }
  }

  async readDocument(key: string): Promise<string | undefined> {
    return this.text(this.objectKey(key));
  }

  async writeManifest(key: string, manifest: ArchiveManifest): Promise<ArchivedFile> {
    const result = archivedFile(key, manifest, (k) => this.location(k));
    const existing = await this.manifest(key);
    if (existing) {
      // Same content already described (a retried activity): keep the first manifest.
      if (existing.sha256 === manifest.sha256) return result;
      throw this.conflict(key, existing.sha256, manifest.sha256, 'file');
    }
    const objectKey = this.objectKey(manifestKey(key));
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: JSON.stringify(manifest, null, 2) + '\n',
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ...this.checksum(),
          ...this.encryption(),
        }),
      );
    } catch (err) {
      if (!isPreconditionFailed(err)) throw this.failure(err, `PutObject ${objectKey}`);
      const now = await this.manifest(key);
      if (now?.sha256 !== manifest.sha256) throw this.conflict(key, now?.sha256, manifest.sha256, 'manifest');
    }
    return result;
  }
}

interface S3Part {
  n: number;
  etag: string;
  /** Base64, as S3 takes it. */
  sha256: string;
  size: number;
}

/** Part of a resumed upload whose bytes, read again from the source, are not what was sent before. */
export class ResumedPartMismatchError extends ReportsError {
  constructor(message: string) {
    super(message, true);
  }
}

/**
 * One multipart upload fed chunk by chunk. A resumed upload cannot hand its bytes back (S3 has
 * no read of unfinished uploads), so the caller sends the file from byte 0: the bytes of parts
 * already uploaded are only hashed, and each such part's SHA-256 must equal what the server
 * holds, else the upload is dropped and the next attempt starts over.
 */
class S3Write implements ArchiveWrite {
  readonly offset: number;
  private buffer: Buffer | undefined;
  /** Part buffers whose upload has finished, used again: a 5 GB file allocates queueSize + 1 of them, not 600 left to the GC. */
  private readonly spare: Buffer[] = [];
  private fill = 0;
  private received = 0;
  private nextPart: number;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private readonly done: S3Part[];
  private checking: { hash: ReturnType<typeof createHash>; part: number; left: number } | undefined;

  constructor(
    private readonly store: S3Archive,
    private readonly objectKey: string,
    private readonly target: WriteTarget,
    private readonly uploadId: string,
    private readonly partSize: number,
    parts: S3Part[],
    private readonly queueSize: number,
  ) {
    this.done = [...parts];
    this.offset = parts.length * partSize;
    this.nextPart = parts.length + 1;
  }

  storedPrefix(): Readable | undefined {
    return this.offset === 0 ? Readable.from([]) : undefined;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.received < this.offset) {
      const n = Math.min(chunk.length, this.offset - this.received);
      await this.checkSent(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
    }
    while (chunk.length > 0) {
      this.buffer ??= this.spare.pop() ?? Buffer.allocUnsafe(this.partSize);
      const n = chunk.copy(this.buffer, this.fill);
      this.fill += n;
      this.received += n;
      chunk = chunk.subarray(n);
      if (this.fill === this.partSize) await this.send();
    }
  }

  /** Bytes of parts uploaded by an earlier attempt, read again from the source. */
  private async checkSent(bytes: Buffer): Promise<void> {
    while (bytes.length > 0) {
      const part = Math.floor(this.received / this.partSize) + 1;
      this.checking ??= { hash: createHash('sha256'), part, left: this.partSize };
      const n = Math.min(bytes.length, this.checking.left);
      this.checking.hash.update(bytes.subarray(0, n));
      this.checking.left -= n;
      this.received += n;
      bytes = bytes.subarray(n);
      if (this.checking.left === 0) {
        const sha256 = this.checking.hash.digest('base64');
        const sent = this.done.find((p) => p.n === this.checking!.part);
        this.checking = undefined;
        if (sent?.sha256 !== sha256) {
          await this.discard();
          throw new ResumedPartMismatchError(
            `part ${part} of the unfinished upload of ${this.objectKey} does not hold the bytes the source sends now; starting the upload over`,
          );
        }
      }
    }
  }

  private async send(): Promise<void> {
    const whole = this.buffer ?? Buffer.allocUnsafe(0);
    const body = whole.subarray(0, this.fill);
    this.buffer = undefined;
    this.fill = 0;
    const n = this.nextPart++;
    const job = this.store.uploadPart(this.objectKey, this.uploadId, n, body).then(
      (part) => {
        this.done.push(part);
        // The request has been answered: nothing reads the buffer any more.
        if (whole.length === this.partSize) this.spare.push(whole);
      },
      (err: unknown) => {
        this.failure ??= err as Error;
      },
    );
    const tracked = job.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    while (this.inFlight.size >= this.queueSize) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  checkpoint(): WriteCheckpoint {
    // Only parts 1…k without a gap: a part still in flight may never arrive.
    const byNumber = new Map(this.done.map((p) => [p.n, p]));
    const parts: Array<[number, string, string, number]> = [];
    for (let n = 1; byNumber.has(n); n++) {
      const p = byNumber.get(n)!;
      parts.push([p.n, p.etag, p.sha256, p.size]);
    }
    return { backend: 's3', uploadId: this.uploadId, partSize: this.partSize, parts };
  }

  async place(): Promise<void> {
    if (this.fill > 0 || this.nextPart === 1) await this.send();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    const parts = [...this.done].sort((a, b) => a.n - b.n);
    await this.store.complete(this.target, this.objectKey, this.uploadId, parts);
  }

  async pause(): Promise<void> {
    // Parts in flight finish (or fail): the checkpoint then names every part that arrived.
    await Promise.all(this.inFlight);
  }

  async discard(): Promise<void> {
    await Promise.all(this.inFlight);
    await this.store.abort(this.objectKey, this.uploadId);
  }
}
