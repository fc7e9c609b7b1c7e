/**
 * What an activity's log lines are about: configuration, period, target and the ReportRun id,
 * read from its arguments. An interceptor adds them to every line the activity logs (its own
 * `Context.current().log` lines and the SDK's "Activity completed"/"Activity failed"), so a
 * ReportRun's story can be followed by `reportRunId` across the fleet.
 */
import { Context } from '@temporalio/activity';
import type { Logger as TemporalLogger } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import type { ReportJob } from '../domain/report-job.js';
import { getLogger } from '../observability/logger.js';
import { TemporalPinoLogger } from '../observability/temporal-runtime.js';

export interface LogContext {
  configuration?: string;
  period?: string;
  target?: string;
  reportRunId?: string;
}

/** Activities whose second argument is the ReportRun id (after the job). */
const RUN_ID_SECOND = new Set(['checkReportRun', 'transferReportFile', 'discardTransfer']);

const isJob = (v: unknown): v is ReportJob =>
  typeof v === 'object' && v !== null && typeof (v as ReportJob).configId === 'string' && typeof (v as ReportJob).period?.name === 'string';

export function logContextOf(activityType: string, args: readonly unknown[]): LogContext {
  const [first, second] = args;
  if (isJob(first)) {
    const context: LogContext = { configuration: first.configId, period: first.period.name, target: first.target.id };
    if (RUN_ID_SECOND.has(activityType) && typeof second === 'string') context.reportRunId = second;
    return context;
  }
  if (activityType === 'subscribeToRunEvents' && typeof first === 'string') return { reportRunId: first };
  if (activityType === 'findArchivedTargets' && typeof first === 'string' && typeof second === 'string') return { configuration: first, period: second };
  // The firing's summary and its messages: (config, period, …) and (destination, config, result).
  if (activityType === 'summarizeFiring') {
    const [config, period] = args as [{ id?: string } | undefined, { name?: string } | undefined];
    if (config?.id && period?.name) return { configuration: config.id, period: period.name };
  }
  if (activityType === 'notifyDestination') {
    const result = args[2] as ReportWorkflowResult | undefined;
    if (result?.config) return { configuration: result.config, period: result.period };
  }
  if (activityType === 'notifyOutcome') {
    const result = second as ReportWorkflowResult | undefined;
    if (result?.config) return { configuration: result.config, period: result.period };
  }
  return {};
}

/** Registered on the worker: every activity's lines carry its LogContext once it starts executing. */
export const activityLogContext: ActivityInterceptorsFactory = (ctx) => {
  let context: LogContext = {};
  return {
    inbound: {
      execute: (input, next) => {
        context = logContextOf(ctx.info.activityType, input.args);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next({ ...attributes, ...context }),
    },
  };
};

/** The current activity's logger; outside an activity (a script), the process's logger. */
export function activityLog(): TemporalLogger {
  try {
    return Context.current().log;
  } catch {
    return new TemporalPinoLogger(getLogger());
  }
}
