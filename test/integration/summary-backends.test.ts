/**
 * The finance summary on both archive backends: the filesystem and S3 (a real versitygw on
 * loopback, no mock). Report files are archived as the transfer activity leaves them (manifest
 * last), summed per firing and compared with an independent BigInt sum; a ZIP is read through its
 * CSV entry by ranged reads; summary.json and summary.md are written, replaced and read back, and
 * never listed as archived files; `verify` lists the summary and flags one whose files changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveConflictError, FilesystemArchive } from '../../src/archive/filesystem.js';
import { S3Archive } from '../../src/archive/s3.js';
import type { ArchiveStore } from '../../src/archive/store.js';
import { verifyArchive } from '../../src/archive/verify.js';
import { summarizeFiring } from '../../src/summary/summarize-firing.js';
import { loadSummary, saveSummary } from '../../src/summary/summary-store.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { actualOf, archive, cents, expectedOf, generated, sha256, zipOf, type Expected } from '../helpers/summary-files.js';

let server: S3TestServer;
let startError: unknown;
const fsRoot = mkdtempSync(path.join(tmpdir(), 'summary-backends-'));

beforeAll(async () => {
  try {
    server = await startS3Server({ log: () => undefined });
  } catch (err) {
    // Kept and thrown in every S3 test: a failed beforeAll would only mark the tests skipped.
    startError = err;
  }
}, 600_000);

afterAll(async () => {
  await server?.stop();
  rmSync(fsRoot, { recursive: true, force: true });
});

const backends = {
  filesystem: () => new FilesystemArchive(fsRoot),
  s3: () => {
    if (startError) throw new Error(`the S3 test server did not start: ${startError instanceof Error ? startError.message : String(startError)}`);
    return new S3Archive({
      bucket: server.bucket,
      prefix: 'reports',
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  },
};

/** Removes an archived file's bytes behind the archive's back (a lost file). */
async function loseFile(backend: keyof typeof backends, key: string): Promise<void> {
  if (backend === 'filesystem') rmSync(path.join(fsRoot, key));
  else await server.client().send(new DeleteObjectCommand({ Bucket: server.bucket, Key: `reports/${key}` }));
}

/** The independent sums of several files, added per currency. */
function merged(expected: Expected[]): Map<string, Map<string, bigint>> {
  const out = new Map<string, Map<string, bigint>>();
  for (const e of expected) {
    for (const [currency, figures] of e.currencies) {
      const m = out.get(currency) ?? new Map<string, bigint>();
      for (const [k, v] of figures) m.set(k, (m.get(k) ?? 0n) + v);
      out.set(currency, m);
    }
  }
  return out;
}

