/**
 * The Data API (`/v2/data`, contract section 6): report templates derived from the catalog (names
 * without the version suffix), report runs on the same files as v2, and query runs whose SQL is
 * parsed for real (the result's columns come from its SELECT list). Runs share the v1/v2
 * machinery: the running cap, idempotency, faults, signed downloads, thin events.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CatalogReport, ParameterSpec } from './catalog.js';
import type { Ctx } from './ctx.js';
import { canonical, invalidFields } from './http.js';
import type { ApiKey } from './keys.js';
import { csvSpecFor, validateV2 } from './params.js';
import { seedOf } from './prng.js';
import { planQuery, reportColumnType } from './query.js';
import type { DataRun, Run } from './state.js';
import { checkAccessible, checkAccountScope, checkWritable, contextOf, nanoIso, notFound, resultFile } from './v2.js';

const DATASETS = ['analytical'];

/** A Data API report: the newest version of each catalog report, named without its suffix. */
interface DataReport {
  id: string;
  name: string;
  report: CatalogReport;
}

function dataReports(ctx: Ctx): DataReport[] {
  const byName = new Map<string, CatalogReport>();
  for (const r of ctx.state.catalog.reports) {
    const name = r.id.replace(/\.\d+$/, '');
    const seen = byName.get(name);
    if (!seen || versionOf(r) > versionOf(seen)) byName.set(name, r);
  }
  return [...byName].map(([name, report]) => ({ id: `rpt_${createHash('sha256').update(name).digest('hex').slice(0, 24)}`, name, report }));
}

const versionOf = (r: CatalogReport) => Number(/\.(\d+)$/.exec(r.id)?.[1] ?? 0);

function includes(query: URLSearchParams): Set<string> {
  const inc = new Set([...query.getAll('include[]'), ...query.getAll('include')]);
  for (const v of inc) if (v !== 'parameters') throw invalidFields('include', `Unknown include ${JSON.stringify(v)}; reports accept include[]=parameters.`);
  return inc;
}

function template(d: DataReport, livemode: boolean, withParameters: boolean) {
  const out: Record<string, unknown> = { id: d.id, object: 'v2.data.report', name: d.name, description: d.report.name, livemode };
  if (withParameters) {
    out.parameters = Object.fromEntries(Object.entries(d.report.parameters).map(([name, p]) => [name, parameter(p)]));
  }
  return out;
}

/** Only the details a parameter's type uses are present (the Data API omits the others). */
function parameter(p: ParameterSpec) {
  const out: Record<string, unknown> = { description: p.description ?? '', required: p.required === true, type: p.type };
  if (p.type === 'enum' && p.enum_details) out.enum_details = { allowed_values: p.enum_details.allowed_values };
  if (p.type === 'array' && p.array_details) {
    const a = p.array_details;
    out.array_details = { element_type: a.element_type, ...(a.enum_details ? { enum_details: { allowed_values: a.enum_details.allowed_values } } : {}) };
  }
  return out;
}

