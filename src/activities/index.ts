/**
 * Builds every activity from its dependencies (the samples-typescript factory pattern), so tests
 * and `npm start` wire real clients and stores the same way.
 */
import type { ArchiveStore } from '../archive/store.js';
import { createArchiveFor, type ArchiveFor } from '../archive/stores.js';
import { runningCapHitSignal } from '../workflows/messages.js';
import { createArchiveActivities } from './archive.js';
import { classifyFailures } from './failures.js';
import { createTransferActivities } from './transfer.js';
import { createNotifyActivities } from './notify.js';
import { createOutcomeActivities } from './outcomes.js';
import { createPermitActivities, type PermitDeps } from './permits.js';
import { createReportRunActivities } from './report-runs.js';
import { createRunEventActivities } from './run-events.js';
import { createRunStartActivities } from './run-start.js';
import { createSummaryActivities } from './summary.js';
import type { StripeClientFor } from './stripe-clients.js';

export interface ActivityDeps extends PermitDeps {
  clientFor: StripeClientFor;
  /** The filesystem archive; configurations with `archive: { backend: s3 }` use `archiveFor`. */
  archive: ArchiveStore;
  archiveFor?: ArchiveFor;
  /** Where `${ENV}` references (notification webhooks) are resolved; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Temporal UI's address: notifications link to the firing there. */
  temporalUiUrl?: string;
  /** A webhook relay feeds this worker's runs: subscribe them to their Stripe events. */
  webhooks?: boolean;
}

export function createActivities(deps: ActivityDeps) {
  // One for all activities: S3 clients are made once per bucket.
  const archiveFor = deps.archiveFor ?? createArchiveFor(deps.archive);
  const reportRuns = createReportRunActivities(deps.clientFor, async ({ poolId, holderId }, retryAfterMs) => {
    await deps.temporal.workflow.getHandle(poolId).signal(runningCapHitSignal, { holderId, retryAfterMs });
  });
  const runEvents = createRunEventActivities(deps);
  return classifyFailures({
    ...reportRuns,
    ...createTransferActivities(deps.clientFor, archiveFor),
    ...createArchiveActivities(archiveFor),
    ...createOutcomeActivities(archiveFor),
    ...createNotifyActivities(deps.env),
    ...createSummaryActivities({ archiveFor, clientFor: deps.clientFor, env: deps.env, temporalUiUrl: deps.temporalUiUrl }),
    ...createPermitActivities(deps),
    ...runEvents,
    ...createRunStartActivities(reportRuns, runEvents),
  });
}

export type ReportActivities = ReturnType<typeof createActivities>;
export type { RunStatus } from './report-runs.js';
export type { StartedRun } from './run-start.js';
export type { TransferCheckpoint } from './transfer.js';
