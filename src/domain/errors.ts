/**
 * The base of the project's one error hierarchy. Every error the project raises on purpose is a
 * ReportsError: `retryable` decides whether Temporal retries (activities map it in
 * activities/failures.ts), `retryAfterMs` becomes the next retry delay. Stripe's own classes live
 * in stripe/errors.ts, archive ones in archive/; all extend this.
 *
 * Messages never contain a secret (key, webhook secret, signed URL).
 */

export interface ErrorDetails {
  status?: number;
  code?: string;
  type?: string;
  param?: string;
  requestId?: string;
  retryAfterMs?: number;
}

export class ReportsError extends Error {
  /** Whether trying the same thing again later can succeed. */
  readonly retryable: boolean;
  readonly status?: number;
  readonly code?: string;
  readonly type?: string;
  readonly param?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, retryable: boolean, details: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.retryable = retryable;
    Object.assign(this, details);
  }
}

/** Bad input found before any call: a parameter the template refuses, a key of the wrong mode. */
export class InvalidInputError extends ReportsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, false, details);
  }
}

