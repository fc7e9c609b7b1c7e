/**
 * `npm start`, the main job: a Temporal server (embedded dev server unless TEMPORAL_ADDRESS is
 * set), Stripe (the built-in emulator in demo mode unless STRIPE_SECRET_KEY is set), and the
 * worker. In demo mode every example configuration runs once at start so a newcomer sees
 * archived files within a minute. Ctrl-C stops everything cleanly.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { syncFromDir } from './cli/sync-command.js';
import { loadConfigDir } from './config/load.js';
import { periodForConfig } from './config/period.js';
import type { ReportConfig } from './config/schema.js';
import { businessKey } from './domain/business-key.js';
import type { ReportWorkflowResult } from './domain/outcomes.js';
import { startEmulator, type Emulator } from './emulator/index.js';
import { installTemporalRuntimeWithMetrics } from './observability/temporal-runtime.js';
import { readSettings } from './settings.js';
import { startOrConnectTemporal } from './temporal/dev-server.js';
import { startReport } from './temporal/start-report.js';
import { relaySettingsFromEnv, startRelay } from './webhook/index.js';
import { workerDepsFromSettings } from './worker-deps.js';
import { startWorkerService } from './worker-service.js';

const log = (line: string) => console.log(`[reports] ${line}`);

/** Demo keys: well-formed, of each mode, and known only to the emulator. */
const DEMO_KEYS = { sandbox: 'sk_test_demo0emulator0key0000', live: 'sk_live_demo0emulator0key0000' } as const;

async function main(): Promise<void> {
  const settings = readSettings();
  await installTemporalRuntimeWithMetrics();
  const server = await startOrConnectTemporal({
    dbFile: settings.temporalDbFile,
    port: settings.temporalPort,
    uiPort: settings.temporalUiPort,
    log,
  });
  log(`Temporal at ${server.target.describe()}${server.uiUrl ? `, UI at ${server.uiUrl}` : ''}`);

  const relaySettings = relaySettingsFromEnv();
  // Demo mode signs the emulator's events with a secret of its own; otherwise the relay runs only
  // when STRIPE_WEBHOOK_SECRETS is set, and polling alone completes runs.
  const webhookSecrets = settings.demo ? [`whsec_demo${randomBytes(16).toString('hex')}`] : relaySettings.secrets;
  const webhooks = webhookSecrets.length > 0;
  const relayUrl = `http://${relaySettings.host ?? '127.0.0.1'}:${relaySettings.port}${relaySettings.path}`;

  let emulator: Emulator | undefined;
  if (settings.demo) {
    emulator = await startEmulator({ port: settings.emulatorPort, processingMs: 3000, webhookUrl: relayUrl, webhookSecret: webhookSecrets[0] });
    // The emulator's data normally lags a few days, like Stripe's; the demo wants yesterday too.
    emulator.advanceAvailability(new Date());
    log(`DEMO MODE: STRIPE_SECRET_KEY is not set, so reports run against the built-in Stripe emulator at ${emulator.url}`);
  } else {
    log(`Using Stripe at ${settings.stripeApiBase ?? 'https://api.stripe.com'}`);
  }

  // The same worker service as `reports worker`; only where Stripe is differs in demo mode.
  const service = await startWorkerService({
    target: server.target,
    settings,
    log,
    depsInput: (client) => {
      const input = workerDepsFromSettings(settings, client);
      return {
        ...input,
        webhooks,
        stripe: emulator ? { ...input.stripe, baseUrl: emulator.url, demoKeys: DEMO_KEYS } : input.stripe,
      };
    },
  });
  const { client } = service;
  log(`Worker polling task queue ${settings.taskQueue}; archive folder ${settings.archiveDir}; health ${service.health.url}`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log('Stopping…');
    service.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const relay = webhooks
    ? await startRelay({ client, taskQueue: settings.taskQueue, ...relaySettings, secrets: webhookSecrets, log: (line) => log(line) })
    : undefined;
  log(relay ? `Webhook relay at ${relay.url}${settings.demo ? ' (the emulator posts its events here)' : ''}` : 'No STRIPE_WEBHOOK_SECRETS: no webhook relay; runs complete by polling');

  log(`Syncing ${settings.schedulesDir} with Temporal Schedules:`);
  await syncFromDir(client, settings, (line) => log(`  ${line.replaceAll('\n', '\n[reports]   ')}`)).catch((err) => log(`  sync failed: ${(err as Error).message}`));
  if (settings.demo) {
    const configs = loadConfigDir(settings.schedulesDir).flatMap((r) => (r.ok ? [r.config] : []));
    void runDemo(client, configs, settings.taskQueue);
  } else log('Run one now with `npx reports run <config> --wait`, or Trigger its schedule in the Temporal UI.');

  try {
    await service.running;
  } finally {
    await relay?.close();
    await service.close();
    await emulator?.close();
    await server.stop();
    log('Stopped.');
  }
}

/** Runs every example configuration once for its previous period and prints where each file went. */
async function runDemo(client: Client, configs: ReportConfig[], taskQueue: string): Promise<void> {
  await Promise.all(
    configs.map(async (config) => {
      const period = periodForConfig(config, new Date()).name;
      let result: ReportWorkflowResult;
      try {
        try {
          const handle = await startReport(client, config, period, { taskQueue, timing: { initialMs: 1000, maxMs: 5000 } });
          log(`${config.id} ${period}: started (workflow ${handle.workflowId})`);
          result = await handle.result();
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          log(`${config.id} ${period}: already running; waiting for it`);
          result = await client.workflow.getHandle(businessKey(config.id, period)).result();
        }
      } catch (err) {
        log(`${config.id} ${period}: FAILED: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
        return;
      }
      for (const o of result.outcomes) {
        if (o.status === 'archived') log(`${config.id} ${period} ${o.target}: archived ${o.file.location} (${o.file.size} bytes, sha256 ${o.file.sha256.slice(0, 16)}…)`);
        else log(`${config.id} ${period} ${o.target}: ${o.status}: ${o.reason}`);
      }
    }),
  );
  log('Demo runs finished. The worker keeps running; press Ctrl-C to stop.');
}

main().catch((err) => {
  console.error(`[reports] ${(err as Error).stack ?? err}`);
  process.exit(1);
});
