// The faults a chaos harness injects, and the counters it checks them by from outside.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorCounters } from '../../src/emulator/index.js';
import { download, interval, settledV2, SK, v1, v2, waitFor } from './helpers.js';

let emu: Emulator;
let receiver: Server;
/** Webhook deliveries: the run each names and when it arrived. */
let received: { runId: string; at: number }[] = [];
/** Every run a delivery ever named (never reset). */
const delivered = new Set<string>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const evt = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      // v2 thin events name the run; v1 snapshots carry it.
      const runId = evt.related_object?.id ?? evt.data.object.id;
      received.push({ runId, at: Date.now() });
      delivered.add(runId);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  emu = await startEmulator({ processingMs: 100, webhookUrl, webhookSecret: 'whsec_faults', seed: 7 });
});
afterAll(async () => {
  await emu.close();
  await new Promise((r) => receiver.close(r));
});
/** Until every run has settled and been delivered, so nothing of an earlier test lands in the next. */
async function quiesce() {
  await waitFor(async () => (emu.listRuns().every((r) => r.status !== 'running' && delivered.has(r.id)) ? true : undefined));
  // A duplicate's second copy follows the first by 25 ms.
  await new Promise((r) => setTimeout(r, 100));
}

beforeEach(async () => {
  emu.setFaults({});
  await quiesce();
  received = [];
  // The harness's view: counters over HTTP, from zero.
  await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
});

const counters = async () => (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as EmulatorCounters;
const create = (headers: Record<string, string> = {}) =>
  v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval }, headers);
const createV1 = (headers: Record<string, string> = {}) => v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1' }, SK, headers);

describe('extraRateLimitRate', () => {
  it('answers 429 below the cap on both APIs, creates nothing, and is not remembered by idempotency', async () => {
    const runsBefore = emu.listRuns().length;
    emu.setFaults({ extraRateLimitRate: 1 });
    const r2 = await create({ 'Idempotency-Key': 'extra-429' });
    expect(r2.status).toBe(429);
    expect(r2.headers.get('retry-after')).toBe('1');
    expect(r2.body.error).toMatchObject({ type: 'rate_limit', code: 'report_run_rate_limit_exceeded' });
    const r1 = await createV1();
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('1');
    expect(r1.body.error.code).toBe('report_run_rate_limit_exceeded');
    expect(await counters()).toMatchObject({ extraRateLimited: 2, rateLimited: 2, runsCreated: 0, running: 0 });
    expect(emu.listRuns()).toHaveLength(runsBefore);

    emu.setFaults({});
    const retry = await create({ 'Idempotency-Key': 'extra-429' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await counters()).idempotentReplays).toBe(0);
    await settledV2(emu.url, retry.body.id);
  });

  it('counts exactly the injected 429s, apart from the cap', async () => {
    emu.setFaults({ extraRateLimitRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await create()).status);
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(30);
    expect(await counters()).toMatchObject({ extraRateLimited: limited, rateLimited: limited, runsCreated: 30 - limited });

    // The cap's own 429 counts in rateLimited only.
    emu.setFaults({});
    emu.configure({ runningCap: { live: 500, sandbox: 0 } });
    try {
      expect((await create()).status).toBe(429);
    } finally {
      emu.configure({ runningCap: { live: 500, sandbox: 100 } });
    }
    expect(await counters()).toMatchObject({ extraRateLimited: limited, rateLimited: limited + 1 });
  });
});

describe('delayWebhookRate', () => {
  const DELAY = 800;

  /** Creates n runs and waits for their deliveries; how late each arrived after its run settled. */
  async function lateness(n: number) {
    const ids = (await Promise.all(Array.from({ length: n }, () => create()))).map((r) => r.body.id as string);
    await waitFor(async () => (ids.every((id) => received.some((d) => d.runId === id)) ? true : undefined));
    const finished = new Map(emu.listRuns().map((r) => [r.id, r.finishedMs!]));
    return ids.map((id) => received.find((d) => d.runId === id)!.at - finished.get(id)!);
  }

  it('delays only that share of events, and counts them', async () => {
    emu.setFaults({ delayWebhookRate: 0.5, webhookDelayMs: DELAY });
    const late = await lateness(12);
    const delayed = late.filter((ms) => ms >= DELAY - 50).length;
    expect(delayed).toBeGreaterThan(0);
    expect(delayed).toBeLessThan(12);
    // The others went at once.
    expect(late.filter((ms) => ms < DELAY / 2)).toHaveLength(12 - delayed);
    expect((await counters()).webhooksDelayed).toBe(delayed);
  });

  it('delays none at rate 0, and every event when the rate is unset (webhookDelayMs alone)', async () => {
    emu.setFaults({ delayWebhookRate: 0, webhookDelayMs: DELAY });
    expect((await lateness(3)).every((ms) => ms < DELAY / 2)).toBe(true);
    expect((await counters()).webhooksDelayed).toBe(0);

    received = [];
    emu.setFaults({ webhookDelayMs: DELAY });
    expect((await lateness(3)).every((ms) => ms >= DELAY - 50)).toBe(true);
    expect((await counters()).webhooksDelayed).toBe(3);
  });

  it('counts duplicated events once each', async () => {
    emu.setFaults({ duplicateWebhookRate: 1 });
    const r = await create();
    await waitFor(async () => (received.length >= 2 ? true : undefined));
    expect(received.map((d) => d.runId)).toEqual([r.body.id, r.body.id]);
    expect(await counters()).toMatchObject({ webhooksDuplicated: 1, webhooksSent: 2, webhooksDelayed: 0 });
  });
});

