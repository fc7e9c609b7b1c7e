// GET /_emulator/runs, and the fault checks a harness relies on to catch its own typos.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type RunInfo } from '../../src/emulator/index.js';
import { download, interval, settledV2, SK, SK_LIVE, v1, v2, waitFor } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingMs: 100, seed: 11 });
});
afterAll(() => emu.close());

const listed = async () => ((await (await fetch(`${emu.url}/_emulator/runs`)).json()) as { runs: RunInfo[] }).runs;
const postFaults = async (body: unknown) => {
  const res = await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as { error?: { message: string; param?: string } } };
};

describe('GET /_emulator/runs', () => {
  it('lists every run with what the emulator made of its request', async () => {
    const idem = { 'Idempotency-Key': 'runs-idem-1', 'Stripe-Context': 'acct_ctxRuns1' };
    const body = {
      report: 'balance_change_from_activity.itemized.3',
      report_parameters: { ...interval, connected_account: 'acct_connected1' },
      result_options: { compress_file: true },
    };
    const a = await v2(emu.url, 'POST', '/v2/reporting/report_runs', body, idem);
    // A replay creates nothing and keeps the first key.
    expect((await v2(emu.url, 'POST', '/v2/reporting/report_runs', body, idem)).headers.get('idempotent-replayed')).toBe('true');
    const b = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1', 'parameters[interval_start]': '1748736000', 'parameters[interval_end]': '1748822400' }, SK_LIVE, { 'Stripe-Account': 'acct_v1Acct1' });
    emu.setFaults({ failReports: ['payouts.itemized.3'] });
    const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'payouts.itemized.3', report_parameters: interval }, { 'Idempotency-Key': 'runs-idem-failed' });
    const done = await settledV2(emu.url, a.body.id);
    await settledV2(emu.url, c.body.id);
    emu.setFaults({});
    await waitFor(async () => ((await listed()).every((r) => r.status !== 'running') ? true : undefined));

    const runs = await listed();
    expect(runs.map((r) => r.id)).toEqual([a.body.id, b.body.id, c.body.id]);
    expect(emu.listRuns()).toEqual(runs);
    const [ra, rb, rc] = runs;
    const file = await download(done.result.file.download_url.url);
    expect(ra).toEqual({
      id: a.body.id,
      api: 'v2',
      report: 'balance_change_from_activity.itemized.3',
      livemode: false,
      status: 'succeeded',
      failure: null,
      createdMs: expect.any(Number),
      finishedMs: expect.any(Number),
      context: 'acct_ctxRuns1',
      connectedAccount: 'acct_connected1',
      intervalStart: '2025-06-01T00:00:00.000Z',
      intervalEnd: '2025-06-02T00:00:00.000Z',
      compress: true,
      size: file.bytes.length,
      idempotencyKey: 'runs-idem-1',
    });
    expect(ra.finishedMs!).toBeGreaterThanOrEqual(ra.createdMs);
    expect(rb).toMatchObject({
      api: 'v1',
      report: 'balance.summary.1',
      livemode: true,
      status: 'succeeded',
      context: 'acct_v1Acct1',
      connectedAccount: null,
      intervalStart: '2025-06-01T00:00:00.000Z',
      intervalEnd: '2025-06-02T00:00:00.000Z',
      compress: false,
      idempotencyKey: null,
    });
    expect(rc).toMatchObject({
      report: 'payouts.itemized.3',
      status: 'failed',
      failure: { code: 'internal_error', message: expect.stringMatching(/internal error/) },
      size: null,
      context: null,
      idempotencyKey: 'runs-idem-failed',
    });
  });

  it('shows a running run as running, and the true size under sizeSkewBytes', async () => {
    emu.configure({ processingMs: 60_000 });
    const r = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
    emu.configure({ processingMs: 100 });
    expect((await listed()).find((x) => x.id === r.body.id)).toMatchObject({ status: 'running', finishedMs: null, size: null, failure: null });

    emu.setFaults({ sizeSkewBytes: 10 });
    try {
      const s = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
      const done = await settledV2(emu.url, s.body.id);
      const info = (await listed()).find((x) => x.id === s.body.id)!;
      expect(Number(done.result.file.size)).toBe(info.size! + 10);
    } finally {
      emu.setFaults({});
    }
  });
});

describe('fault validation', () => {
  it('answers 400 naming the field, and keeps the faults it had', async () => {
    expect((await postFaults({ failRunRate: 1 })).status).toBe(200);
    for (const [field, value] of [
      ['extraRateLimitRate', 2],
      ['delayWebhookRate', -0.1],
      ['expireDownloadUrlRate', 'often'],
    ] as const) {
      const r = await postFaults({ [field]: value, webhookDelayMs: 100 });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ param: field, message: expect.stringContaining(field) });
    }
    const alone = await postFaults({ delayWebhookRate: 0.5 });
    expect(alone.status).toBe(400);
    expect(alone.body.error).toMatchObject({ param: 'webhookDelayMs', message: 'delayWebhookRate needs webhookDelayMs' });
    expect((await postFaults({ nosuchFault: 1 })).body.error!.param).toBe('nosuchFault');
    // Still failing runs: the refused bodies changed nothing.
    const r = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
    expect((await settledV2(emu.url, r.body.id, SK)).status).toBe('failed');
    expect((await postFaults({ extraRateLimitRate: 0.1, delayWebhookRate: 0.5, webhookDelayMs: 100, expireDownloadUrlRate: 0 })).status).toBe(200);
    expect((await postFaults({})).status).toBe(200);
  });
});
