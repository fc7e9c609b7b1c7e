/**
 * Checks Stripe's 2xx answers against the contract (shared/STRIPE-CONTRACT.md) for the fields this
 * project reads, so an answer that breaks it fails here with the field and value named, rather
 * than as a TypeError later or, worse, as a run that looks "running" forever.
 */
import { StripeUnexpectedResponseError } from './errors.js';
import type {
  BalanceTransaction,
  BalanceTransactionPage,
  DataQueryRun,
  DataReport,
  DataReportRun,
  DataRun,
  ReportRunV1,
  ReportRunV2,
  ReportTemplate,
  ReportTypeV1,
} from './types.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

class Reader {
  constructor(
    private readonly what: string,
    private readonly noun: string,
  ) {}

  fail(problem: string): never {
    throw new StripeUnexpectedResponseError(`${this.what} answered ${this.noun} ${problem}`);
  }

  object(value: unknown, field: string): Obj {
    if (!isObj(value)) this.fail(`whose "${field}" is not an object (${shown(value)})`);
    return value;
  }

  string(o: Obj, field: string, path = field): string {
    const v = o[field];
    if (typeof v !== 'string' || v === '') this.fail(`whose "${path}" is not a non-empty string (${shown(v)})`);
    return v;
  }

  boolean(o: Obj, field: string): boolean {
    const v = o[field];
    if (typeof v !== 'boolean') this.fail(`whose "${field}" is not true or false (${shown(v)})`);
    return v;
  }

  number(o: Obj, field: string, path = field): number {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(`whose "${path}" is not a number of 0 or more (${shown(v)})`);
    return v;
  }

  /** A signed whole number, such as an amount in minor units. */
  integer(o: Obj, field: string, path = field): number {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(`whose "${path}" is not a whole number (${shown(v)})`);
    return v;
  }

  /** An int64 as Stripe's v2 APIs send it: digits in a JSON string. */
  digits(o: Obj, field: string, path = field): string {
    const v = o[field];
    if (typeof v !== 'string' || !/^\d+$/.test(v)) this.fail(`whose "${path}" is not a whole number in a string (${shown(v)})`);
    return v;
  }

  oneOf(o: Obj, field: string, allowed: readonly string[], path = field): string {
    const v = o[field];
    if (v === undefined) this.fail(`without "${path}"`);
    if (typeof v !== 'string' || !allowed.includes(v)) this.fail(`with ${path} ${shown(v)}, not one of ${allowed.join(', ')}`);
    return v;
  }
}

const V2_STATUSES = ['running', 'succeeded', 'failed'] as const;
const V1_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export function checkReportRunV2(value: Obj, what: string): ReportRunV2 {
  const r = new Reader(what, 'a report run');
  r.string(value, 'id');
  r.boolean(value, 'livemode');
  const status = r.oneOf(value, 'status', V2_STATUSES);
  if (status === 'succeeded') {
    const file = r.object(r.object(value.result, 'result').file, 'result.file');
    r.oneOf(file, 'content_type', ['csv', 'zip'], 'result.file.content_type');
    r.digits(file, 'size', 'result.file.size');
    r.string(r.object(file.download_url, 'result.file.download_url'), 'url', 'result.file.download_url.url');
  }
  if (status === 'failed') r.object(value.status_details, 'status_details');
  return value as unknown as ReportRunV2;
}

export function checkReportRunV1(value: Obj, what: string): ReportRunV1 {
  const r = new Reader(what, 'a report run');
  r.string(value, 'id');
  r.boolean(value, 'livemode');
  const status = r.oneOf(value, 'status', V1_STATUSES);
  if (status === 'succeeded') {
    const file = r.object(value.result, 'result');
    r.number(file, 'size', 'result.size');
    r.string(file, 'url', 'result.url');
  }
  return value as unknown as ReportRunV1;
}

export function checkReportTemplate(value: Obj, what: string): ReportTemplate {
  const r = new Reader(what, 'a report template');
  r.boolean(value, 'livemode');
  r.object(value.parameters, 'parameters');
  return value as unknown as ReportTemplate;
}

export function checkReportTypeV1(value: Obj, what: string): ReportTypeV1 {
  const r = new Reader(what, 'a report type');
  r.boolean(value, 'livemode');
  r.number(value, 'data_available_start');
  r.number(value, 'data_available_end');
  return value as unknown as ReportTypeV1;
}