describe('runsFailed', () => {
  it('counts runs that ended failed, whatever the reason', async () => {
    emu.setFaults({ failReports: ['balance.summary.1'] });
    const a = await create();
    const b = await createV1();
    await settledV2(emu.url, a.body.id);
    await waitFor(async () => (emu.listRuns().find((r) => r.id === b.body.id)?.status === 'failed' ? true : undefined));
    emu.setFaults({});
    emu.configure({ bytesPerRun: 6 * 1024 ** 3 });
    try {
      expect((await settledV2(emu.url, (await create()).body.id)).status).toBe('failed');
    } finally {
      emu.configure({ bytesPerRun: undefined });
    }
    expect((await settledV2(emu.url, (await create()).body.id)).status).toBe('succeeded');
    expect(await counters()).toMatchObject({ runsCreated: 4, runsFailed: 3 });
  });
});

describe('download faults', () => {
  let runId: string;
  const urlOf = async () => (await v2(emu.url, 'GET', `/v2/reporting/report_runs/${runId}`)).body.result.file.download_url.url as string;
  /** Downloads, swallowing a cut connection; the bytes received or null when cut. */
  const fetchBody = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    return { status: res.status, text: await res.text().catch(() => null) };
  };

  beforeAll(async () => {
    emu.configure({ bytesPerRun: 100_000 });
    runId = (await settledV2(emu.url, (await create()).body.id)).id;
    emu.configure({ bytesPerRun: undefined });
  });

  it('expireDownloadUrlRate refuses a signed URL exactly as an expired one, and not v1 file contents', async () => {
    emu.configure({ downloadUrlTtlSeconds: 0 });
    const lapsed = await urlOf();
    emu.configure({ downloadUrlTtlSeconds: 300 });
    const really = await fetchBody(lapsed);
    expect(really.status).toBe(403);
    expect(really.text).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');

    const fresh = await urlOf();
    emu.setFaults({ expireDownloadUrlRate: 1 });
    expect(await fetchBody(fresh)).toEqual(really);
    expect((await counters()).urlsExpired).toBe(2);

    // v1 file contents use the API key, not a signed URL: never expired by the fault.
    const f = await createV1();
    await waitFor(async () => (emu.listRuns().find((r) => r.id === f.body.id)?.status === 'succeeded' ? true : undefined));
    const got = await v1(emu.url, 'GET', `/v1/reporting/report_runs/${f.body.id}`);
    const res = await fetch(got.body.result.url, { headers: { Authorization: `Bearer ${SK}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    emu.setFaults({});
    expect((await download(fresh)).status).toBe(200);
    expect((await counters()).urlsExpired).toBe(2);
  });

  it('counts truncated, reset and corrupted downloads when the fault really hits the bytes', async () => {
    const url = await urlOf();
    const whole = await download(url);
    emu.setFaults({ truncateDownloadRate: 1 });
    expect((await fetchBody(url)).text).toBeNull();
    emu.setFaults({ resetDownloadRate: 1 });
    expect((await fetchBody(url)).text).toBeNull();
    emu.setFaults({ corruptDownloadRate: 1 });
    const bad = await download(url);
    expect(bad.bytes.length).toBe(whole.bytes.length);
    expect(bad.sha256).not.toBe(whole.sha256);
    // A Range past the middle never reaches the corrupt byte: drawn, but not applied.
    const tail = await download(url, { Range: 'bytes=90000-' });
    expect(tail.bytes.equals(whole.bytes.subarray(90_000))).toBe(true);
    emu.setFaults({});
    expect(await counters()).toMatchObject({ downloadsTruncated: 1, downloadsReset: 1, downloadsCorrupted: 1, downloads: 5 });
  });
});

describe('lostResponseRate', () => {
  it('carries the create out but resets the connection; the same Idempotency-Key then answers with that run', async () => {
    const before = emu.listRuns().length;
    emu.setFaults({ lostResponseRate: 1 });
    await expect(create({ 'Idempotency-Key': 'lost-answer' })).rejects.toThrow();
    expect(emu.listRuns()).toHaveLength(before + 1);
    const made = emu.listRuns().at(-1)!;
    expect(made.idempotencyKey).toBe('lost-answer');
    emu.setFaults({});
    const retry = await create({ 'Idempotency-Key': 'lost-answer' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(made.id);
    expect(emu.listRuns()).toHaveLength(before + 1);
    expect(await counters()).toMatchObject({ responsesLost: 1, runsCreated: 1, idempotentReplays: 1 });
  });

  it('without an Idempotency-Key the retry makes a second run (what the key is for)', async () => {
    const before = emu.listRuns().length;
    emu.setFaults({ lostResponseRate: 1 });
    await expect(create()).rejects.toThrow();
    emu.setFaults({});
    expect((await create()).status).toBe(200);
    expect(emu.listRuns()).toHaveLength(before + 2);
  });

  it('GETs are never cut', async () => {
    emu.setFaults({ lostResponseRate: 1 });
    const r = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1');
    expect(r.status).toBe(200);
    expect((await counters()).responsesLost).toBe(0);
  });
});
