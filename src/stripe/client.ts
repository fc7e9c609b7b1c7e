/**
 * The Stripe reporting client: v2 (`/v2/reporting`, JSON), v1 (`/v1/reporting`, form-encoded), the
 * Data API (`/v2/data`, JSON: reports and SQL query runs) and v1 balance transactions (the ledger
 * the reports tie out to), on undici. It sets the headers Stripe needs (Authorization,
 * Stripe-Version, Stripe-Context, Stripe-Account, Idempotency-Key), maps every failure to
 * ./errors.ts, and never lets the key into a message.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { ReportsError } from '../domain/errors.js';
import { errorFromResponse, StripeApiError, StripeInvalidRequestError, StripeUnexpectedResponseError } from './errors.js';
import { isOrganizationKey, redactSecrets } from './keys.js';
import {
  checkBalanceTransactionPage,
  checkDataReport,
  checkDataReportList,
  checkDataReportRun,
  checkQueryRun,
  checkReportRunV1,
  checkReportRunV2,
  checkReportTemplate,
  checkReportTypeV1,
} from './response-shape.js';
import type {
  BalanceTransaction,
  BalanceTransactionQuery,
  CreateDataReportRun,
  CreateQueryRun,
  CreateReportRunV1,
  DataQueryRun,
  DataReport,
  DataReportRun,
  CreateReportRunV2,
  ReportRunV1,
  ReportRunV2,
  ReportTemplate,
  ReportTypeV1,
} from './types.js';

export interface StripeClientOptions {
  apiKey: string;
  /** `https://api.stripe.com`, or the emulator's address. */
  baseUrl?: string;
  /** Stripe's successor API lives under `/v2/data`: keep the prefix a setting. */
  v2Prefix?: string;
  /** Preview version for v2 calls. */
  v2Version?: string;
  /** Version for v1 calls; unset uses the account's default. */
  v1Version?: string;
  /** Preview version for Data API calls (`/v2/data`); Stripe has not confirmed it, so it is a setting. */
  dataVersion?: string;
  timeoutMs?: number;
  /** The largest API answer read (default 1 MiB; a run or template is a few KB): a bigger one is refused unread. */
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
  /** Told of every answer (the worker counts them in its metrics; this room knows nothing of metrics). */
  observe?: (answer: StripeAnswer) => void;
}

/** One request's answer, as `observe` and `onAnswer` see it. Never a key, a URL or a body. */
export interface StripeAnswer {
  /** `data` for the Data API (`/v2/data`), `files` for result file downloads. */
  api: 'v1' | 'v2' | 'data' | 'files';
  /** The HTTP status; undefined when Stripe could not be reached. */
  status?: number;
  /** Stripe answered from its idempotency cache (`Idempotent-Replayed: true`): nothing new was done. */
  idempotentReplayed: boolean;
}

export interface CallOptions {
  /** `Stripe-Context`: the account an organization key acts on (an account, or `platform/connected`). */
  context?: string;
  /** `Stripe-Account`: the connected account a platform's own key acts on (v1 calls). */
  account?: string;
  idempotencyKey?: string;
  /** Told of this call's answer (e.g. whether a create was an idempotent replay). */
  onAnswer?: (answer: StripeAnswer) => void;
}

export const DEFAULT_BASE_URL = 'https://api.stripe.com';
export const DEFAULT_V2_PREFIX = '/v2/reporting';
export const DEFAULT_V2_VERSION = '2025-07-03.preview';
export const DEFAULT_DATA_VERSION = '2026-10-28.preview';
export const DATA_PREFIX = '/v2/data';

/**
 * A Data API report is named by its name (`balance.summary`, always dotted) or its id: the
 * configuration's `report:` is taken as a name when it holds a dot, else as an id.
 */
export function isDataReportName(nameOrId: string): boolean {
  return nameOrId.includes('.');
}

/** The path that reads a Data API report with its parameters, by id or by name (a list filtered by name). */
export function dataReportPath(nameOrId: string): string {
  return isDataReportName(nameOrId)
    ? `${DATA_PREFIX}/reports?${new URLSearchParams({ name: nameOrId, 'include[]': 'parameters' })}`
    : `${DATA_PREFIX}/reports/${encodeURIComponent(nameOrId)}?${new URLSearchParams({ 'include[]': 'parameters' })}`;
}
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

