/**
 * startReportRun: creates the ReportRun and subscribes the calling reportRunWorkflow to its Stripe
 * events, in one local activity. The two always go together, right after the permit is granted;
 * as two, each cost the workflow an activation of its own on the worker's busiest thread, and the
 * run's first status check a third (Stripe's answer to the create carries the status).
 * Retrying is safe: the create is idempotent under its key, the subscription under the run's id.
 */
import type { createReportRunActivities, CreatedRun } from './report-runs.js';
import type { createRunEventActivities } from './run-events.js';

type ReportRunActivities = ReturnType<typeof createReportRunActivities>;
type RunEventActivities = ReturnType<typeof createRunEventActivities>;

export interface StartedRun extends CreatedRun {
  /** Subscribed to the run's events (a webhook relay feeds this worker): polling is only the safety net. */
  subscribed: boolean;
}

export function createRunStartActivities(runs: Pick<ReportRunActivities, 'createReportRun'>, events: Pick<RunEventActivities, 'subscribeToRunEvents'>) {
  return {
    async startReportRun(...args: Parameters<ReportRunActivities['createReportRun']>): Promise<StartedRun> {
      const created = await runs.createReportRun(...args);
      return { ...created, subscribed: await events.subscribeToRunEvents(created.runId) };
    },
  };
}
