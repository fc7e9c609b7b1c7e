/**
 * A destination's secret (a Slack webhook URL, an SMTP URL with its password) is written in the
 * configuration as a `${NAME}` reference and read from the worker's environment only when sending,
 * so it never enters the Schedule, workflow history, logs or results.
 */
import { inspect } from 'node:util';
import { NotificationError, type Destination, type SecretContext } from './errors.js';

const REFERENCE = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** A resolved secret that shows itself as its reference wherever it is printed or serialized. */
export class EnvSecret implements SecretContext {
  constructor(
    readonly destination: Destination,
    /** The variable's name, e.g. SLACK_WEBHOOK_URL: safe to show. */
    readonly variable: string,
    /** The value: pass it to the client, never to a message. */
    readonly secret: string,
  ) {}

  toString(): string {
    return `\${${this.variable}}`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return `EnvSecret(${this.toString()})`;
  }
}

/**
 * Resolves `reference` (`${SLACK_WEBHOOK_URL}`) for the configuration field `field`
 * (`notify.slack.webhook_url`). A malformed reference, or a variable unset or empty in this
 * worker's environment, is a non-retryable NotificationError naming both: retrying on the same
 * worker finds the same environment.
 */
export function resolveEnvReference(destination: Destination, field: string, reference: string, env: NodeJS.ProcessEnv = process.env): EnvSecret {
  const name = REFERENCE.exec(reference)?.[1];
  // Never echo a malformed value: it may be the secret itself, written in by mistake.
  if (!name) {
    throw new NotificationError(destination, field, `must be an environment reference such as \${${defaultVariable(field)}}`, false);
  }
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new NotificationError(destination, name, `${field} names ${name}, which is ${value === undefined ? 'not set' : 'empty'} in this worker's environment`, false);
  }
  return new EnvSecret(destination, name, value.trim());
}

/** `notify.slack.webhook_url` → SLACK_WEBHOOK_URL, for the example in a message. */
function defaultVariable(field: string): string {
  return field.replace(/^notify\./, '').replace(/\W+/g, '_').toUpperCase();
}
