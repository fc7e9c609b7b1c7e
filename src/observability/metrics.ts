/**
 * The project's metrics: one prom-client registry per process, served on `/metrics` beside
 * `/healthz` (observability/health.ts), together with the Temporal SDK's own (core's Prometheus
 * exporter). This file is the catalogue: every metric the project exposes is declared here, with
 * its labels; deploy/grafana and deploy/prometheus name only these (and the SDK's).
 *
 * Labels stay bounded: api, report, configuration, pool, stage, backend, destination, status,
 * reason. Never an account, a run id, a workflow id or a period.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Seconds, from a second to a few days: waiting for Stripe's data or a permit can take that long. */
const STAGE_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 86400, 3 * 86400];
/** Bytes per second, 100 kB/s to 1 GB/s. */
const THROUGHPUT_BUCKETS = [1e5, 1e6, 5e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9];

export const reportRunsCreated = new Counter({
  name: 'reports_report_runs_created_total',
  help: 'ReportRuns created at Stripe (not counting idempotent replays of a create).',
  labelNames: ['api', 'report'] as const,
  registers: [registry],
});

export const reportRunsFinished = new Counter({
  name: 'reports_report_runs_finished_total',
  help: 'ReportRuns seen in a final state, by status: succeeded or failed at Stripe, or canceled (the firing was cancelled while the run ran).',
  labelNames: ['api', 'report', 'status'] as const,
  registers: [registry],
});

export const targets = new Counter({
  name: 'reports_targets_total',
  help: "Targets of a firing by outcome (archived, skipped, failed), counted when the firing ends.",
  labelNames: ['configuration', 'outcome'] as const,
  registers: [registry],
});

export const firings = new Counter({
  name: 'reports_firings_total',
  help: 'Firings ended, by result: complete (no target failed) or with_failures.',
  labelNames: ['configuration', 'result'] as const,
  registers: [registry],
});

export const dataDeadlinesPassed = new Counter({
  name: 'reports_data_deadline_passed_total',
  help: "Targets whose period's data was still not available at Stripe when their wait_for_data deadline passed.",
  labelNames: ['configuration'] as const,
  registers: [registry],
});

export const stageDuration = new Histogram({
  name: 'reports_stage_duration_seconds',
  help: 'Time a target spent in a stage, in workflow time, observed when it leaves the stage with an answer: waiting_for_data (until Stripe has the period), waiting_for_permit (until granted), waiting_for_stripe (the ReportRun running, until succeeded or failed), transfer (until archived).',
  labelNames: ['stage'] as const,
  buckets: STAGE_BUCKETS,
  registers: [registry],
});

export const transferBytes = new Counter({
  name: 'reports_transfer_bytes_total',
  help: 'Bytes of report files received from Stripe by transfer attempts (a resumed attempt counts only what it received).',
  labelNames: ['backend'] as const,
  registers: [registry],
});

export const transferThroughput = new Histogram({
  name: 'reports_transfer_throughput_bytes_per_second',
  help: 'Throughput of each transfer attempt that archived its file (bytes it received over the time it streamed).',
  labelNames: ['backend'] as const,
  buckets: THROUGHPUT_BUCKETS,
  registers: [registry],
});

export const stripeResponses = new Counter({
  name: 'reports_stripe_responses_total',
  help: "Stripe's answers by API (v1, v2, files) and status class (2xx, 4xx, 5xx, network).",
  labelNames: ['api', 'status_class'] as const,
  registers: [registry],
});

export const stripeRateLimited = new Counter({
  name: 'reports_stripe_rate_limited_total',
  help: "Stripe's 429 answers (the cap on running reports, or the request rate).",
  labelNames: ['api'] as const,
  registers: [registry],
});

