/**
 * GET /v1/balance_transactions on the emulator (plain fetch: the emulator is the thing under
 * test): Stripe's list shape and paging, the account headers, auth and faults, and the ledger
 * agreeing with the files the emulator writes for the same account and interval.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { download, SK, v1, v2, waitFor } from './helpers.js';

let emu: Emulator;
const START = Date.parse('2025-06-01T00:00:00Z') / 1000;
const END = Date.parse('2025-06-02T00:00:00Z') / 1000;
const interval = { interval_start: '2025-06-01T00:00:00Z', interval_end: '2025-06-02T00:00:00Z' };

beforeAll(async () => {
  emu = await startEmulator({ processingMs: 50, rowsPerRun: 120 });
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => {
  emu.setFaults({});
  emu.clearLedgerDiscrepancies();
});

type Txn = { id: string; amount: number; fee: number; net: number; currency: string; created: number; reporting_category: string };

async function page(query: string, headers: Record<string, string> = {}, key = SK) {
  const res = await fetch(`${emu.url}/v1/balance_transactions?${query}`, { headers: { Authorization: `Bearer ${key}`, ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every balance transaction of the interval, following starting_after to the end. */
async function all(headers: Record<string, string> = {}, key = SK): Promise<{ txns: Txn[]; pages: number }> {
  const txns: Txn[] = [];
  let after = '';
  for (let pages = 1; ; pages++) {
    const r = await page(`created[gte]=${START}&created[lt]=${END}&limit=50${after ? `&starting_after=${after}` : ''}`, headers, key);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    txns.push(...r.body.data);
    if (!r.body.has_more) return { txns, pages };
    after = r.body.data.at(-1).id;
  }
}

async function v2File(report: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const c = await v2(emu.url, 'POST', '/v2/reporting/report_runs', { report, report_parameters: { ...interval, ...params } }, headers);
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  const run = await waitFor(async () => {
    const r = await v2(emu.url, 'GET', `/v2/reporting/report_runs/${c.body.id}`, undefined, headers);
    return r.body.status === 'running' ? undefined : r.body;
  });
  const text = (await download(run.result.file.download_url.url)).bytes.toString('utf8');
  const [header, ...lines] = text.trimEnd().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])) as Record<string, string>);
}

/** Minor units as a report file writes them (jpy has no decimals). */
const major = (minor: number, currency: string) => (currency === 'jpy' ? String(minor) : `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`);
const isPayout = (c: string) => c === 'payout' || c === 'payout_reversal';

