/**
 * API keys as the emulator sees them: mode from the prefix, special markers that let tests ask for
 * a revoked or read-only key, and a redacted form for messages (last four characters only).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './http.js';

export interface ApiKey {
  /** sha256 of the key: scopes idempotency and the running cap without keeping the key around. */
  id: string;
  livemode: boolean;
  organization: boolean;
  readonly: boolean;
  redacted: string;
}

const WELL_FORMED = /^(?:(?:sk|rk)_(?:test|live)_|sk_org_(?:test_|live_)?)[A-Za-z0-9_]+$/;

export function redact(key: string): string {
  const prefix = key.match(/^(?:sk_org_(?:test_|live_)?|(?:sk|rk)_(?:test|live)_)/)?.[0] ?? '';
  return `${prefix}****${key.length >= 8 ? key.slice(-4) : ''}`;
}

export function parseKey(key: string): ApiKey {
  if (!WELL_FORMED.test(key) || key.includes('_revoked')) {
    throw new ApiError(401, 'invalid_request_error', 'api_key_invalid', `Invalid API Key provided: ${redact(key)}`);
  }
  const organization = key.startsWith('sk_org_');
  // sk_org_ keys without an explicit mode are live keys.
  const livemode = !/^(?:sk|rk)_(?:org_)?test_/.test(key);
  return {
    id: createHash('sha256').update(key).digest('hex').slice(0, 32),
    livemode,
    organization,
    readonly: key.includes('_readonly'),
    redacted: redact(key),
  };
}

/** Bearer for every API; v1 (like Stripe) also takes HTTP Basic with the key as user name. */
export function authenticate(req: IncomingMessage, allowBasic: boolean): ApiKey {
  const h = req.headers.authorization ?? '';
  let key = '';
  const bearer = /^Bearer\s+(.+)$/i.exec(h);
  if (bearer) key = bearer[1].trim();
  else if (allowBasic && /^Basic\s+/i.test(h)) {
    key = Buffer.from(h.replace(/^Basic\s+/i, ''), 'base64').toString('utf8').split(':')[0] ?? '';
  }
  if (!key) {
    throw new ApiError(
      401,
      'invalid_request_error',
      'api_key_missing',
      'You did not provide an API key. Provide it in the Authorization header as a Bearer token.',
    );
  }
  return parseKey(key);
}
