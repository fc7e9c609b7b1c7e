import { describe, expect, it } from 'vitest';
import { minorUnitDigits } from '../../src/domain/currency.js';
import { InvalidInputError } from '../../src/domain/errors.js';
import { balanceTransactionsRequest } from '../../src/stripe/balance-transactions-request.js';
import { buildTieOut, ledgerTotals, tieOut, tieOutRuleFor, tieOutTarget, type LedgerTransaction } from '../../src/summary/tie-out.js';
import type { CurrencyFigures, TargetSummary } from '../../src/domain/summary.js';

const activity = tieOutRuleFor('balance_change_from_activity.summary.1')!;
const balance = tieOutRuleFor('balance.summary.1')!;

const txn = (currency: string, reporting_category: string, amount: number, fee = 0): LedgerTransaction => ({ currency, reporting_category, amount, fee, net: amount - fee });
const summary = (currencies: CurrencyFigures[]): TargetSummary => ({ target: 'self', key: 'c/2025-10/self.csv', sha256: 'x', rows: 1, currencies });
const cat = (reporting_category: string, net: string, count = 1) => ({ reporting_category, count, gross: net, fee: '0.00', net });

describe('minorUnitDigits', () => {
  it('follows Stripe\'s lists: zero-decimal, three-decimal, and two for the rest (ISK keeps two in the API)', () => {
    expect(['jpy', 'KRW', 'ugx', 'xof'].map(minorUnitDigits)).toEqual([0, 0, 0, 0]);
    expect(['kwd', 'bhd', 'tnd'].map(minorUnitDigits)).toEqual([3, 3, 3]);
    expect(['usd', 'eur', 'isk', 'huf'].map(minorUnitDigits)).toEqual([2, 2, 2, 2]);
  });
});

describe('ledgerTotals', () => {
  it('sums count, gross, fee and net per currency and reporting_category in major units, exactly', async () => {
    const totals = await ledgerTotals([txn('usd', 'charge', 1000, 59), txn('USD', 'charge', 1, 0), txn('jpy', 'charge', 1500, 50), txn('usd', 'refund', -250), txn('kwd', 'fee', -1250)]);
    expect(totals.transactions).toBe(5);
    expect(totals.currencies).toEqual([
      { currency: 'jpy', categories: [{ reporting_category: 'charge', count: 1, gross: '1500', fee: '50', net: '1450' }] },
      { currency: 'kwd', categories: [{ reporting_category: 'fee', count: 1, gross: '-1.250', fee: '0.000', net: '-1.250' }] },
      {
        currency: 'usd',
        categories: [
          { reporting_category: 'charge', count: 2, gross: '10.01', fee: '0.59', net: '9.42' },
          { reporting_category: 'refund', count: 1, gross: '-2.50', fee: '0.00', net: '-2.50' },
        ],
      },
    ]);
  });

  it('does not lose a cent over many transactions (no floats)', async () => {
    const many = Array.from({ length: 10_000 }, () => txn('usd', 'charge', 10)); // 0.10 each
    expect((await ledgerTotals(many)).currencies[0]!.categories[0]!.net).toBe('1000.00');
  });
});

describe('tieOut, balance change from activity', () => {
  it('agrees when every category\'s net matches, payouts in the ledger being no activity', async () => {
    const ledger = await ledgerTotals([txn('usd', 'charge', 1000, 59), txn('usd', 'refund', -200), txn('usd', 'payout', -500)]);
    expect(tieOut(summary([{ currency: 'usd', categories: [cat('charge', '9.41'), cat('refund', '-2.00')] }]), activity, ledger)).toEqual([]);
  });

  it('reports a difference of 0.01 with both figures', async () => {
    const ledger = await ledgerTotals([txn('usd', 'charge', 1000, 59)]);
    expect(tieOut(summary([{ currency: 'usd', categories: [cat('charge', '9.42')] }]), activity, ledger)).toEqual([
      { target: 'self', currency: 'usd', figure: 'net', reporting_category: 'charge', report: '9.42', ledger: '9.41', difference: '0.01' },
    ]);
  });

  it('handles a zero-decimal currency (jpy) without decimals', async () => {
    const ledger = await ledgerTotals([txn('jpy', 'charge', 1500, 50), txn('jpy', 'charge', 700, 20)]);
    expect(tieOut(summary([{ currency: 'jpy', categories: [cat('charge', '2130')] }]), activity, ledger)).toEqual([]);
    expect(tieOut(summary([{ currency: 'jpy', categories: [cat('charge', '2131')] }]), activity, ledger)).toEqual([
      { target: 'self', currency: 'jpy', figure: 'net', reporting_category: 'charge', report: '2131', ledger: '2130', difference: '1' },
    ]);
  });

  it('a currency or category on one side only is a difference against zero', async () => {
    const ledger = await ledgerTotals([txn('usd', 'charge', 1000), txn('eur', 'fee', -300)]);
    const lines = tieOut(summary([{ currency: 'usd', categories: [cat('charge', '10.00'), cat('dispute', '-15.00')] }, { currency: 'gbp', categories: [cat('charge', '1.00')] }]), activity, ledger);
    expect(lines).toEqual([
      { target: 'self', currency: 'eur', figure: 'net', reporting_category: 'fee', report: '0.00', ledger: '-3.00', difference: '3.00' },
      { target: 'self', currency: 'gbp', figure: 'net', reporting_category: 'charge', report: '1.00', ledger: '0.00', difference: '1.00' },
      { target: 'self', currency: 'usd', figure: 'net', reporting_category: 'dispute', report: '-15.00', ledger: '0.00', difference: '-15.00' },
    ]);
  });

  it('narrows the ledger to the report\'s own currency filter', async () => {
    const ledger = await ledgerTotals([txn('usd', 'charge', 1000), txn('eur', 'charge', 300)]);
    expect(tieOut(summary([{ currency: 'usd', categories: [cat('charge', '10.00')] }]), activity, ledger, { currency: 'USD' })).toEqual([]);
  });
});

