/**
 * `npm start`, the main job: a Temporal server (embedded dev server unless TEMPORAL_ADDRESS is
 * set), Stripe (the built-in emulator in demo mode unless STRIPE_SECRET_KEY is set), and the
 * worker. In demo mode every example configuration runs once at start so a newcomer sees
 * archived files within a minute. Ctrl-C stops everything cleanly.
 */
import { archiveFromSettings } from './cli/connect.js';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { syncFromDir } from './cli/sync-command.js';
import { loadConfigDir } from './config/load.js';
import { periodForConfig } from './config/period.js';
import type { ReportConfig } from './config/schema.js';
import { businessKey } from './domain/business-key.js';
import type { ReportWorkflowResult } from './domain/outcomes.js';
import { startEmulator, type Emulator } from './emulator/index.js';
import { createScrubber, initLogger, secretValuesFromEnv, type Logger } from './observability/logger.js';
import { installTemporalRuntimeWithMetrics } from './observability/temporal-runtime.js';
import { readSettings } from './settings.js';
import { startOrConnectTemporal } from './temporal/dev-server.js';
import { startReport } from './temporal/start-report.js';
import { relaySettingsFromEnv, startRelay } from './webhook/index.js';
import type { DemoKeys } from './activities/stripe-clients.js';
import { workerDepsFromSettings } from './worker-deps.js';
import type { ArchiveFor } from './archive/stores.js';
import { loadFiringOutcomes } from './archive/firing-outcomes.js';
import { startWorkerService } from './worker-service.js';

/** JSON lines on stdout, readable ones on a terminal (see observability/logger.ts). */
let logger: Logger;

/** Demo keys: well-formed, of each mode, and known only to the emulator. */
const DEMO_KEYS: DemoKeys = {
  account: { sandbox: 'sk_test_demo0emulator0key0000', live: 'sk_live_demo0emulator0key0000' },
  organization: { sandbox: 'sk_org_test_demo0emulator0key0000', live: 'sk_org_live_demo0emulator0key0000' },
};

