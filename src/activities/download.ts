/**
 * Downloads a ReportRun's file to a local staging file by streaming (files reach 5 GB; memory
 * stays bounded), hashing on the way, and checks the byte count against the size Stripe announced.
 *
 * - The URL is fetched fresh from the run on every attempt: it expires after minutes and never
 *   enters workflow history. A download begun with one URL can finish with another.
 * - A broken attempt (dropped connection, worker crash, expired URL) leaves its partial file; the
 *   next attempt resumes from its size with `Range: bytes=N-`, re-hashing the prefix from disk.
 * - Heartbeats carry the byte offset, so a crashed worker's attempt is noticed within the
 *   heartbeat timeout and the progress is visible in the UI.
 * - The staging file ends in `.part` until verified: nothing partial ever looks complete.
 */
import { Context } from '@temporalio/activity';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReportsError } from '../domain/errors.js';
import { DownloadUrlExpiredError, DownloadVerificationError, ReportRunFailedError, StripeApiError, StripeAuthenticationError } from '../stripe/errors.js';
import type { ReportJob } from '../domain/report-job.js';
import { verifyReportFile } from './verify-file.js';
import type { StripeClientFor } from './stripe-clients.js';

export interface StagedFile {
  path: string;
  size: number;
  sha256: string;
  contentType: 'csv' | 'zip';
  /** Host the file came from; the signed URL itself is never kept. */
  sourceHost: string;
  livemode: boolean;
  runCreatedAt?: string;
  runSucceededAt?: string;
  downloadedAt: string;
  /** Bytes that came from an earlier, interrupted attempt (resumed with Range). */
  resumedFrom: number;
}

interface FileSource {
  url: string;
  withKey: boolean;
  size: number;
  contentType: 'csv' | 'zip';
  livemode: boolean;
  runCreatedAt?: string;
  runSucceededAt?: string;
}

/** Not enough room for the file: say so plainly; the partial file is removed. */
export class DiskFullError extends ReportsError {
  constructor(message: string) {
    super(message, true);
  }
}

function stagingBase(job: ReportJob, runId: string): string {
  // The run id is part of the name: a partial file of one run is never resumed by another.
  return createHash('sha256').update(`${job.businessKey}\n${runId}`).digest('hex').slice(0, 32);
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.size ?? 0;
}

/** Feeds the first `bytes` of a file into a hash (the part an earlier attempt downloaded). */
async function hashPrefix(hash: Hash, file: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
}

