/**
 * The Data API (`/v2/data`) in the client, the requests and the status mapping: paths, headers
 * and Stripe-Version as sent to a real HTTP server; reports by name or id; Stripe's documented run
 * shapes accepted (string counts, both result_options forms, canceled, unknown fields) and
 * anything else refused by name; failed and canceled runs mapped with Stripe's reasons.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dataRunStatus } from '../../src/activities/report-runs.js';
import { renderQuerySql } from '../../src/domain/sql-query.js';
import { StripeClient } from '../../src/stripe/client.js';
import { StripeInvalidRequestError, StripeUnexpectedResponseError } from '../../src/stripe/errors.js';
import { checkDataReportRun, checkQueryRun } from '../../src/stripe/response-shape.js';
import { buildDataReportRequest, buildQueryRequest, isQueryJob } from '../../src/stripe/run-request.js';
import type { DataRun } from '../../src/stripe/types.js';
import { dataJob, period } from '../helpers/data-job.js';

const KEY = 'sk_test_51DataApiKeyMustNeverLeak0000wxyz';
let server: Server;
let client: StripeClient;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let answer: (url: string) => [number, unknown] = () => [500, {}];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const [status, json] = answer(req.url!);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new StripeClient({ apiKey: KEY, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, v2Version: 'v2-version' });
});
afterAll(async () => {
  await client.close();
  server.close();
});
beforeEach(() => (seen.length = 0));

const report = { id: 'rpt_1', object: 'v2.data.report', name: 'balance.summary', description: 'x', livemode: false, parameters: { interval_start: { type: 'timestamp', required: true } }, future_field: 1 };
const queryRun = { id: 'qrun_1', object: 'v2.data.query_run', created: '2026-11-01T00:00:00.123456789Z', livemode: false, status: 'running', dataset: 'analytical', format: 'csv', query: { sql: 'SELECT 1' } };
const succeeded = (extra: Record<string, unknown> = {}, file: Record<string, unknown> = {}) => ({
  ...queryRun,
  status: 'succeeded',
  result: { col_count: '2', row_count: '10', file: { columns: [{ name: 'id', type: 'varchar' }], content_type: 'csv', size: '123', download_url: { url: 'https://files.example/q', expires_at: 'x' }, ...file } },
  ...extra,
});

describe('Data API client', () => {
  it('reads a report by id with include[]=parameters and the Data API version', async () => {
    answer = () => [200, report];
    const r = await client.getDataReport('rpt_1', { context: 'acct_1' });
    expect(r.name).toBe('balance.summary');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v2/data/reports/rpt_1?include%5B%5D=parameters' });
    expect(seen[0]!.headers).toMatchObject({ 'stripe-version': '2026-10-28.preview', 'stripe-context': 'acct_1', authorization: `Bearer ${KEY}` });
  });

  it('finds a report by name in the list, or says which report was not found', async () => {
    answer = () => [200, { data: [{ ...report, id: 'rpt_0', name: 'balance.summary.other' }, report], next_page_url: null }];
    expect((await client.getDataReport('balance.summary')).id).toBe('rpt_1');
    expect(seen[0]!.url).toBe('/v2/data/reports?name=balance.summary&include%5B%5D=parameters');
    answer = () => [200, { data: [] }];
    const err = await client.getDataReport('balance.sumary').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeInvalidRequestError);
    expect((err as Error).message).toBe('report: Data API report "balance.sumary" not found: GET /v2/data/reports?name=balance.sumary&include%5B%5D=parameters listed no report of that name');
    expect((err as StripeInvalidRequestError).retryable).toBe(false);
  });

  it('refuses a report without parameters (they were asked for)', async () => {
    answer = () => [200, { ...report, parameters: undefined }];
    await expect(client.getDataReport('rpt_1')).rejects.toThrow(/a report whose "parameters" is not an object \(missing\)/);
  });

  it('creates and reads report runs and query runs on their paths, with a configurable version', async () => {
    const c = new StripeClient({ apiKey: KEY, baseUrl: client.baseUrl, dataVersion: '2027-01-01.preview' });
    answer = (url) => [200, url.includes('query') ? queryRun : { ...queryRun, id: 'rrun_1', object: 'v2.data.report_run' }];
    await c.createDataReportRun({ report: { name: 'balance.summary' }, parameters: {}, format: 'csv' }, { idempotencyKey: 'k1' });
    await c.getDataReportRun('rrun_1');
    await c.createQueryRun({ dataset: 'analytical', format: 'csv', query: { sql: 'SELECT 1' } }, { idempotencyKey: 'k2' });
    await c.getQueryRun('qrun_1');
    await c.close();
    expect(seen.map((s) => `${s.method} ${s.url} ${s.headers['stripe-version']} ${s.headers['idempotency-key'] ?? '-'}`)).toEqual([
      'POST /v2/data/report_runs 2027-01-01.preview k1',
      'GET /v2/data/report_runs/rrun_1 2027-01-01.preview -',
      'POST /v2/data/query_runs 2027-01-01.preview k2',
      'GET /v2/data/query_runs/qrun_1 2027-01-01.preview -',
    ]);
    expect(JSON.parse(seen[2]!.body)).toEqual({ dataset: 'analytical', format: 'csv', query: { sql: 'SELECT 1' } });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });

  it('v2 keeps its own version and prefix', async () => {
    answer = () => [200, { id: 'balance.summary.1', livemode: false, parameters: {} }];
    await client.getReport('balance.summary.1');
    expect(seen[0]!.url).toBe('/v2/reporting/reports/balance.summary.1');
    expect(seen[0]!.headers['stripe-version']).toBe('v2-version');
  });
});

describe('Data API run shapes', () => {
  const what = 'GET /v2/data/query_runs/qrun_1';
  it.each([
    ['running', queryRun],
    ['succeeded with string counts and unknown fields', succeeded({ refreshed_at: 'x', new_thing: { a: 1 } })],
    ['result_options { compress_file }', succeeded({ result_options: { compress_file: false } })],
    ['result_options { compression: "none" }', succeeded({ result_options: { compression: 'none' } })],
    ['result_options null', { ...queryRun, result_options: null }],
    ['a ZIP', succeeded({}, { content_type: 'zip' })],
    ['failed with status_details', { ...queryRun, status: 'failed', status_details: { code: 'query_run_invalid_sql', message: 'line 1: no such table' } }],
    ['failed without status_details', { ...queryRun, status: 'failed' }],
    ['canceled', { ...queryRun, status: 'canceled', status_details: { canceled_at: '2026-11-01T00:01:00Z' } }],
  ])('accepts %s', (_, value) => {
    expect(checkQueryRun(value as Record<string, unknown>, what).id).toBe('qrun_1');
    expect(checkDataReportRun(value as Record<string, unknown>, what).id).toBe('qrun_1');
  });

  it.each([
    ['an unknown status', { ...queryRun, status: 'paused' }, 'a query run with status "paused", not one of running, succeeded, failed, canceled'],
    ['the v1 status', { ...queryRun, status: 'pending' }, 'with status "pending"'],
    ['size as a number', succeeded({}, { size: 123 }), '"result.file.size" is not a whole number in a string (123)'],
    ['row_count as a number', succeeded({ result: { ...succeeded().result, row_count: 10 } }), '"result.row_count" is not a whole number in a string (10)'],
    ['succeeded without a file', succeeded({ result: { col_count: '0', row_count: '0' } }), '"result.file" is not an object (missing)'],
    ['compression as a boolean', { ...queryRun, result_options: { compression: true } }, '"result_options.compression" is not a string (true)'],
    ['compress_file as a string', { ...queryRun, result_options: { compress_file: 'yes' } }, '"result_options.compress_file" is not true or false ("yes")'],
    ['status_details as a string', { ...queryRun, status: 'failed', status_details: 'bad sql' }, '"status_details" is not an object ("bad sql")'],
  ])('refuses %s, naming it', (_, value, message) => {
    const err = (() => {
      try {
        checkQueryRun(value as Record<string, unknown>, what);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StripeUnexpectedResponseError);
    expect((err as Error).message).toContain(message);
  });
});

const job = dataJob;

describe('Data API requests', () => {
  const template = { parameters: { connected_account: { type: 'string' }, organization_report_granularity: { type: 'enum' } } };
  it('a report run: name or id, parameters with the ISO interval, target parameters, compress', () => {
    expect(buildDataReportRequest(job({ parameters: { currency: 'usd' } }), template)).toEqual({
      body: { report: { name: 'balance.summary' }, parameters: { currency: 'usd', interval_start: period.start, interval_end: period.end }, format: 'csv' },
      context: undefined,
    });
    const byId = buildDataReportRequest(job({ report: 'rpt_1', compress: true, target: { id: 'acct_2', kind: 'connected_account', connectedAccount: 'acct_2', context: 'acct_9' } }), template);
    expect(byId).toEqual({
      body: { report: { id: 'rpt_1' }, parameters: { interval_start: period.start, interval_end: period.end, connected_account: 'acct_2' }, format: 'csv', result_options: { compress_file: true } },
      context: 'acct_9',
    });
    const org = buildDataReportRequest(job({ target: { id: 'organization-concatenated', kind: 'organization', organization: 'concatenated' } }), { parameters: {} });
    expect(org.body.parameters).toEqual({ interval_start: period.start, interval_end: period.end });
    expect(() => buildDataReportRequest(job({ target: { id: 'organization-aggregated', kind: 'organization', organization: 'aggregated' } }), { parameters: {} })).toThrow(/cannot aggregate/);
  });

  it('a query run: the SQL rendered for the period, Stripe-Context for an account target', () => {
    const sql = 'SELECT id FROM charges WHERE created >= {{interval_start}} AND created < {{interval_end}}';
    const q = job({ report: 'query:q.sql', query: { sql, file: 'q.sql' }, compress: true, target: { id: 'acct_1', kind: 'account', context: 'acct_1' } });
    expect(isQueryJob(q)).toBe(true);
    expect(buildQueryRequest(q)).toEqual({
      body: { dataset: 'analytical', format: 'csv', query: { sql: renderQuerySql(sql, { intervalStart: period.start, intervalEnd: period.end, period: '2026-10' }) }, result_options: { compress_file: true } },
      context: 'acct_1',
    });
    expect(() => buildQueryRequest(job({ ...q, target: { id: 'acct_2', kind: 'connected_account', connectedAccount: 'acct_2' } }))).toThrow(/a query runs as one account/);
    expect(() => buildQueryRequest(job({ ...q, query: { sql: 'SELECT {{nope}}' } }))).toThrow(/configuration cfg: the query cannot be rendered: .*nope/);
  });

  it('a query job that arrives without its SQL fails clearly', () => {
    const q = job({ report: 'query:revenue.sql' });
    expect(isQueryJob(q)).toBe(true);
    expect(isQueryJob(job())).toBe(false);
    expect(isQueryJob(job({ api: 'v2', report: 'query' }))).toBe(false);
    expect(() => buildQueryRequest(q)).toThrow('configuration cfg: the job for query:revenue.sql reached the worker without its SQL (the workflow that built it does not pass query yet)');
  });
});

describe('Data API run status', () => {
  const run = (extra: Record<string, unknown>) => ({ ...queryRun, ...extra }) as DataRun;
  const q = job({ report: 'query', query: { sql: 'SELECT 1' } });
  it('running and succeeded', () => {
    expect(dataRunStatus(q, run({}))).toEqual({ status: 'running' });
    expect(dataRunStatus(q, succeeded({}, { content_type: 'zip', size: '5000000000' }) as DataRun)).toEqual({ status: 'succeeded', size: 5_000_000_000, contentType: 'zip' });
  });

  it('failed with a code and message, file_size_above_limit suggesting compress', () => {
    expect(dataRunStatus(job(), run({ status: 'failed', status_details: { code: 'file_size_above_limit', message: 'The result is larger than 5 GB.' } }))).toEqual({
      status: 'failed',
      errorCode: 'file_size_above_limit',
      errorMessage: 'The result is larger than 5 GB; the result is too large for a CSV: add `result: { compress: true }` to configuration cfg for a ZIP',
    });
    expect(dataRunStatus(job({ compress: true }), run({ status: 'failed', status_details: { code: 'file_size_above_limit', message: 'too big' } })).errorMessage).toBe('too big');
    expect(dataRunStatus(job(), run({ status: 'failed' }))).toEqual({ status: 'failed', errorCode: 'unknown', errorMessage: 'Stripe gave no reason' });
  });

  it('query_run_invalid_sql fails with Stripe message', () => {
    const file = job({ report: 'query:q.sql', query: { sql: 'SELECT x', file: 'q.sql' } });
    expect(dataRunStatus(file, run({ status: 'failed', status_details: { code: 'query_run_invalid_sql', message: "Column 'x' cannot be resolved" } }))).toEqual({
      status: 'failed',
      errorCode: 'query_run_invalid_sql',
      errorMessage: "Stripe refused the SQL of q.sql: Column 'x' cannot be resolved",
    });
  });

  it('canceled, and a reason nested under the status', () => {
    expect(dataRunStatus(q, run({ status: 'canceled', status_details: { canceled_at: 'x' } }))).toEqual({ status: 'canceled', errorCode: undefined, errorMessage: 'the run was cancelled' });
    expect(dataRunStatus(q, run({ status: 'failed', status_details: { failed: { error_code: 'internal_error', error_message: 'oops' } } }))).toMatchObject({ errorCode: 'internal_error', errorMessage: 'oops' });
  });

  it('a livemode mismatch is an error', () => {
    expect(() => dataRunStatus(q, run({ livemode: true }))).toThrow(/mode is sandbox but Stripe answered run qrun_1 with livemode=true/);
  });
});
