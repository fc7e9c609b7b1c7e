/**
 * Stripe answers that break the contract, from a real HTTP server on a free port, read by the real
 * StripeClient: each ends in one classified error of the project's hierarchy (retryable or not),
 * whose message names what was wrong and never holds the API key. A huge answer is refused
 * without being buffered.
 */
import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportsError } from '../../src/domain/errors.js';
import { StripeClient } from '../../src/stripe/client.js';
import {
  StripeApiError,
  StripeAuthenticationError,
  StripeInvalidRequestError,
  StripeRateLimitError,
  StripeUnexpectedResponseError,
} from '../../src/stripe/errors.js';

const KEY = 'sk_test_51FuzzKeyMustNeverLeak00000wxyz';
const MB = 1024 * 1024;

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const answers = new Map<string, Answer>();
/** Bytes the server managed to write per case: shows the client stopped reading. */
const written = new Map<string, number>();
let server: Server;
let client: StripeClient;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const text = (status: number, contentType: string | undefined, body: string): Answer => (_req, res) => {
  res.writeHead(status, contentType ? { 'content-type': contentType } : {});
  res.end(body);
};

/** Streams `total` bytes (Infinity: never ends) of a JSON-looking body, honouring backpressure. */
const stream = (name: string, total: number, declare: boolean): Answer => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', ...(declare ? { 'content-length': String(total) } : {}) });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  written.set(name, 0);
  const pump = () => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      written.set(name, sent);
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    if (sent >= total) res.end();
  };
  res.on('close', () => res.destroy());
  pump();
};

const run = {
  id: 'reprun_1',
  object: 'v2.reporting.report_run',
  created: '2025-11-01T00:00:00.000Z',
  livemode: false,
  report: 'balance.summary.1',
  report_parameters: {},
  status: 'running',
  status_details: {},
  result: null,
};
const without = (o: Record<string, unknown>, k: string) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));
const succeeded = (file: Record<string, unknown>) => ({
  ...run,
  status: 'succeeded',
  result: { type: 'file', file: { content_type: 'csv', size: '10', download_url: { url: 'https://files.example/x', expires_at: 'x' }, ...file } },
});

/**
 * [name, answer to GET /v2/reporting/report_runs/<name>, error class, retryable, what the message must name].
 * Each a distinct bad answer.
 */
