/** The CLI's way to the Temporal server of `npm start` (or the configured one), and to a configuration. */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import { formatProblem, loadConfigFile } from '../config/load.js';
import type { ReportConfig } from '../config/schema.js';
import type { Settings } from '../settings.js';
import { FilesystemArchive } from '../archive/filesystem.js';
import { createArchiveFor, type ArchiveFor } from '../archive/stores.js';
import { connectClient, localAddress, temporalTarget } from '../temporal/connection.js';

export async function withClient<T>(settings: Settings, fn: (client: Client) => Promise<T>): Promise<T> {
  const target = temporalTarget(process.env, localAddress(settings.temporalPort));
  let connected;
  try {
    connected = await connectClient(target);
  } catch (err) {
    // Nothing configured: the user most likely meant `npm start`'s server.
    throw target.configured ? err : new Error(`${(err as Error).message} (is \`npm start\` running, or TEMPORAL_ADDRESS set?)`);
  }
  try {
    return await fn(connected.client);
  } finally {
    // Calls still in flight (a query no worker answered) must not turn a result into an error.
    await connected.connection.close().catch(() => undefined);
  }
}

/** `monthly-balance` or `schedules/monthly-balance.yaml`. Throws with every problem of a bad file. */
export function loadNamedConfig(settings: Settings, name: string): ReportConfig {
  const file = /\.ya?ml$/.test(name) ? path.resolve(name) : path.join(settings.schedulesDir, `${name}.yaml`);
  const loaded = loadConfigFile(file);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  return loaded.config;
}

/**
 * The archives as a command reaches them: the filesystem archive of the settings, and S3 buckets
 * named by configurations (credentials from the standard AWS environment).
 */
export function archiveFromSettings(settings: Settings): ArchiveFor {
  return createArchiveFor(new FilesystemArchive(settings.archiveDir));
}
