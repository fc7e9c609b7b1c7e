/**
 * Which run a verified event is about, and whether it matters. Only a run that stopped running
 * is worth waking a workflow for; everything else is acknowledged and dropped so Stripe does not
 * retry it.
 */
export type Route =
  | { relevant: true; eventId: string; type: string; runId: string }
  | { relevant: false; eventId?: string; type?: string; runId?: string; reason: string };

/**
 * Thin event types worth a status check, by the run object they are about (`related_object.type`).
 * A Data API run can also be cancelled, which has no event of its own: `updated` wakes the
 * workflow for one check, which sees `canceled` (or `running`, and waits on).
 */
const THIN_RELEVANT: Record<string, readonly string[]> = {
  'v2.reporting.report_run': ['succeeded', 'failed'],
  'v2.data.report_run': ['succeeded', 'failed', 'updated'],
  'v2.data.query_run': ['succeeded', 'failed', 'updated'],
};
const V1_RELEVANT = new Set(['reporting.report_run.succeeded', 'reporting.report_run.failed']);

export function routeEvent(kind: 'thin' | 'snapshot', event: Record<string, unknown>): Route {
  const eventId = str(event.id);
  const type = str(event.type);
  if (!eventId || !type) return { relevant: false, eventId, type, reason: 'event without id or type' };
  if (kind === 'thin') {
    // `v2.data.query_run.succeeded` is about a `v2.data.query_run`: the object is the type without its last part.
    const object = type.slice(0, type.lastIndexOf('.'));
    const related = obj(event.related_object);
    const runId = related && related.type === object ? str(related.id) : undefined;
    if (!THIN_RELEVANT[object]?.includes(type.slice(object.length + 1))) return { relevant: false, eventId, type, runId, reason: 'event type not relevant' };
    if (!runId) return { relevant: false, eventId, type, reason: `no ${object} in related_object` };
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
