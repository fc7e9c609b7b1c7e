/**
 * One target of a firing: its reportRunWorkflow as a child under the business key, and what came
 * of it. A target already archived is skipped; a child already running or done under the same
 * business key (another firing, a manual run) is not started twice.
 */
import { executeChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { jobFromConfig } from '../config/report-job.js';
import type { ReportConfig } from '../config/schema.js';
import type { ArchivedFile, TargetOutcome } from '../domain/outcomes.js';
import type { Period } from '../domain/period.js';
import type { ReportTarget } from '../domain/target.js';
import { rootCauseMessage } from './failure-message.js';
import { reportRunWorkflow } from './report-run.js';
import { ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute } from './search-attributes.js';
import type { PollTiming } from './timing.js';

export async function runTarget(
  config: ReportConfig,
  period: Period,
  target: ReportTarget,
  options: { archived?: ArchivedFile; force?: boolean; timing?: Partial<PollTiming>; permitRank?: number },
): Promise<TargetOutcome> {
  if (options.archived) return { target: target.id, status: 'skipped', reason: `already archived at ${options.archived.location}` };
  // The job adds `query` only for Data API query configurations, and a rank only in a firing's
  // batch: a running 0.2.0 firing's children get exactly the input they got before (no patch).
  const base = jobFromConfig(config, period, target);
  const job = options.permitRank === undefined ? base : { ...base, permits: { ...base.permits, rank: options.permitRank } };
  try {
    const result = await executeChild(reportRunWorkflow, {
      workflowId: job.businessKey,
      args: [job, options.timing ?? {}],
      // A target that archived is never run twice by accident; --force says "again".
      workflowIdReusePolicy: options.force ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: ReportConfigAttribute, value: config.id },
        { key: ReportPeriodAttribute, value: period.name },
        { key: ReportTargetAttribute, value: target.id },
      ],
    });
    return { target: target.id, status: 'archived', runId: result.runId, file: result.file };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { target: target.id, status: 'skipped', reason: `already running or done as ${job.businessKey}` };
    }
    return { target: target.id, status: 'failed', reason: rootCauseMessage(err) };
  }
}
