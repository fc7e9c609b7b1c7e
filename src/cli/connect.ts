/** The CLI's way to the Temporal server of `npm start` (or TEMPORAL_ADDRESS), and to a configuration. */
import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { formatProblem, loadConfigFile } from '../config/load.js';
import type { ReportConfig } from '../config/schema.js';
import type { Settings } from '../settings.js';

export async function withClient<T>(settings: Settings, fn: (client: Client) => Promise<T>): Promise<T> {
  const address = settings.temporalAddress ?? `localhost:${settings.temporalPort}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${address} (is \`npm start\` running, or TEMPORAL_ADDRESS set?): ${(err as Error).message}`);
  }
  try {
    return await fn(new Client({ connection, namespace: settings.temporalNamespace }));
  } finally {
    // Calls still in flight (a query no worker answered) must not turn a result into an error.
    await connection.close().catch(() => undefined);
  }
}

/** `monthly-balance` or `schedules/monthly-balance.yaml`. Throws with every problem of a bad file. */
export function loadNamedConfig(settings: Settings, name: string): ReportConfig {
  const file = /\.ya?ml$/.test(name) ? path.resolve(name) : path.join(settings.schedulesDir, `${name}.yaml`);
  const loaded = loadConfigFile(file);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  return loaded.config;
}