describe('tieOut, balance summary', () => {
  const figures = (activityNet: string) => ({ starting_balance: '100.00', activity: activityNet, payouts: '-5.00', ending_balance: '0' });

  it('compares the activity line with the net of every non-payout transaction', async () => {
    const ledger = await ledgerTotals([txn('usd', 'charge', 1000, 59), txn('usd', 'refund', -200), txn('usd', 'payout', -500), txn('usd', 'payout_reversal', 100)]);
    expect(tieOut(summary([{ currency: 'usd', balance: figures('7.41') }]), balance, ledger)).toEqual([]);
    expect(tieOut(summary([{ currency: 'usd', balance: figures('7.40') }]), balance, ledger)).toEqual([
      { target: 'self', currency: 'usd', figure: 'activity', report: '7.40', ledger: '7.41', difference: '-0.01' },
    ]);
  });
});

describe('buildTieOut and tieOutTarget', () => {
  it('collects the differing lines of every target and says which ledgers could not be read', async () => {
    const a = await tieOutTarget({ summary: summary([{ currency: 'usd', categories: [cat('charge', '10.00')] }]), rule: activity, transactions: [txn('usd', 'charge', 1000)] });
    const b = await tieOutTarget({ summary: { ...summary([{ currency: 'usd', categories: [cat('charge', '10.00')] }]), target: 'acct_b' }, rule: activity, transactions: [txn('usd', 'charge', 999)] });
    const agreed = buildTieOut(activity, [a], []);
    expect(agreed).toMatchObject({ source: 'balance_transactions', agrees: true, transactions: 1, lines: [], errors: [] });
    expect(agreed.rule).toContain('https://docs.stripe.com/reports/balance');
    const differs = buildTieOut(activity, [b, a], [{ target: 'acct_c', reason: 'Stripe answered 403' }]);
    expect(differs.agrees).toBe(false);
    expect(differs.transactions).toBe(2);
    expect(differs.lines).toEqual([{ target: 'acct_b', currency: 'usd', figure: 'net', reporting_category: 'charge', report: '10.00', ledger: '9.99', difference: '0.01' }]);
    expect(differs.errors).toEqual([{ target: 'acct_c', reason: 'Stripe answered 403' }]);
    expect(buildTieOut(activity, [a], [{ target: 'x', reason: 'r' }]).agrees).toBe(false);
  });

  it('knows the rule for the balance reports only', async () => {
    expect(tieOutRuleFor('balance.summary')).toBe(balance);
    expect(tieOutRuleFor('balance_change_from_activity.itemized')).toBe(activity);
    expect(tieOutRuleFor('payouts.itemized.3')).toBeUndefined();
    await expect(tieOutTarget({ summary: summary([]), rule: undefined, transactions: [] })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('balanceTransactionsRequest', () => {
  const period = { start: '2025-10-01T00:00:00.000Z', end: '2025-11-01T00:00:00.000Z' };
  const query = { createdGte: 1759276800, createdLt: 1761955200 };

  it('lists the period as the account the report covers', () => {
    expect(balanceTransactionsRequest({ id: 'self', kind: 'self' }, period, false)).toEqual({ query, options: {} });
    expect(balanceTransactionsRequest({ id: 'acct_1', kind: 'account', context: 'acct_1' }, period, true).options).toEqual({ context: 'acct_1' });
    expect(balanceTransactionsRequest({ id: 'acct_c', kind: 'connected_account', connectedAccount: 'acct_c' }, period, false).options).toEqual({ account: 'acct_c' });
    expect(balanceTransactionsRequest({ id: 'acct_c', kind: 'connected_account', context: 'acct_p', connectedAccount: 'acct_c' }, period, true).options).toEqual({ context: 'acct_p/acct_c' });
  });

  it('refuses what has no single ledger', () => {
    expect(() => balanceTransactionsRequest({ id: 'organization-aggregated', kind: 'organization', organization: 'aggregated' }, period, true)).toThrow(InvalidInputError);
    expect(() => balanceTransactionsRequest({ id: 'self', kind: 'self' }, period, true)).toThrow(/organization key/);
    expect(() => balanceTransactionsRequest({ id: 'acct_c', kind: 'connected_account', connectedAccount: 'acct_c' }, period, true)).toThrow(/platform/);
  });
});
