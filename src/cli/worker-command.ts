/**
 * `reports worker`: the worker alone, for a fleet next to an existing Temporal cluster. No dev
 * server, no emulator, no demo, no sync. SIGTERM (or Ctrl-C) stops polling and lets in-flight
 * activities finish or hand back within REPORTS_SHUTDOWN_GRACE_SECONDS; a second signal exits at once.
 */
import type { Settings } from '../settings.js';
import { installTemporalRuntimeWithMetrics } from '../observability/temporal-runtime.js';
import { temporalTarget } from '../temporal/connection.js';
import { startWorkerService } from '../worker-service.js';

export async function workerCommand(settings: Settings, out: (line: string) => void): Promise<number> {
  await installTemporalRuntimeWithMetrics();
  const target = temporalTarget();
  if (!target.configured) out(`TEMPORAL_ADDRESS is not set: connecting to ${target.address}`);
  const service = await startWorkerService({ target, settings, log: out });
  out(`worker polling task queue ${settings.taskQueue} on Temporal ${target.describe()}; archive ${settings.archiveDir}; health ${service.health.url}`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      out(`${signal} again: exiting now; in-flight activities resume on another worker after their heartbeat timeout`);
      process.exit(1);
    }
    out(`${signal}: stopping; in-flight activities get ${settings.shutdownGraceMs / 1000} s to finish or hand back`);
    service.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await service.running;
  } finally {
    await service.close();
  }
  out('worker stopped');
  return 0;
}
