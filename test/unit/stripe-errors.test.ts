import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  parseRetryAfter,
  StripeApiError,
  StripeAuthenticationError,
  StripeIdempotencyError,
  StripeInvalidRequestError,
  StripePermissionError,
  StripeRateLimitError,
} from '../../src/stripe/errors.js';
import { assertKeyMode, keyMode, redactKey, redactSecrets } from '../../src/stripe/keys.js';

const headers = (h: Record<string, string> = {}) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });

describe('error hierarchy', () => {
  it.each([
    [400, { error: { code: 'invalid_fields' } }, {}, StripeInvalidRequestError, false],
    [401, {}, {}, StripeAuthenticationError, false],
    [403, { error: { code: 'report_inaccessible' } }, {}, StripePermissionError, false],
    [404, { error: { code: 'not_found' } }, {}, StripeInvalidRequestError, false],
    [409, { error: { type: 'idempotency_error' } }, {}, StripeIdempotencyError, false],
    [429, { error: { code: 'report_run_rate_limit_exceeded', type: 'rate_limit' } }, { 'retry-after': '3' }, StripeRateLimitError, true],
    [500, {}, {}, StripeApiError, true],
    [400, {}, { 'stripe-should-retry': 'true' }, StripeApiError, true],
  ])('%i %j maps to its class', (status, body, h, cls, retryable) => {
    const err = errorFromResponse(status, body, headers(h), 'POST /v2/reporting/report_runs');
    expect(err).toBeInstanceOf(cls);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toContain(String(status));
  });

  it('reads Retry-After in seconds and as a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    const err = errorFromResponse(429, { error: { code: 'report_run_rate_limit_exceeded' } }, headers({ 'retry-after': '5' }), 'x');
    expect(err.retryAfterMs).toBe(5000);
    expect((err as StripeRateLimitError).isRunningCap).toBe(true);
  });
});

describe('keys', () => {
  const key = 'sk_live_51HabcdefghijklmnopWXYZ';
  it('shows only the last four characters', () => {
    expect(redactKey(key)).toBe('sk_live_…WXYZ');
    expect(redactSecrets(`Invalid API Key provided: ${key}.`)).toBe('Invalid API Key provided: sk_live_…WXYZ.');
  });

  it('tells the mode', () => {
    expect(keyMode('sk_test_abc')).toBe('sandbox');
    expect(keyMode('rk_live_abc')).toBe('live');
    expect(keyMode('sk_org_test_abc')).toBe('sandbox');
    expect(() => keyMode('pk_test_abc')).toThrow('not a Stripe secret key');
  });

  it('refuses a live key for a sandbox configuration without showing it', () => {
    expect(() => assertKeyMode(key, 'sandbox', 'configuration monthly')).toThrow(/mode is sandbox but the key sk_live_…WXYZ is a live key/);
    try {
      assertKeyMode(key, 'sandbox', 'x');
    } catch (err) {
      expect((err as Error).message).not.toContain(key);
    }
  });
});
