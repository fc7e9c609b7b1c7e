/**
 * The tie-out to the ledger on the real emulator over HTTP through the real client: balance
 * transactions listed to the end (three pages of 100) as each kind of target's account, summed,
 * and checked against an independent sum of the report files the emulator serves for the same
 * account and period; then a seeded discrepancy reported as exactly that line, with both figures.
 */
import Big from 'big.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportTarget } from '../../src/domain/target.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { balanceTransactionsRequest } from '../../src/stripe/balance-transactions-request.js';
import { StripeClient, type CallOptions } from '../../src/stripe/client.js';
import type { BalanceTransaction } from '../../src/stripe/types.js';
import { buildTieOut, ledgerTotals, tieOut, tieOutRuleFor, tieOutTarget, type LedgerTotals } from '../../src/summary/tie-out.js';
import type { CurrencyFigures, TargetSummary } from '../../src/domain/summary.js';

const KEY = 'sk_test_tieout0key0000';
const ORG_KEY = 'sk_org_test_tieout0key00';
const period = { start: '2025-10-01T00:00:00.000Z', end: '2025-11-01T00:00:00.000Z' };
const ROWS = 260; // 260 activity transactions + 21 payouts: three pages of 100

let emu: Emulator;
let client: StripeClient;
let orgClient: StripeClient;

beforeAll(async () => {
  emu = await startEmulator({ processingMs: 50, rowsPerRun: ROWS });
  client = new StripeClient({ apiKey: KEY, baseUrl: emu.url });
  orgClient = new StripeClient({ apiKey: ORG_KEY, baseUrl: emu.url });
});
afterAll(async () => {
  await client?.close();
  await orgClient?.close();
  await emu?.close();
});
beforeEach(() => {
  emu.setFaults({});
  emu.clearLedgerDiscrepancies();
});

/** A report file through the client as Stripe would serve it: a v2 run for the target, downloaded. */
async function reportRows(c: StripeClient, report: string, target: ReportTarget): Promise<Array<Record<string, string>>> {
  const params: Record<string, string> = { interval_start: period.start, interval_end: period.end };
  let opts: CallOptions = { context: target.context };
  // The itemized report takes connected_account (as run-request.ts sends it); the summaries have
  // no such parameter, so they are run in the connected account's context (platform/connected).
  if (target.connectedAccount && report.includes('itemized')) params.connected_account = target.connectedAccount;
  else if (target.connectedAccount) opts = { context: target.context ? `${target.context}/${target.connectedAccount}` : target.connectedAccount };
  let run = await c.createReportRun({ report, report_parameters: params }, opts);
  while (run.status === 'running') {
    await new Promise((r) => setTimeout(r, 30));
    run = await c.getReportRun(run.id, opts);
  }
  expect(run.status).toBe('succeeded');
  const file = await c.openFile(run.result!.file.download_url.url, { withKey: false });
  const text = await file.body.text();
  const [header, ...lines] = text.trimEnd().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** The activity summary file read as a TargetSummary (what the summary computation makes of it). */
function summaryOf(target: string, rows: Array<Record<string, string>>): TargetSummary {
  const currencies = new Map<string, CurrencyFigures>();
  for (const r of rows) {
    const c = currencies.get(r.currency!) ?? { currency: r.currency!, categories: [] };
    c.categories!.push({ reporting_category: r.reporting_category!, count: Number(r.count), gross: r.gross!, fee: r.fee!, net: r.net! });
    currencies.set(r.currency!, c);
  }
  return { target, key: `tie-out/2025-10/${target}.csv`, sha256: '-', rows: rows.length, currencies: [...currencies.values()] };
}

/** Net per "currency category", summed independently from an itemized file's rows. */
function netsOfItemized(rows: Array<Record<string, string>>): Map<string, string> {
  const sums = new Map<string, Big>();
  for (const r of rows) sums.set(`${r.currency} ${r.reporting_category}`, (sums.get(`${r.currency} ${r.reporting_category}`) ?? new Big(0)).plus(r.net!));
  return new Map([...sums].map(([k, v]) => [k, v.toFixed(k.startsWith('jpy') ? 0 : 2)]));
}

function netsOfLedger(totals: LedgerTotals): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of totals.currencies) for (const cat of c.categories) if (!cat.reporting_category.startsWith('payout')) out.set(`${c.currency} ${cat.reporting_category}`, cat.net);
  return out;
}

async function listAll(c: StripeClient, target: ReportTarget, extra: { pageAttempts?: number; retryDelayMs?: number } = {}): Promise<BalanceTransaction[]> {
  const req = balanceTransactionsRequest(target, period, c.organizationKey);
  const out: BalanceTransaction[] = [];
  for await (const t of c.listBalanceTransactions(req.query, { ...req.options, ...extra })) out.push(t);
  return out;
}