async function main(): Promise<void> {
  logger = initLogger('start');
  const settings = readSettings();
  await installTemporalRuntimeWithMetrics(process.env, logger);
  const server = await startOrConnectTemporal({
    dbFile: settings.temporalDbFile,
    port: settings.temporalPort,
    uiPort: settings.temporalUiPort,
    log: (line) => logger.info(line),
  });
  logger.info({ temporal: server.target.describe(), ui: server.uiUrl }, server.uiUrl ? `Temporal UI at ${server.uiUrl}` : 'Temporal connected');

  const relaySettings = relaySettingsFromEnv();
  // Demo mode signs the emulator's events with a secret of its own; otherwise the relay runs only
  // when STRIPE_WEBHOOK_SECRETS is set, and polling alone completes runs.
  const webhookSecrets = settings.demo ? [`whsec_demo${randomBytes(16).toString('hex')}`] : relaySettings.secrets;
  const webhooks = webhookSecrets.length > 0;
  const relayUrl = `http://${relaySettings.host ?? '127.0.0.1'}:${relaySettings.port}${relaySettings.path}`;

  let emulator: Emulator | undefined;
  if (settings.demo) {
    const emulatorLogger = logger.child({ component: 'emulator' });
    emulator = await startEmulator({
      port: settings.emulatorPort,
      processingMs: 3000,
      webhookUrl: relayUrl,
      webhookSecret: webhookSecrets[0],
      // The emulator (Stripe's stand-in) speaks in lines; the run they are about becomes a field.
      log: (line) => emulatorLogger.debug({ reportRunId: /\b(?:reprun|frr)_[0-9a-f]+/.exec(line)?.[0] }, line),
    });
    // The emulator's data normally lags a few days, like Stripe's; the demo wants yesterday too.
    emulator.advanceAvailability(new Date());
    logger.warn({ stripe: emulator.url }, 'DEMO MODE: STRIPE_SECRET_KEY is not set, so reports run against the built-in Stripe emulator');
  } else {
    logger.info({ stripe: settings.stripeApiBase ?? 'https://api.stripe.com' }, 'using Stripe');
  }

  // The same worker service as `reports worker`; only where Stripe is differs in demo mode.
  const service = await startWorkerService({
    target: server.target,
    settings,
    logger,
    depsInput: (client) => {
      const input = workerDepsFromSettings(settings, client);
      return {
        ...input,
        webhooks,
        temporalUiUrl: input.temporalUiUrl ?? server.uiUrl,
        stripe: emulator ? { ...input.stripe, baseUrl: emulator.url, demoKeys: DEMO_KEYS } : input.stripe,
      };
    },
  });
  const { client } = service;
  logger.info({ taskQueue: settings.taskQueue, archive: settings.archiveDir, health: service.health.url }, `worker polling; files go to ${settings.archiveDir}`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping…');
    service.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const relay = webhooks
    ? await startRelay({ client, taskQueue: settings.taskQueue, ...relaySettings, secrets: webhookSecrets, logger: logger.child({ component: 'relay' }) })
    : undefined;
  if (relay) logger.info({ webhook: relay.url }, settings.demo ? 'webhook relay listening (the emulator posts its events here)' : 'webhook relay listening');
  else logger.info('no STRIPE_WEBHOOK_SECRETS: no webhook relay; runs complete by polling');

  const syncLogger = logger.child({ component: 'sync', schedules: settings.schedulesDir });
  syncLogger.info('syncing schedules with Temporal Schedules');
  const syncLine = (line: string) => (line.startsWith('problem ') ? syncLogger.warn(line) : line.trim() && syncLogger.info(line.trim()));
  await syncFromDir(client, settings, (text) => text.split('\n').forEach(syncLine)).catch((err) => syncLogger.error({ err }, 'sync failed'));
  if (settings.demo) {
    const configs = loadConfigDir(settings.schedulesDir).flatMap((r) => (r.ok ? [r.config] : []));
    void runDemo(client, configs, settings.taskQueue, archiveFromSettings(settings));
  } else logger.info('run one now with `npx reports run <config> --wait`, or Trigger its schedule in the Temporal UI');

  try {
    await service.running;
  } finally {
    await relay?.close();
    await service.close();
    await emulator?.close();
    await server.stop();
    logger.info('stopped');
  }
}

/** Runs every example configuration once for its previous period and prints where each file went. */
async function runDemo(client: Client, configs: ReportConfig[], taskQueue: string, archiveFor: ArchiveFor): Promise<void> {
  await Promise.all(
    configs.map(async (config) => {
      const period = periodForConfig(config, new Date()).name;
      const demo = logger.child({ configuration: config.id, period });
      let result: ReportWorkflowResult;
      try {
        try {
          const handle = await startReport(client, config, period, { taskQueue, timing: { initialMs: 1000, maxMs: 5000 } });
          demo.info({ workflowId: handle.workflowId }, 'demo firing started');
          result = await handle.result();
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          demo.info({ workflowId: businessKey(config.id, period) }, 'demo firing already running; waiting for it');
          result = await client.workflow.getHandle(businessKey(config.id, period)).result();
        }
      } catch (err) {
        const reason = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
        demo.error({ reason }, 'demo firing failed');
        return;
      }
      const store = archiveFor(config.archive);
      const outcomes = result.outcomes ?? (await loadFiringOutcomes(store, result.config, result.period))?.outcomes ?? [];
      for (const o of outcomes) {
        if (o.status === 'archived') {
          demo.info({ target: o.target, reportRunId: o.runId, location: o.file.location, size: o.file.size, sha256: o.file.sha256.slice(0, 16) }, `demo: archived ${o.file.location}`);
        } else demo.info({ target: o.target, outcome: o.status, reason: o.reason }, `demo: ${o.status}`);
      }
    }),
  );
  logger.info('demo runs finished; the worker keeps running; press Ctrl-C to stop');
}

main().catch((err) => {
  if (logger) logger.fatal({ err }, 'npm start stopped by an error');
  // No logger (a bad LOG_LEVEL): one plain line, scrubbed all the same.
  else console.error(`[reports] ${createScrubber(secretValuesFromEnv(process.env))(String((err as Error).stack ?? err))}`);
  process.exit(1);
});
