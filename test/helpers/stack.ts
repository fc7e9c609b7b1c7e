/**
 * The parts most integration tests run on, started together: the Stripe emulator, the project's
 * Stripe clients for the given keys, a filesystem archive in a fresh folder (and, when asked, a
 * real S3-compatible server the archive can use), and a worker on the suite's dev server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { createStripeClients } from '../../src/activities/stripe-clients.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { createArchiveFor, type ArchiveFor } from '../../src/archive/stores.js';
import type { ArchiveSpec } from '../../src/domain/report-job.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { startTestWorker, type TestDeps, type TestTemporal } from './temporal.js';

/** The archive backends a test can run on, by the configuration's `archive.backend`. */
export const ARCHIVE_BACKENDS = ['filesystem', 's3'] as const;
export type ArchiveBackend = (typeof ARCHIVE_BACKENDS)[number];

export interface TestStack {
  emulator: Emulator;
  stripe: ReturnType<typeof createStripeClients>;
  temporal: TestTemporal;
  client: Client;
  archiveDir: string;
  stagingDir: string;
  archiveFor: ArchiveFor;
  /** Only with `s3: true`. */
  s3?: S3TestServer;
  /** A configuration's `archive:` for a backend; S3 keys go under `prefix` in the test bucket. */
  archiveSpec(backend: ArchiveBackend, prefix: string): ArchiveSpec;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Names the temporary folder. */
  name: string;
  emulator?: EmulatorOptions;
  /** Key environment variables the configurations name. */
  keys: Record<string, string>;
  /** Start an S3-compatible server; the archive reaches it with its credentials. */
  s3?: boolean;
  /** More worker dependencies (webhooks, pool options, a key scope…). */
  worker?: Partial<TestDeps>;
}

export async function startStack(o: StackOptions): Promise<TestStack> {
  const emulator = await startEmulator(o.emulator ?? {});
  const s3 = o.s3 ? await startS3Server() : undefined;
  const archiveDir = mkdtempSync(path.join(tmpdir(), `${o.name}-`));
  const stagingDir = path.join(archiveDir, '.staging');
  const archive = new FilesystemArchive(archiveDir);
  const archiveFor = createArchiveFor(archive, s3 ? s3Credentials(s3) : {});
  const stripe = createStripeClients({ baseUrl: emulator.url, env: o.keys });
  const temporal = await startTestWorker({ clientFor: stripe.clientFor, archive, archiveFor, stagingDir, ...o.worker });
  return {
    emulator,
    stripe,
    temporal,
    client: temporal.client,
    archiveDir,
    stagingDir,
    archiveFor,
    s3,
    archiveSpec(backend, prefix) {
      if (backend === 'filesystem') return { backend };
      if (!s3) throw new Error('startStack({ s3: true }) to archive on S3');
      return { backend, bucket: s3.bucket, prefix, endpoint: s3.endpoint };
    },
    async close() {
      await temporal.close();
      await stripe.close();
      await emulator.close();
      await s3?.stop();
    },
  };
}

/** The test server's credentials as the S3 archive takes them (or a wrong secret, to see it refused). */
export function s3Credentials(s3: S3TestServer, secretAccessKey = s3.secretAccessKey) {
  return { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey }, region: s3.region };
}

export interface WorkerProcessSetup {
  taskQueue: string;
  stripeBase: string;
  archiveDir: string;
  poolScope: string;
  /** Key variables, AWS credentials… */
  env: Record<string, string>;
}

/**
 * test/helpers/worker-process.ts in a process of its own on the suite's dev server, so a test can
 * SIGKILL it mid-flight; resolves once it polls.
 */
export async function startWorkerProcess(setup: WorkerProcessSetup): Promise<ChildProcess> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    BUNDLE_PATH: inject('workflowBundlePath'),
    TASK_QUEUE: setup.taskQueue,
    STRIPE_API_BASE: setup.stripeBase,
    ARCHIVE_DIR: setup.archiveDir,
    POOL_SCOPE: setup.poolScope,
    ...setup.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/helpers/worker-process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return child;
}
