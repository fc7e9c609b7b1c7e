/**
 * The `reports` command. Each subcommand is a thin shell over a module in src/cli/ that does
 * the work and returns an exit code.
 */
import { Command, InvalidArgumentError } from 'commander';
import { backfillCommand } from './cli/backfill-command.js';
import { stdoutLive } from './cli/live-output.js';
import { relayCommand } from './cli/relay-command.js';
import { workerCommand } from './cli/worker-command.js';
import { runCommand } from './cli/run-command.js';
import { validateConfigs } from './config/validate-command.js';
import { verifyCommand } from './cli/verify-command.js';
import { notifyCommand } from './cli/notify-command.js';
import { statusCommand } from './cli/status-command.js';
import { syncCommand } from './cli/sync-command.js';
import { createScrubber, secretValuesFromEnv } from './observability/logger.js';
import { startEmulator } from './emulator/index.js';
import { readSettings } from './settings.js';

const out = (line: string) => console.log(line);

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${value} is not a whole number`);
  return n;
}

function atLeastOne(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) throw new InvalidArgumentError(`${value} is less than 1`);
  return n;
}

function port(value: string): number {
  const n = wholeNumber(value);
  if (n > 65535) throw new InvalidArgumentError(`${value} is not a port (0-65535)`);
  return n;
}

/**
 * Runs a subcommand and turns its result or error into the exit code. Long-running commands exit
 * explicitly when done: Temporal's native runtime can keep the process alive after a failed start.
 */
function action<A extends unknown[]>(fn: (...args: A) => Promise<number> | number, options: { exit?: boolean } = {}) {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      // Never a secret, whatever the error quotes (a key, a URL with a password or a signature).
      console.error(`reports: ${createScrubber(secretValuesFromEnv(process.env))((err as Error).message)}`);
      process.exitCode = 1;
    }
    if (options.exit) process.exit();
  };
}

const program = new Command('reports').description('Stripe financial reports on a schedule, on Temporal');

program
  .command('validate [paths...]')
  .description('check configuration files (default: every file in schedules/); prints each problem with file, line, field and fix')
  .action(action((paths: string[]) => validateConfigs(paths, readSettings().schedulesDir, out)));

program
  .command('sync')
  .description('create, update and delete Temporal Schedules to match schedules/*.yaml (a bad file keeps its schedule)')
  .option('--dry-run', 'say what would change and change nothing')
  .action(action((opts: { dryRun?: boolean }) => syncCommand(readSettings(), opts, out)));

program
  .command('run <config>')
  .description('run a configuration now: the same firing its schedule or Trigger in the Temporal UI starts')
  .option('--period <P>', 'period: 2025-10, 2025-W41, 2025-10-14, 2025-Q3 or 2025 (default: the previous one)')
  .option('--wait', 'follow it: progress per target, then a summary table')
  .option('--dry-run', 'print the plan (period, UTC interval, targets, parameters) and the request of each target, and start nothing')
  .option('--force', 'run targets again even if their file is archived')
  .action(action((name: string, opts: { period?: string; wait?: boolean; dryRun?: boolean; force?: boolean }) => runCommand(readSettings(), name, opts, out, stdoutLive())));

program
  .command('backfill <config>')
  .description('one firing per period from --from to --to (both included); archived periods are skipped')
  .requiredOption('--from <P>', 'first period')
  .requiredOption('--to <P>', 'last period')
  .option('--force', 'run archived periods again')
  .option('--concurrency <n>', 'firings in flight at once', atLeastOne, 4)
  .action(action((name: string, opts: { from: string; to: string; force?: boolean; concurrency: number }) => backfillCommand(readSettings(), name, opts, out, stdoutLive())));

program
  .command('status [config]')
  .description('recent and running periods with their state, each running firing\'s targets by stage and its oldest waiting target, permit pools; with --period, every target of the period\'s latest firing')
  .option('--period <P>', "the period's outcome file (needs config): counts, failed targets with reasons")
  .action(action((configId: string | undefined, opts: { period?: string }) => statusCommand(readSettings(), configId, out, opts)));

program
  .command('worker')
  .description('run a worker alone (for a fleet next to your Temporal cluster): report workflows and activities, /healthz')
  .action(action(() => workerCommand(readSettings()), { exit: true }));

program
  .command('relay')
  .description('run the webhook relay alone: Stripe events (STRIPE_WEBHOOK_SECRETS) → signals to waiting runs')
  .action(action(() => relayCommand(readSettings()), { exit: true }));

program
  .command('verify')
  .description('re-hash archived files against their manifests; report every mismatch or missing file')
  .option('--config <id>', 'only this configuration')
  .option('--period <P>', 'only this period')
  .action(action((opts: { config?: string; period?: string }) => verifyCommand(readSettings(), opts, out)));

program
  .command('notify <config>')
  .description("send a period's finance summary again (from the archive) to the configuration's destinations")
  .requiredOption('--period <P>', 'the period, e.g. 2025-10')
  .option('--to <destinations>', 'only these: slack, email, webhook (comma-separated)')
  .action(action((config: string, opts: { period: string; to?: string }) => notifyCommand(readSettings(), config, opts, out)));

program
  .command('emulator')
  .description('run the Stripe reporting emulator alone (for demos and for pointing other tools at it)')
  .option('--port <n>', 'port to listen on', port, 12111)
  .option('--processing-ms <n>', 'how long a ReportRun stays running', wholeNumber, 3000)
  .option('--webhook-url <url>', 'where to POST signed events (secret from STRIPE_WEBHOOK_SECRET)')
  .action(async (opts: { port: number; processingMs: number; webhookUrl?: string }) => {
    const emulator = await startEmulator({
      port: opts.port,
      processingMs: opts.processingMs,
      webhookUrl: opts.webhookUrl,
      webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
      log: (line: string) => console.log(`[emulator] ${line}`),
    });
    console.log(`Stripe emulator listening at ${emulator.url} (Ctrl-C to stop)`);
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

await program.parseAsync();
