/**
 * Events for finished runs. A v2 run gives a thin `v2.core.event` (the pushed body names the run;
 * GET /v2/core/events/{id} adds `data`), a v1 run a snapshot `event` whose data.object is the run.
 * A Data API run gives thin `v2.data.report_run.*` / `v2.data.query_run.*` events, `created` too.
 * Every event is kept, whether or not a webhook endpoint is configured.
 */
import { randomBytes } from 'node:crypto';
import type { Run } from './state.js';
import type { WebhookSender } from './webhooks.js';

export interface StoredEvent {
  livemode: boolean;
  api: 'v1' | 'v2';
  /** The full event as GET returns it. */
  full: Record<string, unknown>;
  /** The body pushed to the webhook endpoint. */
  pushed: Record<string, unknown>;
}

const eventId = () => `evt_${randomBytes(12).toString('hex')}`;

export class EventLog {
  readonly events = new Map<string, StoredEvent>();

  constructor(
    private readonly webhooks: WebhookSender,
    /** Renders a v1 run as the API would (the snapshot carries it). */
    private readonly renderV1: (run: Run) => Record<string, unknown>,
  ) {}

  /** Data API runs only: `…created` when the run starts. */
  runCreated(run: Run): void {
    if (run.api === 'data') this.dataEvent(run, 'created');
  }

  runSettled(run: Run): void {
    const ok = run.status === 'succeeded';
    if (run.api === 'data') this.dataEvent(run, ok ? 'succeeded' : 'failed');
    else if (run.api === 'v2') {
      const thin = {
        id: eventId(),
        object: 'v2.core.event',
        type: ok ? 'v2.reporting.report_run.succeeded' : 'v2.reporting.report_run.failed',
        created: new Date().toISOString(),
        livemode: run.livemode,
        reason: null,
        context: run.context,
        related_object: { id: run.id, type: 'v2.reporting.report_run', url: `/v2/reporting/report_runs/${run.id}` },
      };
      const full = { ...thin, data: { status: run.status, status_details: run.failure ? { failed: { error_code: run.failure.code, error_message: run.failure.message } } : {} }, changes: null };
      this.store(thin.id, { livemode: run.livemode, api: 'v2', full, pushed: thin });
    } else {
      const snap = {
        id: eventId(),
        object: 'event',
        api_version: null,
        created: Math.floor(Date.now() / 1000),
        livemode: run.livemode,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: ok ? 'reporting.report_run.succeeded' : 'reporting.report_run.failed',
        data: { object: this.renderV1(run) },
      };
      this.store(snap.id, { livemode: run.livemode, api: 'v1', full: snap, pushed: snap });
    }
  }

  private dataEvent(run: Run, what: 'created' | 'succeeded' | 'failed'): void {
    const [type, path] = run.data?.kind === 'query' ? ['v2.data.query_run', 'query_runs'] : ['v2.data.report_run', 'report_runs'];
    const thin = {
      id: eventId(),
      object: 'v2.core.event',
      type: `${type}.${what}`,
      created: new Date().toISOString(),
      livemode: run.livemode,
      reason: null,
      context: run.context,
      related_object: { id: run.id, type, url: `/v2/data/${path}/${run.id}` },
    };
    const data = { status: run.status, ...(run.failure ? { status_details: { code: run.failure.code, message: run.failure.message } } : {}) };
    this.store(thin.id, { livemode: run.livemode, api: 'v2', full: { ...thin, data, changes: null }, pushed: thin });
  }

  private store(id: string, e: StoredEvent): void {
    this.events.set(id, e);
    this.webhooks.send(e.pushed as { id: string; type: string });
  }
}
