/**
 * The one way this project gets a Temporal server: the one Temporal's environment configuration
 * names (TEMPORAL_ADDRESS, a temporal.toml profile) when there is one, otherwise
 * `temporal server start-dev` (found or built by ./cli-binary.ts). Used by `npm start` and by the
 * test suite's global setup.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectSearchAttributes } from '../workflows/search-attributes.js';
import { ensureTemporalCli } from './cli-binary.js';
import { temporalTarget, type TemporalTarget } from './connection.js';

export interface TemporalServer {
  address: string;
  namespace: string;
  /** How to connect to it (temporal/connection.ts). */
  target: TemporalTarget;
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
  const configured = temporalTarget();
  if (configured.configured) {
    return { address: configured.address, namespace: configured.namespace, target: configured, stop: async () => {} };
  }
  const namespace = configured.namespace;
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
    target: temporalTarget({ ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace }),
    uiUrl: options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}
