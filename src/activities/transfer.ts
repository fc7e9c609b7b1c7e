/**
 * transferReportFile: one heartbeating activity that streams a ReportRun's file from Stripe
 * straight into the archive backend, counting and hashing it (sha256) on the way, so no step
 * relies on a file another activity left on a host's local disk.
 *
 * - The download URL is fetched fresh from the run on every attempt: it expires after minutes and
 *   never enters workflow history, heartbeat details or logs.
 * - The bytes go to the archive's resumable place for the key (a `.partial` file beside the final
 *   name, or an S3 multipart upload; see src/archive/store.ts). A broken, cancelled or crashed
 *   attempt leaves it; the retry, on whichever host, resumes from it and from the heartbeat
 *   details (TransferCheckpoint): the filesystem re-hashes the partial file's prefix and asks
 *   Stripe for the rest with `Range: bytes=N-`; S3 cannot read an unfinished upload back, so the
 *   retry reads the file from byte 0 again, hashing the prefix and checking it against the parts'
 *   SHA-256 checksums without uploading it again.
 * - Checks: byte count = the size Stripe announced, a CSV's header against the requested columns and every byte as UTF-8
 *   (on the stream, from the first line), and a ZIP's integrity (every entry's CRC-32, a CSV
 *   inside). A ZIP is checked after it is placed under its key and before its manifest is written,
 *   by random access to the archived file (on S3, ranged GETs); a bad one is deleted. Until its
 *   manifest is there nobody sees it (`find`, `keys` and skipping go by manifests).
 * - The manifest goes last. A retry after an attempt that completed finds its manifest (run id)
 *   and returns at once.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ReportsError } from '../domain/errors.js';
import { transferBytes, transferThroughput } from '../observability/metrics.js';
import { DownloadUrlExpiredError, DownloadVerificationError, ReportRunFailedError, StripeApiError, StripeAuthenticationError } from '../stripe/errors.js';
import type { ArchiveFor } from '../archive/stores.js';
import type { ArchiveStore, ArchiveWrite, WriteCheckpoint, WriteTarget } from '../archive/store.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ReportJob } from '../domain/report-job.js';
import { archivedByRun, extractedFrom, firstFreeKey, keyForContent, manifestFor, versionKey, type FileOrigin } from './archive.js';
import { checkZip, CsvCheck } from './verify-file.js';
import { entryStream, firstCsvEntry, openZip, type ZipSource } from '../archive/zip.js';
import type { StripeClientFor } from './stripe-clients.js';
import { activityLog } from './log-context.js';
import { dataRun } from './report-runs.js';

/** The activity's heartbeat details: enough for any host to resume. Never the URL. */
export interface TransferCheckpoint {
  /** The archive key the bytes are bound for (chosen by the first attempt). */
  key: string;
  /** Bytes received and hashed so far, of the size Stripe announced. */
  bytes: number;
  of: number;
  /** The backend's resumable state: the partial file, or the S3 upload id and the parts sent. */
  write: WriteCheckpoint;
}

interface FileSource {
  url: string;
  withKey: boolean;
  size: number;
  contentType: 'csv' | 'zip';
  livemode: boolean;
  runCreatedAt?: string;
  runSucceededAt?: string;
  /** When the run (and so the URL) was fetched, in ms. */
  fetchedAt: number;
}

/**
 * A Data API download URL lives 5 minutes. Resuming re-hashes what is stored first (seconds for
 * gigabytes): a URL older than this is fetched again right before the download starts.
 */
const DATA_URL_FRESH_MS = 60_000;

/** Not enough room for the file: say so plainly; the partial file is removed. */
export class DiskFullError extends ReportsError {
  constructor(message: string) {
    super(message, true);
  }
}

/** Names a run's unfinished writes in the archive: the same on every host and every attempt. */
export function transferIdOf(job: ReportJob, runId: string): string {
  return createHash('sha256').update(`${job.businessKey}\n${runId}`).digest('hex').slice(0, 24);
}

const HEARTBEAT_MS = 1000;

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function hashAll(hash: Hash, stream: Readable, onChunk?: (c: Buffer) => void): Promise<number> {
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    onChunk?.(chunk);
    n += chunk.length;
  }
  return n;
}

