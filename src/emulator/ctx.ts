/** What every route handler gets: the state plus the per-server helpers. */
import type { UrlSigner } from './files.js';
import type { IdempotencyStore } from './idempotency.js';
import type { EventLog } from './events.js';
import type { State } from './state.js';

export interface Ctx {
  state: State;
  signer: UrlSigner;
  idempotency: IdempotencyStore;
  events: EventLog;
  /** http://host:port of this server, for URLs in responses. */
  baseUrl: () => string;
}
