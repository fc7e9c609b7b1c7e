/**
 * The Temporal sinks workflows call and the worker implements (src/worker.ts): one-way calls out of
 * the workflow sandbox, made by the worker as the workflow task completes, never while a workflow
 * replays (so a cache eviction or a move to another host repeats none of them).
 */
import type { MetricsSink } from './metrics-sink.js';

/**
 * A run gives its permit back the moment Stripe says its ReportRun succeeded (reportRunWorkflow):
 * the worker signals the pool as the workflow task that schedules the transfer completes, without
 * a local activity's round trip in that task, which held the transfer back until the pool's signal
 * was answered (tens to hundreds of milliseconds when many runs finish at once). Not awaited by the
 * workflow: a release lost with its process is found by the pool's reclaim check (a holder
 * transferring its file holds no permit: activities/permits.ts, `closedWorkflows`).
 */
export type PermitSink = { release(poolId: string, holderId: string): void };

// Type aliases, not interfaces: the SDK's `Sinks` constraint needs their implicit index signature.
export type ReportsSinks = { metrics: MetricsSink; permits: PermitSink };
