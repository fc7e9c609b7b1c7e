import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { download, interval, settledV2, SK, v1, v2 } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingMs: 400, runningCap: { live: 5, sandbox: 3 }, seed: 42 });
});
afterAll(() => emu.close());

const create = (key = SK, headers: Record<string, string> = {}, params: Record<string, unknown> = interval) =>
  v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: params }, headers, key);

describe('running cap', () => {
  it('answers 429 report_run_rate_limit_exceeded with Retry-After once a key has its cap running', async () => {
    await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
    const ok = await Promise.all([create(), create(), create()]);
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    const over = await create();
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.body.error).toMatchObject({ code: 'report_run_rate_limit_exceeded', type: 'rate_limit' });
    // The cap is per key: another sandbox key still gets through.
    expect((await create('sk_test_anotherKey9999')).status).toBe(200);
    // v1 creates count against the same pool.
    const v1over = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1' });
    expect(v1over.status).toBe(429);
    let c = emu.counters();
    expect(c.running).toBe(4);
    expect(c.peakRunning).toBe(4);
    expect(c.rateLimited).toBe(2);
    await Promise.all(ok.map((r) => settledV2(emu.url, r.body.id)));
    await new Promise((r) => setTimeout(r, 500));
    c = emu.counters();
    expect(c.running).toBe(0);
    expect(c.peakRunning).toBe(4);
    expect((await create()).status).toBe(200);
    const http = (await (await fetch(`${emu.url}/_emulator/counters`)).json()) as Record<string, number>;
    expect(http.runsCreated).toBe(5);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and body, and refuses another body with 409', async () => {
    const before = emu.counters();
    const headers = { 'Idempotency-Key': 'idem-1' };
    const first = await create(SK, headers);
    expect(first.status).toBe(200);
    // Same meaning, keys in another order: still the same request.
    const again = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report_parameters: { interval_end: interval.interval_end, interval_start: interval.interval_start }, report: 'balance.summary.1' }, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await create(SK, headers, { ...interval, interval_end: '2025-06-03T00:00:00Z' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.type).toBe('idempotency_error');
    expect(conflict.headers.get('stripe-should-retry')).toBe('false');
    // Keys are scoped per API key.
    const otherKey = await create('sk_test_thirdKey0000', headers);
    expect(otherKey.status).toBe(200);
    expect(otherKey.body.id).not.toBe(first.body.id);
    const after = emu.counters();
    expect(after.idempotentReplays - before.idempotentReplays).toBe(1);
    expect(after.runsCreated - before.runsCreated).toBe(2);

    // v1 too, with form bodies.
    const f = { report_type: 'balance.summary.1', 'parameters[interval_start]': '1748736000', 'parameters[interval_end]': '1748822400' };
    const a = await v1(emu.url, 'POST', '/v1/reporting/report_runs', f, SK, { 'Idempotency-Key': 'idem-v1' });
    const b = await v1(emu.url, 'POST', '/v1/reporting/report_runs', f, SK, { 'Idempotency-Key': 'idem-v1' });
    expect(b.body.id).toBe(a.body.id);
    const c = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { ...f, 'parameters[interval_end]': '1748908800' }, SK, { 'Idempotency-Key': 'idem-v1' });
    expect(c.status).toBe(409);
  });

  it('does not save a rate-limited answer: the retry with the same key really retries', async () => {
    emu.configure({ runningCap: { live: 5, sandbox: 0 } });
    const key = 'sk_test_capZeroKey1111';
    const r1 = await create(key, { 'Idempotency-Key': 'idem-429' });
    expect(r1.status).toBe(429);
    emu.configure({ runningCap: { live: 5, sandbox: 3 } });
    const r2 = await create(key, { 'Idempotency-Key': 'idem-429' });
    expect(r2.status).toBe(200);
  });
});