export function createTransferActivities(clientFor: StripeClientFor, archiveFor: ArchiveFor) {
  async function sourceOf(job: ReportJob, runId: string): Promise<FileSource> {
    const client = clientFor(job);
    const opts = { context: job.target.context };
    if (job.api === 'data') {
      // Data API URLs live 5 minutes: this run is fetched on every attempt, right before its download.
      const run = await dataRun(client, job, runId);
      const file = run.status === 'succeeded' ? run.result?.file : undefined;
      if (!file) throw new ReportRunFailedError(`run ${runId} has no file to download (status ${run.status})`);
      return { url: file.download_url.url, withKey: false, size: Number(file.size), contentType: file.content_type, livemode: run.livemode, runCreatedAt: run.created, fetchedAt: Date.now() };
    }
    if (job.api === 'v2') {
      const run = await client.getReportRun(runId, opts);
      if (run.status !== 'succeeded' || !run.result) throw new ReportRunFailedError(`run ${runId} has no file to download (status ${run.status})`);
      const file = run.result.file;
      return { url: file.download_url.url, withKey: false, size: Number(file.size), contentType: file.content_type, livemode: run.livemode, runCreatedAt: run.created, fetchedAt: Date.now() };
    }
    const run = await client.getReportRunV1(runId, opts);
    if (run.status !== 'succeeded' || !run.result) throw new ReportRunFailedError(`run ${runId} has no file to download (status ${run.status})`);
    return {
      url: run.result.url,
      withKey: true,
      size: run.result.size,
      contentType: 'csv',
      livemode: run.livemode,
      runCreatedAt: new Date(run.created * 1000).toISOString(),
      runSucceededAt: run.succeeded_at ? new Date(run.succeeded_at * 1000).toISOString() : undefined,
      fetchedAt: Date.now(),
    };
  }

  /** The URL to download from now: a Data API run is fetched again when its URL may be near its 5 minutes. */
  async function freshUrl(job: ReportJob, runId: string, source: FileSource): Promise<string> {
    if (job.api !== 'data' || Date.now() - source.fetchedAt < DATA_URL_FRESH_MS) return source.url;
    const again = await sourceOf(job, runId);
    if (again.size !== source.size) throw new DownloadVerificationError(`run ${runId} now announces ${again.size} bytes, not ${source.size}; downloading again`);
    return again.url;
  }

  /**
   * Streams the file from Stripe into `write` (resuming what it holds); returns its sha256 once
   * every byte is written and counted. A broken body keeps the write for the next attempt.
   */
  async function stream(
    job: ReportJob,
    runId: string,
    source: FileSource,
    store: ArchiveStore,
    target: WriteTarget,
    write: ArchiveWrite,
  ): Promise<{ sha256: string; write: ArchiveWrite; received: number; seconds: number }> {
    const ctx = Context.current();
    const client = clientFor(job);
    const host = new URL(source.url).host;
    const csv = source.contentType === 'csv' ? new CsvCheck(job, `file of ${job.businessKey}`) : undefined;
    let hash = createHash('sha256');
    let bytes = 0;
    let lastBeat = 0;
    const beat = (force = false) => {
      const now = Date.now();
      if (!force && now - lastBeat < HEARTBEAT_MS) return;
      lastBeat = now;
      ctx.heartbeat({ key: target.key, bytes, of: source.size, write: write.checkpoint() } satisfies TransferCheckpoint);
    };

    // Where the request starts: after the stored prefix (hashed again from the archive), or at 0
    // when the backend cannot read its prefix back (S3: the write checks those bytes instead).
    let prefix = write.storedPrefix();
    const restart = async () => {
      await write.discard();
      write = await store.beginWrite(target);
      prefix = write.storedPrefix();
      hash = createHash('sha256');
      bytes = 0;
    };
    if (prefix) {
      try {
        bytes = await hashAll(hash, prefix, (c) => csv?.update(c));
      } catch (err) {
        // What an earlier attempt stored is damaged: start over, never build on it.
        if (err instanceof DownloadVerificationError) await write.discard();
        throw err;
      }
      if (bytes !== write.offset) throw new ReportsError(`partial file of run ${runId} changed while it was read (${bytes} ≠ ${write.offset} bytes); resuming`, true);
    }
    const offset = bytes;
    const resumed = offset > 0 || write.offset > 0;
    // A resumed attempt says at once where it resumes. A fresh one sends its first checkpoint after
    // a second of streaming, and a file that comes in sooner none: a heartbeat is a server write,
    // one per target in the burst of completions a firing's wave makes, and at byte 0 it holds
    // nothing a next attempt cannot find (filesystem: the partial file, named after the business
    // key and run, is itself the truth; S3: beginWrite finds the pending upload by listing).
    if (resumed) beat(true);
    else lastBeat = Date.now();
    // Never the URL: it grants access to the file for minutes.
    if (resumed) activityLog().info('transfer resumed', { reportRunId: runId, key: target.key, fromByte: offset, stored: write.offset, size: source.size, host });
    else activityLog().info('transfer started', { reportRunId: runId, key: target.key, size: source.size, host });
    if (offset === source.size) {
      csv?.finish();
      return { sha256: hash.digest('hex'), write, received: 0, seconds: 0 }; // an earlier attempt got it all
    }
    const requested = performance.now();

    let res: Awaited<ReturnType<typeof client.openFile>>;
    try {
      res = await client.openFile(await freshUrl(job, runId, source), { withKey: source.withKey, offset: offset > 0 ? offset : undefined });
    } catch (err) {
      await write.pause();
      throw err;
    }
    if (res.status === 200 && offset > 0) {
      // The server ignored Range: start over rather than append the whole file again.
      await restart();
    } else if (res.status === 206) {
      const range = String(res.headers['content-range'] ?? '');
      if (!range.startsWith(`bytes ${offset}-`)) {
        await res.body.dump();
        await write.discard();
        throw new StripeApiError(`download of run ${runId}: asked to resume at byte ${offset}, got "${range}"; starting over`);
      }
    } else if (res.status === 416) {
      // We asked for the rest after `offset` bytes and there is no rest: the file is shorter
      // than Stripe announced. Not resumable; start over next attempt.
      await res.body.dump();
      await write.discard();
      throw new DownloadVerificationError(`download of run ${runId} has ${offset} bytes but Stripe announced ${source.size}; downloading again`);
    } else if (res.status !== 200) {
      await res.body.dump();
      await write.pause();
      if (source.withKey && res.status === 401) throw new StripeAuthenticationError(`file download from ${host} refused the key (401)`);
      if (res.status === 403 || res.status === 410 || res.status === 404) {
        throw new DownloadUrlExpiredError(`download URL for run ${runId} was refused (${res.status}, expired or revoked); the next attempt fetches a fresh one`);
      }
      throw new StripeApiError(`file download from ${host} answered ${res.status}`, { status: res.status });
    }

    const start = bytes;
    let streamed = 0;
    const onCancel = () => res.body.destroy(new Error('activity cancelled'));
    ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        // More than announced: count the rest, keep nothing of it (the size check fails below).
        if (bytes > source.size) continue;
        hash.update(chunk);
        csv?.update(chunk);
        await write.write(chunk);
        beat();
      }
    } catch (err) {
      if (err instanceof DownloadVerificationError) {
        // A CSV that is not the requested report: not resumed, fetched again.
        res.body.destroy();
        await write.discard();
        throw err;
      }
      if (isDiskFull(err)) {
        res.body.destroy();
        await write.discard();
        throw new DiskFullError(`disk full in ${store.describe()} after ${bytes} of ${source.size} bytes of run ${runId}; free space and it retries`);
      }
      res.body.destroy();
      await write.pause();
      beat(true);
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`transfer of run ${runId} cancelled after ${bytes} of ${source.size} bytes; resumable`);
      if (err instanceof ReportsError) throw err;
      throw new StripeApiError(`download of run ${runId} broke after ${bytes} of ${source.size} bytes (${(err as Error).message}); resuming`);
    } finally {
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
      // What this attempt received, whether or not it completes (a resumed attempt counts only its part).
      streamed = (performance.now() - requested) / 1000;
      transferBytes.inc({ backend: job.archive.backend }, bytes - start);
    }
    const promised = start + Number(res.headers['content-length'] ?? Number.NaN);
    if (bytes < source.size && bytes !== promised) {
      // The body ended early without an error: keep what came, resume from there.
      await write.pause();
      beat(true);
      throw new StripeApiError(`download of run ${runId} ended after ${bytes} of ${source.size} bytes; resuming`);
    }
    if (bytes !== source.size) {
      // The server sent all it promised, and it is not what Stripe announced.
      await write.discard();
      throw new DownloadVerificationError(`download of run ${runId} has ${bytes} bytes but Stripe announced ${source.size}; downloading again`);
    }
    try {
      csv?.finish();
    } catch (err) {
      await write.discard();
      throw err;
    }
    const sha256 = hash.digest('hex');
    activityLog().info('transfer completed', { reportRunId: runId, bytes, downloaded: bytes - offset, sha256: sha256.slice(0, 16) });
    return { sha256, write, received: bytes - start, seconds: streamed };
  }

  /** Writes a whole stream (the CSV inside an archived ZIP) to its place and returns its sha256. */
  async function writeAll(store: ArchiveStore, target: WriteTarget, body: Readable): Promise<{ sha256: string; size: number; write: ArchiveWrite }> {
    const write = await store.beginWrite(target);
    const hash = createHash('sha256');
    const prefix = write.storedPrefix();
    let skip = prefix ? await hashAll(hash, prefix) : 0;
    let size = 0;
    try {
      for await (let chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
        }
        hash.update(chunk);
        await write.write(chunk);
      }
    } catch (err) {
      await write.pause();
      throw err;
    }
    return { sha256: hash.digest('hex'), size, write };
  }

  function zipSource(store: ArchiveStore, key: string, size: number): ZipSource {
    return { size, read: (start, end) => store.openRange(key, start, end) };
  }

  /**
   * The bytes are counted and hashed: place them under their key (or find them archived already),
   * check a ZIP, archive its CSV first with `result.extract`, then write the manifest.
   */
  async function archive(
    job: ReportJob,
    runId: string,
    store: ArchiveStore,
    key: string,
    file: { size: number; sha256: string; contentType: 'csv' | 'zip' },
    origin: FileOrigin,
    write: ArchiveWrite | undefined,
  ): Promise<ArchivedFile> {
    const transferId = transferIdOf(job, runId);
    const place = await keyForContent(store, job, file.contentType, file.sha256);
    if (place.existing) {
      // Same content archived already (a forced re-run that got the same file): nothing new.
      if (write) await write.discard();
      else if (place.key !== key) await store.removeUnlisted(key);
      const found = await store.find(place.key);
      if (!found) throw new ReportsError(`archive ${place.key} has a manifest but its file is missing or of another size`, false);
      activityLog().info('same content already archived', { reportRunId: runId, location: found.location });
      const extracted = job.extract && file.contentType === 'zip' ? await extractedFrom(store, job, place.key) : undefined;
      return extracted ? { ...found, extracted } : found;
    }
    if (place.key !== key) {
      // Another run archived a file at our key since we chose it: write again at the next one.
      if (write) await write.discard();
      else await store.removeUnlisted(key);
      throw new ReportsError(`archive key ${key} was taken while run ${runId} was transferring; transferring again`, true);
    }
    if (write) {
      try {
        await write.place();
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        await write.discard();
        throw new DiskFullError(`disk full in ${store.describe()} after ${file.size} of ${file.size} bytes of run ${runId} (flushing); free space and it retries`);
      }
    }

    let extracted: ArchivedFile | undefined;
    if (file.contentType === 'zip') {
      try {
        await checkZip(zipSource(store, key, file.size), job, `file of ${job.businessKey}`);
      } catch (err) {
        await store.removeUnlisted(key); // a corrupt file is not kept, it is fetched again
        throw err;
      }
      // The extracted CSV goes first: once the ZIP (the business key) is there, everything is.
      if (job.extract) extracted = await extractCsv(job, runId, store, { key, size: file.size, sha256: file.sha256 }, origin, transferId);
    }
    const archived = await store.writeManifest(key, manifestFor(job, runId, origin, file, place.supersedes));
    await store.discardWrites(versionKey(job, '', 1).slice(0, -1), transferId);
    activityLog().info('archived', { reportRunId: runId, location: archived.location, size: archived.size, sha256: archived.sha256.slice(0, 16), extracted: extracted?.location });
    return extracted ? { ...archived, extracted } : archived;
  }

  /** The CSV inside an archived ZIP, streamed from the archive (never from Stripe again) to `<target>.csv`. */
  async function extractCsv(
    job: ReportJob,
    runId: string,
    store: ArchiveStore,
    zipFile: { key: string; size: number; sha256: string },
    origin: FileOrigin,
    transferId: string,
  ): Promise<ArchivedFile> {
    const { key: zipKey, sha256: zipSha256 } = zipFile;
    const zip = await openZip(zipSource(store, zipKey, zipFile.size));
    try {
      const entry = await firstCsvEntry(zip);
      const key = await firstFreeKey(store, job, 'csv');
      const target: WriteTarget = { key, transferId, size: entry.uncompressedSize, contentType: 'csv' };
      const csv = await writeAll(store, target, await entryStream(zip, entry));
      const place = await keyForContent(store, job, 'csv', csv.sha256);
      if (place.existing) {
        await csv.write.discard();
        return (await store.find(place.key))!;
      }
      if (place.key !== key) {
        await csv.write.discard();
        throw new ReportsError(`archive key ${key} was taken while run ${runId} was extracting its CSV; extracting again`, true);
      }
      await csv.write.place();
      const manifest = manifestFor(job, runId, origin, { size: csv.size, sha256: csv.sha256, contentType: 'csv' }, place.supersedes);
      manifest.extracted_from = { key: zipKey, sha256: zipSha256, entry: entry.fileName };
      return await store.writeManifest(key, manifest);
    } finally {
      zip.close();
    }
  }

  return {
    async transferReportFile(job: ReportJob, runId: string): Promise<ArchivedFile> {
      const ctx = Context.current();
      const store = archiveFor(job.archive);
      const transferId = transferIdOf(job, runId);
      const source = await sourceOf(job, runId);
      const origin = (downloadedAt: string): FileOrigin => ({
        sourceHost: new URL(source.url).host,
        livemode: source.livemode,
        runCreatedAt: source.runCreatedAt,
        runSucceededAt: source.runSucceededAt,
        downloadedAt,
      });

      // An earlier attempt finished (its result was lost): hand back what it archived.
      const done = await archivedByRun(store, job, source.contentType, runId);
      if (done) {
        activityLog().info('archived by an earlier attempt', { reportRunId: runId, location: done.location });
        await store.discardWrites(versionKey(job, '', 1).slice(0, -1), transferId);
        return done;
      }

      const details = ctx.info.heartbeatDetails as TransferCheckpoint | undefined;
      const key = details?.key && details.of === source.size ? details.key : await firstFreeKey(store, job, source.contentType);
      const file = { size: source.size, contentType: source.contentType };

      // An earlier attempt placed the file and stopped before its manifest: finish from the archive.
      const placed = await store.placedWithoutManifest(key, transferId);
      if (placed !== undefined) {
        if (placed === source.size) {
          const hash = createHash('sha256');
          const csv = source.contentType === 'csv' ? new CsvCheck(job, `file of ${job.businessKey}`) : undefined;
          try {
            await hashAll(hash, (await store.open(key))!, (c) => csv?.update(c));
            csv?.finish();
          } catch (err) {
            await store.removeUnlisted(key);
            throw err;
          }
          return archive(job, runId, store, key, { ...file, sha256: hash.digest('hex') }, origin(new Date().toISOString()), undefined);
        }
        await store.removeUnlisted(key);
      }

      const target: WriteTarget = { key, transferId, size: source.size, contentType: source.contentType };
      const begun = await store.beginWrite(target, details?.key === key ? details.write : undefined);
      const { sha256, write, received, seconds } = await stream(job, runId, source, store, target, begun);
      const archived = await archive(job, runId, store, key, { ...file, sha256 }, origin(new Date().toISOString()), write);
      if (received > 0 && seconds > 0) transferThroughput.observe({ backend: job.archive.backend }, received / seconds);
      return archived;
    },

    /**
     * A transfer that failed for good leaves nothing behind: its partial files or unfinished
     * multipart uploads under the business key are removed. Any host can run it.
     */
    async discardTransfer(job: ReportJob, runId: string): Promise<number> {
      const removed = await archiveFor(job.archive).discardWrites(versionKey(job, '', 1).slice(0, -1), transferIdOf(job, runId));
      activityLog().info('unfinished transfer discarded', { reportRunId: runId, removed });
      return removed;
    },
  };
}
