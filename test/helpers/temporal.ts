/** Test plumbing: a client and a real worker on the suite's dev server, on a task queue of their own. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../src/activities/index.js';
import { createReportsWorker } from '../../src/worker.js';
import { STRIPE_RUNNING_CAP } from '../../src/workflows/permit-state.js';

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  worker: Worker;
  /** Stops the worker and closes the connections. */
  close(): Promise<void>;
}

/** The deps a test gives; the Temporal client is made here, and each test file gets its own permit pool. */
export type TestDeps = Omit<ActivityDeps, 'temporal' | 'keyScopeFor' | 'defaultCapacity'> & Partial<Pick<ActivityDeps, 'keyScopeFor' | 'defaultCapacity'>>;

export async function startTestWorker(deps: TestDeps, options: { taskQueue?: string } = {}): Promise<TestTemporal> {
  const address = inject('temporalAddress');
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createReportsWorker({
    connection: nativeConnection,
    taskQueue,
    deps: {
      temporal: client,
      keyScopeFor: () => `test-${taskQueue}`,
      defaultCapacity: STRIPE_RUNNING_CAP,
      ...deps,
    },
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return {
    client,
    taskQueue,
    worker,
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
