/** Markers in a workflow's history, by what their details name (a patch id, a local activity's type). */
import type { temporal } from '@temporalio/proto';
import { localActivityMarkerData } from '../../bench/firing-history.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const decoder = new TextDecoder();

function detailsText(e: HistoryEvent): string {
  return Object.values(e.markerRecordedEventAttributes?.details ?? {})
    .flatMap((p) => (p.payloads ?? []).map((x) => (x.data ? decoder.decode(x.data) : '')))
    .join('\n');
}

/** The markers of patch `patchId` (`core_patch`). */
export function patchMarkers(events: HistoryEvent[], patchId: string): HistoryEvent[] {
  return events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch' && detailsText(e).includes(patchId));
}

/** The markers of local activities of type `activityType`. */
export function localActivityMarkers(events: HistoryEvent[], activityType: string): HistoryEvent[] {
  return events.filter((e) => localActivityMarkerData(e)?.activityType === activityType);
}

/** Per local activity type, in history order, the attempts its markers record. */
export function localActivityAttempts(events: HistoryEvent[], activityTypes: string[]): Record<string, (number | undefined)[]> {
  return Object.fromEntries(activityTypes.map((t) => [t, localActivityMarkers(events, t).map((e) => localActivityMarkerData(e)?.attempt)]));
}
