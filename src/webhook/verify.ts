/**
 * Signature verification over the raw body, with the `stripe` package rather than our own HMAC
 * code: thin v2 events through `parseEventNotification`, v1 snapshots through
 * `webhooks.constructEvent` (each refuses the other kind). Several secrets: any may match.
 */
import Stripe from 'stripe';

export type Verified =
  | { ok: true; kind: 'thin'; event: Record<string, unknown> }
  | { ok: true; kind: 'snapshot'; event: Record<string, unknown> }
  | { ok: false; reason: string };

// parseEventNotification is an instance method; this client only verifies and never calls Stripe
// (the placeholder is not a key, and fetchRelatedObject is never used).
const verifier = new Stripe('relay_verifies_signatures_only');

export function verifyEvent(raw: Buffer, header: string | undefined, secrets: readonly string[], toleranceSeconds: number): Verified {
  if (!header) return { ok: false, reason: 'missing Stripe-Signature header' };
  let peek: unknown;
  try {
    peek = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (!peek || typeof peek !== 'object' || Array.isArray(peek)) return { ok: false, reason: 'body is not a JSON object' };
  // Only decides which of the package's verifiers to call; nothing is trusted before one succeeds.
  const thin = (peek as { object?: unknown }).object === 'v2.core.event';
  const reasons: string[] = [];
  for (const secret of secrets) {
    try {
      if (thin) {
        const n = verifier.parseEventNotification(raw, header, secret, toleranceSeconds);
        return { ok: true, kind: 'thin', event: n as unknown as Record<string, unknown> };
      }
      const e = verifier.webhooks.constructEvent(raw, header, secret, toleranceSeconds);
      return { ok: true, kind: 'snapshot', event: e as unknown as Record<string, unknown> };
    } catch (err) {
      reasons.push(reasonOf(err));
    }
  }
  // A stale timestamp is only reported once a secret matched: it is the most specific reason.
  return { ok: false, reason: reasons.find((r) => r === 'timestamp outside tolerance') ?? reasons[0] ?? 'no secret configured' };
}

/** Short, fixed reasons for the log: the package's messages are long, and may echo the header. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) return 'not a Stripe event';
  if (/tolerance/i.test(message)) return 'timestamp outside tolerance';
  if (/Unable to extract timestamp|No signatures found with expected scheme|No stripe-signature header/i.test(message)) return 'malformed Stripe-Signature header';
  if (/No signatures found matching/i.test(message)) return 'signature does not match';
  return 'signature verification failed';
}
