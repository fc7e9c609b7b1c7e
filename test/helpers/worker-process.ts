/**
 * A worker in a process of its own, so a test can SIGKILL it mid-flight. Configured by
 * environment: TEMPORAL_ADDRESS, TASK_QUEUE, BUNDLE_PATH, STRIPE_API_BASE, ARCHIVE_DIR,
 * POOL_SCOPE, and the key variables the configurations name; S3 archives use the standard AWS
 * environment (AWS_ACCESS_KEY_ID, …). Prints "ready" once polling.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import path from 'node:path';
import { createStripeClients } from '../../src/activities/stripe-clients.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { createArchiveFor } from '../../src/archive/stores.js';
import { createReportsWorker } from '../../src/worker.js';
import { STRIPE_RUNNING_CAP } from '../../src/workflows/permit-state.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const env = process.env as Record<string, string>;
const address = env.TEMPORAL_ADDRESS;
const stripe = createStripeClients({ baseUrl: env.STRIPE_API_BASE });
const connection = await Connection.connect({ address });
const nativeConnection = await NativeConnection.connect({ address });
const worker = await createReportsWorker({
  connection: nativeConnection,
  taskQueue: env.TASK_QUEUE,
  workflowBundle: { codePath: env.BUNDLE_PATH },
  deps: {
    clientFor: stripe.clientFor,
    keyScopeFor: () => env.POOL_SCOPE,
    archive: new FilesystemArchive(env.ARCHIVE_DIR),
    archiveFor: createArchiveFor(new FilesystemArchive(env.ARCHIVE_DIR)),
    stagingDir: path.join(env.ARCHIVE_DIR, '.staging'),
    temporal: new Client({ connection }),
    defaultCapacity: STRIPE_RUNNING_CAP,
    poolOptions: { reclaimEveryMs: 1000 },
  },
});
console.log('ready');
await worker.run();