const cases: [string, Answer, new (...a: never[]) => ReportsError, boolean, RegExp][] = [
  ['html-502', text(502, 'text/html', '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'), StripeApiError, true, /failed with 502 .*text\/html, not JSON .*502 Bad Gateway/],
  ['html-200', text(200, 'text/html', '<!doctype html><title>Login</title>'), StripeApiError, true, /answered 200 with text\/html, not JSON/],
  ['proxy-page-echoing-the-key', (req, res) => text(502, 'text/plain', `bad gateway for ${req.headers.authorization}`)(req, res), StripeApiError, true, /502.*text\/plain, not JSON/],
  ['truncated-json', json(200, JSON.stringify(run).slice(0, 40)), StripeApiError, true, /JSON that does not parse, e\.g\. cut short/],
  ['truncated-json-error-body', json(500, '{"error":{"code":"inter'), StripeApiError, true, /failed with 500 .*JSON that does not parse/],
  ['empty-body-200', text(200, 'application/json', ''), StripeApiError, true, /answered 200 with an empty body/],
  ['whitespace-body-200', text(200, 'application/json', '  \n '), StripeApiError, true, /an empty body/],
  ['no-content-204', (_q, res) => res.writeHead(204).end(), StripeApiError, true, /answered 204 with an empty body/],
  ['wrong-content-type-plain-text', text(200, 'text/plain', 'OK'), StripeApiError, true, /text\/plain, not JSON .*"OK"/],
  ['no-content-type-garbage', text(200, undefined, '\u0000\u0001binary'), StripeApiError, true, /no content type, not JSON/],
  ['json-null', json(200, 'null'), StripeUnexpectedResponseError, false, /JSON that is not an object \(null\)/],
  ['json-array', json(200, [run]), StripeUnexpectedResponseError, false, /JSON that is not an object/],
  ['json-string', json(200, '"running"'), StripeUnexpectedResponseError, false, /JSON that is not an object/],
  ['missing-status', json(200, without(run, 'status')), StripeUnexpectedResponseError, false, /a report run without "status"/],
  ['unknown-status', json(200, { ...run, status: 'canceled' }), StripeUnexpectedResponseError, false, /with status "canceled", not one of running, succeeded, failed/],
  ['status-not-a-string', json(200, { ...run, status: 1 }), StripeUnexpectedResponseError, false, /with status 1, not one of/],
  ['v1-status-on-v2', json(200, { ...run, status: 'pending' }), StripeUnexpectedResponseError, false, /status "pending"/],
  ['missing-id', json(200, without(run, 'id')), StripeUnexpectedResponseError, false, /"id" is not a non-empty string \(missing\)/],
  ['livemode-as-string', json(200, { ...run, livemode: 'false' }), StripeUnexpectedResponseError, false, /"livemode" is not true or false \("false"\)/],
  ['200-with-error-body', json(200, { error: { code: 'internal_error', message: 'try later' } }), StripeUnexpectedResponseError, false, /answered 200 with an error body \(internal_error: try later\)/],
  ['200-with-empty-error-body', json(200, { error: {} }), StripeUnexpectedResponseError, false, /an error body \(no message\)/],
  ['succeeded-without-result', json(200, { ...run, status: 'succeeded' }), StripeUnexpectedResponseError, false, /"result" is not an object \(null\)/],
  ['succeeded-size-as-number', json(200, succeeded({ size: 10 })), StripeUnexpectedResponseError, false, /"result\.file\.size" is not a whole number in a string \(10\)/],
  ['succeeded-size-negative', json(200, succeeded({ size: '-1' })), StripeUnexpectedResponseError, false, /"result\.file\.size" .*\("-1"\)/],
  ['succeeded-gzip-content-type', json(200, succeeded({ content_type: 'gzip' })), StripeUnexpectedResponseError, false, /result\.file\.content_type "gzip", not one of csv, zip/],
  ['succeeded-without-download-url', json(200, succeeded({ download_url: null })), StripeUnexpectedResponseError, false, /"result\.file\.download_url" is not an object/],
  ['failed-without-status-details', json(200, { ...without(run, 'status_details'), status: 'failed' }), StripeUnexpectedResponseError, false, /"status_details" is not an object \(missing\)/],
  ['huge-body-declared', stream('huge-body-declared', 50 * MB, true), StripeUnexpectedResponseError, false, /more than 1048576 bytes, not read/],
  ['huge-body-chunked', stream('huge-body-chunked', 50 * MB, false), StripeUnexpectedResponseError, false, /more than 1048576 bytes, not read/],
  ['endless-body', stream('endless-body', Infinity, false), StripeUnexpectedResponseError, false, /more than 1048576 bytes/],
  ['huge-html-503', (_q, res) => {
    res.writeHead(503, { 'content-type': 'text/html' });
    res.end(`<html>${'<p>down</p>'.repeat(300_000)}</html>`);
  }, StripeApiError, true, /failed with 503 .*more than 1048576 bytes, not read/],
  ['cut-off-mid-body', (_q, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
    res.write('{"id":"reprun_1","stat');
    setTimeout(() => res.socket?.destroy(), 20);
  }, StripeApiError, true, /answered 200 but the body was cut off/],
  ['connection-closed-before-answer', (req) => req.socket.destroy(), StripeApiError, true, /could not reach Stripe/],
  ['401-html', text(401, 'text/html', '<h1>Unauthorized</h1>'), StripeAuthenticationError, false, /failed with 401 .*text\/html, not JSON/],
  ['429-without-json', text(429, 'text/plain', 'slow down'), StripeRateLimitError, true, /failed with 429 .*text\/plain/],
  ['404-error-body-echoing-the-key', json(404, { error: { code: 'not_found', message: `No such run for key ${KEY}` } }), StripeInvalidRequestError, false, /failed with 404 \(not_found: No such run for key sk_test_…wxyz\)/],
];

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = decodeURIComponent(req.url!.split('/').pop()!);
    const answer = answers.get(name) ?? cases.find((c) => c[0] === name)?.[1];
    if (answer) answer(req, res);
    else json(404, { error: { code: 'not_found' } })(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new StripeClient({ apiKey: KEY, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 5_000 });
});

