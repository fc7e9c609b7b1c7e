/**
 * Activities fail by class: errors from ./stripe/errors.ts become Temporal ApplicationFailures
 * that are non-retryable for bad input, auth and permission problems, and retry after Stripe's
 * `Retry-After` for 429s. Anything unknown is left to Temporal's retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ReportsError } from '../domain/errors.js';
import { scrubText } from '../domain/redact.js';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ReportsError) {
    return ApplicationFailure.create({
      message: scrubText(err.message),
      type: err.name,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs,
      details: [{ status: err.status, code: err.code, param: err.param }],
    });
  }
  if (err instanceof Error) err.message = scrubText(err.message);
  return err;
}

/** Wraps every activity of a record so its failures are classified the same way. */
export function classifyFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return wrapped as T;
}
