/** Amounts as finance reads them: exact, each currency's decimals, negative, huge; the digest's headline. */
import { describe, expect, it } from 'vitest';
import { addAmounts, DecimalSum, NotAnAmountError, parseAmount, subtractAmounts } from '../../src/summary/decimal.js';
import { formatAmount, summaryDigest } from '../../src/summary/format.js';
import type { CurrencyFigures, FiringSummary } from '../../src/domain/summary.js';

describe('exact decimals', () => {
  it('reads amounts strictly', () => {
    expect(parseAmount('-5301.77', { column: 'net' })).toBe('-5301.77');
    for (const bad of ['12.3x', '', ' 1.00', '1e3', '.5', '+1.00', '1,000.00', 'NaN']) {
      expect(() => parseAmount(bad, { line: 7, column: 'gross' })).toThrow(NotAnAmountError);
    }
    expect(() => parseAmount('12.3x', { line: 7, column: 'gross' })).toThrow('column gross holds "12.3x", which is not an amount');
  });

  it('adds and subtracts exactly, keeps the decimals, never writes an exponent', () => {
    expect(addAmounts('0.10', '0.20')).toBe('0.30');
    expect(subtractAmounts('1500', '2000')).toBe('-500');
    expect(addAmounts('99999999999999999999999.99', '0.01')).toBe('100000000000000000000000.00');
    expect(subtractAmounts('0.0000001', '0')).toBe('0.0000001');
    const sum = new DecimalSum();
    for (let i = 0; i < 1000; i++) sum.add('0.01', { column: 'net' });
    sum.add('-0.00', { column: 'net' });
    expect(sum.toString()).toBe('10.00');
    expect(new DecimalSum().toString()).toBe('0');
  });
});

describe('formatAmount', () => {
  it.each([
    ['usd', '177038.35', '$177,038.35'],
    ['usd', '-5301.77', '-$5,301.77'],
    ['usd', '0', '$0.00'],
    ['eur', '1234.5', '€1,234.50'],
    ['jpy', '1500', '¥1,500'],
    ['jpy', '-1500', '-¥1,500'],
    ['krw', '1234567', '₩1,234,567'],
    // Huge amounts stay exact: Node formats the decimal string itself, not a float.
    ['usd', '12345678901234567.89', '$12,345,678,901,234,567.89'],
    ['usd', '-99999999999999999999.99', '-$99,999,999,999,999,999,999.99'],
    // More decimals than the currency has are shown, never rounded away.
    ['jpy', '1500.5', '¥1,500.5'],
    ['jpy', '218214.30', '¥218,214.30'],
    ['usd', '0.005', '$0.005'],
    ['xyz', '1.00', 'XYZ 1.00'],
    ['us', '1.00', '1.00 US'],
  ])('%s %s → %s', (currency, amount, shown) => {
    expect(formatAmount(currency, amount).replace(/\u00a0/g, ' ')).toBe(shown);
  });
});

describe('summaryDigest', () => {
  const base: Omit<FiringSummary, 'totals' | 'family'> = {
    summary_version: 1,
    config: 'finance',
    period: '2025-10',
    interval: { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' },
    api: 'v1',
    report: 'balance_change_from_activity.summary.1',
    generated_at: '2025-11-02T00:00:00Z',
    files: 2,
    rows: 12,
    targets: [],
    failed: [],
    skipped: 0,
  };
  const activity = (currency: string): CurrencyFigures => ({ currency, count: 1234, gross: '180000.00', fee: '2961.65', net: '177038.35', categories: [] });

  it('one line per currency, at most 20, then how many more', () => {
    const currencies = Array.from({ length: 23 }, (_, i) => activity(`c${String(i).padStart(2, '0')}`));
    const digest = summaryDigest({ ...base, family: 'activity', totals: currencies }, 'finance/2025-10/summary.json');
    expect(digest.headline).toHaveLength(21);
    expect(digest.headline[20]).toBe('… and 3 more currencies');
    expect(summaryDigest({ ...base, family: 'activity', totals: [activity('usd')] }, 'k')).toEqual({
      key: 'k',
      family: 'activity',
      files: 2,
      rows: 12,
      headline: ['usd net $177,038.35 (gross $180,000.00, fee $2,961.65, 1,234 items)'],
    });
  });

  it('balance and unknown families', () => {
    const jpy: CurrencyFigures = { currency: 'jpy', balance: { starting_balance: '1000', activity: '1500', payouts: '-2000', ending_balance: '500' } };
    expect(summaryDigest({ ...base, family: 'balance', totals: [jpy] }, 'k').headline).toEqual(['jpy ending balance ¥500 (starting ¥1,000, activity ¥1,500, payouts -¥2,000)']);
    expect(summaryDigest({ ...base, family: 'unknown', rows: 12345, totals: [] }, 'k').headline).toEqual(['12,345 rows in 2 files (not summed)']);
  });
});
