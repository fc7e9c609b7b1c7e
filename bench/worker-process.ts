/**
 * The benchmark's worker, in a process of its own so its memory (VmHWM) is the worker's alone:
 * the production worker (createReportsWorker) with the same defaults as `npm start`.
 *
 * Environment: TEMPORAL_ADDRESS, TASK_QUEUE, BUNDLE_PATH, STRIPE_API_BASE, ARCHIVE_DIR, and the
 * key variable the configuration names. Optional tuning (unset = the production default):
 * BENCH_MAX_CACHED_WORKFLOWS, BENCH_MAX_WFT (maxConcurrentWorkflowTaskExecutions),
 * BENCH_MAX_ACTIVITIES (maxConcurrentActivityTaskExecutions), BENCH_WFT_POLLERS,
 * BENCH_AT_POLLERS, BENCH_WF_THREADS (workflowThreadPoolSize). Prints one line
 * `ready {…effective options…}` once polling; SIGTERM shuts it down cleanly. BENCH_MEMORY_LOG_S=N
 * prints the main thread's heap and the process's RSS every N seconds to stderr (what RSS holds
 * beyond the main heap is the workflow threads' heaps, the SDK's native core and code).
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type WorkerOptions } from '@temporalio/worker';
import { createReportsWorker, defaultWorkflowThreads, limitHeapGrowth } from '../src/worker.js';
import { readSettings } from '../src/settings.js';
import { buildWorkerDeps } from '../src/worker-deps.js';
import { STRIPE_RUNNING_CAP } from '../src/workflows/permit-state.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const env = process.env as Record<string, string | undefined>;
const required = (name: string): string => {
  const v = env[name];
  if (!v) throw new Error(`bench worker: ${name} is not set`);
  return v;
};
const optionalInt = (name: string): number | undefined => (env[name] ? Number.parseInt(env[name]!, 10) : undefined);

const address = required('TEMPORAL_ADDRESS');
const archiveDir = required('ARCHIVE_DIR');
const connection = await Connection.connect({ address });
const nativeConnection = await NativeConnection.connect({ address });

// As `reports worker`: REPORTS_HEAP_GROWTH_PERCENT and REPORTS_MAX_CACHED_WORKFLOWS (BENCH_* below win).
const settings = readSettings();
limitHeapGrowth(settings.heapGrowthPercent);
const tuning: Partial<WorkerOptions> = settings.maxCachedWorkflows ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {};
const maxCached = optionalInt('BENCH_MAX_CACHED_WORKFLOWS');
if (maxCached !== undefined) tuning.maxCachedWorkflows = maxCached;
const maxWft = optionalInt('BENCH_MAX_WFT');
if (maxWft !== undefined) tuning.maxConcurrentWorkflowTaskExecutions = maxWft;
const maxAct = optionalInt('BENCH_MAX_ACTIVITIES');
if (maxAct !== undefined) tuning.maxConcurrentActivityTaskExecutions = maxAct;
const wftPollers = optionalInt('BENCH_WFT_POLLERS');
if (wftPollers !== undefined) tuning.workflowTaskPollerBehavior = { type: 'simple-maximum', maximum: wftPollers };
const wfThreads = optionalInt('BENCH_WF_THREADS');
if (wfThreads !== undefined) tuning.workflowThreadPoolSize = wfThreads;
const atPollers = optionalInt('BENCH_AT_POLLERS');
if (atPollers !== undefined) tuning.activityTaskPollerBehavior = { type: 'simple-maximum', maximum: atPollers };

const built = buildWorkerDeps({
  temporal: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default' }),
  stripe: { baseUrl: required('STRIPE_API_BASE') },
  archiveDir,
  defaultCapacity: STRIPE_RUNNING_CAP,
  webhooks: env.BENCH_WEBHOOKS === '1',
});
const worker = await createReportsWorker({
  connection: nativeConnection,
  namespace: env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: required('TASK_QUEUE'),
  workflowBundle: { codePath: required('BUNDLE_PATH') },
  deps: built.deps,
  sdkIsolateTimeout: settings.sdkIsolateTimeout,
  tuning,
});

const o = worker.options;
const effective = {
  maxCachedWorkflows: o.maxCachedWorkflows,
  maxConcurrentWorkflowTaskExecutions: maxWft ?? 40,
  maxConcurrentActivityTaskExecutions: maxAct ?? 100,
  workflowTaskPollers: wftPollers ?? 10,
  activityTaskPollers: atPollers ?? 10,
  workflowThreads: wfThreads ?? defaultWorkflowThreads(),
  heapGrowthPercent: settings.heapGrowthPercent,
  sdkIsolateTimeout: settings.sdkIsolateTimeout,
};
const memoryLogS = optionalInt('BENCH_MEMORY_LOG_S');
if (memoryLogS) {
  const mb = (b: number) => Math.round(b / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(`[worker memory] rss=${mb(m.rss)}MB mainHeapUsed=${mb(m.heapUsed)}MB mainHeapTotal=${mb(m.heapTotal)}MB external=${mb(m.external)}MB arrayBuffers=${mb(m.arrayBuffers)}MB\n`);
  }, memoryLogS * 1000).unref();
}
process.on('SIGTERM', () => worker.shutdown());
process.on('SIGINT', () => worker.shutdown());
console.log(`ready ${JSON.stringify(effective)}`);
try {
  await worker.run();
} finally {
  await nativeConnection.close();
  await connection.close();
  await built.close();
}
