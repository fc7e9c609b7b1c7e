/**
 * Report parameters: validated against the template exactly as the contract demands (every
 * violation is a 400 naming the parameter and the value) and normalised into the file spec that
 * makes the CSV. v1 and v2 normalise to the same spec, so the same interval gives the same bytes.
 */
import { IANAZone } from 'luxon';
import type { CatalogReport, ParameterSpec } from './catalog.js';
import type { CsvSpec } from './csv.js';
import { ApiError, canonical, invalidFields, type FormValue } from './http.js';
import { ledgerAccountOf, ledgerSeed } from './ledger.js';
import { seedOf } from './prng.js';

const LEDGER_GENERATORS: readonly string[] = ['balance_summary', 'activity_itemized', 'activity_summary'];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const CURRENCY = /^[a-zA-Z]{3}$/;
const ACCOUNT = /^acct_[A-Za-z0-9]+$/;

/** The selection of data a run covers, whichever API asked for it. */
export interface Selection {
  startMs: number;
  endMs: number;
  columns?: string[];
  currency?: string;
  connectedAccount?: string;
  granularity?: string;
  timezone?: string;
}

const allowedOf = (d: ParameterSpec['enum_details']) => (d ? d.allowed_values : null);
const show = (v: unknown) => JSON.stringify(v);

/** v2 and the Data API: returns the parameters as echoed and the selection they make. */
export function validateV2(
  report: CatalogReport,
  raw: unknown,
  avail: { start: Date; end: Date },
  /** The body field holding the parameters: v2's report_parameters, the Data API's parameters. */
  prefix = 'report_parameters',
): { echo: Record<string, string | string[]>; selection: Selection } {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidFields(prefix, `${prefix} must be an object of parameter name to value.`);
  }
  const params = raw as Record<string, unknown>;
  const field = (n: string) => `${prefix}.${n}`;
  for (const name of Object.keys(params)) {
    if (!report.parameters[name]) {
      throw invalidFields(field(name), `Unknown parameter ${name} (value ${show(params[name])}) for report ${report.id}; it accepts ${Object.keys(report.parameters).join(', ')}.`);
    }
  }
  const echo: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(report.parameters)) {
    const v = params[name];
    if (v === undefined || v === null) {
      if (spec.required) throw invalidFields(field(name), `Missing required parameter ${name} for report ${report.id}.`);
      continue;
    }
    switch (spec.type) {
      case 'timestamp': {
        if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) {
          throw invalidFields(field(name), `Parameter ${name} must be an RFC 3339 timestamp, got ${show(v)}.`);
        }
        const t = Date.parse(v);
        if (t < avail.start.getTime() || t > avail.end.getTime()) {
          throw invalidFields(field(name), `Parameter ${name} ${v} is outside the data available for ${report.id}: [${avail.start.toISOString()}, ${avail.end.toISOString()}].`);
        }
        break;
      }
      case 'enum': {
        const allowed = allowedOf(spec.enum_details);
        if (typeof v !== 'string' || (allowed && !allowed.includes(v))) {
          throw invalidFields(field(name), `Parameter ${name} must be one of ${allowed?.join(', ') ?? 'a string'}, got ${show(v)}.`);
        }
        break;
      }
      case 'array': {
        const allowed = spec.array_details ? allowedOf(spec.array_details.enum_details) : null;
        if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')) {
          throw invalidFields(field(name), `Parameter ${name} must be a non-empty array of strings, got ${show(v)}.`);
        }
        const bad = allowed ? v.find((x) => !allowed.includes(x)) : undefined;
        if (bad !== undefined) throw invalidFields(field(name), `Parameter ${name} has value ${show(bad)} not among ${allowed!.join(', ')}.`);
        break;
      }
      default:
        if (typeof v !== 'string' || v === '') throw invalidFields(field(name), `Parameter ${name} must be a non-empty string, got ${show(v)}.`);
    }
    echo[name] = v as string | string[];
  }
  const selection = select(report, {
    start: echo.interval_start as string | undefined,
    end: echo.interval_end as string | undefined,
    columns: echo.columns as string[] | undefined,
    currency: echo.currency as string | undefined,
    connectedAccount: echo.connected_account as string | undefined,
    granularity: echo.organization_report_granularity as string | undefined,
    avail,
    field,
  });
  return { echo, selection };
}

/** Checks shared by both APIs, then the normalised selection. */
function select(
  report: CatalogReport,
  p: {
    start?: string | number;
    end?: string | number;
    columns?: string[];
    currency?: string;
    connectedAccount?: string;
    granularity?: string;
    timezone?: string;
    avail: { start: Date; end: Date };
    field: (n: string) => string;
  },
): Selection {
  const toMs = (v: string | number | undefined, dflt: Date) =>
    v === undefined ? dflt.getTime() : typeof v === 'number' ? v * 1000 : Date.parse(v);
  const startMs = toMs(p.start, p.avail.start);
  const endMs = toMs(p.end, p.avail.end);
  if (endMs <= startMs) {
    throw invalidFields(p.field('interval_end'), `interval_end (${show(p.end)}) must be after interval_start (${show(p.start)}).`);
  }
  if (p.currency !== undefined && !CURRENCY.test(p.currency)) {
    throw invalidFields(p.field('currency'), `currency must be a three-letter ISO code, got ${show(p.currency)}.`);
  }
  if (p.connectedAccount !== undefined && !ACCOUNT.test(p.connectedAccount)) {
    throw invalidFields(p.field('connected_account'), `connected_account must be an account id (acct_...), got ${show(p.connectedAccount)}.`);
  }
  return {
    startMs,
    endMs,
    columns: p.columns ? [...new Set(p.columns)] : undefined,
    currency: p.currency?.toLowerCase(),
    connectedAccount: p.connectedAccount,
    granularity: p.granularity,
    timezone: p.timezone,
  };
}

