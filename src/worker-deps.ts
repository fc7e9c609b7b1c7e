/**
 * The one place a worker's dependencies are built, for every entry: `reports worker`,
 * `npm start`, the tests and the benchmarks. Each passes what differs (where Stripe is, the demo
 * keys, test pool scopes) and gets the same Stripe clients, archives and permit settings.
 */
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from './activities/index.js';
import { createStripeClients, type DemoKeys, type KeyScopeFor, type StripeClients } from './activities/stripe-clients.js';
import { FilesystemArchive } from './archive/filesystem.js';
import type { S3ArchiveOptions } from './archive/s3.js';
import { createArchiveFor } from './archive/stores.js';
import { countStripeResponse } from './observability/metrics.js';
import type { Settings } from './settings.js';
import type { Mode } from './stripe/keys.js';
import type { PermitPoolOptions } from './workflows/permit-state.js';

export interface WorkerDepsInput {
  temporal: Client;
  /** Stripe's address and versions (settings), or the emulator's in demo mode and tests. */
  stripe: { baseUrl?: string; v2Prefix?: string; v2Version?: string; v1Version?: string; dataVersion?: string; demoKeys?: DemoKeys; env?: NodeJS.ProcessEnv };
  /** The filesystem archive (REPORTS_ARCHIVE_DIR): shared by every worker host. */
  archiveDir: string;
  /** S3 settings every S3 archive starts from (tests: the test server's credentials). */
  s3Defaults?: Partial<S3ArchiveOptions>;
  defaultCapacity: Record<Mode, number>;
  webhooks: boolean;
  poolOptions?: Partial<PermitPoolOptions>;
  /** Tests: a pool of their own instead of one per key. */
  keyScopeFor?: KeyScopeFor;
  /** Where `${ENV}` references of notifications resolve; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Temporal UI notifications link to (REPORTS_TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
}

export interface WorkerDeps {
  deps: ActivityDeps;
  stripe: StripeClients;
  archive: FilesystemArchive;
  close(): Promise<void>;
}

export function buildWorkerDeps(input: WorkerDepsInput): WorkerDeps {
  // Every answer of Stripe is counted by API and status class (reports_stripe_responses_total).
  const stripe = createStripeClients({ ...input.stripe, observe: (answer) => countStripeResponse(answer.api, answer.status) });
  const archive = new FilesystemArchive(input.archiveDir);
  return {
    stripe,
    archive,
    deps: {
      clientFor: stripe.clientFor,
      keyScopeFor: input.keyScopeFor ?? stripe.keyScopeFor,
      archive,
      archiveFor: createArchiveFor(archive, input.s3Defaults),
      temporal: input.temporal,
      defaultCapacity: input.defaultCapacity,
      poolOptions: input.poolOptions,
      webhooks: input.webhooks,
      env: input.env,
      temporalUiUrl: input.temporalUiUrl,
    },
    close: () => stripe.close(),
  };
}

/** The input of a production worker: everything from the settings (the environment). */
export function workerDepsFromSettings(settings: Settings, temporal: Client): WorkerDepsInput {
  return {
    temporal,
    stripe: {
      baseUrl: settings.stripeApiBase,
      v2Prefix: settings.stripeV2Prefix,
      v2Version: settings.stripeV2Version,
      v1Version: settings.stripeV1Version,
      dataVersion: settings.stripeDataVersion,
    },
    archiveDir: settings.archiveDir,
    defaultCapacity: settings.permitCapacity,
    webhooks: settings.webhooks,
    poolOptions: { reclaimEveryMs: settings.permitReclaimMs },
    temporalUiUrl: settings.temporalUiUrl,
  };
}