const targets: Array<{ name: string; client: () => StripeClient; target: ReportTarget }> = [
  { name: 'the key\'s own account', client: () => client, target: { id: 'self', kind: 'self' } },
  { name: 'an organization\'s direct account (Stripe-Context)', client: () => orgClient, target: { id: 'acct_tieoutDirect1', kind: 'account', context: 'acct_tieoutDirect1' } },
  {
    name: 'a connected account through its platform (Stripe-Context: platform/connected)',
    client: () => orgClient,
    target: { id: 'acct_tieoutConn1', kind: 'connected_account', context: 'acct_tieoutPlat1', connectedAccount: 'acct_tieoutConn1' },
  },
];

describe('tie-out to the ledger', () => {
  for (const t of targets) {
    it(`${t.name}: every page to the end, summing to the itemized file and the activity summary`, async () => {
      const before = emu.counters();
      const txns = await listAll(t.client(), t.target);
      expect(txns).toHaveLength(ROWS + Math.floor(ROWS / 12));
      expect(new Set(txns.map((x) => x.id)).size).toBe(txns.length);
      const totals = await ledgerTotals(txns);

      const itemized = await reportRows(t.client(), 'balance_change_from_activity.itemized.3', t.target);
      expect(itemized).toHaveLength(ROWS);
      expect(netsOfLedger(totals)).toEqual(netsOfItemized(itemized));

      const summary = summaryOf(t.target.id, await reportRows(t.client(), 'balance_change_from_activity.summary.1', t.target));
      expect(tieOut(summary, tieOutRuleFor('balance_change_from_activity.summary.1')!, totals)).toEqual([]);
      const balance = await reportRows(t.client(), 'balance.summary.1', t.target);
      const balanceSummary: TargetSummary = {
        ...summary,
        currencies: [...new Set(balance.map((r) => r.currency!))].map((currency) => {
          const line = (category: string) => balance.find((r) => r.currency === currency && r.category === category)!.net_amount!;
          return { currency, balance: { starting_balance: line('starting_balance'), activity: line('activity'), payouts: line('payouts'), ending_balance: line('ending_balance') } };
        }),
      };
      expect(tieOut(balanceSummary, tieOutRuleFor('balance.summary.1')!, totals)).toEqual([]);
      // Pages of 100: three GETs, nothing refused.
      expect(emu.counters().serverErrors).toBe(before.serverErrors);
    });
  }

  it('a connected account with the platform\'s own key (Stripe-Account) reads the same ledger as its report', async () => {
    const target: ReportTarget = { id: 'acct_tieoutConn2', kind: 'connected_account', connectedAccount: 'acct_tieoutConn2' };
    const totals = await ledgerTotals(await listAll(client, target));
    const itemized = await reportRows(client, 'balance_change_from_activity.itemized.3', target);
    expect(netsOfLedger(totals)).toEqual(netsOfItemized(itemized));
  });

  it('a page Stripe refuses with a 500 is asked again; the listing still ends complete', async () => {
    const before = emu.counters().serverErrors;
    emu.setFaults({ serverErrorRate: 0.5 });
    const txns = await listAll(client, { id: 'self', kind: 'self' }, { pageAttempts: 20, retryDelayMs: 5 });
    emu.setFaults({});
    expect(txns).toHaveLength(ROWS + Math.floor(ROWS / 12));
    expect(new Set(txns.map((x) => x.id)).size).toBe(txns.length);
    // The fault dice are seeded: this run of the file does meet 500s.
    expect(emu.counters().serverErrors).toBeGreaterThan(before);
  });

  it('a seeded discrepancy is reported as exactly that line, with both figures', async () => {
    const target = targets[2]!.target;
    const rule = tieOutRuleFor('balance_change_from_activity.summary.1')!;
    const summary = summaryOf(target.id, await reportRows(orgClient, 'balance_change_from_activity.summary.1', target));
    const agreed = await tieOutTarget({ summary, rule, transactions: await listAll(orgClient, target) });
    expect(agreed.lines).toEqual([]);

    const seeded = await fetch(`${emu.url}/_emulator/ledger/discrepancy`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ account: 'acct_tieoutConn1', currency: 'usd', reporting_category: 'refund', amount: -1234 }),
    });
    expect(seeded.status).toBe(200);
    const req = balanceTransactionsRequest(target, period, true);
    const result = await tieOutTarget({ summary, rule, transactions: orgClient.listBalanceTransactions(req.query, req.options) });
    expect(result.transactions).toBe(agreed.transactions + 1);
    const reported = summary.currencies.find((c) => c.currency === 'usd')!.categories!.find((c) => c.reporting_category === 'refund')!.net;
    const ledger = new Big(reported).minus('12.34').toFixed(2);
    expect(result.lines).toEqual([{ target: target.id, currency: 'usd', figure: 'net', reporting_category: 'refund', report: reported, ledger, difference: '12.34' }]);

    const firing = buildTieOut(rule, [result, { ...agreed, target: 'acct_other' }], []);
    expect(firing).toMatchObject({ source: 'balance_transactions', agrees: false, transactions: agreed.transactions * 2 + 1, lines: result.lines, errors: [] });
    expect(firing.rule).toContain('https://docs.stripe.com/reports/balance');
  });
});