const V1_PARAMS = ['interval_start', 'interval_end', 'timezone', 'columns', 'connected_account', 'currency', 'payout', 'reporting_category'];

/** v1: form parameters (Unix seconds); returns the echo Stripe gives back and the selection. */
export function validateV1(
  report: CatalogReport,
  raw: FormValue | undefined,
  avail: { start: Date; end: Date },
): { echo: Record<string, unknown>; selection: Selection } {
  const field = (n: string) => `parameters[${n}]`;
  if (raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) throw v1Invalid('parameters', 'parameters must be a hash.');
  const params = (raw ?? {}) as Record<string, FormValue>;
  const echo: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(params)) {
    if (!V1_PARAMS.includes(name)) throw v1Invalid(field(name), `Received unknown parameter: parameters[${name}]`);
    // Only reports whose template has columns / connected_account accept them.
    if ((name === 'columns' || name === 'connected_account') && !report.parameters[name]) {
      throw v1Invalid(field(name), `Report type ${report.id} does not accept parameters[${name}].`);
    }
    if (name === 'columns') {
      const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : null;
      if (!list || list.length === 0 || list.some((c) => typeof c !== 'string' || !report.columns.includes(c))) {
        throw v1Invalid(field(name), `Invalid columns ${show(v)} for ${report.id}; available: ${report.columns.join(', ')}.`);
      }
      echo.columns = list;
      continue;
    }
    if (typeof v !== 'string') throw v1Invalid(field(name), `Invalid parameters[${name}]: must be a string.`);
    echo[name] = v;
  }
  const startSec = Math.floor(avail.start.getTime() / 1000);
  const endSec = Math.floor(avail.end.getTime() / 1000);
  for (const name of ['interval_start', 'interval_end'] as const) {
    if (echo[name] === undefined) {
      echo[name] = name === 'interval_start' ? startSec : endSec;
      continue;
    }
    const s = echo[name] as string;
    if (!/^\d+$/.test(s)) throw v1Invalid(field(name), `Invalid integer: ${s}`);
    const n = Number(s);
    if (n < startSec || n > endSec) {
      throw v1Invalid(field(name), `parameters[${name}] ${n} must be within data_available_start ${startSec} and data_available_end ${endSec} of ${report.id}.`);
    }
    echo[name] = n;
  }
  if (echo.timezone !== undefined && !IANAZone.isValidZone(echo.timezone as string)) {
    throw v1Invalid(field('timezone'), `Invalid timezone: ${show(echo.timezone)}.`);
  }
  let selection: Selection;
  try {
    selection = select(report, {
      start: echo.interval_start as number,
      end: echo.interval_end as number,
      columns: echo.columns as string[] | undefined,
      currency: echo.currency as string | undefined,
      connectedAccount: echo.connected_account as string | undefined,
      timezone: echo.timezone as string | undefined,
      avail,
      field,
    });
  } catch (err) {
    // v1 errors carry no code of v2's vocabulary: restate as a plain invalid_request_error.
    if (err instanceof ApiError) throw v1Invalid(err.param ?? 'parameters', err.message);
    throw err;
  }
  return { echo, selection };
}

const v1Invalid = (param: string, message: string) => new ApiError(400, 'invalid_request_error', 'parameter_invalid', message, param);

/** The file a run produces: same selection and account, same bytes (the run id is not an input). */
export function csvSpecFor(
  report: CatalogReport,
  sel: Selection,
  who: { livemode: boolean; context: string | null; organization?: boolean },
  size: { rows: number; bytes?: number },
): CsvSpec {
  // The balance reports read the account's ledger for the interval (./ledger.ts): their seed names
  // the account, interval and mode, not the report, so they agree with each other and with
  // GET /v1/balance_transactions; a currency filters the ledger rather than making another one.
  const account = ledgerAccountOf({ context: who.context, connectedAccount: sel.connectedAccount, granularity: sel.granularity, organization: who.organization });
  const seed = LEDGER_GENERATORS.includes(report.generator)
    ? ledgerSeed(account, sel.startMs, sel.endMs, who.livemode)
    : seedOf(
        canonical({
          report: report.id,
          start: sel.startMs,
          end: sel.endMs,
          currency: sel.currency,
          account: sel.connectedAccount,
          granularity: sel.granularity,
          context: who.context,
          livemode: who.livemode,
        }),
      );
  return {
    generator: report.generator,
    columns: sel.columns ?? report.default_columns,
    seed,
    intervalStart: sel.startMs,
    intervalEnd: sel.endMs,
    currency: sel.currency,
    rows: size.rows,
    bytes: size.bytes,
    timezone: sel.timezone,
    bom: report.format?.bom,
    crlf: report.format?.crlf,
  };
}