describe('GET /v1/balance_transactions', () => {
  it('answers Stripe\'s list shape, newest first, paged to the end without gaps or repeats', async () => {
    const { txns, pages } = await all();
    // 120 activity entries and one payout per 12 of them.
    expect(txns).toHaveLength(130);
    expect(pages).toBe(3);
    expect(new Set(txns.map((t) => t.id)).size).toBe(130);
    for (let i = 1; i < txns.length; i++) expect(txns[i - 1]!.created).toBeGreaterThanOrEqual(txns[i]!.created);
    const first = (await page(`created[gte]=${START}&created[lt]=${END}&limit=2`)).body;
    expect(first).toMatchObject({ object: 'list', url: '/v1/balance_transactions', has_more: true });
    expect(first.data[0]).toMatchObject({ object: 'balance_transaction', id: expect.stringMatching(/^txn_/), fee_details: expect.any(Array), status: expect.stringMatching(/^(available|pending)$/) });
    for (const t of txns) {
      expect(Number.isInteger(t.amount) && t.net === t.amount - t.fee).toBe(true);
      expect(t.created >= START && t.created < END).toBe(true);
    }
    // ending_before walks back: the page before the last one's first entry.
    const back = (await page(`created[gte]=${START}&created[lt]=${END}&limit=50&ending_before=${txns[100]!.id}`)).body;
    expect(back.data.map((t: Txn) => t.id)).toEqual(txns.slice(50, 100).map((t) => t.id));
    expect(back.has_more).toBe(true);
    // The default limit is 10; a bad limit names the parameter.
    expect((await page(`created[gte]=${START}&created[lt]=${END}`)).body.data).toHaveLength(10);
    expect((await page('limit=101')).body.error).toMatchObject({ param: 'limit' });
  });

  it('agrees with the itemized file, the activity summary and the balance summary of the same account and interval', async () => {
    const { txns } = await all();
    const itemized = await v2File('balance_change_from_activity.itemized.3');
    const activity = txns.filter((t) => !isPayout(t.reporting_category));
    expect(itemized.map((r) => r.balance_transaction_id).sort()).toEqual(activity.map((t) => t.id).sort());
    const byId = new Map(activity.map((t) => [t.id, t]));
    for (const r of itemized) {
      const t = byId.get(r.balance_transaction_id!)!;
      expect([r.currency, r.gross, r.fee, r.net, r.reporting_category]).toEqual([t.currency, major(t.amount, t.currency), major(t.fee, t.currency), major(t.net, t.currency), t.reporting_category]);
      expect(Date.parse(`${r.created_utc!.replace(' ', 'T')}Z`) / 1000).toBe(t.created);
    }

    const net = new Map<string, number>();
    for (const t of activity) net.set(`${t.currency} ${t.reporting_category}`, (net.get(`${t.currency} ${t.reporting_category}`) ?? 0) + t.net);
    const summary = await v2File('balance_change_from_activity.summary.1');
    expect(new Map(summary.map((r) => [`${r.currency} ${r.reporting_category}`, r.net]))).toEqual(new Map([...net].map(([k, v]) => [k, major(v, k.slice(0, 3))])));

    const balance = await v2File('balance.summary.1');
    for (const currency of new Set(txns.map((t) => t.currency))) {
      const lines = Object.fromEntries(balance.filter((r) => r.currency === currency).map((r) => [r.category, r.net_amount]));
      const sum = (keep: (t: Txn) => boolean) => txns.filter((t) => t.currency === currency && keep(t)).reduce((a, t) => a + t.net, 0);
      expect(lines.activity).toBe(major(sum((t) => !isPayout(t.reporting_category)), currency));
      expect(lines.payouts).toBe(major(sum((t) => isPayout(t.reporting_category)), currency));
    }
  });

  it('reads the account the headers name: Stripe-Account for a connected account, Stripe-Context (a path) with an organization key', async () => {
    const own = (await all()).txns.map((t) => t.id);
    const connected = (await all({ 'Stripe-Account': 'acct_ledgerConn1' })).txns.map((t) => t.id);
    expect(connected).not.toEqual(own);
    const viaOrg = (await all({ 'Stripe-Context': 'acct_ledgerPlat1/acct_ledgerConn1' }, 'sk_org_test_ledger0key01')).txns.map((t) => t.id);
    expect(viaOrg).toEqual(connected);
    // The report for that connected account is made of the same entries.
    const file = await v2File('balance_change_from_activity.itemized.3', { connected_account: 'acct_ledgerConn1' });
    expect(file.every((r) => connected.includes(r.balance_transaction_id!))).toBe(true);
    expect(file.length).toBe(120);
    // An organization key must name an account.
    const orgWide = await page(`created[gte]=${START}&created[lt]=${END}`, {}, 'sk_org_test_ledger0key01');
    expect(orgWide.status).toBe(400);
    expect(orgWide.body.error.message).toContain('Stripe-Context');
  });

  it('keeps the emulator\'s key checks and faults: 401, 403 for an inaccessible account, 500 and 429 with Retry-After', async () => {
    expect((await page('limit=1', {}, 'sk_test_ledger_revoked1')).status).toBe(401);
    expect((await fetch(`${emu.url}/v1/balance_transactions`)).status).toBe(401);
    emu.setFaults({ inaccessibleAccounts: ['acct_ledgerHidden'] });
    expect((await page('limit=1', { 'Stripe-Account': 'acct_ledgerHidden' })).status).toBe(403);
    emu.setFaults({ serverErrorRate: 1 });
    expect((await page('limit=1')).status).toBe(500);
    emu.setFaults({ extraRateLimitRate: 1 });
    const limited = await fetch(`${emu.url}/v1/balance_transactions?limit=1`, { headers: { Authorization: `Bearer ${SK}` } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('a seeded discrepancy is in the ledger and in no file; clearing it ties them out again', async () => {
    const before = (await all()).txns;
    const control = await fetch(`${emu.url}/_emulator/ledger/discrepancy`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ currency: 'USD', reporting_category: 'charge', amount: 1 }),
    });
    expect(control.status).toBe(200);
    const { id } = (await control.json()) as { id: string };
    const after = (await all()).txns;
    expect(after).toHaveLength(before.length + 1);
    expect(after.find((t) => t.id === id)).toMatchObject({ amount: 1, net: 1, currency: 'usd', reporting_category: 'charge', created: START });
    expect((await all({ 'Stripe-Account': 'acct_ledgerConn1' })).txns.some((t) => t.id === id)).toBe(false);
    expect((await v2File('balance_change_from_activity.itemized.3')).some((r) => r.balance_transaction_id === id)).toBe(false);
    const refused = await fetch(`${emu.url}/_emulator/ledger/discrepancy`, { method: 'POST', body: JSON.stringify({ currency: 'usd', reporting_category: 'charge', amount: 1.5 }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.param).toBe('amount');
    expect((await fetch(`${emu.url}/_emulator/ledger/discrepancies`, { method: 'DELETE' })).status).toBe(200);
    expect((await all()).txns.map((t) => t.id)).toEqual(before.map((t) => t.id));
  });

  it('a v1 run over Stripe-Account reads the same ledger as the balance transactions', async () => {
    const c = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance_change_from_activity.itemized.3', 'parameters[interval_start]': String(START), 'parameters[interval_end]': String(END) }, SK, { 'Stripe-Account': 'acct_ledgerConn2' });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    const run = await waitFor(async () => {
      const r = await v1(emu.url, 'GET', `/v1/reporting/report_runs/${c.body.id}`);
      return r.body.status === 'pending' ? undefined : r.body;
    });
    const res = await fetch(run.result.url, { headers: { Authorization: `Bearer ${SK}` } });
    const ids = (await res.text()).trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    const ledger = (await all({ 'Stripe-Account': 'acct_ledgerConn2' })).txns.filter((t) => !isPayout(t.reporting_category)).map((t) => t.id);
    expect(ids.sort()).toEqual(ledger.sort());
  });
});
