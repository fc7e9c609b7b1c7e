/**
 * The worker process's core: one Temporal worker running the report workflows and the activities
 * built from real dependencies. `npm start` and the integration tests both build it here.
 */
import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from './activities/index.js';

export const DEFAULT_TASK_QUEUE = 'stripe-reports';
export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface ReportsWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one and share it); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createReportsWorker(options: ReportsWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities(options.deps),
  });
}

/** Bundles the workflow code once (webpack, a few seconds) for workers that share it. */
export async function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}
