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
export const missing = (what: string, id: string, param = 'id') =>
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

/** What a v1 list call asks for: `limit` (1..100, default 10) and the `created` filters, in Unix seconds. */
export interface ListQuery {
  limit: number;
  created: { eq?: number; gte?: number; gt?: number; lte?: number; lt?: number };
}

/** Reads `limit` and `created`, `created[gte|gt|lte|lt]` as Stripe's v1 lists take them (400 naming the parameter otherwise). */
export function listQueryOf(query: URLSearchParams): ListQuery {
  const num = (name: string) => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v)) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', `Invalid integer: ${v}`, name);
    return Number(v);
  };
  const limit = num('limit') ?? 10;
  if (limit < 1 || limit > 100) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', 'limit must be between 1 and 100', 'limit');
  return { limit, created: { eq: num('created'), gte: num('created[gte]'), gt: num('created[gt]'), lte: num('created[lte]'), lt: num('created[lt]') } };
}

export function createdMatches(c: number, f: ListQuery['created']): boolean {
  return (f.eq === undefined || c === f.eq) && (f.gte === undefined || c >= f.gte) && (f.gt === undefined || c > f.gt) && (f.lte === undefined || c <= f.lte) && (f.lt === undefined || c < f.lt);
}

export function listRuns(ctx: Ctx, key: ApiKey, query: URLSearchParams) {
  const { limit, created } = listQueryOf(query);
  // Newest first, as Stripe lists.
  let runs = [...ctx.state.runs.values()]
    .filter((r) => r.api === 'v1' && r.livemode === key.livemode)
    .filter((r) => createdMatches(Math.floor(r.createdMs / 1000), created))
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
