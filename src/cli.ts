/**
 * The `reports` command. Each subcommand is a thin shell over the modules that do the work.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { formatProblem, loadConfigDir, loadConfigFile } from './config/load.js';
import { parsePeriod, periodForConfig } from './config/period.js';
import { targetsOf } from './config/targets.js';
import { startEmulator } from './emulator/index.js';
import { readSettings } from './settings.js';
import { startReport } from './temporal/start-report.js';
import { businessKey } from './workflows/business-key.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${value} is not a port number`);
  return n;
}

const program = new Command('reports').description('Stripe financial reports on a schedule, on Temporal');

program
  .command('emulator')
  .description('run the Stripe reporting emulator alone (for demos and for pointing other tools at it)')
  .option('--port <n>', 'port to listen on', port, 12111)
  .option('--processing-ms <n>', 'how long a ReportRun stays running', (v) => Number(v), 3000)
  .option('--webhook-url <url>', 'where to POST signed events')
  .action(async (opts: { port: number; processingMs: number; webhookUrl?: string }) => {
    const emulator = await startEmulator({
      port: opts.port,
      processingMs: opts.processingMs,
      webhookUrl: opts.webhookUrl,
      webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
      log: (line) => console.log(`[emulator] ${line}`),
    });
    console.log(`Stripe emulator listening at ${emulator.url} (Ctrl-C to stop)`);
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('validate [files...]')
  .description('check configuration files; prints every problem with file, line and field')
  .action((files: string[]) => {
    const settings = readSettings();
    const results = files.length > 0 ? files.map((f) => loadConfigFile(path.resolve(f))) : loadConfigDir(settings.schedulesDir);
    let bad = 0;
    for (const r of results) {
      if (r.ok) console.log(`ok    ${r.file} (${r.config.id})`);
      else {
        bad++;
        for (const p of r.problems) console.log(`error ${formatProblem(p)}`);
      }
    }
    if (bad > 0) process.exitCode = 1;
  });

program
  .command('run <config>')
  .description('run one configuration now for a period (default: the previous one in its timezone)')
  .option('--period <P>', 'period: 2025-10, 2025-W41, 2025-10-14, 2025-Q3 or 2025')
  .option('--wait', 'wait for the result and print it per target')
  .option('--dry-run', 'print the plan and start nothing')
  .action(async (configName: string, opts: { period?: string; wait?: boolean; dryRun?: boolean }) => {
    const settings = readSettings();
    const file = configName.endsWith('.yaml') ? path.resolve(configName) : path.join(settings.schedulesDir, `${configName}.yaml`);
    const loaded = loadConfigFile(file);
    if (!loaded.ok) {
      for (const p of loaded.problems) console.error(`error ${formatProblem(p)}`);
      process.exitCode = 1;
      return;
    }
    const { config } = loaded;
    const tz = config.schedule.timezone;
    const period = opts.period ? parsePeriod(opts.period, tz) : periodForConfig(config, new Date());
    console.log(`${config.id}: period ${period.name} (${tz}) = ${period.start} to ${period.end} UTC`);
    console.log(`targets: ${targetsOf(config).map((t) => t.id).join(', ')}`);
    if (opts.dryRun) return;
    const connection = await Connection.connect({ address: settings.temporalAddress ?? `localhost:${settings.temporalPort}` });
    const client = new Client({ connection, namespace: settings.temporalNamespace });
    try {
      let handle;
      try {
        handle = await startReport(client, config, period.name, { taskQueue: settings.taskQueue });
        console.log(`started workflow ${handle.workflowId}`);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        handle = client.workflow.getHandle(businessKey(config.id, period.name));
        console.log(`workflow ${handle.workflowId} already exists (running or done); not started again`);
      }
      if (opts.wait) {
        const result = (await handle.result()) as import('./workflows/types.js').ReportWorkflowResult;
        for (const o of result.outcomes) {
          console.log(o.status === 'archived' ? `archived ${o.target}: ${o.file.location}` : `failed   ${o.target}: ${o.reason}`);
        }
      }
    } finally {
      await connection.close();
    }
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`reports: ${(err as Error).message}`);
  process.exit(1);
});
