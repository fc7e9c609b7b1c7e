/**
 * Which run a verified event is about, and whether it matters. Only a run that stopped running
 * (succeeded / failed) is worth waking a workflow for; everything else is acknowledged and
 * dropped so Stripe does not retry it.
 */
export type Route =
  | { relevant: true; eventId: string; type: string; runId: string }
  | { relevant: false; eventId?: string; type?: string; runId?: string; reason: string };

const V2_RELEVANT = new Set(['v2.reporting.report_run.succeeded', 'v2.reporting.report_run.failed']);
const V1_RELEVANT = new Set(['reporting.report_run.succeeded', 'reporting.report_run.failed']);

export function routeEvent(kind: 'thin' | 'snapshot', event: Record<string, unknown>): Route {
  const eventId = str(event.id);
  const type = str(event.type);
  if (!eventId || !type) return { relevant: false, eventId, type, reason: 'event without id or type' };
  if (kind === 'thin') {
    const related = obj(event.related_object);
    const runId = related && related.type === 'v2.reporting.report_run' ? str(related.id) : undefined;
    if (!V2_RELEVANT.has(type)) return { relevant: false, eventId, type, runId, reason: 'event type not relevant' };
    if (!runId) return { relevant: false, eventId, type, reason: 'no v2.reporting.report_run in related_object' };
    return { relevant: true, eventId, type, runId };
  }
  const object = obj(obj(event.data)?.object);
  const runId = object && object.object === 'reporting.report_run' ? str(object.id) : undefined;
  if (!V1_RELEVANT.has(type)) return { relevant: false, eventId, type, runId, reason: 'event type not relevant' };
  if (!runId) return { relevant: false, eventId, type, reason: 'no reporting.report_run in data.object' };
  return { relevant: true, eventId, type, runId };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