// ---- Data API (contract section 6) ------------------------------------------------------------

/** Known statuses of a Data API run; the enum is open, so another one is refused by name, never guessed. */
export const DATA_RUN_STATUSES = ['running', 'succeeded', 'failed', 'canceled'] as const;

function checkDataRun(value: Obj, what: string, noun: string): DataRun {
  const r = new Reader(what, noun);
  r.string(value, 'id');
  r.boolean(value, 'livemode');
  const status = r.oneOf(value, 'status', DATA_RUN_STATUSES);
  const options = value.result_options;
  if (options !== undefined && options !== null) {
    const o = r.object(options, 'result_options');
    if (o.compress_file !== undefined && typeof o.compress_file !== 'boolean') r.fail(`whose "result_options.compress_file" is not true or false (${shown(o.compress_file)})`);
    if (o.compression !== undefined && typeof o.compression !== 'string') r.fail(`whose "result_options.compression" is not a string (${shown(o.compression)})`);
  }
  if (value.status_details !== undefined && value.status_details !== null) r.object(value.status_details, 'status_details');
  if (status === 'succeeded') {
    const result = r.object(value.result, 'result');
    for (const count of ['col_count', 'row_count']) if (result[count] !== undefined) r.digits(result, count, `result.${count}`);
    const file = r.object(result.file, 'result.file');
    r.oneOf(file, 'content_type', ['csv', 'zip'], 'result.file.content_type');
    r.digits(file, 'size', 'result.file.size');
    r.string(r.object(file.download_url, 'result.file.download_url'), 'url', 'result.file.download_url.url');
  }
  return value as unknown as DataRun;
}

export function checkDataReportRun(value: Obj, what: string): DataReportRun {
  return checkDataRun(value, what, 'a report run') as DataReportRun;
}

export function checkQueryRun(value: Obj, what: string): DataQueryRun {
  return checkDataRun(value, what, 'a query run') as DataQueryRun;
}

export function checkDataReport(value: Obj, what: string): DataReport {
  const r = new Reader(what, 'a report');
  r.string(value, 'id');
  r.string(value, 'name');
  r.boolean(value, 'livemode');
  // Asked for with include[]=parameters: without them nothing can be checked before a run.
  r.object(value.parameters, 'parameters');
  return value as unknown as DataReport;
}

/** `GET /v2/data/reports?name=…`: the list's reports, each checked. */
export function checkDataReportList(value: Obj, what: string): DataReport[] {
  const r: Reader = new Reader(what, 'a list');
  const data = value.data;
  if (!Array.isArray(data)) r.fail(`whose "data" is not a list (${shown(data)})`);
  return data.map((item: unknown, i) => checkDataReport(r.object(item, `data[${i}]`), what));
}

/**
 * A page of `GET /v1/balance_transactions`: `data` and `has_more`, and of each transaction the
 * fields the tie-out adds up (Stripe's documented list shape; any other field is ignored).
 */
export function checkBalanceTransactionPage(value: Obj, what: string): BalanceTransactionPage {
  const r = new Reader(what, 'a list of balance transactions');
  const hasMore = r.boolean(value, 'has_more');
  if (!Array.isArray(value.data)) r.fail(`whose "data" is not an array (${shown(value.data)})`);
  const data = (value.data as unknown[]).map((item, i): BalanceTransaction => {
    const t = r.object(item, `data[${i}]`);
    const at = (f: string) => `data[${i}].${f}`;
    return {
      id: r.string(t, 'id', at('id')),
      amount: r.integer(t, 'amount', at('amount')),
      fee: r.integer(t, 'fee', at('fee')),
      net: r.integer(t, 'net', at('net')),
      currency: r.string(t, 'currency', at('currency')).toLowerCase(),
      reporting_category: r.string(t, 'reporting_category', at('reporting_category')),
      created: r.integer(t, 'created', at('created')),
      ...(typeof t.type === 'string' ? { type: t.type } : {}),
    };
  });
  if (hasMore && data.length === 0) r.fail('with has_more true and no data: there is no cursor to continue from');
  return { data, has_more: hasMore };
}
