/**
 * The one way this project gets a Temporal server: connect to TEMPORAL_ADDRESS when it is set,
 * otherwise start `temporal server start-dev` (found or built by ./cli-binary.ts). Used by
 * `npm start` and by the test suite's global setup.
 */
import { NativeConnection } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectSearchAttributes } from '../workflows/search-attributes.js';
import { ensureTemporalCli } from './cli-binary.js';

export interface TemporalServer {
  address: string;
  namespace: string;
  /** The Temporal UI, when this process started the server with one. */
  uiUrl?: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** SQLite file; omitted = in memory (tests). */
  dbFile?: string;
  /** 0 or omitted = a free port. */
  port?: number;
  uiPort?: number;
  log?: (line: string) => void;
}

export async function startOrConnectTemporal(options: DevServerOptions = {}): Promise<TemporalServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  if (process.env.TEMPORAL_ADDRESS) {
    return { address: process.env.TEMPORAL_ADDRESS, namespace, stop: async () => {} };
  }
  const cli = await ensureTemporalCli(log);
  if (!cli) log('No Temporal CLI and no Go toolchain: letting the Temporal SDK download its dev server (needs internet).');
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      dbFilename: options.dbFile,
      port: options.port || undefined,
      ui: options.uiPort !== undefined,
      uiPort: options.uiPort,
      namespace,
      searchAttributes: projectSearchAttributes,
      log: { format: 'pretty', level: 'error' },
    },
  });
  const address = env.address;
  return {
    address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}

export async function connectWorker(address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
