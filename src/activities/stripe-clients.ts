/**
 * Gives activities a Stripe client for a job. The key is read here, in the worker, from the
 * environment variable the configuration names: it never travels through Temporal. In demo mode
 * every configuration uses a generated key of its own mode against the emulator.
 */
import { InvalidInputError } from '../stripe/errors.js';
import { StripeClient, type StripeClientOptions } from '../stripe/client.js';
import { assertKeyMode, type Mode } from '../stripe/keys.js';

export interface StripeClientsOptions extends Omit<StripeClientOptions, 'apiKey'> {
  /** Demo mode: keys by mode, instead of reading the environment. */
  demoKeys?: Record<Mode, string>;
  env?: NodeJS.ProcessEnv;
}

export type StripeClientFor = (job: { keyEnv: string; mode: Mode; configId: string }) => StripeClient;

export function createStripeClients(options: StripeClientsOptions): { clientFor: StripeClientFor; close(): Promise<void> } {
  const clients = new Map<string, StripeClient>();
  const env = options.env ?? process.env;
  const clientFor: StripeClientFor = ({ keyEnv, mode, configId }) => {
    const key = options.demoKeys ? options.demoKeys[mode] : env[keyEnv];
    if (!key) throw new InvalidInputError(`configuration ${configId}: environment variable ${keyEnv} is not set (it must hold the Stripe secret key)`);
    assertKeyMode(key, mode, `configuration ${configId}`);
    let client = clients.get(key);
    if (!client) {
      client = new StripeClient({ ...options, apiKey: key });
      clients.set(key, client);
    }
    return client;
  };
  return {
    clientFor,
    close: async () => {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
