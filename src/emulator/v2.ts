/**
 * /v2/reporting and /v2/core/events, JSON in and out. Organization keys follow section 1.4 of the
 * contract: Stripe-Context picks one account, its absence means an organization-wide run.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { v2Template, type CatalogReport } from './catalog.js';
import type { Ctx } from './ctx.js';
import { ApiError, invalidFields } from './http.js';
import type { ApiKey } from './keys.js';
import { csvSpecFor, validateV2, type Selection } from './params.js';
import type { Run } from './state.js';

export const notFound = (what: string, id: string) => new ApiError(404, 'invalid_request_error', 'not_found', `No such ${what}: '${id}'`);

export function contextOf(req: IncomingMessage): string | null {
  const c = req.headers['stripe-context'];
  return typeof c === 'string' && c.trim() ? c.trim() : null;
}

export function checkAccessible(ctx: Ctx, accounts: (string | null | undefined)[]): void {
  const blocked = ctx.state.faults.inaccessibleAccounts ?? [];
  const hit = accounts.find((a) => a && blocked.includes(a));
  if (hit) {
    throw new ApiError(403, 'invalid_request_error', 'report_inaccessible', `This key cannot access reports for ${hit}.`);
  }
}

export function checkWritable(key: ApiKey, permission = 'reporting_write'): void {
  if (key.readonly) {
    throw new ApiError(
      403,
      'permission_error',
      'insufficient_permissions',
      `The provided key '${key.redacted}' does not have the required permissions for this endpoint. Having the '${permission}' permission would allow this request to continue.`,
    );
  }
}

/** Nanosecond-precision RFC 3339, since Stripe's v2 timestamps may carry up to nine digits. */
export function nanoIso(ms: number): string {
  const extra = String(Number(process.hrtime.bigint() % 1_000_000n)).padStart(6, '0');
  return new Date(ms).toISOString().replace('Z', `${extra}Z`);
}

/**
 * Contract 1.4, for v2 and Data API report runs: an organization-wide run of a report that can
 * aggregate must say how; connected_account with an organization key needs Stripe-Context.
 */
export function checkAccountScope(ctx: Ctx, key: ApiKey, context: string | null, report: CatalogReport, selection: Selection, prefix = 'report_parameters'): void {
  if (key.organization && !context) {
    if (report.parameters.organization_report_granularity && !selection.granularity) {
      throw invalidFields(`${prefix}.organization_report_granularity`, `Organization-wide runs of ${report.id} must set organization_report_granularity (concatenated_report or aggregated_report); or send Stripe-Context for one account.`);
    }
    if (selection.connectedAccount) {
      throw invalidFields(`${prefix}.connected_account`, `With an organization key, connected_account ${selection.connectedAccount} needs Stripe-Context naming its platform account.`);
    }
  }
  checkAccessible(ctx, [selection.connectedAccount]);
}

export function getReport(ctx: Ctx, key: ApiKey, id: string) {
  const report = ctx.state.findReport(id);
  if (!report) throw notFound('report', id);
  return v2Template(report, key.livemode, ctx.state.availability(report));
}

export function createRun(ctx: Ctx, key: ApiKey, req: IncomingMessage, body: Record<string, unknown>, idempotencyKey: string | null) {
  checkWritable(key);
  const context = contextOf(req);
  checkAccessible(ctx, [context]);
  for (const k of Object.keys(body)) {
    if (!['report', 'report_parameters', 'result_options'].includes(k)) throw invalidFields(k, `Unknown field ${k}.`);
  }
  if (typeof body.report !== 'string' || !body.report) throw invalidFields('report', 'report is required (a report id such as balance.summary.1).');
  const report = ctx.state.findReport(body.report);
  if (!report) throw notFound('report', body.report);
  const ro = body.result_options;
  if (ro !== undefined && ro !== null && (typeof ro !== 'object' || Array.isArray(ro))) throw invalidFields('result_options', 'result_options must be an object.');
  const compress = (ro as { compress_file?: unknown } | null | undefined)?.compress_file;
  if (compress !== undefined && typeof compress !== 'boolean') throw invalidFields('result_options.compress_file', `compress_file must be a boolean, got ${JSON.stringify(compress)}.`);
  for (const k of Object.keys((ro as object | null) ?? {})) {
    if (k !== 'compress_file') throw invalidFields(`result_options.${k}`, `Unknown result option ${k}.`);
  }

  const { echo, selection } = validateV2(report, body.report_parameters, ctx.state.availability(report));
  checkAccountScope(ctx, key, context, report, selection);

  const now = Date.now();
  const run = ctx.state.start({
    id: `reprun_${randomBytes(12).toString('hex')}`,
    api: 'v2',
    livemode: key.livemode,
    keyId: key.id,
    report,
    createdMs: now,
    createdIso: nanoIso(now),
    echo,
    compress: compress === true,
    context,
    connectedAccount: selection.connectedAccount ?? null,
    idempotencyKey,
    csv: csvSpecFor(report, selection, { livemode: key.livemode, context, organization: key.organization }, {
      rows: ctx.state.config.rowsPerRun,
      bytes: ctx.state.config.bytesPerRun,
    }),
  });
  return renderRun(ctx, run);
}

export function getRun(ctx: Ctx, key: ApiKey, id: string) {
  const run = ctx.state.runs.get(id);
  if (!run || run.api !== 'v2' || run.livemode !== key.livemode) throw notFound('report run', id);
  return renderRun(ctx, run);
}

export function getEvent(ctx: Ctx, key: ApiKey, id: string) {
  const e = ctx.events.events.get(id);
  if (!e || e.api !== 'v2' || e.livemode !== key.livemode) throw notFound('event', id);
  return e.full;
}

/** A succeeded run's file as v2 and the Data API describe it, with a freshly signed download URL. */
export function resultFile(ctx: Ctx, run: Run) {
  const expires = Math.floor(Date.now() / 1000) + ctx.state.config.downloadUrlTtlSeconds;
  return {
    content_type: run.zipPath ? 'zip' : 'csv',
    size: String((run.size ?? 0) + (ctx.state.faults.sizeSkewBytes ?? 0)),
    download_url: { url: `${ctx.baseUrl()}/files/${ctx.signer.sign(run.id, expires)}`, expires_at: new Date(expires * 1000).toISOString() },
  };
}

/** The run as the API shows it; every read of a finished run signs a fresh download URL. */
export function renderRun(ctx: Ctx, run: Run) {
  const result = run.status === 'succeeded' ? { type: 'file', file: resultFile(ctx, run) } : null;
  return {
    id: run.id,
    object: 'v2.reporting.report_run',
    created: run.createdIso,
    livemode: run.livemode,
    report: run.report.id,
    report_name: run.report.name,
    report_parameters: run.echo,
    result_options: { compress_file: run.compress },
    status: run.status,
    status_details: run.failure ? { failed: { error_code: run.failure.code, error_message: run.failure.message } } : {},
    result,
  };
}
