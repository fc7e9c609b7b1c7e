import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { interval, settledV2, v1, v2, waitFor } from './helpers.js';

const SECRET = 'whsec_test_emulator_secret';
const stripe = new Stripe('sk_test_unused');

interface Delivery {
  raw: string;
  signature: string;
}

let emu: Emulator;
let receiver: Server;
let received: Delivery[] = [];
/** How many of the next deliveries the receiver refuses with 500. */
let refuse = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refuse > 0) {
        refuse--;
        res.writeHead(500).end();
        return;
      }
      received.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  emu = await startEmulator({ processingMs: 100, webhookUrl: hook, webhookSecret: SECRET, seed: 3 });
});
afterAll(async () => {
  await emu.close();
  await new Promise((r) => receiver.close(r));
});
beforeEach(() => {
  received = [];
  refuse = 0;
  emu.setFaults({});
});

const runV2 = () => v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval }, { 'Stripe-Context': 'acct_ctx1' });

describe('webhooks', () => {
  it('posts a signed thin v2 event on success, retrievable with data', async () => {
    const created = await runV2();
    const got = await waitFor(async () => received[0]);
    // Verifies with the stripe package, over the raw bytes.
    expect(() => stripe.webhooks.signature!.verifyHeader(got.raw, got.signature, SECRET)).not.toThrow();
    expect(() => stripe.webhooks.signature!.verifyHeader(got.raw, got.signature, 'whsec_wrong')).toThrow();
    expect(got.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}/);
    const evt = JSON.parse(got.raw);
    expect(evt).toMatchObject({
      object: 'v2.core.event',
      type: 'v2.reporting.report_run.succeeded',
      livemode: false,
      reason: null,
      context: 'acct_ctx1',
      related_object: { id: created.body.id, type: 'v2.reporting.report_run', url: `/v2/reporting/report_runs/${created.body.id}` },
    });
    expect(evt.id).toMatch(/^evt_/);
    expect(Number.isNaN(Date.parse(evt.created))).toBe(false);
    const full = await v2(emu.url, 'GET', `/v2/core/events/${evt.id}`);
    expect(full.status).toBe(200);
    expect(full.body.id).toBe(evt.id);
    expect(full.body.data).toBeDefined();
    expect(emu.counters().webhooksSent).toBeGreaterThanOrEqual(1);
  });

  it('posts a snapshot v1 event that constructEvent accepts, and a failed one', async () => {
    const created = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1' });
    const got = await waitFor(async () => received[0]);
    const event = stripe.webhooks.constructEvent(got.raw, got.signature, SECRET);
    expect(event.type).toBe('reporting.report_run.succeeded');
    const obj = event.data.object as unknown as { id: string; status: string; result: { url: string } };
    expect(obj.id).toBe(created.body.id);
    expect(obj.status).toBe('succeeded');
    expect(obj.result.url).toContain('/v1/files/');

    emu.setFaults({ failReports: ['balance.summary.1'] });
    await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1' });
    const failed = await waitFor(async () => received[1]);
    expect(stripe.webhooks.constructEvent(failed.raw, failed.signature, SECRET).type).toBe('reporting.report_run.failed');
    const r2 = await runV2();
    await settledV2(emu.url, r2.body.id);
    const thin = await waitFor(async () => received[2]);
    expect(JSON.parse(thin.raw).type).toBe('v2.reporting.report_run.failed');
  });

  it('drops, duplicates and delays on request', async () => {
    emu.setFaults({ dropWebhookRate: 1 });
    const before = emu.counters().webhooksDropped;
    const r = await runV2();
    await settledV2(emu.url, r.body.id);
    await new Promise((res) => setTimeout(res, 300));
    expect(received).toHaveLength(0);
    expect(emu.counters().webhooksDropped).toBe(before + 1);

    emu.setFaults({ duplicateWebhookRate: 1, webhookDelayMs: 400 });
    const started = Date.now();
    const r2 = await runV2();
    await waitFor(async () => (received.length >= 2 ? true : undefined));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400 + 100);
    expect(received[0].raw).toBe(received[1].raw);
    expect(JSON.parse(received[0].raw).related_object.id).toBe(r2.body.id);
  });

  it('retries a delivery the endpoint refused, and survives an endpoint that is down', async () => {
    refuse = 1;
    await runV2();
    const got = await waitFor(async () => received[0], 5000);
    expect(JSON.parse(got.raw).type).toBe('v2.reporting.report_run.succeeded');

    emu.configure({ webhookUrl: 'http://127.0.0.1:1/nowhere' });
    try {
      const r = await runV2();
      expect((await settledV2(emu.url, r.body.id)).status).toBe('succeeded');
      expect((await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1')).status).toBe(200);
    } finally {
      emu.configure({ webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks` });
    }
  });
});
