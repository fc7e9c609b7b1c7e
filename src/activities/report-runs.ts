/**
 * Activities that talk to Stripe about a ReportRun: check the request, create the run, read its
 * status. Every API (v1, v2, the Data API's report runs and query runs) hides behind one shape so
 * the workflow does not care which it is.
 */
import { InvalidInputError } from '../domain/errors.js';
import { reportRunsCreated } from '../observability/metrics.js';
import { LivemodeMismatchError, ReportRunFailedError, StripeRateLimitError } from '../stripe/errors.js';
import { buildDataReportRequest, buildQueryRequest, buildV1Request, buildV2Request, isQueryJob } from '../stripe/run-request.js';
import type { DataRun, ReportRunV1, ReportRunV2 } from '../stripe/types.js';
import type { StripeClient } from '../stripe/client.js';
import { dataAvailableUntil, validateReportParameters } from '../stripe/validate-parameters.js';
import type { ReportJob } from '../domain/report-job.js';
import type { StripeClientFor } from './stripe-clients.js';
import { activityLog } from './log-context.js';
import { ReportDefinitions } from './report-definitions.js';

export interface RunStatus {
  /** Stripe's status; `canceled` is the Data API's (a run stopped before it finished). */
  status: 'running' | 'succeeded' | 'failed' | 'canceled';
  /** Set once succeeded. */
  size?: number;
  contentType?: 'csv' | 'zip';
  /** Stripe's reason, when failed or cancelled. */
  errorCode?: string;
  errorMessage?: string;
}

/** A run just created: its id, and its status in Stripe's answer to the create (a replayed create: as first created). */
export interface CreatedRun {
  runId: string;
  status: RunStatus;
}

function checkLivemode(job: ReportJob, livemode: boolean, what: string): void {
  if (livemode !== (job.mode === 'live')) {
    throw new LivemodeMismatchError(
      `configuration ${job.configId}: mode is ${job.mode} but Stripe answered ${what} with livemode=${livemode}`,
    );
  }
}

/** Told when Stripe answers 429 report_run_rate_limit_exceeded, so the permit pool can back off. */
export type RunningCapHit = (permit: { poolId: string; holderId: string }, retryAfterMs?: number) => Promise<void>;

