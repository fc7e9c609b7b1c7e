/**
 * Starts one firing of a configuration for a named period: the path shared by `npm start`'s demo
 * runs, `reports run` and tests. The workflow id is the business key `report/<config>/<period>`.
 */
import { Client, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { ReportConfig } from '../config/schema.js';
import { businessKey } from '../domain/business-key.js';
import { ReportConfigAttribute, ReportPeriodAttribute } from '../workflows/search-attributes.js';
import type { PollTiming } from '../workflows/timing.js';
import type { reportWorkflow } from '../workflows/index.js';
import type { ReportWorkflowInput } from '../workflows/types.js';
import type { ArchiveFor } from '../archive/stores.js';
import { placeTargetsFor } from '../archive/target-list.js';

export interface StartOptions {
  taskQueue: string;
  timing?: Partial<PollTiming>;
  force?: boolean;
  fanOut?: ReportWorkflowInput['fanOut'];
  /** Where a list of targets too long for the workflow input is stored (the configuration's archive). */
  archiveFor?: ArchiveFor;
}

export async function startReport(
  client: Client,
  config: ReportConfig,
  period: string,
  options: StartOptions,
): Promise<WorkflowHandle<typeof reportWorkflow>> {
  const placed = await placeTargetsFor(config, options.archiveFor);
  return client.workflow.start<typeof reportWorkflow>('reportWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: businessKey(config.id, period),
    args: [{ ...placed, period, timing: options.timing, force: options.force, ...(options.fanOut ? { fanOut: options.fanOut } : {}) }],
    // A firing that is running is not started twice (same id). A finished one may start again:
    // it skips the targets already archived and re-runs only the failed ones.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: ReportConfigAttribute, value: config.id },
      { key: ReportPeriodAttribute, value: period },
    ],
  });
}
