/**
 * reportWorkflow: one firing of one configuration. It settles the period (named, or the one
 * before the scheduled time in the configuration's timezone), then runs one child per target
 * and reports per target what happened. It fails only when every target failed.
 */
import {
  ApplicationFailure,
  executeChild,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { parsePeriod, periodForConfig, type Period } from '../config/period.js';
import { targetsOf } from '../config/targets.js';
import { businessKey } from './business-key.js';
import { rootCauseMessage } from './failure-message.js';
import { reportRunWorkflow } from './report-run.js';
import { ReportConfigAttribute, ReportPeriodAttribute, ReportTargetAttribute } from './search-attributes.js';
import type { PollTiming } from './timing.js';
import type { ReportJob, ReportWorkflowInput, ReportWorkflowResult, TargetOutcome } from './types.js';

const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

function settlePeriod(input: ReportWorkflowInput): Period {
  const { config } = input;
  const timezone = config.schedule.timezone;
  try {
    if (input.period) return parsePeriod(input.period, timezone);
    // The period comes from when the run was scheduled, never from now: a late or caught-up
    // firing still reports on the period it was meant for.
    const scheduledAt = workflowInfo().typedSearchAttributes.get(ScheduledStartTime) ?? new Date(workflowInfo().startTime);
    return periodForConfig(config, scheduledAt);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`configuration ${config.id}: ${(err as Error).message}`, 'InvalidInputError');
  }
}

export async function reportWorkflow(input: ReportWorkflowInput & { timing?: Partial<PollTiming> }): Promise<ReportWorkflowResult> {
  const { config } = input;
  const period = settlePeriod(input);
  const targets = targetsOf(config);

  const outcomes = await Promise.all(
    targets.map(async (target): Promise<TargetOutcome> => {
      const job: ReportJob = {
        configId: config.id,
        api: config.api,
        report: config.report,
        mode: config.mode,
        keyEnv: config.key_env,
        period,
        target,
        parameters: config.parameters,
        compress: config.result.compress,
        businessKey: businessKey(config.id, period.name, target.id),
      };
      try {
        const result = await executeChild(reportRunWorkflow, {
          workflowId: job.businessKey,
          args: [job, input.timing ?? {}],
          typedSearchAttributes: [
            { key: ReportConfigAttribute, value: config.id },
            { key: ReportPeriodAttribute, value: period.name },
            { key: ReportTargetAttribute, value: target.id },
          ],
        });
        return { target: target.id, status: 'archived', runId: result.runId, file: result.file };
      } catch (err) {
        return { target: target.id, status: 'failed', reason: rootCauseMessage(err) };
      }
    }),
  );

  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length === outcomes.length) {
    throw ApplicationFailure.nonRetryable(
      `${config.id} ${period.name}: every target failed: ${failed.map((f) => `${f.target}: ${f.status === 'failed' ? f.reason : ''}`).join('; ')}`,
      'AllTargetsFailed',
    );
  }
  return { config: config.id, period: period.name, interval: { start: period.start, end: period.end }, outcomes };
}
