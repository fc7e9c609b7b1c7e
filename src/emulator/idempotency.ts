/**
 * Idempotency-Key handling, scoped per API key like Stripe scopes it per account. Only successful
 * responses are remembered: Stripe does not save a result for requests that failed validation or
 * were rate limited, so retrying a 429 with the same key must really retry.
 */
const LIFETIME_MS = 24 * 3600 * 1000;

export interface SavedResponse {
  status: number;
  body: unknown;
}

interface Entry extends SavedResponse {
  fingerprint: string;
  at: number;
}

export type Lookup = { kind: 'new' } | { kind: 'replay'; saved: SavedResponse } | { kind: 'conflict' };

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /** `fingerprint` is the endpoint plus the canonical body: the "same request" test. */
  lookup(scope: string, key: string, fingerprint: string, now = Date.now()): Lookup {
    const e = this.entries.get(`${scope}\u0000${key}`);
    if (!e || now - e.at > LIFETIME_MS) return { kind: 'new' };
    return e.fingerprint === fingerprint ? { kind: 'replay', saved: e } : { kind: 'conflict' };
  }

  save(scope: string, key: string, fingerprint: string, saved: SavedResponse, now = Date.now()): void {
    this.entries.set(`${scope}\u0000${key}`, { ...saved, fingerprint, at: now });
  }
}
