/**
 * Business keys: `report/<config>/<period>` for a firing, `report/<config>/<period>/<target>` for
 * one ReportRun. They are workflow ids, the root of Stripe idempotency keys, and what the relay
 * and CLI use to find a run without searching.
 */
export function businessKey(configId: string, period: string, target?: string): string {
  return ['report', configId, period, target].filter(Boolean).join('/');
}

/** The mailbox of one ReportRun's Stripe events: derivable from the run id alone (see run-events.ts). */
export function runEventsWorkflowId(runId: string): string {
  return `report-run-events/${runId}`;
}
