/** Test plumbing: a client and a real worker on the suite's dev server, on a task queue of their own. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../src/activities/index.js';
import { createReportsWorker } from '../../src/worker.js';

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  worker: Worker;
  /** Runs the worker in the background until `close`. */
  close(): Promise<void>;
}

export async function startTestWorker(deps: ActivityDeps): Promise<TestTemporal> {
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createReportsWorker({
    connection: nativeConnection,
    taskQueue,
    deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
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
