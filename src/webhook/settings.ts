/**
 * The relay's settings from the environment, for `reports relay` and `npm start`. Secrets are a
 * comma-separated list so an endpoint secret can be rotated without dropping events: Stripe signs
 * with both the old and the new secret during the overlap, and the relay accepts either.
 */
export const DEFAULT_RELAY_PORT = 8787;
export const DEFAULT_RELAY_PATH = '/webhooks/stripe';

export interface RelaySettings {
  /** Endpoint secrets (`whsec_…`); empty when STRIPE_WEBHOOK_SECRETS is unset (startRelay refuses that). */
  secrets: string[];
  port: number;
  path: string;
  host?: string;
}

export function relaySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RelaySettings {
  const secrets = (env.STRIPE_WEBHOOK_SECRETS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const rawPort = env.REPORTS_RELAY_PORT?.trim();
  const port = rawPort ? Number(rawPort) : DEFAULT_RELAY_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`REPORTS_RELAY_PORT = "${rawPort}" is not a port number (0–65535)`);
  }
  const path = env.REPORTS_RELAY_PATH?.trim() || DEFAULT_RELAY_PATH;
  if (!path.startsWith('/')) throw new Error(`REPORTS_RELAY_PATH = "${path}" must start with "/"`);
  const host = env.REPORTS_RELAY_HOST?.trim() || undefined;
  return { secrets, port, path, host };
}
