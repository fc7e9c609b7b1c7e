/**
 * What a Stripe secret key tells us without calling Stripe: its mode and kind, and how to name
 * it safely. A key is shown only by its last four characters, everywhere.
 */
import { InvalidInputError } from '../domain/errors.js';
import { redactKey } from '../domain/redact.js';

/** The redaction patterns live in src/domain/redact.ts (the logger uses them too); re-exported for the Stripe room. */
export { redactKey, redactSecrets } from '../domain/redact.js';

export type Mode = 'live' | 'sandbox';

const KEY_PATTERN = /^(sk|rk)_(org_)?(live|test)?_?[A-Za-z0-9_]+$/;

export function keyMode(key: string): Mode {
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidInputError(`STRIPE_SECRET_KEY is not a Stripe secret key (${redactKey(key)})`);
  }
  return /^(sk|rk)_(org_)?test_/.test(key) ? 'sandbox' : 'live';
}

export function isOrganizationKey(key: string): boolean {
  return key.startsWith('sk_org_');
}

/** A key of the other mode than the configuration expects is refused before any call. */
export function assertKeyMode(key: string, expected: Mode, where: string): void {
  const actual = keyMode(key);
  if (actual !== expected) {
    throw new InvalidInputError(
      `${where}: mode is ${expected} but the key ${redactKey(key)} is a ${actual} key; ` +
        `use a ${expected === 'live' ? 'sk_live_/rk_live_' : 'sk_test_/rk_test_'} key or change mode`,
    );
  }
}
