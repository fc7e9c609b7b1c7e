/**
 * Bad webhook requests, many at once, against the real relay (startRelay on a free port, real
 * HTTP) whose Temporal client is a recorder: every refused request is a 4xx with a reason and
 * never reaches the client; a verified event that is not about a finished run is acknowledged
 * (200) and reaches it neither. Cases here are not in test/integration/webhook-relay.test.ts.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineLogger } from '../../src/observability/logger.js';
import { startRelay, type Relay } from '../../src/webhook/index.js';

const SECRET = 'whsec_relayfuzz0123456789abcdef';
const calls: string[] = [];
const lines: string[] = [];
let relay: Relay;

/** A Temporal client that only records: the mailbox is never found, signal-with-start succeeds. */
const recorder = {
  workflow: {
    getHandle: (id: string) => ({
      describe: async () => {
        calls.push(`describe ${id}`);
        throw new WorkflowNotFoundError('not found', id, undefined);
      },
      signal: async () => void calls.push(`signal ${id}`),
    }),
    signalWithStart: async (_type: string, o: { workflowId: string }) => void calls.push(`signalWithStart ${o.workflowId}`),
  },
} as unknown as Client;

beforeAll(async () => {
  relay = await startRelay({ client: recorder, taskQueue: 'fuzz', port: 0, secrets: [SECRET], logger: createLineLogger('relay', (l) => lines.push(l)) });
});
afterAll(() => relay?.close());

