/**
 * Pushes signed events to the configured endpoint, the way Stripe does: fire and forget from the
 * server's point of view, retried with backoff when the endpoint is down or answers non-2xx, and
 * subject to the drop / duplicate / delay faults. Nothing here may block or crash the server.
 */
import Stripe from 'stripe';

export interface WebhookDeps {
  target: () => { url?: string; secret?: string };
  faults: () => { dropWebhookRate?: number; duplicateWebhookRate?: number; webhookDelayMs?: number; delayWebhookRate?: number };
  random: () => number;
  onSent: () => void;
  onDropped: () => void;
  /** Per event (not per copy) that the faults send twice / hold back. */
  onDuplicated: () => void;
  onDelayed: () => void;
  log: (line: string) => void;
}

/** Retries after these delays (ms); Stripe's are hours apart, tests cannot wait that long. */
const RETRY_DELAYS = [500, 2000, 5000];
/** Used when webhookUrl is set without a secret, so deliveries are still signed. */
export const DEFAULT_WEBHOOK_SECRET = 'whsec_emulator';

export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly deps: WebhookDeps) {}

  send(event: { id: string; type: string }): void {
    // The endpoint and secret are fixed when the event is sent: retries go where the first try went.
    const { url, secret } = this.deps.target();
    if (!url || this.closed) return;
    const f = this.deps.faults();
    if (this.deps.random() < (f.dropWebhookRate ?? 0)) {
      this.deps.onDropped();
      this.deps.log(`webhook ${event.type} ${event.id} dropped (fault)`);
      return;
    }
    // Serialised once: duplicates carry the very same bytes and event id, as Stripe's do.
    const body = JSON.stringify(event);
    const copies = this.deps.random() < (f.duplicateWebhookRate ?? 0) ? 2 : 1;
    if (copies === 2) this.deps.onDuplicated();
    const delay = this.delayFor(f);
    if (delay > 0) this.deps.onDelayed();
    for (let c = 0; c < copies; c++) this.later(delay + c * 25, () => void this.deliver({ url, secret }, body, event, 0));
  }

  /** webhookDelayMs for every event, or for delayWebhookRate's share of them when that is set. */
  private delayFor(f: ReturnType<WebhookDeps['faults']>): number {
    const ms = Math.max(0, f.webhookDelayMs ?? 0);
    if (ms === 0 || f.delayWebhookRate === undefined) return ms;
    return this.deps.random() < f.delayWebhookRate ? ms : 0;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const a of this.inflight) a.abort();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async deliver(
    to: { url: string; secret?: string },
    body: string,
    event: { id: string; type: string },
    attempt: number,
  ): Promise<void> {
    const { url, secret } = to;
    if (this.closed) return;
    const abort = new AbortController();
    this.inflight.add(abort);
    const timeout = setTimeout(() => abort.abort(), 10_000);
    let outcome: string;
    try {
      const header = Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: secret || DEFAULT_WEBHOOK_SECRET,
        timestamp: Math.floor(Date.now() / 1000),
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Stripe-Signature': header,
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.deps.onSent();
        this.deps.log(`webhook ${event.type} ${event.id} delivered (${res.status})`);
        return;
      }
      outcome = `HTTP ${res.status}`;
    } catch (err) {
      outcome = (err as Error).message;
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(abort);
    }
    if (this.closed) return;
    if (attempt < RETRY_DELAYS.length) {
      this.deps.log(`webhook ${event.type} ${event.id} failed (${outcome}); retry ${attempt + 1}`);
      this.later(RETRY_DELAYS[attempt], () => void this.deliver(to, body, event, attempt + 1));
    } else {
      this.deps.log(`webhook ${event.type} ${event.id} given up after ${attempt + 1} attempts (${outcome})`);
    }
  }
}
