/**
 * S3-compatible archive: `s3://<bucket>/<prefix>/<config>/<period>/<target>.<ext>` with
 * `<…>.manifest.json` beside it. Same semantics as the filesystem archive:
 *   - the file goes up first (multipart, streamed from disk, memory bounded by partSize × queueSize,
 *     a SHA-256 checksum per part checked by the server, and our own sha256 of the bytes sent
 *     compared with the manifest's before the manifest is written);
 *   - the manifest goes up last, so a reader never sees a manifest whose file is incomplete;
 *   - the same content under the same key again is a no-op (the staged copy is deleted);
 *   - different content under the same key is refused with ArchiveConflictError, never
 *     overwritten. Both writes use `If-None-Match: *`, so two writers racing on one key cannot
 *     overwrite each other either; the loser compares and either agrees or refuses.
 * The object carries its sha256 as user metadata (`x-amz-meta-sha256`): a multipart object's
 * ETag and S3 checksum are composites of the parts, not the file's hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ReportsError } from '../domain/errors.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import { ArchiveConflictError } from './filesystem.js';
import type { ArchiveManifest } from './manifest.js';
import { archivedFile, manifestKey, type ArchiveEntry, type ArchiveStore } from './store.js';

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
  /** Part size for multipart uploads; default max(8 MiB, size / 9,000). */
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
const SHA256_METADATA = 'sha256';

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

  async manifest(key: string): Promise<ArchiveManifest | undefined> {
    const objectKey = this.objectKey(manifestKey(key));
    let text: string;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      text = (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `GetObject ${objectKey}`);
    }
    try {
      return JSON.parse(text) as ArchiveManifest;
    } catch {
      throw new ReportsError(`manifest ${this.location(manifestKey(key))} is not valid JSON`, false);
    }
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const root = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${root}${prefix}`, ContinuationToken: token }));
      } catch (err) {
        throw this.failure(err, `ListObjectsV2 ${root}${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key?.endsWith('.manifest.json')) yield o.Key.slice(root.length, -'.manifest.json'.length);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
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

  /** Whether an object holds the manifest's content: same size and our recorded sha256. */
  private holds(object: HeadObjectCommandOutput | undefined, manifest: ArchiveManifest): boolean {
    return object?.ContentLength === manifest.size && object.Metadata?.[SHA256_METADATA] === manifest.sha256;
  }

  private encryption(): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
    const { serverSideEncryption, kmsKeyId } = this.options;
    if (!serverSideEncryption) return {};
    return kmsKeyId ? { ServerSideEncryption: serverSideEncryption, SSEKMSKeyId: kmsKeyId } : { ServerSideEncryption: serverSideEncryption };
  }

  private conflict(key: string, existing: string | undefined, incoming: string, what: string): ArchiveConflictError {
    const held = existing ? `sha256 ${existing.slice(0, 12)}…` : 'unknown sha256';
    return new ArchiveConflictError(
      `archive ${this.location(key)} already holds a different ${what} (${held}, new ${incoming.slice(0, 12)}…); refusing to overwrite`,
    );
  }

  async put(entry: ArchiveEntry): Promise<ArchivedFile> {
    const { key, manifest } = entry;
    const objectKey = this.objectKey(key);
    const result = archivedFile(key, manifest, (k) => this.location(k));

    const existing = await this.manifest(key);
    if (existing && existing.sha256 !== manifest.sha256) throw this.conflict(key, existing.sha256, manifest.sha256, 'file');
    let object = await this.head(objectKey);
    if (existing && object?.ContentLength === existing.size) {
      // Same content already archived (a retried activity): keep the first, drop the copy.
      await rm(entry.stagedPath, { force: true });
      return result;
    }

    if (object && !this.holds(object, manifest)) {
      // An object without a (matching) manifest is left by a put that stopped between the two
      // writes, or one still running. Ours would replace bytes someone may be about to describe:
      // refuse; an operator deletes the stray object if it is garbage.
      throw this.conflict(key, object.Metadata?.[SHA256_METADATA], manifest.sha256, 'object (with no manifest for it)');
    }
    if (!object) {
      const staged = await stat(entry.stagedPath).catch(() => undefined);
      if (!staged) throw new ReportsError(`staged file ${entry.stagedPath} is missing; download again`, true);
      if (staged.size !== manifest.size) {
        throw new ReportsError(`staged file ${entry.stagedPath} has ${staged.size} bytes, the manifest says ${manifest.size}; download again`, true);
      }
      object = await this.upload(entry, objectKey);
    }
    // else: the object is there with this content (a put stopped before its manifest): finish it.

    await this.writeManifest(key, manifest);
    await rm(entry.stagedPath, { force: true });
    return result;
  }

  /** Streams the staged file up and checks what was sent; returns the stored object's head. */
  private async upload(entry: ArchiveEntry, objectKey: string): Promise<HeadObjectCommandOutput | undefined> {
    const { manifest } = entry;
    const partSize = this.options.partSize ?? Math.max(DEFAULT_PART_SIZE, Math.ceil(manifest.size / MAX_PARTS));
    const hash = createHash('sha256');
    let sent = 0;
    const body = createReadStream(entry.stagedPath, { highWaterMark: 1 * MiB }).pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          sent += chunk.length;
          done(null, chunk);
        },
      }),
    );
    const upload = new Upload({
      client: this.client,
      partSize,
      queueSize: this.options.queueSize ?? 4,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: body,
        ContentLength: manifest.size,
        ContentType: manifest.content_type === 'zip' ? 'application/zip' : 'text/csv; charset=utf-8',
        Metadata: { [SHA256_METADATA]: manifest.sha256 },
        IfNoneMatch: '*',
        ...(this.options.checksum === false ? {} : { ChecksumAlgorithm: 'SHA256' as const }),
        ...this.encryption(),
      },
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      if (isPreconditionFailed(err)) {
        // Someone else stored this key between our check and our write: agree or refuse.
        const now = await this.head(objectKey);
        if (this.holds(now, manifest)) return now;
        throw this.conflict(entry.key, now?.Metadata?.[SHA256_METADATA], manifest.sha256, 'object');
      }
      throw this.failure(err, `upload of ${objectKey}`);
    }
    const digest = hash.digest('hex');
    const stored = await this.head(objectKey);
    if (digest !== manifest.sha256 || sent !== manifest.size || stored?.ContentLength !== manifest.size) {
      // The staged file changed under us, or the server kept something else: remove our object
      // (we created it: If-None-Match) so a retry starts clean.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey })).catch(() => undefined);
      throw new ReportsError(
        `upload of ${objectKey} does not match its manifest (sent ${sent} bytes sha256 ${digest.slice(0, 12)}…, stored ${stored?.ContentLength ?? 'nothing'}; manifest ${manifest.size} bytes sha256 ${manifest.sha256.slice(0, 12)}…); download again`,
        true,
      );
    }
    return stored;
  }

  private async writeManifest(key: string, manifest: ArchiveManifest): Promise<void> {
    const objectKey = this.objectKey(manifestKey(key));
    const body = JSON.stringify(manifest, null, 2) + '\n';
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ...(this.options.checksum === false ? {} : { ChecksumAlgorithm: 'SHA256' as const }),
          ...this.encryption(),
        }),
      );
    } catch (err) {
      if (!isPreconditionFailed(err)) throw this.failure(err, `PutObject ${objectKey}`);
      const now = await this.manifest(key);
      if (now?.sha256 !== manifest.sha256) throw this.conflict(key, now?.sha256, manifest.sha256, 'manifest');
    }
  }
}
