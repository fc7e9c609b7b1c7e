/**
 * The one error hierarchy for everything that talks to Stripe (and for input we refuse before
 * talking to Stripe). Activities turn these into Temporal failures by class: `retryable`
 * decides whether Temporal retries, `retryAfterMs` becomes the next retry delay.
 *
 * Messages never contain a secret key: build them with `redactKey` (see ./keys.ts).
 */

import { ReportsError, type ErrorDetails } from '../domain/errors.js';

export type StripeErrorDetails = ErrorDetails;

/** 400 / 404 / 409 from Stripe: the request itself is wrong and will stay wrong. */
export class StripeInvalidRequestError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** 401: the key is missing, malformed or revoked. */
export class StripeAuthenticationError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** 403: the key lacks a permission or the account is not reachable with it. */
export class StripePermissionError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** 409 idempotency_error: the same Idempotency-Key was used with another body. */
export class StripeIdempotencyError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** 429: either the running-report cap (`report_run_rate_limit_exceeded`) or the request rate. */
export class StripeRateLimitError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, true, details);
  }
  get isRunningCap(): boolean {
    return this.code === 'report_run_rate_limit_exceeded';
  }
}

/** 5xx, or the connection failed: Stripe's side, try again with backoff. */
export class StripeApiError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, true, details);
  }
}

/**
 * A 2xx answer whose JSON breaks the contract: an error body, a missing field, a status this client
 * does not know, a body far larger than any API object. Asking again gives the same answer.
 */
export class StripeUnexpectedResponseError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** A ReportRun that Stripe finished as failed: the report will not appear by retrying the same run. */
export class ReportRunFailedError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, false, details);
  }
}

/** The response says live where the configuration said sandbox, or the reverse. */
export class LivemodeMismatchError extends ReportsError {
  constructor(message: string) {
    super(message, false);
  }
}

/** A downloaded file whose size or hash is not what Stripe announced: download it again. */
export class DownloadVerificationError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, true, details);
  }
}

/** A download URL that expired or was refused: retrieve the run again for a fresh one. */
export class DownloadUrlExpiredError extends ReportsError {
  constructor(message: string, details: StripeErrorDetails = {}) {
    super(message, true, details);
  }
}

/** Reads `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface StripeErrorBody {
  error?: { code?: string; type?: string; message?: string; param?: string };
}

/** Maps an HTTP error response from Stripe to the hierarchy. */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { get(name: string): string | null },
  what: string,
): ReportsError {
  const err = (body as StripeErrorBody | undefined)?.error ?? {};
  const details: StripeErrorDetails = {
    status,
    code: err.code,
    type: err.type,
    param: err.param,
    requestId: headers.get('request-id') ?? undefined,
    retryAfterMs: parseRetryAfter(headers.get('retry-after')),
  };
  const cause = [err.code ?? err.type, err.message].filter(Boolean).join(': ') || `HTTP ${status}`;
  const message = `${what} failed with ${status} (${cause})`;
  if (status === 401) return new StripeAuthenticationError(message, details);
  if (status === 403) return new StripePermissionError(message, details);
  if (status === 409 && (err.type === 'idempotency_error' || err.code === 'idempotency_error')) {
    return new StripeIdempotencyError(message, details);
  }
  if (status === 429) return new StripeRateLimitError(message, details);
  if (status >= 500) return new StripeApiError(message, details);
  // Stripe marks some 4xx retryable (e.g. a lock timeout): honour its own header.
  if (headers.get('stripe-should-retry') === 'true') return new StripeApiError(message, details);
  return new StripeInvalidRequestError(message, details);
}
