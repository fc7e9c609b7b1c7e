// The Data API (/v2/data, contract section 6): templates, report runs, query runs, over HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type RunInfo } from '../../src/emulator/index.js';
import { download, interval, SK, SK_LIVE, v2, waitFor, type Reply } from './helpers.js';

const SECRET = 'whsec_data_api';
const DATA_VERSION = '2026-10-28.preview';
const ORG = 'sk_org_test_dataOrgKey1234';

let emu: Emulator;
let receiver: Server;
let events: { raw: string; signature: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  emu = await startEmulator({ processingMs: 100, runningCap: { live: 500, sandbox: 100 }, webhookUrl, webhookSecret: SECRET, seed: 5 });
});
afterAll(async () => {
  await emu.close();
  await new Promise((r) => receiver.close(r));
});
beforeEach(() => {
  emu.setFaults({});
  emu.configure({ processingMs: 100, runningCap: { live: 500, sandbox: 100 }, bytesPerRun: undefined });
});

const data = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, key = SK) =>
  v2(emu.url, method, path, body, { 'Stripe-Version': DATA_VERSION, ...headers }, key);
const reportRun = (body: Record<string, unknown> = {}, headers: Record<string, string> = {}, key = SK) =>
  data('POST', '/v2/data/report_runs', { report: { name: 'balance.summary' }, parameters: interval, format: 'csv', ...body }, headers, key);
const queryRun = (sql: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, key = SK) =>
  data('POST', '/v2/data/query_runs', { dataset: 'analytical', format: 'csv', query: { sql }, ...body }, headers, key);

/** Polls a Data API run until it stops running. */
async function settled(created: Reply, key = SK) {
  expect(created.status).toBe(200);
  const path = created.body.object === 'v2.data.query_run' ? 'query_runs' : 'report_runs';
  return waitFor(async () => {
    const r = await data('GET', `/v2/data/${path}/${created.body.id}`, undefined, {}, key);
    return r.body.status === 'running' ? undefined : r.body;
  });
}
const info = (id: string) => emu.listRuns().find((r) => r.id === id) as RunInfo;

const BT_SQL = [
  'SELECT id, amount AS gross, created, reporting_category',
  'FROM balance_transactions',
  "WHERE created >= TIMESTAMP '2025-06-01 00:00:00.000' AND created < TIMESTAMP '2025-06-02 00:00:00.000'",
].join('\n');

