/**
 * The worker process's core: one Temporal worker running the report workflows and the activities
 * built from real dependencies. `npm start` and the integration tests both build it here.
 */
import {
  DefaultLogger,
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type InjectedSinks,
  type WorkerOptions,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { ReportsSinks } from './domain/sinks.js';
import { PermitReleases } from './activities/permits.js';
import * as m from './observability/metrics.js';
import { getLogger } from './observability/logger.js';
import { activityLogContext } from './activities/log-context.js';
import { withoutIsolateTimeout, withoutUnboundedTimeout, type StuckThread } from './workflow-threads.js';
import { permitTaskQueue } from './workflows/permit-state.js';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared.js';

export const DEFAULT_TASK_QUEUE = 'stripe-reports';
// Beside this file: src/workflows/index.ts under tsx (tests, benches), dist/workflows/index.js compiled.
export const workflowsPath = fileURLToPath(new URL(`./workflows/index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

export interface ReportsWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one and share it); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleOption;
  /** Worker options over the defaults below (benchmarks and REPORTS_WORKFLOW_THREADS). */
  tuning?: Partial<WorkerOptions>;
  /**
   * Keep the SDK's 5 s timeout on every call into workflow code (REPORTS_SDK_ISOLATE_TIMEOUT=1)
   * instead of the beat that replaces it (./workflow-threads.ts says why).
   */
  sdkIsolateTimeout?: boolean;
}

/**
 * A thread stuck in one activation stays stuck, with every workflow it holds: end the process, so
 * its supervisor starts a fresh one and the workflows move on there.
 */
function exitOnStuckThread({ threadId, silentMs }: StuckThread): void {
  getLogger().fatal({ threadId, silentMs }, 'a workflow thread has not answered for a minute (workflow code in an endless loop?); exiting so the worker restarts');
  process.exit(70);
}

/**
 * Threads running workflow tasks. The SDK's default is one; when 50 runs finish at once that one
 * thread is the bottleneck (measured with bench/webhook-latency.ts on 2 cores: p95 0.84–0.97 s
 * with one thread, 0.36–0.83 s with two). More than 4 buys nothing for this workload.
 */
export const defaultWorkflowThreads = () => Math.max(2, Math.min(4, availableParallelism()));

/**
 * Workflows kept in memory between their tasks. The SDK sizes its cache from the heap limit (2,289
 * on a 24 GB machine), so a firing of 1,000 targets kept every run, mailbox and batch it had
 * touched. 500 holds what a firing has in flight under a pool of 100 (about two capacities); a
 * workflow pushed out replays its short history at its next task. With the heap growth below,
 * the N = 1,000 bench's worker peaked at 546 MB instead of 776 MB. REPORTS_MAX_CACHED_WORKFLOWS sets it.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 500;

/**
 * How much V8 lets the heap grow past what the last collection kept before it collects again, in
 * percent: smaller means more frequent, smaller collections and a heap nearer its live size (see
 * the cache above for what the two did together). 0 = V8's default. Process-wide: call before
 * creating the worker.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * The worker a process runs: the report workflows and activities on its task queue, and the permit
 * pools on theirs (permitTaskQueue), so a pool's task is never queued behind the runs'. The pools'
 * worker runs their few workflow tasks on the main thread (the SDK's `debugMode`: no thread of its
 * own: about 45 MB less at the N = 1,000 bench's peak than with one, one run each; its 49-day
 * timeout is dropped by withoutUnboundedTimeout) and their one activity, the reclaim check.
 */
export class ReportsWorker {
  constructor(
    readonly main: Worker,
    readonly permits: Worker,
    /** Releases the workflows asked for (PermitSink) still under way: awaited before `run` returns. */
    private readonly releases?: PermitReleases,
  ) {}

  get options(): Worker['options'] {
    return this.main.options;
  }

  /** RUNNING only while both are. */
  getState(): ReturnType<Worker['getState']> {
    const permits = this.permits.getState();
    return permits === 'RUNNING' ? this.main.getState() : permits;
  }

  /**
   * Runs both until shut down; if either ends (fails), the other is shut down too. Returns once
   * both have ended and the permit releases sent meanwhile have been answered, throwing the first failure.
   */
  async run(): Promise<void> {
    const runs = [this.main.run(), this.permits.run()];
    await Promise.race(runs).catch(() => undefined);
    this.shutdown();
    const ended = await Promise.allSettled(runs);
    await this.releases?.drain();
    const failed = ended.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  shutdown(): void {
    for (const w of [this.main, this.permits]) if (w.getState() === 'RUNNING') w.shutdown();
  }
}

export async function createReportsWorker(options: ReportsWorkerOptions): Promise<ReportsWorker> {
  if (!options.sdkIsolateTimeout) withoutIsolateTimeout(exitOnStuckThread);
  withoutUnboundedTimeout();
  const activities = createActivities(options.deps);
  const releases = new PermitReleases(options.deps.temporal, (fields, message) => getLogger().warn(fields, message));
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const common = {
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    sinks: workerSinks(releases),
    // Every activity line carries configuration, period, target and the ReportRun id.
    interceptors: { activity: [activityLogContext] },
  } satisfies Partial<WorkerOptions>;
  const main = await Worker.create({
    ...common,
    taskQueue,
    activities,
    workflowThreadPoolSize: defaultWorkflowThreads(),
    maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
    // A transfer's heartbeat is its checkpoint and its progress in the UI. The SDK would send it
    // every 24 s (0.8 × the 30 s heartbeat timeout); every 2 s keeps both fresh for one small
    // call per running transfer.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...options.tuning,
  });
  const { shutdownGraceTime, shutdownForceTime } = options.tuning ?? {};
  const permits = await Worker.create({
    ...common,
    taskQueue: permitTaskQueue(taskQueue),
    activities: { closedWorkflows: activities.closedWorkflows },
    debugMode: true,
    // A pool per Stripe key and mode: a handful per deployment.
    maxCachedWorkflows: 20,
    maxConcurrentWorkflowTaskExecutions: 4,
    maxConcurrentActivityTaskExecutions: 4,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
    ...(shutdownGraceTime !== undefined ? { shutdownGraceTime } : {}),
    ...(shutdownForceTime !== undefined ? { shutdownForceTime } : {}),
  });
  // debugMode installed the SDK's hooks for workflow stack traces on the main thread: a promise
  // hook that compiles a function for every promise any activity, client or poller creates (N =
  // 3,000 profile: 17 % of the main thread's CPU) and a source-mapping Error.prepareStackTrace.
  // They serve the `__stack_trace` query only; a workflow thread would drop them with itself.
  globalHandlers.uninstall();
  return new ReportsWorker(main, permits, releases);
}

/**
 * The sinks workflows call (src/domain/sinks.ts): their metrics into this process's registry, and
 * permit releases sent by `releases` (a replay, which calls no sink, passes none). Not called
 * while a workflow replays (`callDuringReplay` unset).
 */
export function workerSinks(releases?: PermitReleases): InjectedSinks<ReportsSinks> {
  return {
    // Not awaited: the SDK awaits a sink before it completes the workflow task.
    permits: { release: { fn: (_info, poolId, holderId) => releases?.send(poolId, holderId) } },
    metrics: {
      runFinished: { fn: (_info, run) => m.reportRunsFinished.inc(run) },
      stageDone: { fn: (_info, stage, seconds) => m.stageDuration.observe({ stage }, seconds) },
      dataDeadlinePassed: { fn: (_info, configuration) => m.dataDeadlinesPassed.inc({ configuration }) },
      firingEnded: {
        fn: (_info, { configuration, archived, skipped, failed }) => {
          for (const [outcome, n] of Object.entries({ archived, skipped, failed })) m.targets.inc({ configuration, outcome }, n);
          m.firings.inc({ configuration, result: failed > 0 ? 'with_failures' : 'complete' });
        },
      },
      permitPool: { fn: (_info, report) => m.recordPermitPool(report) },
    },
  };
}

/** Bundles the workflow code once (webpack, a few seconds) for workers that share it. */
export async function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}
