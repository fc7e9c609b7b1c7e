/**
 * The process's logger (pino): one JSON object per line on stdout, or readable lines
 * (pino-pretty) when stdout is a terminal. Its level comes from LOG_LEVEL (trace, debug, info,
 * warn, error; default info). Every line names its process (`worker`, `relay`, `start`…); child
 * loggers add the context (configuration, period, target, reportRunId, workflowId).
 *
 * Every line is scrubbed as it is written, whatever field a secret hides in: Stripe keys, webhook
 * secrets, bearer tokens, passwords in URLs and query strings of URLs (signed download URLs)
 * by pattern, and the values of the process's secret environment variables (TEMPORAL_API_KEY,
 * STRIPE_WEBHOOK_SECRETS, key_env variables, passwords, webhook URLs…) literally.
 *
 * The Temporal SDK logs through it too (./temporal-runtime.ts).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { scrubText } from '../domain/redact.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, case-insensitive; unset or empty means info. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevelName {
  const raw = env.LOG_LEVEL?.trim();
  if (!raw) return 'info';
  const level = raw.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL=${JSON.stringify(raw)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevelName;
}

/** Environment variables whose values are secrets: keys, tokens, passwords, webhook URLs (not paths to them). */
const SECRET_NAME = /KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|WEBHOOK_URL/i;
const NOT_SECRET_NAME = /_(PATH|FILE|DIR|ENV|ID)$|^npm_/i;

/** The secret values of an environment, longest first, each with the name it is shown as. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): { value: string; name: string }[] {
  const found: { value: string; name: string }[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!raw || !SECRET_NAME.test(name) || NOT_SECRET_NAME.test(name)) continue;
    // STRIPE_WEBHOOK_SECRETS holds several, comma-separated.
    for (const value of raw.split(',').map((v) => v.trim())) {
      if (value.length >= 8) found.push({ value, name });
    }
  }
  return found.sort((a, b) => b.value.length - a.value.length);
}

/** A scrubber for text and for JSON lines: patterns first, then the known secret values. */
export function createScrubber(secrets: { value: string; name: string }[] = []): (text: string) => string {
  // On a JSON line a value appears escaped; look for both spellings.
  const literals = secrets.flatMap(({ value, name }) => {
    const escaped = JSON.stringify(value).slice(1, -1);
    return escaped === value ? [{ text: value, name }] : [{ text: value, name }, { text: escaped, name }];
  });
  return (text: string) => {
    let out = scrubText(text);
    for (const { text: secret, name } of literals) if (out.includes(secret)) out = out.split(secret).join(`[${name}]`);
    return out;
  };
}

export interface LoggerOptions {
  /** The `process` field of every line: worker, relay, start, cli… */
  process: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides LOG_LEVEL. */
  level?: LogLevelName;
  /** Where lines go (tests); default stdout. */
  destination?: DestinationStream;
  /** Readable lines instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const env = options.env ?? process.env;
  const level = options.level ?? logLevelFromEnv(env);
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const destination =
    options.destination ??
    (pretty
      ? PinoPretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,process' })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level,
      base: { process: options.process, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      hooks: { streamWrite: createScrubber(secretValuesFromEnv(env)) },
    },
    destination,
  );
}

let root: Logger | undefined;

/**
 * Makes the process's logger (once; later calls return it). Long-running entries call it first
 * with their name, so a bad LOG_LEVEL stops them before anything starts.
 */
export function initLogger(processName: string, env: NodeJS.ProcessEnv = process.env): Logger {
  root ??= createLogger({ process: processName, env });
  return root;
}

/** The process's logger; one named `reports` if no entry made it. */
export function getLogger(): Logger {
  return (root ??= createLogger({ process: 'reports' }));
}

/** A logger that hands each JSON line (scrubbed, without its newline) to `onLine`: for tests and benchmarks. */
export function createLineLogger(processName: string, onLine: (line: string) => void, level: LogLevelName = 'debug'): Logger {
  return createLogger({ process: processName, level, destination: { write: (line: string) => onLine(line.replace(/\n$/, '')) } });
}