export function createDownloadActivities(clientFor: StripeClientFor, stagingDir: string) {
  async function sourceOf(job: ReportJob, runId: string): Promise<FileSource> {
    const client = clientFor(job);
    const opts = { context: job.target.context };
    if (job.api === 'v2') {
      const run = await client.getReportRun(runId, opts);
      if (run.status !== 'succeeded' || !run.result) throw new ReportRunFailedError(`run ${runId} has no file to download (status ${run.status})`);
      const file = run.result.file;
      return { url: file.download_url.url, withKey: false, size: Number(file.size), contentType: file.content_type, livemode: run.livemode, runCreatedAt: run.created };
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
    };
  }

  return {
    /**
     * A download or archive step that failed for good leaves nothing behind: the partial or staged
     * file of this run is removed (a later re-run is a new ReportRun with its own staging name).
     */
    async discardStagedFiles(job: ReportJob, runId: string): Promise<number> {
      const base = stagingBase(job, runId);
      const names = (await readdir(stagingDir).catch(() => [] as string[])).filter((n) => n.startsWith(`${base}.`));
      await Promise.all(names.map((n) => rm(path.join(stagingDir, n), { force: true })));
      return names.length;
    },

    async downloadReportFile(job: ReportJob, runId: string): Promise<StagedFile> {
      const source = await sourceOf(job, runId);
      const client = clientFor(job);
      const host = new URL(source.url).host;
      await mkdir(stagingDir, { recursive: true });
      const base = path.join(stagingDir, `${stagingBase(job, runId)}.${source.contentType}`);
      const part = `${base}.part`;

      let offset = await sizeOf(part);
      if (offset > source.size) {
        await truncate(part, 0);
        offset = 0;
      }
      const res = await client.openFile(source.url, { withKey: source.withKey, offset: offset < source.size ? offset : undefined });
      if (res.status === 200 && offset > 0) {
        // The server ignored Range: start over rather than append the whole file again.
        await truncate(part, 0);
        offset = 0;
      } else if (res.status === 206) {
        const range = String(res.headers['content-range'] ?? '');
        if (!range.startsWith(`bytes ${offset}-`)) {
          await res.body.dump();
          await truncate(part, 0);
          throw new StripeApiError(`download of run ${runId}: asked to resume at byte ${offset}, got "${range}"; starting over`);
        }
      } else if (res.status === 416 && offset === source.size) {
        await res.body.dump(); // nothing left to fetch: the earlier attempt got it all
      } else if (res.status === 416) {
        // We asked for the rest after `offset` bytes and there is no rest: the file is shorter
        // than Stripe announced. Not resumable; start over next attempt.
        await res.body.dump();
        await rm(part, { force: true });
        throw new DownloadVerificationError(`download of run ${runId} has ${offset} bytes but Stripe announced ${source.size}; downloading again`);
      } else if (res.status !== 200) {
        await res.body.dump();
        if (source.withKey && res.status === 401) throw new StripeAuthenticationError(`file download from ${host} refused the key (401)`);
        if (res.status === 403 || res.status === 410 || res.status === 404) {
          throw new DownloadUrlExpiredError(`download URL for run ${runId} was refused (${res.status}, expired or revoked); the next attempt fetches a fresh one`);
        }
        throw new StripeApiError(`file download from ${host} answered ${res.status}`, { status: res.status });
      }

      const hash = createHash('sha256');
      await hashPrefix(hash, part, offset);
      let bytes = offset;
      let lastBeat = 0;
      const ctx = Context.current();
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          const now = Date.now();
          if (now - lastBeat > 1000) {
            lastBeat = now;
            ctx.heartbeat({ bytes, of: source.size });
          }
          done(null, chunk);
        },
      });
      if (res.status !== 416) {
        try {
          await pipeline(res.body, meter, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }), { signal: ctx.cancellationSignal });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOSPC' || code === 'EDQUOT') {
            await rm(part, { force: true });
            throw new DiskFullError(`disk full in ${stagingDir} after ${bytes} of ${source.size} bytes of run ${runId}; free space and it retries`);
          }
          // Keep the partial file: the next attempt resumes from here.
          throw new StripeApiError(`download of run ${runId} broke after ${bytes} of ${source.size} bytes (${(err as Error).message}); resuming`);
        }
      }
      const promised = offset + Number(res.headers['content-length'] ?? Number.NaN);
      if (bytes < source.size && bytes !== promised) {
        // The body ended early without an error: keep what came, resume from there.
        throw new StripeApiError(`download of run ${runId} ended after ${bytes} of ${source.size} bytes; resuming`);
      }
      if (bytes !== source.size) {
        // The server sent all it promised, and it is not what Stripe announced.
        await rm(part, { force: true });
        throw new DownloadVerificationError(`download of run ${runId} has ${bytes} bytes but Stripe announced ${source.size}; downloading again`);
      }
      try {
        await verifyReportFile(part, source.contentType, job);
      } catch (err) {
        await rm(part, { force: true }); // a corrupt file is not resumed, it is fetched again
        throw err;
      }
      await rename(part, base);
      return {
        path: base,
        size: bytes,
        sha256: hash.digest('hex'),
        contentType: source.contentType,
        sourceHost: host,
        livemode: source.livemode,
        runCreatedAt: source.runCreatedAt,
        runSucceededAt: source.runSucceededAt,
        downloadedAt: new Date().toISOString(),
        resumedFrom: offset,
      };
    },
  };
}
