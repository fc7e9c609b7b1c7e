/**
 * A worker as a long-running service: connected through Temporal's environment configuration,
 * with the namespace's search attributes in place, its dependencies built by worker-deps.ts,
 * `/healthz` and `/metrics` on a port of its own, and a bounded graceful shutdown. `reports worker` is exactly
 * this; `npm start` runs it beside the dev server, the emulator and the relay.
 */
import type { Client, Connection } from '@temporalio/client';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { startHealthServer, type HealthServer } from './observability/health.js';
import { metricsExposition } from './observability/metrics-endpoint.js';
import { temporalMetricsUrl } from './observability/temporal-runtime.js';
import type { Logger } from './observability/logger.js';
import type { Settings } from './settings.js';
import { connectClient, connectWorker, type TemporalTarget } from './temporal/connection.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { createReportsWorker, limitHeapGrowth, type ReportsWorker } from './worker.js';
import { bundleWorkflowsApart } from './workflow-bundle.js';
import { buildWorkerDeps, workerDepsFromSettings, type WorkerDepsInput } from './worker-deps.js';

export const DEFAULT_WORKER_HEALTH_PORT = 9464;

export interface WorkerService {
  worker: ReportsWorker;
  client: Client;
  health: HealthServer;
  /** Resolves when the worker has shut down (after stop(), or on a fatal error). */
  running: Promise<void>;
  /** Starts the graceful shutdown: stop polling, let activities finish or hand back. Idempotent. */
  stop(): void;
  /** Closes the connections and the health endpoint, after `running` settled. */
  close(): Promise<void>;
}

export interface WorkerServiceOptions {
  target: TemporalTarget;
  settings: Settings;
  /** What differs from a production worker (npm start's demo mode points Stripe at the emulator). */
  depsInput?: (client: Client) => WorkerDepsInput;
  logger: Logger;
}

export async function startWorkerService(o: WorkerServiceOptions): Promise<WorkerService> {
  const { target, settings, logger } = o;
  const { client, connection } = await connectClient(target);
  let nativeConnection: NativeConnection | undefined;
  try {
    const attributes = await ensureSearchAttributes(client, target.namespace);
    if (attributes.added.length > 0) logger.info({ namespace: target.namespace, searchAttributes: attributes.added }, 'added search attributes to the namespace');
    limitHeapGrowth(settings.heapGrowthPercent);
    nativeConnection = await connectWorker(target);
    const built = buildWorkerDeps(o.depsInput?.(client) ?? workerDepsFromSettings(settings, client));
    const bundle = settings.workflowBundle ? { codePath: settings.workflowBundle } : await bundleWorkflowsApart();
    const worker = await createReportsWorker({
      connection: nativeConnection,
      namespace: target.namespace,
      taskQueue: settings.taskQueue,
      deps: built.deps,
      workflowBundle: bundle,
      sdkIsolateTimeout: settings.sdkIsolateTimeout,
      tuning: {
        ...(settings.workflowThreads ? { workflowThreadPoolSize: settings.workflowThreads } : {}),
        ...(settings.maxCachedWorkflows ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
        // In-flight activities get this long to finish; then they are cancelled and hand back
        // (a transfer keeps its progress in heartbeat details and resumes on any host).
        shutdownGraceTime: settings.shutdownGraceMs,
        shutdownForceTime: settings.shutdownGraceMs + 30_000,
      },
    });
    // The worker holds the code now; a bundle built for this start is not needed on disk.
    if (!settings.workflowBundle) rmSync(path.dirname(bundle.codePath), { recursive: true, force: true });
    const health = await startHealthServer({
      host: settings.healthHost,
      port: settings.healthPort(DEFAULT_WORKER_HEALTH_PORT),
      process: 'worker',
      state: () => ({ ok: worker.getState() === 'RUNNING', worker: worker.getState(), taskQueue: settings.taskQueue, namespace: target.namespace }),
      // The project's metrics and the SDK's (core's exporter, when the runtime has one).
      metrics: () => metricsExposition(temporalMetricsUrl()),
    });
    const running = worker.run();
    let stopping = false;
    const nc = nativeConnection;
    return {
      worker,
      client,
      health,
      running,
      stop() {
        if (stopping || worker.getState() !== 'RUNNING') return;
        stopping = true;
        worker.shutdown();
      },
      async close() {
        await health.close();
        await built.close();
        await nc.close().catch(() => undefined);
        await closeQuietly(connection);
      },
    };
  } catch (err) {
    await nativeConnection?.close().catch(() => undefined);
    await closeQuietly(connection);
    throw err;
  }
}

async function closeQuietly(connection: Connection): Promise<void> {
  await connection.close().catch(() => undefined);
}
