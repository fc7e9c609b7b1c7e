/**
 * Gives activities a Stripe client for a job. The key is read here, in the worker, from the
 * environment variable the configuration names: it never travels through Temporal. In demo mode
 * every configuration uses a generated key of its own mode against the emulator.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.js';
import { StripeClient, type StripeClientOptions } from '../stripe/client.js';
import { assertKeyMode, type Mode } from '../stripe/keys.js';
import type { ReportTarget } from '../domain/target.js';

export interface StripeClientsOptions extends Omit<StripeClientOptions, 'apiKey'> {
  /** Demo mode: keys by mode, instead of reading the environment (`organization`: for targets that need an organization key). */
  demoKeys?: DemoKeys;
  env?: NodeJS.ProcessEnv;
}

export interface DemoKeys {
  account: Record<Mode, string>;
  organization: Record<Mode, string>;
}

type KeyedJob = { keyEnv: string; mode: Mode; configId: string; target?: Pick<ReportTarget, 'kind' | 'context'> };
export type StripeClientFor = (job: KeyedJob) => StripeClient;
/** A stable, non-secret name for the job's key: `key-<12 hex of its sha256>`. */
export type KeyScopeFor = (job: KeyedJob) => string;

export interface StripeClients {
  clientFor: StripeClientFor;
  keyScopeFor: KeyScopeFor;
  close(): Promise<void>;
}

export function createStripeClients(options: StripeClientsOptions): StripeClients {
  const clients = new Map<string, StripeClient>();
  const env = options.env ?? process.env;
  const keyFor = (job: KeyedJob): string => {
    const { keyEnv, mode, configId } = job;
    const key = options.demoKeys ? demoKey(options.demoKeys, job) : env[keyEnv];
    if (!key) throw new InvalidInputError(`configuration ${configId}: environment variable ${keyEnv} is not set (it must hold the Stripe secret key)`);
    assertKeyMode(key, mode, `configuration ${configId}`);
    return key;
  };
  const clientFor: StripeClientFor = (job) => {
    const key = keyFor(job);
    let client = clients.get(key);
    if (!client) {
      client = new StripeClient({ ...options, apiKey: key });
      clients.set(key, client);
    }
    return client;
  };
  return {
    clientFor,
    keyScopeFor: (job) => `key-${createHash('sha256').update(keyFor(job)).digest('hex').slice(0, 12)}`,
    close: async () => {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/**
 * The demo's key for a job: targets that only an organization key can reach (another account of
 * the organization through Stripe-Context, or the organization as a whole) get the demo
 * organization key, so the Organization examples run in demo mode as they would in production.
 */
function demoKey(keys: DemoKeys, job: KeyedJob): string {
  const t = job.target;
  const organization = t !== undefined && (t.kind === 'organization' || t.kind === 'account' || t.context !== undefined);
  return (organization ? keys.organization : keys.account)[job.mode];
}
