/**
 * The Temporal SDK's runtime (its logger and its metrics), installed once per process before
 * any worker or native connection. Everything the SDK logs (the worker, workflows' `log`, activities'
 * `Context.current().log`, and core, the native part, forwarded) becomes lines of the process's
 * logger (./logger.ts), at LOG_LEVEL. Workflow lines carry workflowId and runId (Temporal's run,
 * not the ReportRun), activity lines the activity and its workflow.
 */
import { Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import { getLogger, logLevelFromEnv, type Logger } from './logger.js';
import { freeLoopbackAddress } from './metrics-endpoint.js';

/** Fields of the SDK's metadata not worth a line's bytes (an activity's task token is long and opaque). */
const DROPPED = new Set(['taskToken', 'spanContexts']);

/** @temporalio/common's Logger over pino: the level becomes pino's, the metadata fields of the line. */
export class TemporalPinoLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    if (!this.logger.isLevelEnabled(method)) return;
    const fields: Record<string, unknown> = {};
    const core = meta?.sdkComponent === 'core';
    // String keys only: the SDK's timestamp is a symbol (pino stamps its own time).
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (value === undefined || DROPPED.has(key)) continue;
      // pino serializes `err`; core's `target` is a Rust module, not a report's target.
      fields[key === 'error' ? 'err' : core && key === 'target' ? 'module' : key] = value;
    }
    this.logger[method](fields, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

let installed = false;
let metricsUrl: string | undefined;

export interface TemporalRuntimeOptions {
  /** The process's logger (default: getLogger()). */
  logger?: Logger;
  /**
   * `host:port` where core's Prometheus exporter listens (loopback, picked free at start); the
   * process's `/metrics` fetches it and appends it to the project's metrics.
   */
  metricsBindAddress?: string;
}

export function installTemporalRuntime(env: NodeJS.ProcessEnv = process.env, options: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  const level = logLevelFromEnv(env);
  const logger = options.logger ?? getLogger();
  // Core's debug and trace lines are its state machines' internals (hundreds per firing, for SDK
  // developers): core logs from info up, or from LOG_LEVEL when that is higher.
  const coreLevel = (level === 'trace' || level === 'debug' ? 'INFO' : level.toUpperCase()) as LogLevel;
  const address = options.metricsBindAddress;
  Runtime.install({
    logger: new TemporalPinoLogger(logger.child({}, { level })),
    telemetryOptions: {
      // Its third-party crates' lines only from WARN.
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: coreLevel, other: 'WARN' }) },
      // Core's names as Temporal's SDK dashboards know them: temporal_ prefix, durations in ms.
      ...(address ? { metrics: { prometheus: { bindAddress: address } } } : {}),
    },
  });
  if (address) metricsUrl = `http://${address}/metrics`;
  installed = true;
}

/**
 * The runtime of a long-running process: core's exporter on a loopback port picked free now. Core
 * cannot bind port 0 and say which it got, so a port another process took in between is simply
 * replaced by another.
 */
export async function installTemporalRuntimeWithMetrics(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      installTemporalRuntime(env, { logger, metricsBindAddress: await freeLoopbackAddress() });
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