interface Sent {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

function send({ method = 'POST', path, headers = {}, body }: Sent): Promise<{ status: number; text: string }> {
  const url = new URL(relay.url);
  return new Promise((resolve, reject) => {
    // A fresh connection per request, so one refused request's closed socket is never reused by the next.
    const req = request({ agent: false, host: url.hostname, port: url.port, method, path: path ?? url.pathname, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const now = () => Math.floor(Date.now() / 1000);
const sign = (body: string | Buffer, timestamp = now(), secret = SECRET) =>
  Stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret, timestamp });
/** Signed by hand: generateTestHeaderString takes timestamp 0 for "now". */
const header = (body: string, t: number) => `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
const thin = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'evt_fuzz1',
    object: 'v2.core.event',
    type: 'v2.reporting.report_run.succeeded',
    created: new Date().toISOString(),
    livemode: false,
    reason: null,
    related_object: { id: 'reprun_fuzz1', type: 'v2.reporting.report_run', url: '/v2/reporting/report_runs/reprun_fuzz1' },
    ...over,
  });
const signed = (body: string | Buffer, headers: Record<string, string> = {}): Sent => ({ body, headers: { 'stripe-signature': sign(body), ...headers } });
const valid = thin();

/** [name, request, status, part of the reason the relay answers]. Each a distinct bad request. */
const refused: [string, Sent, number, string][] = [
  ['GET on the webhook path', { method: 'GET' }, 405, 'method not allowed'],
  ['PUT with a signed event', { ...signed(valid), method: 'PUT' }, 405, 'method not allowed'],
  ['DELETE', { method: 'DELETE' }, 405, 'method not allowed'],
  ['PATCH with a signed event', { ...signed(valid), method: 'PATCH' }, 405, 'method not allowed'],
  ['OPTIONS', { method: 'OPTIONS' }, 405, 'method not allowed'],
  ['a trailing slash on the path', { ...signed(valid), path: '/webhooks/stripe/' }, 404, 'not found'],
  ['the path in capitals', { ...signed(valid), path: '/WEBHOOKS/STRIPE' }, 404, 'not found'],
  ['the root path', { ...signed(valid), path: '/' }, 404, 'not found'],
  ['POST to /healthz', { ...signed(valid), path: '/healthz' }, 404, 'not found'],
  ['a path with ../', { ...signed(valid), path: '/x/../webhooks/stripe/../stripe2' }, 404, 'not found'],
  ['a query string does not skip the signature', { body: valid, path: '/webhooks/stripe?verified=true', headers: { 'stripe-signature': 't=1,v1=00' } }, 400, 'signature does not match'],
  ['content type application/jsonx', { ...signed(valid), headers: { 'content-type': 'application/jsonx', 'stripe-signature': sign(valid) } }, 415, 'content type "application/jsonx" is not application/json'],
  ['a 10 KB content type', { body: valid, headers: { 'content-type': `text/${'x'.repeat(10_000)}` } }, 415, 'is not application/json'],
  ['multipart form data', { body: valid, headers: { 'content-type': 'multipart/form-data; boundary=x' } }, 415, 'content type "multipart/form-data"'],
  ['an empty body, signed', signed(''), 400, 'body is not JSON'],
  ['JSON null, signed', signed('null'), 400, 'body is not a JSON object'],
  ['a JSON string, signed', signed('"v2.reporting.report_run.succeeded"'), 400, 'body is not a JSON object'],
  ['a JSON number, signed', signed('42'), 400, 'body is not a JSON object'],
  ['invalid UTF-8, signed', signed(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'body is not JSON'],
  ['a byte-order mark before the JSON, signed', signed(`\ufeff${valid}`), 400, 'body is not JSON'],
  ['JSON nested 100000 deep, signed', signed(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400, 'body is not a JSON object'],
  ['one byte over the 1 MiB limit', signed(JSON.stringify({ ...JSON.parse(valid), pad: 'x'.repeat(1024 * 1024 - valid.length - 8) })), 413, 'body too large'],
  ['a timestamp one second past the tolerance', { body: valid, headers: { 'stripe-signature': header(valid, now() - 301) } }, 400, 'timestamp outside tolerance'],
  ['timestamp 0 (1970)', { body: valid, headers: { 'stripe-signature': header(valid, 0) } }, 400, 'timestamp outside tolerance'],
  ['three v1 signatures, all wrong', { body: valid, headers: { 'stripe-signature': `t=${now()},v1=${'a'.repeat(64)},v1=${'b'.repeat(64)},v1=${'c'.repeat(64)}` } }, 400, 'signature does not match'],
  ['only a v0 signature', { body: valid, headers: { 'stripe-signature': sign(valid).replace('v1=', 'v0=') } }, 400, 'malformed Stripe-Signature header'],
  ['a v1 signature that is not hex', { body: valid, headers: { 'stripe-signature': `t=${now()},v1=${'z'.repeat(64)}` } }, 400, 'signature does not match'],
  ['a v1 signature one character short', { body: valid, headers: { 'stripe-signature': sign(valid).slice(0, -1) } }, 400, 'signature does not match'],
  ['an empty Stripe-Signature header', { body: valid, headers: { 'stripe-signature': '' } }, 400, 'missing Stripe-Signature header'],
  ['two Stripe-Signature headers, both wrong', { body: valid, headers: { 'stripe-signature': [`t=${now()},v1=00`, `t=${now()},v1=11`] } }, 400, 'signature does not match'],
  ['signed with the secret plus a space', { body: valid, headers: { 'stripe-signature': sign(valid, now(), `${SECRET} `) } }, 400, 'signature does not match'],
  ['signed over the body with a trailing newline', { body: `${valid}\n`, headers: { 'stripe-signature': sign(valid) } }, 400, 'signature does not match'],
];

/** Verified, but not about a run that finished: 200, and nothing signalled. */
const ignored: [string, string, string][] = [
  ['a thin event about another object type', thin({ related_object: { id: 'acct_1', type: 'v2.core.account', url: '/v2/core/accounts/acct_1' } }), 'no v2.reporting.report_run in related_object'],
  ['a thin event without an id', JSON.stringify({ ...JSON.parse(valid), id: undefined }), 'event without id or type'],
  ['a thin event with an empty type', thin({ type: '' }), 'event without id or type'],
  ['a thin event whose related_object is a string', thin({ related_object: 'reprun_fuzz1' }), 'no v2.reporting.report_run in related_object'],
  ['a thin event whose related_object has a numeric id', thin({ related_object: { id: 7, type: 'v2.reporting.report_run' } }), 'no v2.reporting.report_run in related_object'],
  ['a snapshot event whose data.object is a payout', JSON.stringify({ id: 'evt_2', object: 'event', type: 'reporting.report_run.succeeded', data: { object: { id: 'po_1', object: 'payout' } } }), 'no reporting.report_run in data.object'],
  ['a snapshot event without data', JSON.stringify({ id: 'evt_3', object: 'event', type: 'reporting.report_run.failed' }), 'no reporting.report_run in data.object'],
];

describe('named bad requests', () => {
  it(`${refused.length + ignored.length} distinct bad requests`, () => {
    expect(new Set([...refused, ...ignored].map((c) => c[0])).size).toBe(refused.length + ignored.length);
  });

  it.each(refused)('%s → refused with a reason, nothing signalled', async (_, sent, status, reason) => {
    const before = calls.length;
    const r = await send(sent);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.text).error).toContain(reason);
    expect(calls.length).toBe(before);
  });

  it.each(ignored)('%s → 200 acknowledged, nothing signalled', async (_, body, reason) => {
    const before = calls.length;
    const ignoredBefore = relay.stats().ignored;
    expect((await send(signed(body))).status).toBe(200);
    expect(relay.stats().ignored).toBe(ignoredBefore + 1);
    expect(lines.at(-1)).toContain(reason);
    expect(calls.length).toBe(before);
  });

  it('a header too large for the server → 431, nothing signalled', async () => {
    const before = calls.length;
    const r = await send({ body: valid, headers: { 'stripe-signature': `t=${now()},${'v1=00,'.repeat(4000)}` } });
    expect(r.status).toBe(431);
    expect(calls.length).toBe(before);
  });

  it('control: a correctly signed event for a finished run does reach the client', async () => {
    const before = calls.length;
    expect((await send(signed(valid))).status).toBe(200);
    expect(calls.slice(before)).toEqual(['describe report-run-events/reprun_fuzz1', 'signalWithStart report-run-events/reprun_fuzz1']);
    calls.length = before;
  });
});

describe('random requests', () => {
  const method = fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'HEAD');
  const path = fc.oneof(fc.constant('/webhooks/stripe'), fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}`));
  const contentType = fc.oneof(fc.constant('application/json'), fc.constant('application/json; charset=utf-8'), fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s)));
  const signature = fc.oneof(
    fc.string({ maxLength: 120 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    fc.tuple(fc.integer({ min: 0, max: 2 ** 32 }), fc.stringMatching(/^[0-9a-f]{0,70}$/)).map(([t, h]) => `t=${t},v1=${h}`),
  );
  const body = fc.oneof(fc.string({ maxLength: 300 }), fc.json(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));

  it('random method, path, content type, signature and body: a 4xx with a reason, never a signal', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, contentType, signature, body, async (m, p, ct, sig, b) => {
        fc.pre(!(p === '/healthz' && (m === 'GET' || m === 'HEAD')));
        const before = calls.length;
        const r = await send({ method: m, path: p, headers: { 'content-type': ct, 'stripe-signature': sig }, body: m === 'GET' || m === 'HEAD' ? undefined : b });
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        if (m !== 'HEAD') expect(JSON.parse(r.text).error).toBeTruthy();
        expect(calls.length).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('random JSON, correctly signed: 400 or an acknowledged 200, never a signal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.json(), fc.dictionary(fc.constantFrom('id', 'object', 'type', 'related_object', 'data', 'created'), fc.jsonValue({ maxDepth: 2 })).map((o) => JSON.stringify(o))),
        async (b) => {
          const before = calls.length;
          const r = await send(signed(b));
          expect([200, 400]).toContain(r.status);
          expect(calls.length).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the relay still serves after all of it, and its log never shows the secret', async () => {
    const url = new URL(relay.url);
    expect((await fetch(`${url.origin}/healthz`)).status).toBe(200);
    expect(relay.stats().signalErrors).toBe(0);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});