type Body = { kind: 'json'; value: unknown } | { kind: 'form'; value: URLSearchParams };

/** Checks a 2xx answer's JSON object against the contract; see ./response-shape.ts. */
type Check<T> = (value: Record<string, unknown>, what: string) => T;

export class StripeClient {
  readonly baseUrl: string;
  /** An organization key (`sk_org_…`) acts on accounts named by Stripe-Context. */
  readonly organizationKey: boolean;
  private readonly apiKey: string;
  private readonly v2Prefix: string;
  private readonly v2Version: string;
  private readonly v1Version?: string;
  private readonly dataVersion: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly observe?: (answer: StripeAnswer) => void;

  constructor(options: StripeClientOptions) {
    this.apiKey = options.apiKey;
    this.organizationKey = isOrganizationKey(options.apiKey);
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/$/, '');
    this.v2Prefix = options.v2Prefix ?? DEFAULT_V2_PREFIX;
    this.v2Version = options.v2Version ?? DEFAULT_V2_VERSION;
    this.v1Version = options.v1Version;
    this.dataVersion = options.dataVersion ?? DEFAULT_DATA_VERSION;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
    this.observe = options.observe;
  }

  // ---- v2 -------------------------------------------------------------------------------

  getReport(id: string, opts: CallOptions = {}): Promise<ReportTemplate> {
    return this.call('GET', `${this.v2Prefix}/reports/${encodeURIComponent(id)}`, 'v2', undefined, opts, checkReportTemplate);
  }

  createReportRun(body: CreateReportRunV2, opts: CallOptions = {}): Promise<ReportRunV2> {
    return this.call('POST', `${this.v2Prefix}/report_runs`, 'v2', { kind: 'json', value: body }, opts, checkReportRunV2);
  }

  getReportRun(id: string, opts: CallOptions = {}): Promise<ReportRunV2> {
    return this.call('GET', `${this.v2Prefix}/report_runs/${encodeURIComponent(id)}`, 'v2', undefined, opts, checkReportRunV2);
  }

  // ---- v1 -------------------------------------------------------------------------------

  getReportType(id: string, opts: CallOptions = {}): Promise<ReportTypeV1> {
    return this.call('GET', `/v1/reporting/report_types/${encodeURIComponent(id)}`, 'v1', undefined, opts, checkReportTypeV1);
  }

  createReportRunV1(body: CreateReportRunV1, opts: CallOptions = {}): Promise<ReportRunV1> {
    return this.call('POST', '/v1/reporting/report_runs', 'v1', { kind: 'form', value: toForm(body) }, opts, checkReportRunV1);
  }

  getReportRunV1(id: string, opts: CallOptions = {}): Promise<ReportRunV1> {
    return this.call('GET', `/v1/reporting/report_runs/${encodeURIComponent(id)}`, 'v1', undefined, opts, checkReportRunV1);
  }

  // ---- Data API (/v2/data) -------------------------------------------------------------

  /** A report with its parameters, by id, or by name (the first report of that name the list holds). */
  async getDataReport(nameOrId: string, opts: CallOptions = {}): Promise<DataReport> {
    const path = dataReportPath(nameOrId);
    if (!isDataReportName(nameOrId)) return this.call('GET', path, 'data', undefined, opts, checkDataReport);
    const reports = await this.call('GET', path, 'data', undefined, opts, checkDataReportList);
    const found = reports.find((r) => r.name === nameOrId);
    if (!found) {
      const others = reports.map((r) => r.name).slice(0, 5);
      throw new StripeInvalidRequestError(
        `report: Data API report "${nameOrId}" not found: GET ${path} listed ${others.length > 0 ? `only ${others.join(', ')}` : 'no report of that name'}`,
        { status: 404, code: 'not_found' },
      );
    }
    return found;
  }

  createDataReportRun(body: CreateDataReportRun, opts: CallOptions = {}): Promise<DataReportRun> {
    return this.call('POST', `${DATA_PREFIX}/report_runs`, 'data', { kind: 'json', value: body }, opts, checkDataReportRun);
  }

  getDataReportRun(id: string, opts: CallOptions = {}): Promise<DataReportRun> {
    return this.call('GET', `${DATA_PREFIX}/report_runs/${encodeURIComponent(id)}`, 'data', undefined, opts, checkDataReportRun);
  }

  createQueryRun(body: CreateQueryRun, opts: CallOptions = {}): Promise<DataQueryRun> {
    return this.call('POST', `${DATA_PREFIX}/query_runs`, 'data', { kind: 'json', value: body }, opts, checkQueryRun);
  }

  getQueryRun(id: string, opts: CallOptions = {}): Promise<DataQueryRun> {
    return this.call('GET', `${DATA_PREFIX}/query_runs/${encodeURIComponent(id)}`, 'data', undefined, opts, checkQueryRun);
  }

  // ---- balance transactions (the ledger tie-out) --------------------------------------------

  /**
   * Every balance transaction created in [createdGte, createdLt), newest first, as Stripe lists
   * them: pages of 100 followed with `starting_after` until `has_more` is false. The account is
   * the call's (`context` / `account`, see stripe/balance-transactions-request.ts).
   *
   * A page that fails with a retryable error (429, 5xx, connection) is asked again, honouring
   * `Retry-After`, up to `pageAttempts` times in all: a GET changes nothing, and one bad page must
   * not send a long listing back to its first page. Other errors end the listing.
   */
  async *listBalanceTransactions(
    query: BalanceTransactionQuery,
    opts: CallOptions & { pageAttempts?: number; retryDelayMs?: number } = {},
  ): AsyncGenerator<BalanceTransaction> {
    let after: string | undefined;
    for (;;) {
      const params = new URLSearchParams({ 'created[gte]': String(query.createdGte), 'created[lt]': String(query.createdLt), limit: '100' });
      if (after) params.set('starting_after', after);
      const path = `/v1/balance_transactions?${params}`;
      const page = await retryingPage(() => this.call('GET', path, 'v1', undefined, opts, checkBalanceTransactionPage), opts.pageAttempts ?? 4, opts.retryDelayMs ?? 500);
      yield* page.data;
      if (!page.has_more) return;
      after = page.data.at(-1)!.id;
    }
  }

  // ---- files ----------------------------------------------------------------------------

  /**
   * Opens a result file as a stream. v2 URLs are pre-signed and must not carry the key; v1 file
   * URLs need the same key. The caller consumes or destroys the body.
   */
  async openFile(
    url: string,
    opts: { withKey: boolean; offset?: number },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Dispatcher.ResponseData['body'] }> {
    const headers: Record<string, string> = {};
    if (opts.withKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (opts.offset) headers.range = `bytes=${opts.offset}-`;
    try {
      const res = await request(url, {
        method: 'GET',
        headers,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      this.answered({ api: 'files', status: res.statusCode, idempotentReplayed: false });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      this.answered({ api: 'files', idempotentReplayed: false });
      throw new StripeApiError(`download from ${new URL(url).host} failed: ${describe(err)}`);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  // ---- transport ------------------------------------------------------------------------

  /** Tells the observers; an observer that throws must not fail the call. */
  private answered(answer: StripeAnswer, opts?: CallOptions): void {
    for (const tell of [this.observe, opts?.onAnswer]) {
      try {
        tell?.(answer);
      } catch {
        // a metric is not worth a failed Stripe call
      }
    }
  }

  private async call<T>(method: 'GET' | 'POST', path: string, api: 'v1' | 'v2' | 'data', body: Body | undefined, opts: CallOptions, check: Check<T>): Promise<T> {
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' };
    const version = api === 'v2' ? this.v2Version : api === 'data' ? this.dataVersion : this.v1Version;
    if (version) headers['stripe-version'] = version;
    if (opts.context) headers['stripe-context'] = opts.context;
    if (opts.account) headers['stripe-account'] = opts.account;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    let payload: string | undefined;
    if (body?.kind === 'json') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.value);
    } else if (body?.kind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = body.value.toString();
    }

    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      this.answered({ api, idempotentReplayed: false }, opts);
      throw new StripeApiError(`${what} could not reach Stripe: ${describe(err)}`);
    }
    const answer = headerGetter(res.headers);
    this.answered({ api, status: res.statusCode, idempotentReplayed: answer.get('idempotent-replayed') === 'true' }, opts);
    try {
      return this.parse(res.statusCode, answer, await this.read(res, answer, what), what, check);
    } catch (err) {
      // Stripe (or a proxy in front of it) echoes bits of the request in messages: make sure no key survives.
      if (err instanceof ReportsError) err.message = redactSecrets(err.message);
      throw err;
    }
  }

  /** The body as text, up to maxResponseBytes: past that it stops reading (undefined), never buffering it all. */
  private async read(res: Dispatcher.ResponseData, headers: ReturnType<typeof headerGetter>, what: string): Promise<string | undefined> {
    const declared = Number(headers.get('content-length') ?? NaN);
    if (declared > this.maxResponseBytes) {
      res.body.destroy();
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxResponseBytes) return undefined; // leaving the loop destroys the body
        chunks.push(chunk);
      }
    } catch (err) {
      throw new StripeApiError(`${what} answered ${res.statusCode} but the body was cut off: ${describe(err)}`, { status: res.statusCode });
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  private parse<T>(status: number, headers: ReturnType<typeof headerGetter>, text: string | undefined, what: string, check: Check<T>): T {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const ok = status >= 200 && status < 300;
    const shownBody = () => bodyProblem(text, headers.get('content-type'), this.maxResponseBytes);
    if (!ok) {
      const error = errorFromResponse(status, parsed, headers, what);
      if (parsed === undefined) error.message += `; the body is ${shownBody()}`;
      throw error;
    }
    if (text === undefined) {
      throw new StripeUnexpectedResponseError(`${what} answered ${status} with ${shownBody()}`, { status });
    }
    if (parsed === undefined) throw new StripeApiError(`${what} answered ${status} with ${shownBody()}`, { status });
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new StripeUnexpectedResponseError(`${what} answered ${status} with JSON that is not an object (${String(text).slice(0, 40)})`, { status });
    }
    const error = (parsed as { error?: unknown }).error;
    if (error && typeof error === 'object') {
      const e = error as { code?: unknown; type?: unknown; message?: unknown };
      const cause = [e.code ?? e.type, e.message].filter((x) => typeof x === 'string' && x).join(': ') || 'no message';
      throw new StripeUnexpectedResponseError(`${what} answered ${status} with an error body (${cause.slice(0, 200)})`, { status });
    }
    return check(parsed as Record<string, unknown>, what);
  }
}

