/**
 * Turns one job (configuration × period × target) into the exact ReportRun request for each API.
 * The period supplies the interval; the target supplies Stripe-Context and connected_account.
 */
import { InvalidInputError } from '../domain/errors.js';
import type { CreateReportRunV1, CreateReportRunV2, ReportParameters, ReportTemplate } from './types.js';
import type { ReportJob } from '../domain/report-job.js';

const GRANULARITY = 'organization_report_granularity';

export function buildV2Request(job: ReportJob, template: ReportTemplate): { body: CreateReportRunV2; context?: string } {
  const params: ReportParameters = {
    ...job.parameters,
    interval_start: job.period.start,
    interval_end: job.period.end,
  };
  const { target } = job;
  if (target.kind === 'connected_account') {
    if (!template.parameters.connected_account) {
      throw new InvalidInputError(`target connected_account ${target.connectedAccount}: report ${job.report} has no connected_account parameter`);
    }
    params.connected_account = target.connectedAccount!;
  }
  if (target.kind === 'organization') {
    const offersBoth = Boolean(template.parameters[GRANULARITY]);
    if (offersBoth) params[GRANULARITY] = `${target.organization}_report`;
    else if (target.organization === 'aggregated') {
      throw new InvalidInputError(`target organization: aggregated: report ${job.report} cannot aggregate across accounts (use concatenated)`);
    }
  }
  const body: CreateReportRunV2 = { report: job.report, report_parameters: params };
  if (job.compress) body.result_options = { compress_file: true };
  return { body, context: target.context };
}

/** v1 takes Unix seconds; the interval is the same period. */
export function buildV1Request(job: ReportJob): { body: CreateReportRunV1; context?: string } {
  const extra = job.parameters;
  const one = (name: string): string | undefined => {
    const v = extra[name];
    if (Array.isArray(v)) throw new InvalidInputError(`parameter ${name} = ${JSON.stringify(v)} must be a single value for a v1 report`);
    return v;
  };
  const columns = extra.columns === undefined ? undefined : Array.isArray(extra.columns) ? extra.columns : [extra.columns];
  const known = new Set(['timezone', 'columns', 'currency', 'payout', 'reporting_category']);
  for (const name of Object.keys(extra)) {
    if (!known.has(name)) throw new InvalidInputError(`parameter ${name} is not a v1 report parameter (accepted: ${[...known].join(', ')})`);
  }
  const body: CreateReportRunV1 = {
    report_type: job.report,
    parameters: {
      interval_start: Date.parse(job.period.start) / 1000,
      interval_end: Date.parse(job.period.end) / 1000,
      timezone: one('timezone'),
      columns,
      currency: one('currency'),
      payout: one('payout'),
      reporting_category: one('reporting_category'),
      connected_account: job.target.kind === 'connected_account' ? job.target.connectedAccount : undefined,
    },
  };
  if (job.target.kind === 'organization') throw new InvalidInputError('organization targets need the v2 Reports API (api: v2)');
  return { body, context: job.target.context };
}
