/**
 * What a Stripe secret key tells us without calling Stripe: its mode and kind, and how to name
 * it safely. A key is shown only by its last four characters, everywhere.
 */
import { InvalidInputError } from '../domain/errors.js';

export type Mode = 'live' | 'sandbox';

const KEY_PATTERN = /^(sk|rk)_(org_)?(live|test)?_?[A-Za-z0-9_]+$/;

/** `sk_live_…wxyz`: enough to tell keys apart in a log, never enough to use one. */
export function redactKey(key: string | undefined): string {
  if (!key) return '(no key)';
  const prefix = key.match(/^(sk|rk)_(org_)?(live_|test_)?/)?.[0] ?? '';
  return `${prefix}…${key.slice(-4)}`;
}

/** Replaces every key-looking token in a text, for messages that may echo a request. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(sk|rk)_(org_)?(live_|test_)?[A-Za-z0-9]{6,}\b/g, (k) => redactKey(k))
    .replace(/\bwhsec_[A-Za-z0-9]+/g, (s) => `whsec_…${s.slice(-4)}`);
}

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
