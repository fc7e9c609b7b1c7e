/**
 * `reports worker`: the worker alone, for a fleet next to an existing Temporal cluster. No dev
 * server, no emulator, no demo, no sync. SIGTERM (or Ctrl-C) stops polling and lets in-flight
 * activities finish or hand back within REPORTS_SHUTDOWN_GRACE_SECONDS; a second signal exits at once.
 */
import type { Settings } from '../settings.js';
import { initLogger } from '../observability/logger.js';
import { installTemporalRuntimeWithMetrics } from '../observability/temporal-runtime.js';
import { temporalTarget } from '../temporal/connection.js';
import { startWorkerService } from '../worker-service.js';

export async function workerCommand(settings: Settings): Promise<number> {
  const logger = initLogger('worker');
  await installTemporalRuntimeWithMetrics(process.env, logger);
  const target = temporalTarget();
  if (!target.configured) logger.info({ temporal: target.address }, 'TEMPORAL_ADDRESS is not set: connecting to the default address');
  const service = await startWorkerService({ target, settings, logger });
  logger.info(
    { taskQueue: settings.taskQueue, temporal: target.describe(), namespace: target.namespace, archive: settings.archiveDir, health: service.health.url },
    'worker polling',
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, `${signal} again: exiting now; in-flight activities resume on another worker after their heartbeat timeout`);
      process.exit(1);
    }
    logger.info({ signal, graceSeconds: settings.shutdownGraceMs / 1000 }, `${signal}: stopping; in-flight activities get the grace time to finish or hand back`);
    service.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await service.running;
  } finally {
    await service.close();
  }
  logger.info('worker stopped');
  return 0;
}
