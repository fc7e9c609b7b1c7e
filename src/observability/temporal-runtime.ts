/**
 * The Temporal SDK's runtime (its logger, later its metrics), installed once per process before
 * any worker or native connection. The SDK logs state changes at INFO; people need warnings and
 * errors unless LOG_LEVEL asks for more.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);
let installed = false;

export function installTemporalRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  const level = (env.LOG_LEVEL ?? 'WARN').toUpperCase();
  if (!LEVELS.has(level)) throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} is not one of ${[...LEVELS].join(', ')}`);
  Runtime.install({ logger: new DefaultLogger(level as LogLevel) });
  installed = true;
}