afterAll(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function failure(p: Promise<unknown>): Promise<ReportsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should fail').toBeInstanceOf(ReportsError);
  const e = err as ReportsError;
  expect(e.message).not.toContain(KEY);
  expect(e.message).not.toContain(KEY.slice(8, -4));
  return e;
}

describe('Stripe answers that break the contract', () => {
  it(`${cases.length} distinct bad answers are tested`, () => {
    expect(new Set(cases.map((c) => c[0])).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', async (name, _answer, cls, retryable, message) => {
    const before = process.memoryUsage().rss;
    const err = await failure(client.getReportRun(name));
    expect(err).toBeInstanceOf(cls);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`GET /v2/reporting/report_runs/${name}`);
    if (written.has(name)) {
      // The client stopped reading: far less than the body went out, and memory did not grow by it.
      expect(written.get(name)!).toBeLessThan(16 * MB);
      expect(process.memoryUsage().rss - before).toBeLessThan(40 * MB);
    }
  });

  it('the client still works after every bad answer', async () => {
    answers.set('fine', json(200, run));
    await expect(client.getReportRun('fine')).resolves.toMatchObject({ id: 'reprun_1', status: 'running' });
  });
});

describe('other calls check their own fields', () => {
  it.each([
    ['template without parameters', 'GET', '/v2/reporting/reports/t', () => client.getReport('t'), { id: 't', livemode: false }, /a report template whose "parameters" is not an object \(missing\)/],
    ['template without livemode', 'GET', '/v2/reporting/reports/t', () => client.getReport('t'), { id: 't', parameters: {} }, /"livemode" is not true or false/],
    ['v1 report type with data_available_end as text', 'GET', '/v1/reporting/report_types/t', () => client.getReportType('t'), { livemode: false, data_available_start: 0, data_available_end: '1700000000' }, /a report type whose "data_available_end" is not a number/],
    ['v1 run with a v2 status', 'GET', '/v1/reporting/report_runs/r', () => client.getReportRunV1('r'), { id: 'frr_1', livemode: false, status: 'running' }, /status "running", not one of pending, succeeded, failed/],
    ['v1 succeeded run without a file url', 'GET', '/v1/reporting/report_runs/r', () => client.getReportRunV1('r'), { id: 'frr_1', livemode: false, status: 'succeeded', result: { size: 3 } }, /"result\.url" is not a non-empty string/],
    ['created v2 run with an unknown status', 'POST', '/v2/reporting/report_runs', () => client.createReportRun({ report: 'r', report_parameters: {} }), { ...run, status: 'queued' }, /status "queued"/],
  ] as const)('%s', async (_name, method, path, call, body, message) => {
    answers.set(path.split('/').pop()!, json(200, body));
    answers.set('report_runs', json(200, body));
    const err = await failure(call());
    expect(err).toBeInstanceOf(StripeUnexpectedResponseError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${method} ${path}`);
    expect(err.message).toMatch(message);
  });
});

describe('random answers', () => {
  it('any status and any body end in a project error or a checked run, never anything else', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 201, 204, 301, 400, 404, 409, 418, 429, 500, 502, 503),
        fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ ...run, status: v })), fc.constant(JSON.stringify(run))),
        fc.constantFrom('application/json', 'text/html', 'text/plain', ''),
        async (status, body, contentType) => {
          const name = `random-${n++}`;
          answers.set(name, text(status, contentType || undefined, body));
          try {
            const r = await client.getReportRun(name);
            expect(['running', 'succeeded', 'failed']).toContain(r.status);
          } catch (err) {
            expect(err).toBeInstanceOf(ReportsError);
            expect((err as Error).message).toContain(`/report_runs/${name}`);
          } finally {
            answers.delete(name);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
