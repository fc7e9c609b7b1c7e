import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { download, interval, settledV2, SK, SK_LIVE, v1, v2, waitFor } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingMs: 150, rowsPerRun: 40, log: process.env.EMU_LOG ? (l) => console.log(Date.now() % 100000, l) : undefined });
});
afterAll(() => emu.close());

describe('v2 run lifecycle', () => {
  it('creates a running run that succeeds, and downloads a file whose size and sha256 match', async () => {
    const created = await v2(emu.url, 'POST', '/v2/reporting/report_runs', {
      report: 'balance_change_from_activity.itemized.3',
      report_parameters: interval,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'v2.reporting.report_run',
      status: 'running',
      result: null,
      status_details: {},
      livemode: false,
      report: 'balance_change_from_activity.itemized.3',
      report_parameters: interval,
      result_options: { compress_file: false },
    });
    expect(created.body.id).toMatch(/^reprun_/);
    expect(created.body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

    const run = await settledV2(emu.url, created.body.id);
    expect(run.status).toBe('succeeded');
    const file = run.result.file;
    expect(file.content_type).toBe('csv');
    expect(typeof file.size).toBe('string');
    expect(file.download_url.url.startsWith(`${emu.url}/files/`)).toBe(true);

    const dl = await download(file.download_url.url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-length')).toBe(file.size);
    expect(dl.bytes.length).toBe(Number(file.size));
    expect(dl.sha256).toBe(await emu.fileSha256(run.id));
    const lines = dl.bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,description');
    expect(lines).toHaveLength(41);
    for (const l of lines.slice(1)) {
      const f = l.split(',');
      expect(f[1] >= '2025-06-01 00:00:00' && f[1] < '2025-06-02 00:00:00').toBe(true);
      // Major units: two decimals, none for a zero-decimal currency such as jpy.
      expect(f[4]).toMatch(f[3] === 'jpy' ? /^-?\d+$/ : /^-?\d+\.\d\d$/);
    }

    // The same parameters give the same bytes in another run.
    const again = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance_change_from_activity.itemized.3', report_parameters: interval });
    const run2 = await settledV2(emu.url, again.body.id);
    expect(await emu.fileSha256(run2.id)).toBe(dl.sha256);

    // Each read signs a fresh URL.
    const reread = await v2(emu.url, 'GET', `/v2/reporting/report_runs/${run.id}`);
    expect(reread.body.result.file.download_url.url).toBeDefined();
    const counters = emu.counters();
    expect(counters.downloads).toBeGreaterThanOrEqual(1);
    expect(counters.runsCreated).toBeGreaterThanOrEqual(2);
  });

  it('honours columns (in the requested order) and summary shapes', async () => {
    const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', {
      report: 'balance_change_from_activity.itemized.3',
      report_parameters: { ...interval, columns: ['net', 'currency', 'balance_transaction_id'], currency: 'eur' },
    });
    const run = await settledV2(emu.url, c.body.id);
    const text = (await download(run.result.file.download_url.url)).bytes.toString();
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('net,currency,balance_transaction_id');
    expect(lines.slice(1).every((l) => l.split(',')[1] === 'eur')).toBe(true);

    const s = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
    const sum = await settledV2(emu.url, s.body.id);
    const st = (await download(sum.result.file.download_url.url)).bytes.toString().trimEnd().split('\n');
    expect(st[0]).toBe('category,description,net_amount,currency');
    // One block of four lines per currency of the account's ledger.
    const body = st.slice(1).map((l) => l.split(','));
    expect(body.length % 4).toBe(0);
    for (let i = 0; i < body.length; i += 4) {
      expect(body.slice(i, i + 4).map((f) => f[0])).toEqual(['starting_balance', 'activity', 'payouts', 'ending_balance']);
      expect(new Set(body.slice(i, i + 4).map((f) => f[3])).size).toBe(1);
    }
  });

  it('serves Range requests with 206 and Content-Range', async () => {
    const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'payouts.itemized.3', report_parameters: interval });
    const run = await settledV2(emu.url, c.body.id);
    const url = run.result.file.download_url.url;
    const full = await download(url);
    const before = emu.counters().rangeRequests;
    const part = await download(url, { Range: 'bytes=100-' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-${full.bytes.length - 1}/${full.bytes.length}`);
    expect(part.headers.get('content-length')).toBe(String(full.bytes.length - 100));
    expect(part.bytes.equals(full.bytes.subarray(100))).toBe(true);
    const mid = await download(url, { Range: 'bytes=10-19' });
    expect(mid.bytes.equals(full.bytes.subarray(10, 20))).toBe(true);
    expect(emu.counters().rangeRequests).toBe(before + 2);
    const beyond = await download(url, { Range: `bytes=${full.bytes.length}-` });
    expect(beyond.status).toBe(416);
  });

  it('refuses an expired download URL with 403, and a tampered one', async () => {
    emu.configure({ downloadUrlTtlSeconds: 1 });
    try {
      const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance.summary.1', report_parameters: interval });
      const run = await settledV2(emu.url, c.body.id);
      const url: string = run.result.file.download_url.url;
      expect(Date.parse(run.result.file.download_url.expires_at) - Date.now()).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await download(url);
      expect(expired.status).toBe(403);
      expect(expired.bytes.toString()).toMatch(/expired/);
      const tampered = await download(url.slice(0, -3) + 'abc');
      expect(tampered.status).toBe(403);
      // A fresh read gives a working URL again.
      const fresh = await v2(emu.url, 'GET', `/v2/reporting/report_runs/${run.id}`);
      expect((await download(fresh.body.result.file.download_url.url)).status).toBe(200);
    } finally {
      emu.configure({ downloadUrlTtlSeconds: 300 });
    }
  });

  it('compress_file gives a valid ZIP holding <report>.csv', async () => {
    const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', {
      report: 'balance_change_from_activity.itemized.3',
      report_parameters: interval,
      result_options: { compress_file: true },
    });
    expect(c.body.result_options).toEqual({ compress_file: true });
    const run = await settledV2(emu.url, c.body.id);
    expect(run.result.file.content_type).toBe('zip');
    const dl = await download(run.result.file.download_url.url);
    expect(dl.bytes.length).toBe(Number(run.result.file.size));
    expect(dl.sha256).toBe(await emu.fileSha256(run.id));
    expect(dl.bytes.subarray(0, 4).toString('hex')).toBe('504b0304');

    const entries = await new Promise<{ name: string; text: string }[]>((resolve, reject) => {
      yauzl.fromBuffer(dl.bytes, { lazyEntries: true }, (err, zip) => {
        if (err || !zip) return reject(err);
        const out: { name: string; text: string }[] = [];
        zip.on('entry', (entry: yauzl.Entry) => {
          zip.openReadStream(entry, (e, stream) => {
            if (e || !stream) return reject(e);
            const chunks: Buffer[] = [];
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('end', () => {
              out.push({ name: entry.fileName, text: Buffer.concat(chunks).toString() });
              zip.readEntry();
            });
          });
        });
        zip.on('end', () => resolve(out));
        zip.on('error', reject);
        zip.readEntry();
      });
    });
    expect(entries.map((e) => e.name)).toEqual(['balance_change_from_activity.itemized.3.csv']);
    expect(entries[0].text.split('\n')[0]).toMatch(/^balance_transaction_id,/);

    let hasUnzip = true;
    try {
      execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    } catch {
      hasUnzip = false;
    }
    if (hasUnzip) {
      const path = join(mkdtempSync(join(tmpdir(), 'emu-zip-')), 'r.zip');
      writeFileSync(path, dl.bytes);
      expect(execFileSync('unzip', ['-t', path]).toString()).toMatch(/No errors detected/);
    }
  });

  it('makes files of an exact byte size with bytesPerRun, streamed', async () => {
    emu.configure({ bytesPerRun: 3_000_001 });
    try {
      const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance_change_from_activity.itemized.3', report_parameters: interval });
      const run = await settledV2(emu.url, c.body.id);
      expect(run.result.file.size).toBe('3000001');
      const dl = await download(run.result.file.download_url.url);
      expect(dl.bytes.length).toBe(3_000_001);
      expect(dl.sha256).toBe(await emu.fileSha256(run.id));
    } finally {
      emu.configure({ bytesPerRun: undefined });
    }
  });

  it('paces downloads to downloadBytesPerSecond, set and cleared (null) through /_emulator/configure', async () => {
    const configure = (body: object) =>
      fetch(`${emu.url}/_emulator/configure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await configure({ bytesPerRun: 1_000_000, downloadBytesPerSecond: 2_000_000 })).status).toBe(200);
    try {
      const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: 'balance_change_from_activity.itemized.3', report_parameters: interval });
      const run = await settledV2(emu.url, c.body.id);
      const began = Date.now();
      const dl = await download(run.result.file.download_url.url);
      // 1 MB at 2 MB/s: at least about half a second, where unpaced it takes a few milliseconds.
      expect(Date.now() - began).toBeGreaterThanOrEqual(400);
      expect(dl.sha256).toBe(await emu.fileSha256(run.id));
    } finally {
      expect((await configure({ bytesPerRun: null, downloadBytesPerSecond: null })).status).toBe(200);
    }
    expect((await configure({ downloadBytesPerSecond: 'fast' })).status).toBe(400);
  });
});

