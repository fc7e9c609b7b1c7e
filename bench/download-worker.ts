/**
 * One transfer of a ReportRun's file through the real transfer activity (Stripe → archive,
 * verified on the way), in a process of its own so its peak RSS (VmHWM) is the transfer's alone.
 * Environment: STRIPE_API_BASE, RUN_ID, KEY, CONFIG_ID, BACKEND (filesystem | s3), ARCHIVE_DIR,
 * and for S3: S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
 * Prints one JSON line: bytes, ms, sha256, peak RSS and the RSS before the transfer began.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createTransferActivities } from '../src/activities/transfer.js';
import { createStripeClients } from '../src/activities/stripe-clients.js';
import { FilesystemArchive } from '../src/archive/filesystem.js';
import { createArchiveFor } from '../src/archive/stores.js';
import type { ArchivedFile } from '../src/domain/outcomes.js';
import type { ArchiveSpec, ReportJob } from '../src/domain/report-job.js';

const env = process.env as Record<string, string>;
const stripe = createStripeClients({ baseUrl: env.STRIPE_API_BASE, env: { KEY: env.KEY } });
const archiveFor = createArchiveFor(new FilesystemArchive(env.ARCHIVE_DIR), {
  credentials: env.AWS_ACCESS_KEY_ID ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } : undefined,
  region: env.AWS_REGION,
  ...(env.BENCH_PART_MB ? { partSize: Number(env.BENCH_PART_MB) * 1024 * 1024 } : {}),
  ...(env.BENCH_QUEUE ? { queueSize: Number(env.BENCH_QUEUE) } : {}),
});
const archive: ArchiveSpec = env.BACKEND === 's3' ? { backend: 's3', bucket: env.S3_BUCKET, prefix: 'bench', endpoint: env.S3_ENDPOINT } : { backend: 'filesystem' };
const { transferReportFile } = createTransferActivities(stripe.clientFor, archiveFor);
const job = {
  configId: env.CONFIG_ID,
  api: 'v2',
  report: 'balance_change_from_activity.itemized.3',
  mode: 'sandbox',
  keyEnv: 'KEY',
  period: { name: '2025-10', unit: 'month', timezone: 'UTC', start: '2025-10-01T00:00:00.000Z', end: '2025-11-01T00:00:00.000Z' },
  target: { id: 'self', kind: 'self' },
  parameters: {},
  compress: false,
  extract: false,
  businessKey: `report/${env.CONFIG_ID}/2025-10/self`,
  archive,
  permits: {},
  waitForData: { deadlineMs: 0, recheckMs: 0 },
} as unknown as ReportJob;

const rssMb = (field: string) => Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);
// What the process holds before the transfer (node, tsx, the Temporal and AWS SDKs): the peak minus this is the transfer's own.
const baselineRssMb = rssMb('VmRSS');
// Where the memory goes (V8 heap, Buffers outside it), sampled while the transfer runs.
const peak = { heapTotalMb: 0, heapUsedMb: 0, arrayBuffersMb: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.heapTotalMb = Math.max(peak.heapTotalMb, Math.round(m.heapTotal / 2 ** 20));
  peak.heapUsedMb = Math.max(peak.heapUsedMb, Math.round(m.heapUsed / 2 ** 20));
  peak.arrayBuffersMb = Math.max(peak.arrayBuffersMb, Math.round(m.arrayBuffers / 2 ** 20));
}, 200);
const t0 = Date.now();
// The activity's own log lines at warn and above only: stdout carries the result line.
const file = (await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run(transferReportFile, job, env.RUN_ID)) as ArchivedFile;
const ms = Date.now() - t0;
clearInterval(sampler);
console.log(JSON.stringify({ bytes: file.size, ms, sha256: file.sha256, location: file.location, peakRssMb: rssMb('VmHWM'), baselineRssMb, peak }));
await stripe.close();
