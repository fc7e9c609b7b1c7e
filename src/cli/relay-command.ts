/**
 * `reports relay`: the webhook relay alone. Stripe's events (verified with STRIPE_WEBHOOK_SECRETS)
 * become signals to the waiting runs. `/healthz` and `/metrics` on its own loopback port (default 9465), besides
 * the one on the webhook port. SIGTERM closes the listener after the requests in flight.
 */
import type { Settings } from '../settings.js';
import { startHealthServer } from '../observability/health.js';
import { metricsExposition } from '../observability/metrics-endpoint.js';
import { initLogger } from '../observability/logger.js';
import { connectClient, temporalTarget } from '../temporal/connection.js';
import { relaySettingsFromEnv, startRelay } from '../webhook/index.js';

export const DEFAULT_RELAY_HEALTH_PORT = 9465;

export async function relayCommand(settings: Settings): Promise<number> {
  const logger = initLogger('relay');
  const relaySettings = relaySettingsFromEnv();
  const target = temporalTarget();
  const { client, connection } = await connectClient(target);
  try {
    const relay = await startRelay({ client, taskQueue: settings.taskQueue, ...relaySettings, logger });
    let stopping = false;
    const health = await startHealthServer({
      host: settings.healthHost,
      port: settings.healthPort(DEFAULT_RELAY_HEALTH_PORT),
      process: 'relay',
      state: () => ({ ok: !stopping, webhook: relay.url, ...relay.stats() }),
      // The project's registry only: the relay has a Temporal Client but no SDK runtime of its own.
      metrics: () => metricsExposition(),
    });
    logger.info({ webhook: relay.url, temporal: target.describe(), namespace: target.namespace, health: health.url }, 'webhook relay listening; the workers need REPORTS_WEBHOOKS=true');
    await new Promise<void>((resolve) => {
      const stop = () => {
        stopping = true;
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await relay.close();
    await health.close();
    logger.info('relay stopped');
    return 0;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