const ITEMIZED = 'balance_change_from_activity.itemized.3';
const interval = { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' };

describe.each(Object.keys(backends) as Array<keyof typeof backends>)('on the %s backend', (backend) => {
  let store: ArchiveStore;
  beforeEach(() => {
    store = backends[backend]();
  });

  it('documents: written, replaced, read back; never listed as archived files; never under a file’s name', async () => {
    const key = 'docs/2025-10/summary.json';
    expect(await store.readDocument(key)).toBeUndefined();
    await store.writeDocument(key, '{"a":1}', 'application/json');
    await store.writeDocument(key, '{"a":2}', 'application/json');
    expect(await store.readDocument(key)).toBe('{"a":2}');
    await archive(store, 'docs/2025-10/self.csv', await generated(ITEMIZED, { rows: 3 }));
    const keys: string[] = [];
    for await (const k of store.keys('docs/')) keys.push(k);
    expect(keys).toEqual(['docs/2025-10/self.csv']);
    await expect(store.writeDocument('docs/2025-10/self.csv', 'x', 'text/csv')).rejects.toBeInstanceOf(ArchiveConflictError);
    await expect(store.writeDocument('docs/2025-10/self.csv.manifest.json', '{}', 'application/json')).rejects.toBeInstanceOf(ArchiveConflictError);
  });

  it('a firing: every target summed, totals per currency equal to an independent sum, failures named, change since last period', async () => {
    const config = `fin-${backend}`;
    const at = (p: string, t: string, ext = 'csv') => `${config}/${p}/${t}.${ext}`;
    const files = {
      plain: await generated(ITEMIZED, { rows: 800, seed: 1 }),
      zipped: await generated(ITEMIZED, { rows: 600, seed: 2 }),
      extracted: await generated(ITEMIZED, { rows: 400, seed: 3 }),
      old: await generated(ITEMIZED, { rows: 50, seed: 4 }),
      newer: await generated(ITEMIZED, { rows: 70, seed: 5 }),
      earlier: await generated(ITEMIZED, { rows: 900, seed: 6, currency: 'jpy' }), // the jpy rows among 900
      lastMonth: await generated(ITEMIZED, { rows: 700, seed: 7 }),
    };
    await archive(store, at('2025-10', 'acct_a'), files.plain);
    await archive(store, at('2025-10', 'acct_b', 'zip'), await zipOf(files.zipped));
    // result.extract: the ZIP and the CSV taken out of it; the CSV is read.
    const extractedZip = await zipOf(files.extracted);
    await archive(store, at('2025-10', 'acct_c', 'zip'), extractedZip);
    await archive(store, at('2025-10', 'acct_c'), files.extracted, { extracted_from: { key: at('2025-10', 'acct_c', 'zip'), sha256: sha256(extractedZip), entry: 'report.csv' } });
    // A forced re-run kept both versions: the newer is read.
    await archive(store, at('2025-10', 'acct_d'), files.old, { archived_at: '2025-11-02T06:00:00Z' });
    await archive(store, at('2025-10', 'acct_d.v2'), files.newer, { archived_at: '2025-11-03T06:00:00Z', supersedes: at('2025-10', 'acct_d') });
    await archive(store, at('2025-10', 'acct_e'), files.earlier);
    await archive(store, at('2025-10', 'acct_h'), Buffer.from('balance_transaction_id,currency,gross,fee,net,reporting_category\ntxn_1,usd,1.00,0.00,oops,charge\n'));
    await archive(store, at('2025-09', 'acct_a'), files.lastMonth);

    const firing = (period: string, targets: Parameters<typeof summarizeFiring>[1]['targets'], failed: Array<{ target: string; reason: string }> = [], previousPeriod?: string) =>
      summarizeFiring(store, { config, period, interval, api: 'v1', report: ITEMIZED, targets, failed, previousPeriod, parallel: 3, now: new Date('2025-11-04T00:00:00Z') });

    const september = await firing('2025-09', [{ target: 'acct_a' }]);
    await saveSummary(store, september);

    const summary = await firing(
      '2025-10',
      [
        { target: 'acct_a', key: at('2025-10', 'acct_a') },
        { target: 'acct_b', key: at('2025-10', 'acct_b', 'zip') },
        { target: 'acct_c', key: at('2025-10', 'acct_c', 'zip') },
        { target: 'acct_d' },
        { target: 'acct_e', skipped: true },
        { target: 'acct_g' },
        { target: 'acct_h' },
      ],
      [{ target: 'acct_f', reason: 'Stripe: report run failed (data_unavailable)' }],
      '2025-09',
    );

    expect(summary.targets.map((t) => [t.target, t.key])).toEqual([
      ['acct_a', at('2025-10', 'acct_a')],
      ['acct_b', at('2025-10', 'acct_b', 'zip')],
      ['acct_c', at('2025-10', 'acct_c')],
      ['acct_d', at('2025-10', 'acct_d.v2')],
      ['acct_e', at('2025-10', 'acct_e')],
    ]);
    const read = [files.plain, files.zipped, files.extracted, files.newer, files.earlier].map((f) => expectedOf(f, 'activity'));
    expect(summary.targets.map((t) => t.rows)).toEqual(read.map((e) => e.rows));
    const rows = read.reduce((n, e) => n + e.rows, 0);
    expect(summary).toMatchObject({ family: 'activity', files: 5, rows, skipped: 1, config, period: '2025-10' });
    expect(summary.note).toBeUndefined();
    expect(summary.failed.map((f) => f.target)).toEqual(['acct_f', 'acct_g', 'acct_h']);
    expect(summary.failed[1]!.reason).toBe(`no archived file for 2025-10 under ${config}/2025-10/acct_g.*`);
    expect(summary.failed[2]!.reason).toBe(`archived, but its file cannot be summed: ${at('2025-10', 'acct_h')} line 2: column net holds "oops", which is not an amount`);

    expect(actualOf(summary.totals).currencies).toEqual(merged(read));
    expect(summary.totals.find((t) => t.currency === 'jpy')).toBeDefined();

    // The change since September, per currency, figure by figure.
    const before = expectedOf(files.lastMonth, 'activity').currencies;
    const now = merged(read);
    const expectedChanges = [...now].sort(([a], [b]) => a.localeCompare(b)).flatMap(([currency, figures]) =>
      before.has(currency) ? ['net', 'gross', 'fee', 'count'].map((f) => [currency, f, figures.get(f)! - before.get(currency)!.get(f)!]) : [],
    );
    expect(summary.previous?.period).toBe('2025-09');
    expect(summary.previous!.changes.map((c) => [c.currency, c.figure, c.figure === 'count' ? BigInt(c.change) : cents(c.change)])).toEqual(expectedChanges);

    // Saved beside the files, read back whole; the archive's listing is still only the files.
    const key = await saveSummary(store, summary);
    expect(key).toBe(`${config}/2025-10/summary.json`);
    expect(await loadSummary(store, config, '2025-10')).toEqual(summary);
    expect(await store.readDocument(`${config}/2025-10/summary.md`)).toMatch(new RegExp(`^# ${config}: 2025-10\\n`));
    const listed: string[] = [];
    for await (const k of store.keys(`${config}/2025-10/`)) listed.push(k);
    expect(listed.some((k) => k.includes('summary'))).toBe(false);

    // verify lists both summaries; a file lost since the summary makes it stale.
    const ok = (await verifyArchive(store, `${config}/`)).filter((f) => f.status.startsWith('summary'));
    expect(ok.map((f) => [f.key, f.status])).toEqual([
      [`${config}/2025-09/summary.json`, 'summary-ok'],
      [`${config}/2025-10/summary.json`, 'summary-ok'],
    ]);
    expect(ok[1]!.detail).toBe(`5 file(s), ${rows} rows, generated 2025-11-04T00:00:00.000Z`);
    await loseFile(backend, at('2025-10', 'acct_e'));
    const stale = (await verifyArchive(store, `${config}/2025-10/`)).filter((f) => f.status.startsWith('summary'));
    expect(stale).toEqual([{ key: `${config}/2025-10/summary.json`, status: 'summary-stale', detail: expect.stringContaining(`${at('2025-10', 'acct_e')} is missing`) }]);
  });

  it('verify flags a summary naming a file whose sha256 is no longer the manifest’s', async () => {
    const config = `sha-${backend}`;
    await archive(store, `${config}/2025-10/self.csv`, await generated('balance.summary.1', { bytes: 2_000 }), { report: 'balance.summary.1' });
    const summary = await summarizeFiring(store, { config, period: '2025-10', interval, api: 'v1', report: 'balance.summary.1', targets: [{ target: 'self' }], failed: [] });
    expect(summary.family).toBe('balance');
    summary.targets[0]!.sha256 = '0'.repeat(64); // the summary read other bytes than the archive holds now
    await saveSummary(store, summary);
    const findings = await verifyArchive(store, `${config}/`);
    expect(findings.map((f) => f.status)).toEqual(['ok', 'summary-stale']);
    expect(findings[1]!.detail).toMatch(new RegExp(`${config}/2025-10/self\\.csv has sha256 [0-9a-f]{12}…, the summary read 000000000000…`));
  });
});
