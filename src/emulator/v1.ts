/**
 * The v1 Reporting API: form-encoded bodies, Unix-second times, `pending` runs, and results as
 * File objects downloaded from /v1/files/{id}/contents with the same kind of key.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { v1ReportType } from './catalog.js';
import type { Ctx } from './ctx.js';
import { ApiError, type FormValue } from './http.js';
import type { ApiKey } from './keys.js';
import { csvSpecFor, validateV1 } from './params.js';
import type { Run } from './state.js';
import { checkAccessible, checkWritable } from './v2.js';

const FILE_TTL_SEC = 90 * 86_400;
const missing = (what: string, id: string, param = 'id') =>
  new ApiError(404, 'invalid_request_error', 'resource_missing', `No such ${what}: '${id}'`, param);

const v1Reports = (ctx: Ctx) => ctx.state.catalog.reports.filter((r) => r.v1 !== false);

export function listReportTypes(ctx: Ctx, key: ApiKey) {
  return {
    object: 'list',
    data: v1Reports(ctx).map((r) => v1ReportType(r, key.livemode, ctx.state.availability(r))),
    has_more: false,
    url: '/v1/reporting/report_types',
  };
}

export function getReportType(ctx: Ctx, key: ApiKey, id: string) {
  const r = v1Reports(ctx).find((x) => x.id === id);
  if (!r) throw missing('report type', id);
  return v1ReportType(r, key.livemode, ctx.state.availability(r));
}

/** v1 names the account with Stripe-Account (or Stripe-Context for organization keys). */
function accountOf(req: IncomingMessage): string | null {
  const h = req.headers['stripe-account'] ?? req.headers['stripe-context'];
  return typeof h === 'string' && h.trim() ? h.trim() : null;
}

export function createRun(ctx: Ctx, key: ApiKey, req: IncomingMessage, form: Record<string, FormValue>, idempotencyKey: string | null) {
  checkWritable(key);
  const context = accountOf(req);
  checkAccessible(ctx, [context]);
  const type = form.report_type;
  if (typeof type !== 'string' || !type) {
    throw new ApiError(400, 'invalid_request_error', 'parameter_missing', 'Missing required param: report_type.', 'report_type');
  }
  const report = v1Reports(ctx).find((r) => r.id === type);
  if (!report) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', `Invalid report_type: ${type}`, 'report_type');
  const { echo, selection } = validateV1(report, form.parameters, ctx.state.availability(report));
  checkAccessible(ctx, [selection.connectedAccount]);
  const now = Date.now();
  const run = ctx.state.start({
    id: `frr_${randomBytes(12).toString('hex')}`,
    api: 'v1',
    livemode: key.livemode,
    keyId: key.id,
    report,
    createdMs: now,
    createdIso: new Date(now).toISOString(),
    echo,
    compress: false,
    context,
    connectedAccount: selection.connectedAccount ?? null,
    idempotencyKey,
    fileId: `file_${randomBytes(12).toString('hex')}`,
    csv: csvSpecFor(report, selection, { livemode: key.livemode, context, organization: key.organization }, {
      rows: ctx.state.config.rowsPerRun,
      bytes: ctx.state.config.bytesPerRun,
    }),
  });
  return renderRun(ctx, run);
}

export function getRun(ctx: Ctx, key: ApiKey, id: string) {
  const run = ctx.state.runs.get(id);
  if (!run || run.api !== 'v1' || run.livemode !== key.livemode) throw missing('reporting.report_run', id);
  return renderRun(ctx, run);
}

export function listRuns(ctx: Ctx, key: ApiKey, query: URLSearchParams) {
  const num = (name: string) => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v)) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', `Invalid integer: ${v}`, name);
    return Number(v);
  };
  const limit = num('limit') ?? 10;
  if (limit < 1 || limit > 100) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', 'limit must be between 1 and 100', 'limit');
  const created = query.get('created') !== null ? num('created') : undefined;
  const gte = num('created[gte]');
  const gt = num('created[gt]');
  const lte = num('created[lte]');
  const lt = num('created[lt]');
  // Newest first, as Stripe lists.
  let runs = [...ctx.state.runs.values()]
    .filter((r) => r.api === 'v1' && r.livemode === key.livemode)
    .filter((r) => {
      const c = Math.floor(r.createdMs / 1000);
      return (created === undefined || c === created) && (gte === undefined || c >= gte) && (gt === undefined || c > gt) && (lte === undefined || c <= lte) && (lt === undefined || c < lt);
    })
    .reverse();
  const after = query.get('starting_after');
  if (after) {
    const i = runs.findIndex((r) => r.id === after);
    if (i < 0) throw missing('reporting.report_run', after, 'starting_after');
    runs = runs.slice(i + 1);
  }
  return {
    object: 'list',
    data: runs.slice(0, limit).map((r) => renderRun(ctx, r)),
    has_more: runs.length > limit,
    url: '/v1/reporting/report_runs',
  };
}

export function renderRun(ctx: Ctx, run: Run): Record<string, unknown> {
  const finished = run.finishedMs !== undefined ? Math.floor(run.finishedMs / 1000) : null;
  return {
    id: run.id,
    object: 'reporting.report_run',
    created: Math.floor(run.createdMs / 1000),
    error: run.failure ? run.failure.message : null,
    livemode: run.livemode,
    parameters: run.echo,
    report_type: run.report.id,
    result:
      run.status === 'succeeded'
        ? {
            id: run.fileId,
            object: 'file',
            created: finished,
            expires_at: (finished ?? 0) + FILE_TTL_SEC,
            filename: `${run.id}.csv`,
            links: null,
            purpose: 'finance_report_run',
            size: (run.size ?? 0) + (ctx.state.faults.sizeSkewBytes ?? 0),
            title: null,
            type: 'csv',
            url: `${ctx.baseUrl()}/v1/files/${run.fileId}/contents`,
          }
        : null,
    status: run.status === 'running' ? 'pending' : run.status,
    succeeded_at: run.status === 'succeeded' ? finished : null,
  };
}

/** The run behind a v1 file, if this key may read it (same mode, as with Stripe's files host). */
export function fileRun(ctx: Ctx, key: ApiKey, fileId: string): Run {
  const runId = ctx.state.fileIds.get(fileId);
  const run = runId ? ctx.state.runs.get(runId) : undefined;
  if (!run || run.livemode !== key.livemode || run.status !== 'succeeded') throw missing('file', fileId);
  return run;
}

export function getEvent(ctx: Ctx, key: ApiKey, id: string) {
  const e = ctx.events.events.get(id);
  if (!e || e.api !== 'v1' || e.livemode !== key.livemode) throw missing('event', id);
  return e.full;
}
