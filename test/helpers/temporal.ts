/**
 * Test plumbing: a client and a real worker on the suite's dev server, on a task queue of their
 * own, with dependencies built by the production builder (src/worker-deps.ts).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { installTemporalRuntime } from '../../src/observability/temporal-runtime.js';
import { STRIPE_RUNNING_CAP } from '../../src/workflows/permit-state.js';
import { createReportsWorker, type ReportsWorker } from '../../src/worker.js';
import { buildWorkerDeps, type WorkerDeps, type WorkerDepsInput } from '../../src/worker-deps.js';

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  worker: ReportsWorker;
  /** What the worker was built with (its Stripe clients, archive, activity deps). */
  built: WorkerDeps;
  /** Stops the worker and closes the connections. */
  close(): Promise<void>;
}

/** What a test gives: where Stripe and the archive are; Stripe's cap, no webhooks and a pool per test file by default. */
export type TestWorkerInput = Omit<WorkerDepsInput, 'temporal' | 'defaultCapacity' | 'webhooks'> & Partial<Pick<WorkerDepsInput, 'defaultCapacity' | 'webhooks'>>;

export async function startTestWorker(input: TestWorkerInput, options: { taskQueue?: string } = {}): Promise<TestTemporal> {
  // Tests provoke activity failures on purpose: the SDK's WARN line for each would bury the results.
  installTemporalRuntime({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' });
  const address = inject('temporalAddress');
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const built = buildWorkerDeps({
    temporal: client,
    keyScopeFor: () => `test-${taskQueue}`,
    defaultCapacity: STRIPE_RUNNING_CAP,
    webhooks: false,
    ...input,
  });
  const worker = await createReportsWorker({
    connection: nativeConnection,
    taskQueue,
    deps: built.deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return {
    client,
    taskQueue,
    worker,
    built,
    async close() {
      worker.shutdown();
      await running;
      await built.close();
      await nativeConnection.close();
      await connection.close();
    },
  };
}
