/** Schedule ids: `reports/<config id>`, one per configuration, so a sync finds its schedule without searching. */
const PREFIX = 'reports/';

export function scheduleIdFor(configId: string): string {
  return `${PREFIX}${configId}`;
}

/** Workflow id prefix of scheduled firings; Temporal appends `-<scheduled time>` to each. */
export function scheduledWorkflowIdFor(configId: string): string {
  return `report/${configId}`;
}
