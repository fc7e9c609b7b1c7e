/**
 * How a notification failed, classified so each destination can be its own Temporal activity:
 * a wrong URL, a revoked token, a refused login or recipient stays wrong (non-retryable); a 429,
 * a 5xx, a 4xx SMTP reply or a connection that failed can succeed later (retryable, after
 * `Retry-After` when the destination says).
 *
 * Messages name the destination and the environment variable holding its secret
 * (`slack (SLACK_WEBHOOK_URL): Slack answered 404 no_service`), never the URL or the password:
 * every text that came from outside goes through `clean`, which removes the secret itself.
 */
import { ReportsError } from '../domain/errors.js';
import { scrubText } from '../domain/redact.js';
import { parseRetryAfter } from '../stripe/errors.js';

export type Destination = 'slack' | 'email' | 'webhook';

export interface NotificationErrorDetails {
  status?: number;
  code?: string;
  retryAfterMs?: number;
}

export class NotificationError extends ReportsError {
  readonly destination: Destination;
  /** The environment variable that holds the destination's secret, e.g. SLACK_WEBHOOK_URL. */
  readonly variable: string;

  constructor(destination: Destination, variable: string, problem: string, retryable: boolean, details: NotificationErrorDetails = {}) {
    super(`${destination} (${variable}): ${problem}`, retryable, details);
    this.destination = destination;
    this.variable = variable;
  }
}

/** Where a notification goes: the destination, its variable's name, and the secret to keep out of messages. */
export interface SecretContext {
  destination: Destination;
  variable: string;
  /** The resolved URL; it and its password are removed from every message. */
  secret: string;
}

/** A text from outside (an answer body, a library's message) without the secret or anything secret-shaped. */
export function clean(text: string, ctx: SecretContext, max = 300): string {
  let out = text;
  for (const part of secretParts(ctx.secret)) out = out.split(part).join('…');
  out = scrubText(out).replace(/\s+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** The URL, its path and query (Slack's token lives there), its password: never shown. */
function secretParts(secret: string): string[] {
  const parts = [secret];
  try {
    const url = new URL(secret);
    if (url.password) parts.push(url.password, decodeURIComponent(url.password));
    if (url.pathname.length > 1) parts.push(url.pathname);
    if (url.search) parts.push(url.search);
  } catch {
    // Not a URL: the whole value is the secret, already listed.
  }
  // Longest first, so a part inside another is not cut out of it first.
  return [...new Set(parts)].filter((p) => p.length >= 4).sort((a, b) => b.length - a.length);
}

/** Codes of an answer body that mean the webhook itself is gone or refused, whatever the status. */
const GONE = /\b(invalid_token|channel_not_found|channel_is_archived|no_service|no_team|team_disabled|action_prohibited|posting_to_general_channel_denied)\b/;

/**
 * An HTTP answer that is not 2xx. 429 and 5xx are retryable (after Retry-After); 408 too. Any other
 * 4xx or 3xx (webhooks are not followed) will answer the same next time.
 */
export function errorFromAnswer(
  ctx: SecretContext,
  answer: { status: number; body: string; retryAfter?: string | null },
  who = 'the webhook',
): NotificationError {
  const body = clean(answer.body, ctx, 200);
  const problem = `${who} answered ${answer.status}${body ? ` ${body}` : ''}`;
  const code = GONE.exec(answer.body)?.[1];
  const details = { status: answer.status, code };
  if (code) return new NotificationError(ctx.destination, ctx.variable, problem, false, details);
  if (answer.status === 429) {
    return new NotificationError(ctx.destination, ctx.variable, problem, true, { ...details, retryAfterMs: parseRetryAfter(answer.retryAfter) });
  }
  if (answer.status >= 500 || answer.status === 408) return new NotificationError(ctx.destination, ctx.variable, problem, true, details);
  const why = answer.status >= 300 && answer.status < 400 ? ' (a redirect: webhooks are not followed; put the final URL in the variable)' : '';
  return new NotificationError(ctx.destination, ctx.variable, problem + why, false, details);
}

/** The request never got an answer: connection refused or reset, DNS, timeout. Worth another try. */
export function errorFromConnection(ctx: SecretContext, err: unknown, what = 'could not reach the webhook'): NotificationError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code;
  const said = e.message && code && !e.message.includes(code) ? `${code} ${e.message}` : (e.message ?? code ?? '');
  const detail = clean(said, ctx);
  return new NotificationError(ctx.destination, ctx.variable, `${what}: ${detail || String(err)}`, true, { code });
}

/** The shape of nodemailer's errors (NodemailerError): a code, and the SMTP reply when there was one. */
export interface SmtpFailure {
  code?: string;
  message?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  rejected?: string[];
}

/** Codes of nodemailer that mean the connection failed before the server could decide anything. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EPROXY']);

/**
 * An SMTP failure. A refused login (535, EAUTH) or recipient (550/553, EENVELOPE with a 5xx) and a
 * message refused for good (5xx) are non-retryable; a 4xx reply (greylisting, mailbox busy) and a
 * connection refused, reset or timed out are retryable.
 */
export function errorFromSmtp(ctx: SecretContext, err: unknown): NotificationError {
  const e = (err ?? {}) as SmtpFailure;
  const reply = e.response ? clean(e.response, ctx, 200) : '';
  const code = e.responseCode;
  const details = { status: code, code: e.code };
  const fail = (problem: string, retryable: boolean) => new NotificationError(ctx.destination, ctx.variable, problem, retryable, details);

  if (e.code === 'EAUTH' || code === 535 || code === 534 || code === 530) {
    // Never the server's whole message: some echo what was sent. The reply code says enough.
    return fail(`the SMTP server refused the login${code ? ` (${code})` : ''}: check the user and password in ${ctx.variable}`, code !== undefined && code < 500);
  }
  if (e.code === 'ENOAUTH') return fail(`the SMTP server asks for a login and ${ctx.variable} has no user and password`, false);
  if (e.code === 'EENVELOPE') {
    const who = e.rejected?.length ? e.rejected.join(', ') : e.command === 'MAIL FROM' ? 'the sender' : 'the envelope';
    return fail(`the SMTP server refused ${who}${reply ? `: ${reply}` : ''}`, code !== undefined && code < 500);
  }
  if (CONNECTION_CODES.has(e.code ?? '') && !code) {
    return fail(`could not reach the SMTP server: ${clean(e.message ?? e.code ?? String(err), ctx)}`, true);
  }
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS') {
    return fail(`TLS with the SMTP server failed (smtps:// for port 465, smtp:// for 587 with STARTTLS): ${clean(e.message ?? '', ctx)}`, false);
  }
  if (code) return fail(`the SMTP server answered ${reply || code}`, code < 500);
  return fail(`sending failed: ${clean(e.message ?? String(err), ctx)}`, !SETTLED_CODES.has(e.code ?? ''));
}

/** Codes of nodemailer for a mistake in the configuration or the message: the same next time. */
const SETTLED_CODES = new Set(['ECONFIG', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS', 'EPROTOCOL']);
