/**
 * One download of a ReportRun's file through the real download activity, in a process of its
 * own so its peak RSS (VmHWM) is the download's alone. Environment: STRIPE_API_BASE, RUN_ID,
 * STAGING_DIR, KEY. Prints one JSON line: bytes, ms, sha256, peak RSS.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createDownloadActivities, type StagedFile } from '../src/activities/download.js';
import { createStripeClients } from '../src/activities/stripe-clients.js';
import type { ReportJob } from '../src/domain/report-job.js';

const env = process.env as Record<string, string>;
const stripe = createStripeClients({ baseUrl: env.STRIPE_API_BASE, env: { KEY: env.KEY } });
const { downloadReportFile } = createDownloadActivities(stripe.clientFor, env.STAGING_DIR);
const job = {
  configId: 'bench',
  api: 'v2',
  report: 'balance_change_from_activity.itemized.3',
  mode: 'sandbox',
  keyEnv: 'KEY',
  target: { id: 'self', kind: 'self' },
  parameters: {},
  businessKey: 'report/bench/2025-10/self',
} as unknown as ReportJob;

const t0 = Date.now();
const staged = (await new MockActivityEnvironment().run(downloadReportFile, job, env.RUN_ID)) as StagedFile;
const ms = Date.now() - t0;
const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
await rm(staged.path, { force: true });
console.log(JSON.stringify({ bytes: staged.size, ms, sha256: staged.sha256, peakRssMb: Math.round(hwm / 1024) }));
await stripe.close();
