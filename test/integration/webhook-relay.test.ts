/**
 * The webhook relay on real parts: a real relay on a free port, the suite's Temporal dev server,
 * a real worker running the mailbox workflows, and payloads signed with the stripe package's own
 * test header generator. Every bad input must be refused without starting a run's mailbox; every
 * good one must reach `report-run-events/<run id>`.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLineLogger } from '../../src/observability/logger.js';
import { subscribeToRun } from '../../src/temporal/run-mailbox.js';
import { relaySettingsFromEnv, startRelay, type Relay } from '../../src/webhook/index.js';
import { runEventsWorkflowId } from '../../src/domain/business-key.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';

const SECRET = `whsec_relay_${randomBytes(8).toString('hex')}`;
const NEXT_SECRET = `whsec_next_${randomBytes(8).toString('hex')}`;
let temporal: TestTemporal;
let relay: Relay;
const lines: string[] = [];
const mailboxes: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-'));
  // The worker runs the mailbox workflows; nothing here talks to Stripe.
  temporal = await startTestWorker({ stripe: { baseUrl: 'http://127.0.0.1:9', env: {} }, archiveDir: dir, webhooks: true });
  relay = await startRelay({ client: temporal.client, taskQueue: temporal.taskQueue, port: 0, secrets: [SECRET, NEXT_SECRET], logger: createLineLogger('relay', (l) => lines.push(l)) });
});

afterAll(async () => {
  await relay?.close();
  // Orphan mailboxes would otherwise wait 15 minutes on the shared dev server.
  for (const id of mailboxes) await temporal.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await temporal?.close();
});

const runId = () => {
  const id = `reprun_test${randomBytes(8).toString('hex')}`;
  mailboxes.push(runEventsWorkflowId(id));
  return id;
};
const eventId = () => `evt_test${randomBytes(10).toString('hex')}`;

function thin(run: string, type = 'v2.reporting.report_run.succeeded', id = eventId()): string {
  return JSON.stringify({
    id,
    object: 'v2.core.event',
    type,
    created: new Date().toISOString(),
    livemode: false,
    reason: null,
    related_object: { id: run, type: 'v2.reporting.report_run', url: `/v2/reporting/report_runs/${run}` },
  });
}

function snapshot(run: string, type = 'reporting.report_run.succeeded', id = eventId()): string {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: null,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: { id: run, object: 'reporting.report_run', status: type.endsWith('failed') ? 'failed' : 'succeeded' } },
  });
}

const sign = (body: string, secret = SECRET, timestamp = Math.floor(Date.now() / 1000)) =>
  Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });

async function post(body: string | Buffer, headers: Record<string, string | undefined>): Promise<number> {
  const res = await fetch(relay.url, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>,
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function mailboxExists(run: string): Promise<boolean> {
  return temporal.client.workflow
    .getHandle(runEventsWorkflowId(run))
    .describe()
    .then(
      () => true,
      () => false,
    );
}

async function mailboxHistory(run: string) {
  return (await temporal.client.workflow.getHandle(runEventsWorkflowId(run)).fetchHistory()).events ?? [];
}

const signalsIn = (events: Awaited<ReturnType<typeof mailboxHistory>>, name: string) =>
  events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name);

describe('refused: 4xx, and no mailbox is started', () => {
  it('missing Stripe-Signature header → 400', async () => {
    const run = runId();
    expect(await post(thin(run), {})).toBe(400);
    expect(await mailboxExists(run)).toBe(false);
  });

  it.each([['garbage'], ['t=notanumber,v1=abc'], ['v1=deadbeef'], ['t=1700000000']])('malformed header %s → 400', async (header) => {
    const run = runId();
    expect(await post(thin(run), { 'stripe-signature': header })).toBe(400);
    expect(await mailboxExists(run)).toBe(false);
  });

  it('signed with a secret the relay does not have → 400', async () => {
    const run = runId();
    const body = thin(run);
    expect(await post(body, { 'stripe-signature': sign(body, 'whsec_someone_else') })).toBe(400);
    expect(await mailboxExists(run)).toBe(false);
  });

  it('stale timestamp (10 minutes old, tolerance 5) → 400, for v2 and v1', async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    const a = runId();
    const b = runId();
    const v2 = thin(a);
    const v1 = snapshot(b);
    expect(await post(v2, { 'stripe-signature': sign(v2, SECRET, old) })).toBe(400);
    expect(await post(v1, { 'stripe-signature': sign(v1, SECRET, old) })).toBe(400);
    expect(await mailboxExists(a)).toBe(false);
    expect(await mailboxExists(b)).toBe(false);
    expect(lines.filter((l) => l.includes('timestamp outside tolerance')).length).toBeGreaterThanOrEqual(2);
  });

  it('tampered body (run id changed after signing) → 400, neither run gets a mailbox', async () => {
    const signedFor = runId();
    const tamperedTo = runId();
    const body = thin(signedFor);
    const header = sign(body);
    expect(await post(body.replace(signedFor, tamperedTo), { 'stripe-signature': header })).toBe(400);
    // Re-serialised JSON (same content, other bytes) fails too: verification is over raw bytes.
    expect(await post(JSON.stringify(JSON.parse(body), null, 2), { 'stripe-signature': header })).toBe(400);
    expect(await mailboxExists(signedFor)).toBe(false);
    expect(await mailboxExists(tamperedTo)).toBe(false);
  });

  it('a body that is not JSON → 400, even when correctly signed', async () => {
    const body = 'reprun_notjson=1&type=v2.reporting.report_run.succeeded';
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(400);
    expect(await post('[1,2]', { 'stripe-signature': sign('[1,2]') })).toBe(400);
  });

  it('oversized body → 413 without reading it all, by Content-Length and when chunked; the relay keeps serving', async () => {
    const run = runId();
    const big = JSON.stringify({ ...JSON.parse(thin(run)), padding: 'x'.repeat(2 * 1024 * 1024) });
    expect(await post(big, { 'stripe-signature': sign(big) })).toBe(413);
    expect(await chunkedPost(big, sign(big))).toBe(413);
    expect(await mailboxExists(run)).toBe(false);
    expect((await fetch(relay.url.replace(/\/webhooks\/stripe$/, '/healthz'))).status).toBe(200);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], [undefined]])('content type %s → 415', async (contentType) => {
    const run = runId();
    const body = thin(run);
    const headers = { 'stripe-signature': sign(body), 'content-type': contentType };
    const status = contentType
      ? await post(body, headers)
      : await fetch(relay.url, { method: 'POST', headers: { 'stripe-signature': sign(body) }, body: Buffer.from(body) }).then((r) => r.status);
    expect(status).toBe(415);
    expect(await mailboxExists(run)).toBe(false);
  });
});

describe('verified but irrelevant: 200, no signal', () => {
  it.each([
    ['v2.reporting.report_run.created', 'thin'],
    ['v2.reporting.report_run.updated', 'thin'],
    ['v2.core.account.updated', 'thin'],
    ['reporting.report_type.updated', 'snapshot'],
    ['customer.created', 'snapshot'],
  ] as const)('%s → 200 acknowledged, no mailbox', async (type, kind) => {
    const run = runId();
    const body = kind === 'thin' ? thin(run, type) : snapshot(run, type);
    const before = relay.stats().ignored;
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(200);
    expect(relay.stats().ignored).toBe(before + 1);
    expect(await mailboxExists(run)).toBe(false);
  });
});

describe('routed: 200 and the event is in the run’s mailbox', () => {
  it.each([
    ['v2 succeeded', (r: string) => thin(r)],
    ['v2 failed (a failed run wakes its workflow too)', (r: string) => thin(r, 'v2.reporting.report_run.failed')],
    ['v1 succeeded', (r: string) => snapshot(r)],
    ['v1 failed', (r: string) => snapshot(r, 'reporting.report_run.failed')],
  ])('%s', async (_name, make) => {
    const run = runId();
    const body = make(run);
    const { id, type } = JSON.parse(body) as { id: string; type: string };
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(200);
    const [signal] = signalsIn(await mailboxHistory(run), 'stripeEvent');
    const notice = temporal.client.options.loadedDataConverter.payloadConverter.fromPayload(signal!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!);
    expect(notice).toMatchObject({ eventId: id, type, receivedAt: expect.any(Number), runId: run });
    const line = JSON.parse(lines.find((l) => l.includes(id))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'webhook routed', status: 200, outcome: 'routed', eventId: id, eventType: type, reportRunId: run, signalMs: expect.any(Number), via: 'mailbox' });
  });

  it('rotation: an event signed with the second secret verifies', async () => {
    const run = runId();
    const body = thin(run);
    expect(await post(body, { 'stripe-signature': sign(body, NEXT_SECRET) })).toBe(200);
    expect(await mailboxExists(run)).toBe(true);
    // During rotation Stripe signs with both: a header with two v1 signatures, one of them ours.
    const other = runId();
    const both = thin(other);
    const t = Math.floor(Date.now() / 1000);
    const theirs = sign(both, 'whsec_old_gone', t).split(',v1=')[1];
    expect(await post(both, { 'stripe-signature': `${sign(both, SECRET, t)},v1=${theirs}` })).toBe(200);
    expect(await mailboxExists(other)).toBe(true);
  });

  it('an event for a run nobody waits for: 200, a mailbox that signals no workflow', async () => {
    const run = runId();
    const body = thin(run);
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(200);
    const handle = temporal.client.workflow.getHandle(runEventsWorkflowId(run));
    // Let the worker run the mailbox's first task: it must wait, not signal anyone.
    await waitFor(async () => (await mailboxHistory(run)).some((e) => e.workflowTaskCompletedEventAttributes));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const events = await mailboxHistory(run);
    expect(events.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    expect(signalsIn(events, 'subscribe')).toHaveLength(0);
  });

  it('a duplicated event (same bytes twice): both 200, one mailbox holding both deliveries', async () => {
    const run = runId();
    const body = snapshot(run);
    const header = sign(body);
    expect(await post(body, { 'stripe-signature': header })).toBe(200);
    expect(await post(body, { 'stripe-signature': header })).toBe(200);
    // A signal that arrives while a workflow task runs is buffered until the task completes.
    await waitFor(async () => signalsIn(await mailboxHistory(run), 'stripeEvent').length === 2);
    const signals = signalsIn(await mailboxHistory(run), 'stripeEvent');
    expect(signals).toHaveLength(2); // the mailbox dedupes by event id before waking anyone
    const { executions } = await countMailboxes(run);
    expect(executions).toBe(1);
  });
});

describe('once a workflow subscribed: straight to it', () => {
  it('the subscribed mailbox closes at once; the event skips it (its memo names the subscriber), repeats included; a gone subscriber falls back to the mailbox', async () => {
    // Any running workflow can stand in for the waiting reportRunWorkflow: the mailbox of another
    // run that holds an event nobody subscribed to (it waits 15 minutes).
    const standIn = runId();
    const standInId = runEventsWorkflowId(standIn);
    const held = thin(standIn);
    expect(await post(held, { 'stripe-signature': sign(held) })).toBe(200);
    const run = runId();
    await subscribeToRun(temporal.client, temporal.taskQueue, run, standInId);
    const mailbox = temporal.client.workflow.getHandle(runEventsWorkflowId(run));
    // Nothing to hand over: it closes in its first task, without a timer, and names the subscriber.
    expect(await mailbox.result()).toEqual({ delivered: 0, dropped: 0 });
    expect((await mailbox.describe()).memo?.subscriber).toBe(standInId);
    expect((await mailboxHistory(run)).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect((await mailboxHistory(run)).some((e) => e.timerStartedEventAttributes)).toBe(false);

    const body = thin(run);
    const { id } = JSON.parse(body) as { id: string };
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(200);
    expect(await post(body, { 'stripe-signature': sign(body) })).toBe(200);
    expect(lines.filter((l) => l.includes(id)).map((l) => (JSON.parse(l) as { via: string }).via)).toEqual(['direct', 'direct']);
    // A signal that arrives while a workflow task runs shows in history once the task completes.
    await waitFor(async () => signalsIn(await mailboxHistory(standIn), 'reportRunEvent').length >= 2);
    const received = signalsIn(await mailboxHistory(standIn), 'reportRunEvent');
    expect(received).toHaveLength(2); // reportRunWorkflow drops the repeat by event id
    expect(signalsIn(await mailboxHistory(run), 'stripeEvent')).toHaveLength(0);

    await temporal.client.workflow.getHandle(standInId).terminate('the subscriber is gone');
    const later = thin(run);
    expect(await post(later, { 'stripe-signature': sign(later) })).toBe(200);
    expect(JSON.parse(lines.find((l) => l.includes(JSON.parse(later).id))!)).toMatchObject({ via: 'mailbox' });
    await waitFor(async () => signalsIn(await mailboxHistory(run), 'stripeEvent').length >= 1);
    expect(signalsIn(await mailboxHistory(run), 'stripeEvent')).toHaveLength(1);
  });
});

describe('the relay itself', () => {
  it('a delivery error answers 500 so Stripe retries, and counts as a signal error', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const broken = await startRelay({
      client: new Client({ connection, namespace: `no-such-namespace-${randomBytes(4).toString('hex')}` }),
      taskQueue: temporal.taskQueue,
      secrets: [SECRET],
      logger: createLineLogger('relay', () => undefined),
    });
    try {
      const body = thin(runId());
      const res = await fetch(broken.url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) }, body });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'delivery failed; retry later' }); // not Temporal's message
      expect(broken.stats()).toMatchObject({ received: 1, verified: 1, signalErrors: 1, routed: 0 });
    } finally {
      await broken.close();
      await connection.close();
    }
  });

  it('healthz, 404 and 405', async () => {
    const base = new URL(relay.url);
    expect((await fetch(new URL('/healthz', base))).status).toBe(200);
    expect((await fetch(new URL('/other', base), { method: 'POST' })).status).toBe(404);
    const get = await fetch(relay.url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('one log line per webhook request, never a secret, a signature or a body', async () => {
    const before = lines.length;
    const received = relay.stats().received;
    const body = thin(runId());
    const header = sign(body);
    await post(body, { 'stripe-signature': header });
    await post(body, { 'stripe-signature': sign(body, 'whsec_wrong') });
    await post('nope', { 'stripe-signature': header });
    expect(lines.length - before).toBe(3);
    expect(relay.stats().received - received).toBe(3);
    const all = lines.join('\n');
    for (const secret of [SECRET, NEXT_SECRET, 'whsec_']) expect(all).not.toContain(secret);
    expect(all).not.toContain('v1=');
    expect(all).not.toContain('related_object');
    expect(all).not.toContain('padding');
    const s = relay.stats();
    expect(s.received).toBe(s.verified + s.rejected);
    expect(s.verified).toBe(s.routed + s.ignored + s.signalErrors);
  });

  it('startRelay refuses to start without a secret or with no tolerance', async () => {
    await expect(startRelay({ client: temporal.client, taskQueue: 'x', secrets: [' '] })).rejects.toThrow(/STRIPE_WEBHOOK_SECRETS/);
    await expect(startRelay({ client: temporal.client, taskQueue: 'x', secrets: [SECRET], toleranceSeconds: 0 })).rejects.toThrow(/toleranceSeconds/);
  });

  it('relaySettingsFromEnv', () => {
    expect(relaySettingsFromEnv({})).toEqual({ secrets: [], port: 8787, path: '/webhooks/stripe', host: undefined });
    expect(relaySettingsFromEnv({ STRIPE_WEBHOOK_SECRETS: 'whsec_a, whsec_b,,', REPORTS_RELAY_PORT: '0', REPORTS_RELAY_PATH: '/hooks' })).toMatchObject({
      secrets: ['whsec_a', 'whsec_b'],
      port: 0,
      path: '/hooks',
    });
    expect(() => relaySettingsFromEnv({ REPORTS_RELAY_PORT: 'eighty' })).toThrow(/REPORTS_RELAY_PORT/);
    expect(() => relaySettingsFromEnv({ REPORTS_RELAY_PATH: 'hooks' })).toThrow(/REPORTS_RELAY_PATH/);
  });
});

/** A POST with Transfer-Encoding: chunked (no Content-Length), so the relay must count as it reads. */
function chunkedPost(body: string, signature: string): Promise<number> {
  const url = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The relay closes the connection once it has answered: a write error after that is expected.
    req.on('error', (err) => (req.headersSent ? undefined : reject(err)));
    const chunk = 64 * 1024;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const ok = req.write(body.slice(offset, offset + chunk));
        offset += chunk;
        if (!ok) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function countMailboxes(run: string): Promise<{ executions: number }> {
  const history = await mailboxHistory(run);
  return { executions: history.filter((e) => e.workflowExecutionStartedEventAttributes).length };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