export function createReportRunActivities(clientFor: StripeClientFor, onRunningCapHit: RunningCapHit, definitions = new ReportDefinitions()) {
  /**
   * Builds the request for a job against the Report template (v2) or report type (v1), or refuses
   * it before any run exists. Also says until when Stripe has data, so the workflow can wait.
   * `ask`: ask Stripe even if it answered for this report recently (ReportDefinitions).
   */
  async function requestFor(job: ReportJob, ask: boolean) {
    const client = clientFor(job);
    if (client.organizationKey) {
      if (job.target.kind === 'self') {
        throw new InvalidInputError(`configuration ${job.configId}: an organization key needs targets (account:, connected_account: with platform:, or organization:)`);
      }
      if (job.target.kind === 'connected_account' && !job.target.context) {
        throw new InvalidInputError(`target connected_account ${job.target.connectedAccount}: with an organization key, name its platform (platform: acct_…)`);
      }
    }
    if (isQueryJob(job)) {
      // No template to ask: the SQL was checked when the configuration loaded; Stripe checks the rest.
      return { client, dataAvailableUntil: undefined, request: { api: 'query' as const, ...buildQueryRequest(job) } };
    }
    const context = job.target.context;
    const definition = <T>(fetch: () => Promise<T>, until: (value: T) => number | undefined): Promise<T> =>
      definitions.get(client, `${job.api}\n${job.report}\n${context ?? ''}`, Date.parse(job.period.end), fetch, until, ask);
    const isoMs = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
    if (job.api === 'data') {
      const report = await definition(() => client.getDataReport(job.report, { context }), (r) => isoMs(dataAvailableUntil(r)));
      checkLivemode(job, report.livemode, `report ${job.report}`);
      const request = buildDataReportRequest(job, report);
      validateReportParameters(report, request.body.parameters, { waitForData: true });
      return { client, dataAvailableUntil: dataAvailableUntil(report), request: { api: 'data' as const, ...request } };
    }
    if (job.api === 'v2') {
      const template = await definition(() => client.getReport(job.report, { context }), (t) => isoMs(dataAvailableUntil(t)));
      checkLivemode(job, template.livemode, `report ${job.report}`);
      const request = buildV2Request(job, template);
      validateReportParameters(template, request.body.report_parameters, { waitForData: true });
      return { client, dataAvailableUntil: dataAvailableUntil(template), request: { api: 'v2' as const, ...request } };
    }
    const type = await definition(() => client.getReportType(job.report, { context }), (t) => t.data_available_end * 1000);
    checkLivemode(job, type.livemode, `report type ${job.report}`);
    const request = buildV1Request(job);
    const start = request.body.parameters.interval_start ?? 0;
    if (start < type.data_available_start) {
      throw new InvalidInputError(
        `parameters.interval_start = ${job.period.start} (period ${job.period.name}) is before ${new Date(type.data_available_start * 1000).toISOString()}, where ${job.report} data starts`,
        { param: 'interval_start' },
      );
    }
    return { client, dataAvailableUntil: new Date(type.data_available_end * 1000).toISOString(), request: { api: 'v1' as const, ...request } };
  }

  return {
    /** Validates parameters and mode against Stripe's template before anything is created. */
    async prepareReportRun(job: ReportJob): Promise<{ dataAvailableUntil?: string }> {
      const { dataAvailableUntil } = await requestFor(job, true);
      activityLog().debug('request checked against the report', { report: job.report, dataAvailableUntil });
      return { dataAvailableUntil };
    },

    /** Creates the ReportRun. The idempotency key makes a retried call return the same run. */
    async createReportRun(job: ReportJob, idempotencyKey: string, permit?: { poolId: string; holderId: string }): Promise<CreatedRun> {
      // Right after the permit: what prepareReportRun just heard from Stripe will do.
      const { client, request, dataAvailableUntil: until } = await requestFor(job, false);
      if (until && Date.parse(until) < Date.parse(job.period.end)) {
        throw new InvalidInputError(`Stripe has ${job.report} data only until ${until}, before the end of period ${job.period.name} (${job.period.end})`);
      }
      let replayed = false;
      const opts = { context: request.context, idempotencyKey, onAnswer: (a: { idempotentReplayed: boolean }) => (replayed = a.idempotentReplayed) };
      let runId: string;
      let statusOf: () => RunStatus;
      try {
        if (request.api === 'query') {
          const run = await client.createQueryRun(request.body, opts);
          [runId, statusOf] = [run.id, () => dataRunStatus(job, run)];
        } else if (request.api === 'data') {
          const run = await client.createDataReportRun(request.body, opts);
          [runId, statusOf] = [run.id, () => dataRunStatus(job, run)];
        } else if (request.api === 'v2') {
          const run = await client.createReportRun(request.body, opts);
          [runId, statusOf] = [run.id, () => v2RunStatus(job, run)];
        } else {
          const run = await client.createReportRunV1(request.body, opts);
          [runId, statusOf] = [run.id, () => v1RunStatus(job, run)];
        }
        // A retried create that Stripe answered from its idempotency cache created nothing.
        if (!replayed) reportRunsCreated.inc({ api: job.api, report: job.report });
      } catch (err) {
        // Someone else is using Stripe's running-report cap: keep the permit, tell the pool to hand out fewer.
        if (err instanceof StripeRateLimitError && err.isRunningCap && permit) await onRunningCapHit(permit, err.retryAfterMs).catch(() => undefined);
        throw err;
      }
      activityLog().info('ReportRun created', { reportRunId: runId, api: job.api, report: job.report });
      // Stripe answers a create with the run itself: its status (checked for livemode) is the run's first check.
      const created: CreatedRun = { runId, status: statusOf() };
      return created;
    },

    async checkReportRun(job: ReportJob, runId: string): Promise<RunStatus> {
      const client = clientFor(job);
      const opts = { context: job.target.context };
      if (job.api === 'data') return dataRunStatus(job, await dataRun(client, job, runId));
      if (job.api === 'v2') return v2RunStatus(job, await client.getReportRun(runId, opts));
      return v1RunStatus(job, await client.getReportRunV1(runId, opts));
    },
  };
}

