/**
 * Redaction of secrets in text: pure patterns every room may use (Stripe errors, configuration
 * problems, activity failures, the logger). A secret is never shown whole; a Stripe key keeps its
 * prefix and last four characters so keys can still be told apart.
 */

/** `sk_live_…wxyz`: enough to tell keys apart in a log, never enough to use one. */
export function redactKey(key: string | undefined): string {
  if (!key) return '(no key)';
  const prefix = key.match(/^(sk|rk)_(org_)?(live_|test_)?/)?.[0] ?? '';
  return `${prefix}…${key.slice(-4)}`;
}

const STRIPE_KEY = /\b(sk|rk)_(org_)?(live_|test_)?[A-Za-z0-9]{6,}\b/g;
const WEBHOOK_SECRET = /\bwhsec_[A-Za-z0-9_]+/g;

/** Replaces every Stripe key and webhook secret in a text, for messages that may echo a request. */
export function redactSecrets(text: string): string {
  return text.replace(STRIPE_KEY, (k) => redactKey(k)).replace(WEBHOOK_SECRET, (s) => `whsec_…${s.slice(-4)}`);
}

// The patterns below never consume a quote or a backslash, so they are safe on JSON text too.
/** `Bearer <token>` (Authorization headers, Temporal API keys). */
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
/** `scheme://user:password@host`: the password goes (SMTP, database and proxy URLs). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'\\]*):[^\s/@"'\\]+@/gi;
/** `https://host/path?query`: a signed download URL's signature lives in its query string. */
const URL_QUERY = /\b(https?:\/\/[^\s?#"'\\<>]+)\?[^\s#"'\\<>]+/gi;

/**
 * redactSecrets plus what else is secret in a URL or a header: bearer tokens, passwords in URLs
 * and query strings (`?…`). For logs and messages that may quote a URL or a request.
 */
export function scrubText(text: string): string {
  return redactSecrets(text)
    .replace(BEARER, '$1 …')
    .replace(URL_PASSWORD, '$1:…@')
    .replace(URL_QUERY, '$1?…');
}