/** One page, asked again on a retryable error after Retry-After or a doubling delay (capped at 8 s). */
async function retryingPage<T>(fetchPage: () => Promise<T>, attempts: number, firstDelayMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchPage();
    } catch (err) {
      if (!(err instanceof ReportsError) || !err.retryable || attempt >= attempts) throw err;
      const delay = err.retryAfterMs ?? Math.min(8_000, firstDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** What is wrong with a body that is not JSON: empty, too large, another content type, or JSON cut short. */
function bodyProblem(text: string | undefined, contentType: string | null, limit: number): string {
  if (text === undefined) return `more than ${limit} bytes, not read (an API answer is a few KB)`;
  if (text.trim() === '') return 'an empty body';
  const start = JSON.stringify(text.slice(0, 60).replace(/\s+/g, ' '));
  const type = contentType?.split(';')[0]!.trim() || 'no content type';
  if (!/json/i.test(type)) return `${type}, not JSON (${text.length} bytes starting ${start})`;
  try {
    JSON.parse(text);
    return `JSON (${text.length} bytes)`;
  } catch (err) {
    return `JSON that does not parse, e.g. cut short (${(err as Error).message}; ${text.length} bytes starting ${start})`;
  }
}

function headerGetter(headers: Record<string, string | string[] | undefined>) {
  return {
    get(name: string): string | null {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof ReportsError) return err.message;
  const e = err as { code?: string; message?: string };
  return redactSecrets([e.code, e.message].filter(Boolean).join(' ') || String(err));
}

/** Stripe's form encoding: nested keys in brackets, arrays as `key[]`. */
export function toForm(value: object, prefix = '', form = new URLSearchParams()): URLSearchParams {
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    const key = prefix ? `${prefix}[${k}]` : k;
    if (Array.isArray(v)) for (const item of v) form.append(`${key}[]`, String(item));
    else if (typeof v === "object") toForm(v, key, form);
    else form.append(key, String(v));
  }
  return form;
}
