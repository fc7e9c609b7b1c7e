/**
 * The Temporal SDK's runtime (its logger and its metrics), installed once per process before
 * any worker or native connection. The SDK logs state changes at INFO; people need warnings and
 * errors unless LOG_LEVEL asks for more.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { freeLoopbackAddress } from './metrics-endpoint.js';

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);
let installed = false;
let metricsUrl: string | undefined;

export interface TemporalRuntimeOptions {
  /**
   * `host:port` where core's Prometheus exporter listens (loopback, picked free at start); the
   * process's `/metrics` fetches it and appends it to the project's metrics.
   */
  metricsBindAddress?: string;
}

export function installTemporalRuntime(env: NodeJS.ProcessEnv = process.env, options: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  const level = (env.LOG_LEVEL ?? 'WARN').toUpperCase();
  if (!LEVELS.has(level)) throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} is not one of ${[...LEVELS].join(', ')}`);
  const address = options.metricsBindAddress;
  Runtime.install({
    logger: new DefaultLogger(level as LogLevel),
    // Core's names as Temporal's SDK dashboards know them: temporal_ prefix, durations in ms.
    ...(address ? { telemetryOptions: { metrics: { prometheus: { bindAddress: address } } } } : {}),
  });
  if (address) metricsUrl = `http://${address}/metrics`;
  installed = true;
}

/**
 * The runtime of a long-running process: core's exporter on a loopback port picked free now. Core
 * cannot bind port 0 and say which it got, so a port another process took in between is simply
 * replaced by another.
 */
export async function installTemporalRuntimeWithMetrics(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      installTemporalRuntime(env, { metricsBindAddress: await freeLoopbackAddress() });
      return;
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

/** Where core serves the SDK's metrics, when the runtime was installed with an exporter. */
export function temporalMetricsUrl(): string | undefined {
  return metricsUrl;
}