describe('report templates', () => {
  it('lists by name, with parameters only when include[]=parameters', async () => {
    const bare = await data('GET', '/v2/data/reports?name=balance.summary');
    expect(bare.status).toBe(200);
    expect(bare.body.next_page_url).toBeNull();
    expect(bare.body.data).toEqual([{ id: expect.stringMatching(/^rpt_/), object: 'v2.data.report', name: 'balance.summary', description: 'Balance summary', livemode: false }]);

    const full = await data('GET', '/v2/data/reports?name=balance_change_from_activity.itemized&include[]=parameters');
    const t = full.body.data[0];
    expect(t.name).toBe('balance_change_from_activity.itemized');
    expect(t.parameters.interval_start).toEqual({ description: expect.any(String), required: true, type: 'timestamp' });
    expect(t.parameters.connected_account).toMatchObject({ type: 'string', required: false });
    expect(t.parameters.columns).toMatchObject({ type: 'array', array_details: { element_type: 'enum', enum_details: { allowed_values: expect.arrayContaining(['balance_transaction_id', 'net']) } } });
    expect(Object.keys(t.parameters)).not.toContain('organization_report_granularity');
    const summary = await data('GET', '/v2/data/reports?name=balance.summary&include[]=parameters');
    expect(summary.body.data[0].parameters.organization_report_granularity).toEqual({
      description: expect.any(String),
      required: false,
      type: 'enum',
      enum_details: { allowed_values: ['concatenated_report', 'aggregated_report'] },
    });

    // By id, the same template; the live key sees livemode true.
    const byId = await data('GET', `/v2/data/reports/${t.id}?include[]=parameters`, undefined, {}, SK_LIVE);
    expect(byId.body).toEqual({ ...t, livemode: true });
    expect((await data('GET', `/v2/data/reports/${t.id}`)).body.parameters).toBeUndefined();
    expect((await data('GET', '/v2/data/reports/rpt_nope')).status).toBe(404);
    expect((await data('GET', '/v2/data/reports?name=balance.summary.1')).body.data).toEqual([]);
  });

  it('pages with limit and next_page_url', async () => {
    const first = await data('GET', '/v2/data/reports?limit=3&include[]=parameters');
    expect(first.body.data).toHaveLength(3);
    expect(first.body.next_page_url).toMatch(/^\/v2\/data\/reports\?/);
    const second = await data('GET', first.body.next_page_url);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.data[0].parameters).toBeDefined();
    expect(second.body.next_page_url).toBeNull();
    const names = [...first.body.data, ...second.body.data].map((d: { name: string }) => d.name).sort();
    expect(names).toEqual(['balance.summary', 'balance_change_from_activity.itemized', 'balance_change_from_activity.summary', 'payouts.itemized']);
    expect((await data('GET', '/v2/data/reports?limit=1001')).body.error.param).toBe('limit');
  });

  it('needs Stripe-Version like every /v2 endpoint', async () => {
    const res = await fetch(`${emu.url}/v2/data/reports`, { headers: { Authorization: `Bearer ${SK}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_stripe_version');
  });
});

describe('report runs', () => {
  it('run to succeeded with a downloadable file, the same bytes as the v2 run of the same report', async () => {
    const created = await reportRun({ report: { name: 'balance.summary' } }, { 'Stripe-Context': 'acct_dataCtx1' });
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^rrun_/),
      object: 'v2.data.report_run',
      livemode: false,
      status: 'running',
      result_options: { compress_file: false },
      name: 'balance.summary',
      parameters: interval,
    });
    expect(created.body.result).toBeUndefined();
    expect(created.body.created).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
    const run = await settled(created);
    expect(run.status).toBe('succeeded');
    expect(run.result).toEqual({
      col_count: '4',
      // Four lines per currency of the account's ledger (checked against the file below).
      row_count: expect.stringMatching(/^\d+$/),
      file: {
        columns: [
          { name: 'category', type: 'varchar' },
          { name: 'description', type: 'varchar' },
          { name: 'net_amount', type: 'decimal' },
          { name: 'currency', type: 'varchar' },
        ],
        content_type: 'csv',
        size: expect.stringMatching(/^\d+$/),
        download_url: { url: expect.stringContaining('/files/'), expires_at: expect.any(String) },
      },
    });
    const file = await download(run.result.file.download_url.url);
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBe(Number(run.result.file.size));
    expect(file.sha256).toBe(await emu.fileSha256(run.id));
    expect(file.bytes.toString('utf8').split('\n')[0]).toBe('category,description,net_amount,currency');
    const rows = file.bytes.toString('utf8').trimEnd().split('\n').length - 1;
    expect(run.result.row_count).toBe(String(rows));
    expect(rows % 4).toBe(0);
    // The URL expires five minutes after it was issued.
    expect(Date.parse(run.result.file.download_url.expires_at) - Date.now()).toBeGreaterThan(290_000);

    const v2run = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval }, { 'Stripe-Context': 'acct_dataCtx1' });
    await waitFor(async () => (info(v2run.body.id).status === 'succeeded' ? true : undefined));
    expect(await emu.fileSha256(v2run.body.id)).toBe(file.sha256);

    // By id too; the template's id is the run's report.
    const t = (await data('GET', '/v2/data/reports?name=balance.summary')).body.data[0];
    expect(run.report).toBe(t.id);
    const byId = await settled(await reportRun({ report: { id: t.id } }));
    expect(byId.status).toBe('succeeded');
    expect(info(run.id)).toMatchObject({ api: 'data', kind: 'report', report: 'balance.summary', context: 'acct_dataCtx1', status: 'succeeded', intervalStart: '2025-06-01T00:00:00.000Z' });
  });

  it('compress_file gives a ZIP holding the CSV', async () => {
    const run = await settled(await reportRun({ report: { name: 'balance_change_from_activity.itemized' }, result_options: { compress_file: true } }));
    expect(run.result_options).toEqual({ compress_file: true });
    expect(run.result.file.content_type).toBe('zip');
    const file = await download(run.result.file.download_url.url);
    expect(file.bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(file.bytes.length).toBe(Number(run.result.file.size));
    expect(file.sha256).toBe(await emu.fileSha256(run.id));
    // The docs' spelling, compression: "zip", means the same.
    const docs = await settled(await reportRun({ result_options: { compression: 'zip', unknown_option: 1 } }));
    expect(docs.result.file.content_type).toBe('zip');
  });

  it('refuses bad parameters with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ parameters: { ...interval, nope: 'x' } }, 'parameters.nope'],
      [{ parameters: { ...interval, organization_report_granularity: 'summed' } }, 'parameters.organization_report_granularity'],
      [{ parameters: { ...interval, interval_end: '2100-01-01T00:00:00Z' } }, 'parameters.interval_end'],
      [{ parameters: { interval_start: '2019-01-01T00:00:00Z', interval_end: interval.interval_end } }, 'parameters.interval_start'],
      [{ parameters: { interval_end: interval.interval_end } }, 'parameters.interval_start'],
      [{ format: 'json' }, 'format'],
      [{ report: 'balance.summary' }, 'report'],
      [{ report: { id: 'rpt_x', name: 'balance.summary' } }, 'report'],
      [{ report_parameters: interval }, 'report_parameters'],
    ];
    for (const [body, param] of cases) {
      const r = await reportRun(body);
      expect(r.status, param).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_fields', param });
    }
    expect((await reportRun({ report: { name: 'no.such' } })).status).toBe(404);
  });

  it('file_size_above_limit when the file would pass 5 GB and compress_file was not asked', async () => {
    emu.configure({ bytesPerRun: 6 * 1024 ** 3 });
    const run = await settled(await reportRun());
    expect(run.status).toBe('failed');
    expect(run.status_details).toEqual({ code: 'file_size_above_limit', message: expect.stringContaining('compress_file') });
    expect(run.result).toBeUndefined();
    const q = await settled(await queryRun(BT_SQL));
    expect(q.status_details.code).toBe('file_size_above_limit');
  });
});

describe('query runs', () => {
  it('run to succeeded: the header is the SELECT list (aliases), rows are seeded', async () => {
    const created = await queryRun(BT_SQL);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^qrun_/),
      object: 'v2.data.query_run',
      status: 'running',
      dataset: 'analytical',
      format: 'csv',
      query: { sql: BT_SQL },
      result_options: { compress_file: false },
    });
    const run = await settled(created);
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ col_count: '4', row_count: '50', file: { content_type: 'csv', size: expect.stringMatching(/^\d+$/) } });
    expect(run.result.file.columns).toEqual([
      { name: 'id', type: 'varchar' },
      { name: 'gross', type: 'bigint' },
      { name: 'created', type: 'timestamp' },
      { name: 'reporting_category', type: 'varchar' },
    ]);
    const file = await download(run.result.file.download_url.url);
    expect(file.sha256).toBe(await emu.fileSha256(run.id));
    const lines = file.bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('id,gross,created,reporting_category');
    expect(lines).toHaveLength(51);
    // Rows fall inside the query's own TIMESTAMP bounds.
    for (const l of lines.slice(1)) {
      const [id, gross, created2] = l.split(',');
      expect(id).toMatch(/^txn_/);
      expect(gross).toMatch(/^\d+$/);
      expect(created2 >= '2025-06-01 00:00:00.000' && created2 < '2025-06-02').toBe(true);
    }
    // The same query gives the same bytes.
    const again = await settled(await queryRun(BT_SQL));
    expect(await emu.fileSha256(again.id)).toBe(file.sha256);
    expect(info(run.id)).toMatchObject({ api: 'data', kind: 'query', report: 'analytical', sql: BT_SQL, status: 'succeeded', intervalEnd: '2025-06-02T00:00:00.000Z' });
  });

  it('expands * to the table\'s columns, gives one row to aggregates, and zips on request', async () => {
    const star = await settled(await queryRun('SELECT * FROM payouts'));
    expect(star.result.file.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'amount', 'arrival_date', 'created', 'currency', 'status', 'type']);
    const agg = await settled(await queryRun('SELECT count(*) AS n, sum(net) AS net FROM balance_transactions', { result_options: { compress_file: true } }));
    expect(agg.result).toMatchObject({ col_count: '2', row_count: '1', file: { content_type: 'zip' } });
    expect(agg.result.file.columns).toEqual([{ name: 'n', type: 'bigint' }, { name: 'net', type: 'decimal' }]);
    const plain = await settled(await queryRun('SELECT count(*) AS n FROM charges'));
    const [header, row] = (await download(plain.result.file.download_url.url)).bytes.toString('utf8').trimEnd().split('\n');
    expect(header).toBe('n');
    expect(Number(row)).toBeGreaterThanOrEqual(1);
    expect(Number(row)).toBeLessThanOrEqual(4000);
    const zip = await download(agg.result.file.download_url.url);
    expect(zip.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(zip.sha256).toBe(await emu.fileSha256(agg.id));
  });

  it('bytesPerRun makes a query result exactly that size, row_count counting its rows', async () => {
    emu.configure({ bytesPerRun: 100_000 });
    const run = await settled(await queryRun(BT_SQL));
    expect(run.result.file.size).toBe('100000');
    const file = await download(run.result.file.download_url.url);
    expect(file.bytes.length).toBe(100_000);
    expect(file.sha256).toBe(await emu.fileSha256(run.id));
    expect(Number(run.result.row_count)).toBe(file.bytes.toString('utf8').trimEnd().split('\n').length - 1);
  });

  it('invalid SQL: the run is created, then fails query_run_invalid_sql with the parser\'s message', async () => {
    const created = await queryRun('SELECT id,\nFROM balance_transactions WHERE');
    expect(created.status).toBe(200);
    const run = await settled(created);
    expect(run.status).toBe('failed');
    expect(run.status_details).toEqual({ code: 'query_run_invalid_sql', message: expect.stringMatching(/^line 2: Expected /) });
    expect(run.result).toBeUndefined();
    for (const sql of ['DELETE FROM balance_transactions', 'SELECT 1; SELECT 2', 'SELECT * FROM no_such_table', 'SELECT id FROM t WHERE created >= {{interval_start}}']) {
      const r = await settled(await queryRun(sql));
      expect(r.status_details.code, sql).toBe('query_run_invalid_sql');
    }
    expect(info(run.id).failure).toEqual({ code: 'query_run_invalid_sql', message: run.status_details.message });
  });

  it('refuses a malformed request with 400', async () => {
    expect((await queryRun(BT_SQL, { dataset: 'sigma' })).body.error.param).toBe('dataset');
    expect((await queryRun(BT_SQL, { format: undefined })).body.error.param).toBe('format');
    expect((await queryRun('  ')).body.error.param).toBe('query.sql');
    expect((await queryRun(BT_SQL, { result_options: { compress_file: 'yes' } })).body.error.param).toBe('result_options.compress_file');
    expect((await data('GET', '/v2/data/query_runs/qrun_nope')).status).toBe(404);
  });
});

describe('shared machinery', () => {
  it('keeps sandbox and live apart', async () => {
    const live = await queryRun(BT_SQL, {}, {}, SK_LIVE);
    expect(live.body.livemode).toBe(true);
    expect((await data('GET', `/v2/data/query_runs/${live.body.id}`)).status).toBe(404);
    // A query run is not a report run.
    expect((await data('GET', `/v2/data/report_runs/${live.body.id}`, undefined, {}, SK_LIVE)).status).toBe(404);
    expect((await settled(live, SK_LIVE)).status).toBe('succeeded');
  });

  it('Idempotency-Key replays the first run and refuses another body with 409', async () => {
    const h = { 'Idempotency-Key': 'data-idem-1' };
    const a = await queryRun(BT_SQL, {}, h);
    const b = await queryRun(BT_SQL, {}, h);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.id).toBe(a.body.id);
    const c = await queryRun('SELECT id FROM charges', {}, h);
    expect(c.status).toBe(409);
    expect(c.body.error.type).toBe('idempotency_error');
    const r1 = await reportRun({}, { 'Idempotency-Key': 'data-idem-2' });
    expect((await reportRun({}, { 'Idempotency-Key': 'data-idem-2' })).body.id).toBe(r1.body.id);
    expect(info(a.body.id).idempotencyKey).toBe('data-idem-1');
    await settled(a);
  });

  it('lost responses: the retry with the same Idempotency-Key gets the run that was made', async () => {
    emu.setFaults({ lostResponseRate: 1 });
    await expect(queryRun(BT_SQL, {}, { 'Idempotency-Key': 'data-lost-1' })).rejects.toThrow();
    emu.setFaults({});
    const retry = await queryRun(BT_SQL, {}, { 'Idempotency-Key': 'data-lost-1' });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(info(retry.body.id).kind).toBe('query');
  });

  it('the running cap counts Data API runs with v1 and v2 runs of the same key', async () => {
    const key = 'sk_test_dataCapKey0001';
    emu.configure({ processingMs: 60_000, runningCap: { live: 500, sandbox: 3 } });
    const a = await queryRun(BT_SQL, {}, {}, key);
    const b = await reportRun({}, {}, key);
    const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval }, {}, key);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    const over = await queryRun(BT_SQL, {}, {}, key);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.body.error).toMatchObject({ type: 'rate_limit', code: 'report_run_rate_limit_exceeded' });
    expect((await reportRun({}, {}, key)).status).toBe(429);
    // Canceling one frees its place.
    await fetch(`${emu.url}/_emulator/runs/${a.body.id}/cancel`, { method: 'POST' });
    expect((await reportRun({}, {}, key)).status).toBe(200);
    for (const r of emu.listRuns()) if (r.status === 'running' && r.api === 'data') emu.cancelRun(r.id);
  });

  it('extraRateLimitRate and serverErrorRate reach the Data API too', async () => {
    emu.setFaults({ extraRateLimitRate: 1 });
    expect((await queryRun(BT_SQL)).status).toBe(429);
    emu.setFaults({ serverErrorRate: 1 });
    expect((await data('GET', '/v2/data/reports')).status).toBe(500);
    emu.setFaults({ failReports: ['balance.summary', 'analytical'] });
    expect((await settled(await reportRun())).status_details).toEqual({ code: 'internal_error', message: expect.any(String) });
    expect((await settled(await queryRun(BT_SQL))).status_details.code).toBe('internal_error');
  });

  it('organization keys: Stripe-Context picks the account; organization-wide runs follow contract 1.4', async () => {
    const noGranularity = await reportRun({}, {}, ORG);
    expect(noGranularity.status).toBe(400);
    expect(noGranularity.body.error.param).toBe('parameters.organization_report_granularity');
    const wide = await reportRun({ parameters: { ...interval, organization_report_granularity: 'aggregated_report' } }, {}, ORG);
    expect(wide.status).toBe(200);
    const one = await reportRun({}, { 'Stripe-Context': 'acct_orgMember1' }, ORG);
    expect(one.status).toBe(200);
    expect(info(one.body.id)).toMatchObject({ context: 'acct_orgMember1', livemode: false });
    const connected = await reportRun({ report: { name: 'payouts.itemized' }, parameters: { ...interval, connected_account: 'acct_conn1' } }, {}, ORG);
    expect(connected.body.error.param).toBe('parameters.connected_account');
    // A query runs in one account's data: the organization key must name it.
    const q = await queryRun(BT_SQL, {}, {}, ORG);
    expect(q.status).toBe(400);
    expect(q.body.error.param).toBe('Stripe-Context');
    const q2 = await queryRun(BT_SQL, {}, { 'Stripe-Context': 'acct_orgMember1' }, ORG);
    expect((await settled(q2)).status).toBe('succeeded');
    expect(info(q2.body.id).context).toBe('acct_orgMember1');
    // Different account, different rows.
    const other = await settled(await queryRun(BT_SQL, {}, { 'Stripe-Context': 'acct_orgMember2' }, ORG));
    expect(await emu.fileSha256(other.id)).not.toBe(await emu.fileSha256(q2.body.id));
    // A read-only key may read, not create.
    const ro = await queryRun(BT_SQL, {}, {}, 'sk_test_readonly_key1234');
    expect(ro.status).toBe(403);
    expect(ro.body.error.message).toContain('data_queries_write');
  });
});

describe('cancel', () => {
  it('POST /_emulator/runs/{id}/cancel makes a running run canceled', async () => {
    emu.configure({ processingMs: 60_000 });
    const q = await queryRun(BT_SQL);
    const r = await reportRun();
    const res = await fetch(`${emu.url}/_emulator/runs/${q.body.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: q.body.id, status: 'canceled', kind: 'query' });
    const got = (await data('GET', `/v2/data/query_runs/${q.body.id}`)).body;
    expect(got.status).toBe('canceled');
    expect(got.status_details).toEqual({ canceled_at: expect.stringMatching(/Z$/) });
    expect(got.result).toBeUndefined();
    const withCode = await fetch(`${emu.url}/_emulator/runs/${r.body.id}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ code: 'internal_error', message: 'Canceled by Stripe.' }),
    });
    expect(withCode.status).toBe(200);
    expect((await data('GET', `/v2/data/report_runs/${r.body.id}`)).body.status_details).toEqual({ code: 'internal_error', message: 'Canceled by Stripe.', canceled_at: expect.any(String) });
    // Only running Data API runs.
    expect((await fetch(`${emu.url}/_emulator/runs/${q.body.id}/cancel`, { method: 'POST' })).status).toBe(409);
    const v2run = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
    expect((await fetch(`${emu.url}/_emulator/runs/${v2run.body.id}/cancel`, { method: 'POST' })).status).toBe(409);
    expect((await fetch(`${emu.url}/_emulator/runs/qrun_nope/cancel`, { method: 'POST' })).status).toBe(404);
    // Nothing moves it later.
    emu.configure({ processingMs: 50 });
    await new Promise((r2) => setTimeout(r2, 150));
    expect(info(q.body.id)).toMatchObject({ status: 'canceled', failure: null, finishedMs: expect.any(Number) });
  });
});

describe('events', () => {
  it('thin v2.data.* events, signed, with related_object naming the run', async () => {
    await new Promise((r) => setTimeout(r, 300));
    events = [];
    const ok = await queryRun(BT_SQL, {}, { 'Stripe-Context': 'acct_evt1' });
    const bad = await queryRun('SELECT FROM WHERE');
    const rep = await reportRun();
    await Promise.all([settled(ok), settled(bad), settled(rep)]);
    const mine = (id: string) =>
      waitFor(async () => {
        const got = events.map((e) => ({ ...e, body: JSON.parse(e.raw) })).filter((e) => e.body.related_object.id === id);
        return got.length >= 2 ? got : undefined;
      });
    const [okEvents, badEvents, repEvents] = await Promise.all([mine(ok.body.id), mine(bad.body.id), mine(rep.body.id)]);
    const types = (xs: { body: { type: string } }[]) => xs.map((x) => x.body.type).sort();
    expect(types(okEvents)).toEqual(['v2.data.query_run.created', 'v2.data.query_run.succeeded']);
    expect(types(badEvents)).toEqual(['v2.data.query_run.created', 'v2.data.query_run.failed']);
    expect(types(repEvents)).toEqual(['v2.data.report_run.created', 'v2.data.report_run.succeeded']);
    const done = okEvents.find((e) => e.body.type.endsWith('succeeded'))!;
    expect(done.body).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      object: 'v2.core.event',
      livemode: false,
      context: 'acct_evt1',
      related_object: { id: ok.body.id, type: 'v2.data.query_run', url: `/v2/data/query_runs/${ok.body.id}` },
    });
    expect(repEvents[0].body.related_object).toMatchObject({ type: 'v2.data.report_run', url: `/v2/data/report_runs/${rep.body.id}` });
    expect(() => new Stripe('sk_test_unused').webhooks.signature!.verifyHeader(done.raw, done.signature, SECRET)).not.toThrow();
    const full = await v2(emu.url, 'GET', `/v2/core/events/${done.body.id}`);
    expect(full.body).toMatchObject({ type: 'v2.data.query_run.succeeded', data: { status: 'succeeded' } });
    const failed = badEvents.find((e) => e.body.type.endsWith('failed'))!;
    expect((await v2(emu.url, 'GET', `/v2/core/events/${failed.body.id}`)).body.data.status_details.code).toBe('query_run_invalid_sql');
  });
});