/** A v2 ReportRun's status in the workflow's terms. */
function v2RunStatus(job: ReportJob, run: ReportRunV2): RunStatus {
  checkLivemode(job, run.livemode, `run ${run.id}`);
  if (run.status === 'succeeded') {
    if (!run.result) throw new ReportRunFailedError(`run ${run.id} succeeded without a result file`);
    activityLog().info('ReportRun succeeded', { reportRunId: run.id, size: Number(run.result.file.size) });
    return { status: 'succeeded', size: Number(run.result.file.size), contentType: run.result.file.content_type };
  }
  if (run.status === 'failed') {
    const failed = 'failed' in run.status_details ? run.status_details.failed : undefined;
    activityLog().warn('ReportRun failed at Stripe', { reportRunId: run.id, errorCode: failed?.error_code, errorMessage: failed?.error_message });
    return { status: 'failed', errorCode: failed?.error_code ?? 'unknown', errorMessage: failed?.error_message ?? '' };
  }
  activityLog().debug('ReportRun still running', { reportRunId: run.id });
  return { status: 'running' };
}

/** A v1 ReportRun's status in the workflow's terms. */
function v1RunStatus(job: ReportJob, run: ReportRunV1): RunStatus {
  checkLivemode(job, run.livemode, `run ${run.id}`);
  if (run.status === 'succeeded') {
    if (!run.result) throw new ReportRunFailedError(`run ${run.id} succeeded without a result file`);
    activityLog().info('ReportRun succeeded', { reportRunId: run.id, size: run.result.size });
    return { status: 'succeeded', size: run.result.size, contentType: 'csv' };
  }
  if (run.status === 'failed') {
    activityLog().warn('ReportRun failed at Stripe', { reportRunId: run.id, errorMessage: run.error });
    // v1 gives a message and no code: say the message, not a made-up code.
    return { status: 'failed', errorMessage: run.error || 'Stripe gave no reason' };
  }
  activityLog().debug('ReportRun still running', { reportRunId: run.id });
  return { status: 'running' };
}

/** A Data API run: a query run for a query configuration, else a report run. */
export function dataRun(client: StripeClient, job: ReportJob, runId: string): Promise<DataRun> {
  const opts = { context: job.target.context };
  return isQueryJob(job) ? client.getQueryRun(runId, opts) : client.getDataReportRun(runId, opts);
}

/** Why a Data API run stopped: `status_details` is `{ code, message }`; tolerate it nested under the status too. */
function stopReason(run: DataRun): { code?: string; message?: string } {
  const details = (run.status_details ?? {}) as Record<string, unknown>;
  const nested = details[run.status];
  const from = nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : details;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return { code: text(from.code) ?? text(from.error_code), message: text(from.message) ?? text(from.error_message) };
}

/** A Data API run's status in the workflow's terms, with Stripe's reason and what to do about it. */
export function dataRunStatus(job: ReportJob, run: DataRun): RunStatus {
  checkLivemode(job, run.livemode, `run ${run.id}`);
  const kind = isQueryJob(job) ? 'query run' : 'report run';
  if (run.status === 'succeeded') {
    const file = run.result?.file;
    if (!file) throw new ReportRunFailedError(`${kind} ${run.id} succeeded without a result file`);
    activityLog().info('ReportRun succeeded', { reportRunId: run.id, size: Number(file.size), rows: run.result?.row_count });
    return { status: 'succeeded', size: Number(file.size), contentType: file.content_type };
  }
  if (run.status === 'running') {
    activityLog().debug('ReportRun still running', { reportRunId: run.id });
    return { status: 'running' };
  }
  const { code, message } = stopReason(run);
  let errorMessage = message ?? (run.status === 'canceled' ? 'the run was cancelled' : 'Stripe gave no reason');
  if (code === 'file_size_above_limit' && !job.compress) {
    errorMessage = `${errorMessage.replace(/\.$/, '')}; the result is too large for a CSV: add \`result: { compress: true }\` to configuration ${job.configId} for a ZIP`;
  }
  if (code === 'query_run_invalid_sql') errorMessage = `Stripe refused the SQL${job.query?.file ? ` of ${job.query.file}` : ''}: ${errorMessage}`;
  activityLog().warn(`${kind} ${run.status} at Stripe`, { reportRunId: run.id, errorCode: code, errorMessage });
  return { status: run.status, errorCode: code ?? (run.status === 'failed' ? 'unknown' : undefined), errorMessage };
}