describe('v1 flow', () => {
  it('lists report types, runs a report and downloads it with the key', async () => {
    const types = await v1(emu.url, 'GET', '/v1/reporting/report_types');
    expect(types.status).toBe(200);
    const ids = types.body.data.map((t: { id: string }) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['balance.summary.1', 'balance_change_from_activity.itemized.3', 'balance_change_from_activity.summary.1', 'payouts.itemized.3']));
    const t = await v1(emu.url, 'GET', '/v1/reporting/report_types/balance.summary.1');
    expect(t.body).toMatchObject({ object: 'reporting.report_type', livemode: false, version: 1 });
    expect(t.body.data_available_end).toBeGreaterThan(t.body.data_available_start);

    const start = Date.parse(interval.interval_start) / 1000;
    const created = await v1(emu.url, 'POST', '/v1/reporting/report_runs', {
      report_type: 'balance_change_from_activity.itemized.3',
      'parameters[interval_start]': String(start),
      'parameters[interval_end]': String(start + 86400),
      'parameters[columns][]': ['balance_transaction_id', 'created_utc', 'net'],
      'parameters[timezone]': 'America/New_York',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'reporting.report_run',
      status: 'pending',
      result: null,
      error: null,
      parameters: { interval_start: start, interval_end: start + 86400, columns: ['balance_transaction_id', 'created_utc', 'net'], timezone: 'America/New_York' },
    });
    expect(created.body.id).toMatch(/^frr_/);
    const run = await waitFor(async () => {
      const r = await v1(emu.url, 'GET', `/v1/reporting/report_runs/${created.body.id}`);
      return r.body.status === 'pending' ? undefined : r.body;
    });
    expect(run.status).toBe('succeeded');
    expect(run.succeeded_at).toBeTypeOf('number');
    expect(run.result).toMatchObject({ object: 'file', type: 'csv' });
    expect(run.result.url).toBe(`${emu.url}/v1/files/${run.result.id}/contents`);

    const noKey = await fetch(run.result.url);
    expect(noKey.status).toBe(401);
    const otherMode = await fetch(run.result.url, { headers: { Authorization: `Bearer ${SK_LIVE}` } });
    expect(otherMode.status).toBe(404);
    const bearer = await download(run.result.url, { Authorization: `Bearer ${SK}` });
    expect(bearer.status).toBe(200);
    expect(bearer.bytes.length).toBe(run.result.size);
    const basic = await download(run.result.url, { Authorization: `Basic ${Buffer.from(`${SK}:`).toString('base64')}` });
    expect(basic.sha256).toBe(bearer.sha256);
    const lines = bearer.bytes.toString().trimEnd().split('\n');
    expect(lines[0]).toBe('balance_transaction_id,created_utc,net');
    // New York time: the first hours of the UTC day show as the evening before.
    expect(lines.slice(1).every((l) => /^\S+,2025-0(5-31|6-01) /.test(l))).toBe(true);
    const ranged = await download(run.result.url, { Authorization: `Bearer ${SK}`, Range: 'bytes=5-' });
    expect(ranged.status).toBe(206);
    expect(ranged.bytes.equals(bearer.bytes.subarray(5))).toBe(true);

    const list = await v1(emu.url, 'GET', `/v1/reporting/report_runs?limit=1&created[gte]=${run.created}`);
    expect(list.body.object).toBe('list');
    expect(list.body.data[0].id).toBe(run.id);
    const after = await v1(emu.url, 'GET', `/v1/reporting/report_runs?limit=100&starting_after=${run.id}`);
    expect(after.body.data.find((r: { id: string }) => r.id === run.id)).toBeUndefined();
  });

  it('refuses an interval outside data availability, naming the parameter', async () => {
    const t = await v1(emu.url, 'GET', '/v1/reporting/report_types/balance.summary.1');
    const r = await v1(emu.url, 'POST', '/v1/reporting/report_runs', {
      report_type: 'balance.summary.1',
      'parameters[interval_start]': String(t.body.data_available_end - 86400),
      'parameters[interval_end]': String(t.body.data_available_end + 86400),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'parameters[interval_end]' });
    const unknown = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1', 'parameters[columns][]': 'net_amount' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('parameters[columns]');
  });
});
