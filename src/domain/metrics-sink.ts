/**
 * What workflows tell the worker's metrics. Workflow code cannot touch prom-client (it runs in a
 * sandbox and replays), so it calls this Temporal sink (`proxySinks<ReportsSinks>()`); the worker
 * implements it (src/worker.ts) and updates the registry in src/observability/metrics.ts. The SDK
 * does not call it while a workflow replays, so a cache eviction or a move to another host does
 * not count anything twice (a workflow task that fails and runs again may).
 *
 * Every value here becomes a label or a sample: bounded names only (configuration, report, pool,
 * stage), never an account, a run id, a workflow id or a period.
 */

/** The stages of one target whose durations are measured, in workflow time. */
export type MeasuredStage = 'waiting_for_data' | 'waiting_for_permit' | 'waiting_for_stripe' | 'transfer';

/** How a ReportRun ended as the workflow saw it: Stripe's final status, or the workflow cancelled while it ran. */
export type FinishedRunStatus = 'succeeded' | 'failed' | 'canceled';

export interface FiringEnd {
  configuration: string;
  /** Targets by outcome. */
  archived: number;
  skipped: number;
  failed: number;
}

/** A permit pool's state, as the pool workflow reports it whenever it changes and on its reclaim tick. */
export interface PermitPoolReport {
  pool: string;
  capacity: number;
  effectiveCapacity: number;
  held: number;
  waiting: number;
  /** How long the longest waiter has waited (0 when none waits). */
  oldestWaitSeconds: number;
  /** Permits granted since the previous report. */
  granted: number;
}

// Type aliases, not interfaces: the SDK's `Sinks` constraint needs their implicit index signature.
export type MetricsSink = {
  runFinished(run: { api: 'v1' | 'v2' | 'data'; report: string; status: FinishedRunStatus }): void;
  stageDone(stage: MeasuredStage, seconds: number): void;
  dataDeadlinePassed(configuration: string): void;
  firingEnded(firing: FiringEnd): void;
  permitPool(report: PermitPoolReport): void;
};

