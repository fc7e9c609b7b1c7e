/**
 * Downloads a ReportRun's file to a local staging file by streaming (files reach 5 GB), counting
 * bytes and hashing on the way, then checks the count against the size Stripe announced.
 * The URL is fetched fresh from the run on every attempt: it expires after minutes and never
 * enters workflow history.
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DownloadUrlExpiredError,
  DownloadVerificationError,
  ReportRunFailedError,
  StripeApiError,
  StripeAuthenticationError,
} from '../stripe/errors.js';
import type { ReportJob } from '../workflows/types.js';
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

function stagingName(businessKey: string): string {
  return createHash('sha256').update(businessKey).digest('hex').slice(0, 32);
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
    async downloadReportFile(job: ReportJob, runId: string): Promise<StagedFile> {
      const source = await sourceOf(job, runId);
      const client = clientFor(job);
      const host = new URL(source.url).host;
      const res = await client.openFile(source.url, { withKey: source.withKey });
      if (res.status !== 200) {
        await res.body.dump();
        if (source.withKey && res.status === 401) throw new StripeAuthenticationError(`file download from ${host} refused the key (401)`);
        if (res.status === 403 || res.status === 410 || res.status === 404) {
          throw new DownloadUrlExpiredError(`download URL for run ${runId} was refused (${res.status}); retrieving a fresh one`);
        }
        throw new StripeApiError(`file download from ${host} answered ${res.status}`, { status: res.status });
      }

      await mkdir(stagingDir, { recursive: true });
      const staged = path.join(stagingDir, `${stagingName(job.businessKey)}.${source.contentType}`);
      const hash = createHash('sha256');
      let bytes = 0;
      let lastBeat = 0;
      const ctx = Context.current();
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          const now = Date.now();
          if (now - lastBeat > 1000) {
            lastBeat = now;
            ctx.heartbeat({ bytes });
          }
          done(null, chunk);
        },
      });
      try {
        await pipeline(res.body, meter, createWriteStream(staged), { signal: ctx.cancellationSignal });
      } catch (err) {
        await rm(staged, { force: true });
        throw new StripeApiError(`download of run ${runId} broke after ${bytes} bytes: ${(err as Error).message}`);
      }
      if (bytes !== source.size) {
        await rm(staged, { force: true });
        throw new DownloadVerificationError(`download of run ${runId} has ${bytes} bytes but Stripe announced ${source.size}; downloading again`);
      }
      return {
        path: staged,
        size: bytes,
        sha256: hash.digest('hex'),
        contentType: source.contentType,
        sourceHost: host,
        livemode: source.livemode,
        runCreatedAt: source.runCreatedAt,
        runSucceededAt: source.runSucceededAt,
        downloadedAt: new Date().toISOString(),
      };
    },
  };
}