export function listReports(ctx: Ctx, key: ApiKey, query: URLSearchParams) {
  const inc = includes(query);
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidFields('limit', `limit must be an integer from 1 to 1000, got ${JSON.stringify(rawLimit)}.`);
  const page = query.get('page');
  const offset = page === null ? 0 : Number(Buffer.from(page, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw invalidFields('page', 'page is not a page token this API gave out.');
  const name = query.get('name');
  const all = dataReports(ctx).filter((d) => name === null || d.name === name);
  const next = new URLSearchParams();
  if (name !== null) next.set('name', name);
  for (const v of inc) next.append('include[]', v);
  next.set('limit', String(limit));
  next.set('page', Buffer.from(String(offset + limit)).toString('base64url'));
  return {
    data: all.slice(offset, offset + limit).map((d) => template(d, key.livemode, inc.has('parameters'))),
    next_page_url: offset + limit < all.length ? `/v2/data/reports?${next}` : null,
  };
}

export function getReport(ctx: Ctx, key: ApiKey, id: string, query: URLSearchParams) {
  const inc = includes(query);
  const d = dataReports(ctx).find((x) => x.id === id);
  if (!d) throw notFound('report', id);
  return template(d, key.livemode, inc.has('parameters'));
}

function checkFields(body: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw invalidFields(k, `Unknown field ${k}; this endpoint accepts ${allowed.join(', ')}.`);
  if (body.format !== 'csv') throw invalidFields('format', `format must be "csv", got ${JSON.stringify(body.format)}.`);
}

/** `{compress_file: bool}`; the docs' `{compression: "none" | "zip"}` is read too, other fields ignored. */
function compressOf(body: Record<string, unknown>): boolean {
  const ro = body.result_options;
  if (ro === undefined || ro === null) return false;
  if (typeof ro !== 'object' || Array.isArray(ro)) throw invalidFields('result_options', 'result_options must be an object.');
  const { compress_file: cf, compression } = ro as { compress_file?: unknown; compression?: unknown };
  if (cf !== undefined && typeof cf !== 'boolean') throw invalidFields('result_options.compress_file', `compress_file must be a boolean, got ${JSON.stringify(cf)}.`);
  if (compression !== undefined && compression !== 'none' && compression !== 'zip') {
    throw invalidFields('result_options.compression', `compression must be "none" or "zip", got ${JSON.stringify(compression)}.`);
  }
  return cf === true || (cf === undefined && compression === 'zip');
}

function findReport(ctx: Ctx, ref: unknown): DataReport {
  if (!ref || typeof ref !== 'object' || Array.isArray(ref)) throw invalidFields('report', 'report must be {"id": "rpt_…"} or {"name": "balance.summary"}.');
  const { id, name } = ref as { id?: unknown; name?: unknown };
  if ((id === undefined) === (name === undefined) || (id !== undefined && typeof id !== 'string') || (name !== undefined && typeof name !== 'string')) {
    throw invalidFields('report', 'report must have exactly one of id and name, a string.');
  }
  const d = dataReports(ctx).find((x) => (id !== undefined ? x.id === id : x.name === name));
  if (!d) throw notFound('report', String(id ?? name));
  return d;
}

/** The fields every Data API run shares when it starts. */
function runBase(key: ApiKey, prefix: string, context: string | null, idempotencyKey: string | null) {
  const now = Date.now();
  return {
    id: `${prefix}_${randomBytes(12).toString('hex')}`,
    api: 'data' as const,
    livemode: key.livemode,
    keyId: key.id,
    createdMs: now,
    createdIso: nanoIso(now),
    context,
    idempotencyKey,
  };
}

/** What every create checks first; answers the Stripe-Context and whether to compress. */
function checkCreate(ctx: Ctx, key: ApiKey, req: IncomingMessage, body: Record<string, unknown>, permission: string, fields: string[]) {
  checkWritable(key, permission);
  const context = contextOf(req);
  checkAccessible(ctx, [context]);
  checkFields(body, fields);
  return { context, compress: compressOf(body) };
}

function started(ctx: Ctx, run: Run) {
  ctx.events.runCreated(run);
  return renderRun(ctx, run);
}

export function createReportRun(ctx: Ctx, key: ApiKey, req: IncomingMessage, body: Record<string, unknown>, idempotencyKey: string | null) {
  const { context, compress } = checkCreate(ctx, key, req, body, 'data_reports_write', ['report', 'parameters', 'format', 'result_options']);
  const d = findReport(ctx, body.report);
  const { echo, selection } = validateV2(d.report, body.parameters, ctx.state.availability(d.report), 'parameters');
  checkAccountScope(ctx, key, context, d.report, selection, 'parameters');
  const csv = csvSpecFor(d.report, selection, { livemode: key.livemode, context, organization: key.organization }, { rows: ctx.state.config.rowsPerRun, bytes: ctx.state.config.bytesPerRun });
  const data: DataRun = { kind: 'report', name: d.name, reportId: d.id, columns: csv.columns.map((name) => ({ name, type: reportColumnType(name) })) };
  const run = ctx.state.start({
    ...runBase(key, 'rrun', context, idempotencyKey),
    report: d.report,
    echo,
    compress,
    connectedAccount: selection.connectedAccount ?? null,
    csv,
    data,
  });
  return started(ctx, run);
}

export function createQueryRun(ctx: Ctx, key: ApiKey, req: IncomingMessage, body: Record<string, unknown>, idempotencyKey: string | null) {
  const { context, compress } = checkCreate(ctx, key, req, body, 'data_queries_write', ['dataset', 'format', 'query', 'result_options']);
  if (typeof body.dataset !== 'string' || !DATASETS.includes(body.dataset)) {
    throw invalidFields('dataset', `dataset must be one of ${DATASETS.join(', ')}, got ${JSON.stringify(body.dataset)}.`);
  }
  const q = body.query as { sql?: unknown } | undefined;
  if (!q || typeof q !== 'object' || Array.isArray(q) || typeof q.sql !== 'string' || !q.sql.trim()) {
    throw invalidFields('query.sql', 'query must be {"sql": "<a SELECT>"}.');
  }
  for (const k of Object.keys(q)) if (k !== 'sql') throw invalidFields(`query.${k}`, `Unknown field query.${k}.`);
  if (key.organization && !context) throw invalidFields('Stripe-Context', 'Query runs with an organization key need Stripe-Context naming the account to query.');
  const sql = q.sql;

  // Invalid SQL is not refused here: Stripe creates the run, which then fails query_run_invalid_sql.
  const plan = planQuery(sql);
  const columns = plan.ok ? plan.columns : [];
  const report: CatalogReport = {
    id: body.dataset,
    name: `Query on the ${body.dataset} dataset`,
    generator: 'query_result',
    columns: columns.map((c) => c.name),
    default_columns: columns.map((c) => c.name),
    parameters: {},
  };
  const avail = ctx.state.availability(report);
  const interval = (plan.ok && plan.interval) || { start: avail.start.getTime(), end: avail.end.getTime() };
  const run = ctx.state.start({
    ...runBase(key, 'qrun', context, idempotencyKey),
    report,
    echo: {},
    compress,
    connectedAccount: null,
    csv: {
      generator: 'query_result',
      columns: report.columns,
      queryColumns: columns,
      seed: seedOf(canonical({ sql, context, livemode: key.livemode })),
      intervalStart: interval.start,
      intervalEnd: interval.end,
      rows: plan.ok && plan.allAggregates ? 1 : ctx.state.config.rowsPerRun,
      bytes: ctx.state.config.bytesPerRun,
    },
    data: { kind: 'query', sql, dataset: body.dataset, columns, ...(plan.ok ? {} : { invalidSql: plan.message }) },
  });
  return started(ctx, run);
}

function getRun(ctx: Ctx, key: ApiKey, id: string, kind: 'report' | 'query') {
  const run = ctx.state.runs.get(id);
  if (!run || run.data?.kind !== kind || run.livemode !== key.livemode) throw notFound(`${kind} run`, id);
  return renderRun(ctx, run);
}

export const getReportRun = (ctx: Ctx, key: ApiKey, id: string) => getRun(ctx, key, id, 'report');
export const getQueryRun = (ctx: Ctx, key: ApiKey, id: string) => getRun(ctx, key, id, 'query');

/** The run as the Data API shows it; `status_details` and `result` only when they say something. */
export function renderRun(ctx: Ctx, run: Run): Record<string, unknown> {
  const data = run.data!;
  const out: Record<string, unknown> = {
    id: run.id,
    object: data.kind === 'query' ? 'v2.data.query_run' : 'v2.data.report_run',
    created: run.createdIso,
    livemode: run.livemode,
    status: run.status,
  };
  if (run.failure) out.status_details = { code: run.failure.code, message: run.failure.message };
  if (data.canceled) {
    const { atMs, code, message } = data.canceled;
    out.status_details = { ...(code ? { code } : {}), ...(message ? { message } : {}), canceled_at: new Date(atMs).toISOString() };
  }
  if (run.status === 'succeeded') {
    out.result = {
      col_count: String(data.columns.length),
      row_count: String(data.rowCount ?? 0),
      file: { columns: data.columns.map(({ name, type }) => ({ name, type })), ...resultFile(ctx, run) },
    };
  }
  out.result_options = { compress_file: run.compress };
  if (data.kind === 'query') Object.assign(out, { dataset: data.dataset, format: 'csv', query: { sql: data.sql } });
  else {
    Object.assign(out, {
      report: data.reportId,
      name: data.name,
      parameters: run.echo,
      refreshed_at: ctx.state.availability(run.report).end.toISOString(),
    });
  }
  return out;
}
