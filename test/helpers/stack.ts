/**
 * The parts most integration tests run on, started together: the Stripe emulator, the project's
 * Stripe clients for the given keys, a filesystem archive in a fresh folder (and, when asked, a
 * real S3-compatible server the archive can use), and a worker on the suite's dev server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { StripeClients } from '../../src/activities/stripe-clients.js';
import type { ArchiveFor } from '../../src/archive/stores.js';
import type { ArchiveSpec } from '../../src/domain/report-job.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { startTestWorker, type TestTemporal, type TestWorkerInput } from './temporal.js';

/** The archive backends a test can run on, by the configuration's `archive.backend`. */
export const ARCHIVE_BACKENDS = ['filesystem', 's3'] as const;
export type ArchiveBackend = (typeof ARCHIVE_BACKENDS)[number];

export interface TestStack {
  emulator: Emulator;
  stripe: StripeClients;
  temporal: TestTemporal;
  client: Client;
  archiveDir: string;
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
  /** More worker settings (webhooks, pool options, a key scope…). */
  worker?: Partial<TestWorkerInput>;
}

export async function startStack(o: StackOptions): Promise<TestStack> {
  const emulator = await startEmulator(o.emulator ?? {});
  const s3 = o.s3 ? await startS3Server() : undefined;
  const archiveDir = mkdtempSync(path.join(tmpdir(), `${o.name}-`));
  const temporal = await startTestWorker({ stripe: { baseUrl: emulator.url, env: o.keys }, archiveDir, s3Defaults: s3 ? s3Credentials(s3) : {}, ...o.worker });
  const { stripe, deps } = temporal.built;
  const archiveFor = deps.archiveFor!;
  return {
    emulator,
    stripe,
    temporal,
    client: temporal.client,
    archiveDir,
    archiveFor,
    s3,
    archiveSpec(backend, prefix) {
      if (backend === 'filesystem') return { backend };
      if (!s3) throw new Error('startStack({ s3: true }) to archive on S3');
      return { backend, bucket: s3.bucket, prefix, endpoint: s3.endpoint };
    },
    async close() {
      await temporal.close();
      await emulator.close();
      await s3?.stop();
    },
  };
}

/** The test server's credentials as the S3 archive takes them (or a wrong secret, to see it refused). */
export function s3Credentials(s3: S3TestServer, secretAccessKey = s3.secretAccessKey) {
  return { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey }, region: s3.region };
}
