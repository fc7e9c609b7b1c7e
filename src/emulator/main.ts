/**
 * CLI: `npx tsx src/emulator/main.ts --port 12111 --processing-ms 2000 --webhook-url http://...`
 * Prints the URL on stdout (first line) so a script can pick it up; logs go to stderr.
 * The webhook secret comes from STRIPE_WEBHOOK_SECRET, never a flag (flags show up in `ps`).
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'processing-ms': { type: 'string' },
    'webhook-url': { type: 'string' },
    catalog: { type: 'string' },
    seed: { type: 'string' },
    'rows-per-run': { type: 'string' },
    'bytes-per-run': { type: 'string' },
    quiet: { type: 'boolean' },
  },
});

const num = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a number >= 0`);
    process.exit(2);
  }
  return n;
};

const emu = await startEmulator({
  port: num(values.port ?? process.env.EMULATOR_PORT, 'port') ?? 12111,
  host: values.host,
  processingMs: num(values['processing-ms'], 'processing-ms'),
  webhookUrl: values['webhook-url'] ?? process.env.EMULATOR_WEBHOOK_URL,
  webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
  catalogPath: values.catalog,
  seed: num(values.seed, 'seed'),
  rowsPerRun: num(values['rows-per-run'], 'rows-per-run'),
  bytesPerRun: num(values['bytes-per-run'], 'bytes-per-run'),
  log: values.quiet ? undefined : (line) => console.error(`[emulator] ${line}`),
});
console.log(emu.url);

const stop = () => void emu.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