export const webhookEvents = new Counter({
  name: 'reports_webhook_events_total',
  help: 'Webhook deliveries at the relay: routed to a run (reason: direct or mailbox), ignored (not about a run that stopped), rejected (bad signature, bad body), failed (Temporal did not take the signal), by reason.',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const notifications = new Counter({
  name: 'reports_notifications_total',
  help: 'Notifications of a firing, by destination (webhook, slack, email) and result (sent, failed).',
  labelNames: ['destination', 'result'] as const,
  registers: [registry],
});

export const permitsGranted = new Counter({
  name: 'reports_permits_granted_total',
  help: 'Permits granted by a permit pool.',
  labelNames: ['pool'] as const,
  registers: [registry],
});

/**
 * A permit pool's state as its workflow last reported it to this process. The pool workflow may
 * move to another worker host (cache eviction, a restart): a pool this process has not heard about
 * for POOL_REPORT_TTL_MS is dropped from its output, so two hosts never both claim the pool's
 * values for long. Each pool reports at least every REPORTS_PERMIT_RECLAIM_SECONDS (30 s).
 */
export const POOL_REPORT_TTL_MS = 5 * 60_000;

/** What a pool reports (the sink's PermitPoolReport in src/domain/metrics-sink.ts; this room imports nothing of the project). */
type PoolReport = { pool: string } & Record<'capacity' | 'effectiveCapacity' | 'held' | 'waiting' | 'oldestWaitSeconds' | 'granted', number>;
const pools = new Map<string, { report: PoolReport; at: number }>();

/** Drops pools not heard of lately; called when any pool gauge is collected (on each scrape). */
function dropStalePools(now = Date.now()): void {
  for (const [pool, { at }] of pools) {
    if (now - at <= POOL_REPORT_TTL_MS) continue;
    pools.delete(pool);
    for (const gauge of Object.values(permitPool)) gauge.remove({ pool });
  }
}

const poolGauge = (name: string, help: string, collect?: () => void) =>
  new Gauge({
    name,
    help,
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      dropStalePools();
      collect?.();
    },
  });

export const permitPool = {
  capacity: poolGauge('reports_permit_pool_capacity', "A permit pool's configured capacity."),
  effective: poolGauge('reports_permit_pool_effective_capacity', "A permit pool's capacity after Stripe's 429s lowered it."),
  held: poolGauge('reports_permit_pool_held', 'Permits held (ReportRuns running at Stripe).'),
  waiting: poolGauge('reports_permit_pool_waiting', 'Targets waiting for a permit.'),
  oldestWait: poolGauge('reports_permit_pool_oldest_wait_seconds', 'How long the longest-waiting target has waited for a permit (0 when none waits).', () => {
    // Grows between reports: the waiter reported is still waiting unless a report said otherwise.
    const now = Date.now();
    for (const { report, at } of pools.values()) {
      permitPool.oldestWait.set({ pool: report.pool }, report.waiting > 0 ? report.oldestWaitSeconds + Math.max(0, now - at) / 1000 : 0);
    }
  }),
};

/** Records a pool's report (from the pool workflow, through the worker's metrics sink). */
export function recordPermitPool(report: PoolReport, now = Date.now()): void {
  pools.set(report.pool, { report, at: now });
  const pool = { pool: report.pool };
  permitPool.capacity.set(pool, report.capacity);
  permitPool.effective.set(pool, report.effectiveCapacity);
  permitPool.held.set(pool, report.held);
  permitPool.waiting.set(pool, report.waiting);
  permitPool.oldestWait.set(pool, report.oldestWaitSeconds);
  if (report.granted > 0) permitsGranted.inc(pool, report.granted);
}

/** Counts one answer of Stripe (or a request that got none: `status` undefined). */
export function countStripeResponse(api: string, status: number | undefined): void {
  stripeResponses.inc({ api, status_class: statusClass(status) });
  if (status === 429) stripeRateLimited.inc({ api });
}

/** Status code → the `status_class` label. */
export function statusClass(status: number | undefined): string {
  if (status === undefined || status === 0) return 'network';
  return `${Math.floor(status / 100)}xx`;
}
