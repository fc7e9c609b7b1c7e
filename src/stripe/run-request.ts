/**
 * Turns one job (configuration × period × target) into the exact ReportRun request for each API.
 * The period supplies the interval; the target supplies Stripe-Context and connected_account.
 */
import { InvalidInputError } from '../domain/errors.js';
import { renderQuerySql } from '../domain/sql-query.js';
import { isDataReportName } from './client.js';
import type { CreateDataReportRun, CreateQueryRun, CreateReportRunV1, CreateReportRunV2, ReportParameters, ReportTemplate } from './types.js';
import type { ReportJob } from '../domain/report-job.js';

const GRANULARITY = 'organization_report_granularity';

/**
 * The parameters of a v2 or Data API report run: the configuration's, the interval, and what the
 * target adds (connected_account, or the organization granularity when the report offers both).
 */
function reportParameters(job: ReportJob, template: Pick<ReportTemplate, 'parameters'>): ReportParameters {
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
  return params;
}

export function buildV2Request(job: ReportJob, template: ReportTemplate): { body: CreateReportRunV2; context?: string } {
  const body: CreateReportRunV2 = { report: job.report, report_parameters: reportParameters(job, template) };
  if (job.compress) body.result_options = { compress_file: true };
  return { body, context: job.target.context };
}

/**
 * A Data API report run (`POST /v2/data/report_runs`): the report by name or id, parameters as
 * for v2 (timestamps in ISO 8601), a CSV. The caller validates the parameters against `template`.
 */
export function buildDataReportRequest(job: ReportJob, template: Pick<ReportTemplate, 'parameters'>): { body: CreateDataReportRun; context?: string } {
  const body: CreateDataReportRun = {
    report: isDataReportName(job.report) ? { name: job.report } : { id: job.report },
    parameters: reportParameters(job, template),
    format: 'csv',
  };
  if (job.compress) body.result_options = { compress_file: true };
  return { body, context: job.target.context };
}

/**
 * Whether a job runs a SQL query: it carries one, or (a job built by a workflow that does not
 * pass `query` yet) its report is the label a query configuration gets (`query`, `query:<file>`).
 */
export function isQueryJob(job: Pick<ReportJob, 'api' | 'report' | 'query'>): boolean {
  return job.api === 'data' && (job.query !== undefined || job.report === 'query' || job.report.startsWith('query:'));
}

/**
 * A Data API query run (`POST /v2/data/query_runs`): the configuration's SQL with the period's
 * placeholders rendered. A query runs as the key's account, or an organization key's account
 * (Stripe-Context); it has no parameters, so connected-account and organization-wide targets
 * cannot be expressed.
 */
export function buildQueryRequest(job: ReportJob): { body: CreateQueryRun; context?: string } {
  if (!job.query) {
    throw new InvalidInputError(`configuration ${job.configId}: the job for ${job.report} reached the worker without its SQL (the workflow that built it does not pass query yet)`);
  }
  const { target } = job;
  if (target.kind === 'connected_account' || target.kind === 'organization') {
    throw new InvalidInputError(
      `target ${target.id}: a query runs as one account (the key's, or account: with an organization key); filter connected accounts in the SQL, or use report: for ${target.kind} targets`,
    );
  }
  let sql: string;
  try {
    sql = renderQuerySql(job.query.sql, { intervalStart: job.period.start, intervalEnd: job.period.end, period: job.period.name });
  } catch (err) {
    throw new InvalidInputError(`configuration ${job.configId}: the query${job.query.file ? ` in ${job.query.file}` : ''} cannot be rendered: ${(err as Error).message}`, { param: 'query' });
  }
  const body: CreateQueryRun = { dataset: 'analytical', format: 'csv', query: { sql } };
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
