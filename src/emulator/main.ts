/**
 * CLI: `npx tsx src/emulator/main.ts --port 12111 --processing-ms 2000 --webhook-url http://...`
 * Prints the URL on stdout (first line) so a script can pick it up; logs go to stderr.
 * The webhook secret comes from STRIPE_WEBHOOK_SECRET, never a flag (flags show up in `ps`).
 */
import { parseArgs } from 'node:util';
import { checkFaults } from './control.js';
import { startEmulator } from './index.js';
import type { EmulatorFaults } from './types.js';

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
    cap: { type: 'string' },
    'url-ttl-seconds': { type: 'string' },
    faults: { type: 'string' },
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

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const int = (v: string | undefined, name: string) => {
  const n = num(v, name);
  return n === undefined || Number.isInteger(n) ? n : fail(`--${name} must be an integer >= 0`);
};

/** --faults '<json>': the body POST /_emulator/faults takes, checked the same way. */
function faultsOf(json: string | undefined): EmulatorFaults | undefined {
  if (json === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return fail(`--faults must be JSON, got ${json}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return fail('--faults must be a JSON object of EmulatorFaults');
  try {
    return checkFaults(v as Record<string, unknown>);
  } catch (err) {
    return fail(`--faults: ${(err as Error).message}`);
  }
}

const cap = int(values.cap, 'cap');
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
  runningCap: cap === undefined ? undefined : { live: cap, sandbox: cap },
  downloadUrlTtlSeconds: num(values['url-ttl-seconds'], 'url-ttl-seconds'),
  faults: faultsOf(values.faults),
  log: values.quiet ? undefined : (line) => console.error(`[emulator] ${line}`),
});
console.log(emu.url);

const stop = () => void emu.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