describe('faults', () => {
  beforeAll(() => emu.configure({ runningCap: { live: 500, sandbox: 100 } }));

  it('serverErrorRate answers 500 on about that share of API calls, never on control or files', async () => {
    const s = await create();
    const run = await settledV2(emu.url, s.body.id);
    emu.setFaults({ serverErrorRate: 0.5 });
    try {
      const before = emu.counters().serverErrors;
      let fivehundreds = 0;
      for (let i = 0; i < 200; i++) {
        const r = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1');
        if (r.status === 500) fivehundreds++;
        else expect(r.status).toBe(200);
      }
      expect(fivehundreds).toBeGreaterThan(60);
      expect(fivehundreds).toBeLessThan(140);
      expect(emu.counters().serverErrors - before).toBe(fivehundreds);
      for (let i = 0; i < 10; i++) expect((await fetch(`${emu.url}/_emulator/counters`)).status).toBe(200);
    } finally {
      emu.setFaults({});
    }
    const url = (await v2(emu.url, 'GET', `/v2/reporting/report_runs/${run.id}`)).body.result.file.download_url.url;
    emu.setFaults({ serverErrorRate: 1 });
    try {
      expect((await download(url)).status).toBe(200);
    } finally {
      emu.setFaults({});
    }
  });

  it('failRunRate and failReports make runs fail with internal_error', async () => {
    emu.setFaults({ failReports: ['payouts.itemized.3'] });
    const r = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'payouts.itemized.3', report_parameters: interval });
    const run = await settledV2(emu.url, r.body.id);
    expect(run.status).toBe('failed');
    expect(run.result).toBeNull();
    expect(run.status_details.failed.error_code).toBe('internal_error');
    const f1 = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'payouts.itemized.3' });
    await new Promise((res) => setTimeout(res, 600));
    const g1 = await v1(emu.url, 'GET', `/v1/reporting/report_runs/${f1.body.id}`);
    expect(g1.body.status).toBe('failed');
    expect(g1.body.error).toMatch(/internal error/);
    emu.setFaults({ failRunRate: 1 });
    const r2 = await create();
    expect((await settledV2(emu.url, r2.body.id)).status).toBe('failed');
    emu.setFaults({});
  });

  it('bytesPerRun above 5 GB fails with file_size_above_limit', async () => {
    emu.configure({ bytesPerRun: 6 * 1024 ** 3 });
    try {
      const r = await create();
      const run = await settledV2(emu.url, r.body.id);
      expect(run.status_details.failed.error_code).toBe('file_size_above_limit');
    } finally {
      emu.configure({ bytesPerRun: undefined });
    }
  });

  it('truncateDownloadRate cuts a download short of Content-Length', async () => {
    emu.configure({ bytesPerRun: 2_000_000 });
    const r = await create();
    const run = await settledV2(emu.url, r.body.id);
    emu.configure({ bytesPerRun: undefined });
    emu.setFaults({ truncateDownloadRate: 1 });
    try {
      const res = await fetch(run.result.file.download_url.url);
      expect(res.headers.get('content-length')).toBe('2000000');
      await expect(res.arrayBuffer()).rejects.toThrow();
    } finally {
      emu.setFaults({});
    }
    expect((await download(run.result.file.download_url.url)).bytes.length).toBe(2_000_000);
  });

  it('inaccessibleAccounts answers 403 report_inaccessible for Stripe-Context and connected_account', async () => {
    emu.setFaults({ inaccessibleAccounts: ['acct_blocked1'] });
    try {
      const byContext = await create(SK, { 'Stripe-Context': 'acct_blocked1' });
      expect(byContext.status).toBe(403);
      expect(byContext.body.error.code).toBe('report_inaccessible');
      const byParam = await v2(emu.url, 'POST', '/v2/reporting/report_runs', {
        report: 'balance_change_from_activity.itemized.3',
        report_parameters: { ...interval, connected_account: 'acct_blocked1' },
      });
      expect(byParam.status).toBe(403);
      expect((await create(SK, { 'Stripe-Context': 'acct_fine1' })).status).toBe(200);
    } finally {
      emu.setFaults({});
    }
  });

  it('is driven over HTTP as well', async () => {
    const post = (path: string, body: unknown) => fetch(`${emu.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    expect((await post('/_emulator/faults', { serverErrorRate: 1 })).status).toBe(200);
    expect((await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1')).status).toBe(500);
    expect((await post('/_emulator/faults', {})).status).toBe(200);
    expect((await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1')).status).toBe(200);
    expect((await post('/_emulator/faults', { serverErrorRate: 3 })).status).toBe(400);
    expect((await post('/_emulator/configure', { processingMs: 50 })).status).toBe(200);
    const r = await create();
    await new Promise((res) => setTimeout(res, 300));
    expect((await v2(emu.url, 'GET', `/v2/reporting/report_runs/${r.body.id}`)).body.status).toBe('succeeded');
    const sha = (await (await fetch(`${emu.url}/_emulator/runs/${r.body.id}/sha256`)).json()) as { sha256: string };
    expect(sha.sha256).toBe(await emu.fileSha256(r.body.id));
    const timing = (await (await fetch(`${emu.url}/_emulator/runs/${r.body.id}`)).json()) as { status: string; createdMs: number; finishedMs: number };
    expect(timing.status).toBe('succeeded');
    // Settled after processingMs (50 ms; timers may fire a millisecond early), before now.
    expect(timing.finishedMs - timing.createdMs).toBeGreaterThanOrEqual(45);
    expect(timing.finishedMs).toBeLessThanOrEqual(Date.now());
    expect((await fetch(`${emu.url}/_emulator/runs/frr_nope`)).status).toBe(404);
    const reset = (await (await post('/_emulator/reset', {})).json()) as Record<string, number>;
    expect(reset.runsCreated).toBe(0);
    expect(emu.counters().runsCreated).toBe(0);
  });
});
