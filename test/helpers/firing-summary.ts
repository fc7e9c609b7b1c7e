/**
 * FiringSummary fixtures built by hand for the notification tests, and a small amount formatter
 * standing in for src/summary/format.ts.
 */
import type { CurrencyFigures, FiringSummary } from '../../src/domain/summary.js';

/** `177,038.35 USD`: Intl.NumberFormat with the currency's own decimals, the code after the amount. */
export function formatAmount(currency: string, amount: string): string {
  const code = currency.toUpperCase();
  return `${numberFormat(code).format(Number(amount))} ${code}`;
}

const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(code: string): Intl.NumberFormat {
  let f = formats.get(code);
  if (!f) {
    const decimals = new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formats.set(code, f);
  }
  return f;
}

/** A balance-family firing: usd and eur, three failed targets, a tie-out that differs, changes since September. */
export function balanceSummary(overrides: Partial<FiringSummary> = {}): FiringSummary {
  const usd: CurrencyFigures = { currency: 'usd', balance: { starting_balance: '150000.00', activity: '182340.12', payouts: '-155301.77', ending_balance: '177038.35' } };
  const eur: CurrencyFigures = { currency: 'eur', balance: { starting_balance: '1000.00', activity: '250.50', payouts: '0', ending_balance: '1250.50' } };
  return {
    summary_version: 1,
    config: 'monthly-balance',
    period: '2025-10',
    interval: { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' },
    api: 'v1',
    report: 'balance.summary.1',
    family: 'balance',
    generated_at: '2025-11-02T06:00:12Z',
    files: 2,
    rows: 8,
    totals: [eur, usd],
    targets: [
      { target: 'acct_1AAA', key: 'monthly-balance/2025-10/acct_1AAA.csv', sha256: 'a'.repeat(64), rows: 4, currencies: [usd] },
      { target: 'acct_1BBB', key: 'monthly-balance/2025-10/acct_1BBB.csv', sha256: 'b'.repeat(64), rows: 4, currencies: [eur] },
    ],
    failed: [
      { target: 'acct_1CCC', reason: 'Stripe: account_invalid <the account was closed> & removed' },
      { target: 'acct_1DDD', reason: 'report run failed: data_unavailable' },
      { target: 'acct_1EEE', reason: 'permission denied (403)' },
    ],
    skipped: 0,
    previous: {
      period: '2025-09',
      changes: [{ currency: 'usd', figure: 'ending_balance', previous: '175838.35', current: '177038.35', change: '1200.00' }],
    },
    tie_out: {
      source: 'balance_transactions',
      rule: 'activity = sum of balance transactions (https://docs.stripe.com/reports/balance)',
      agrees: false,
      transactions: 1204,
      lines: [{ target: 'acct_1AAA', currency: 'usd', figure: 'activity', report: '182340.12', ledger: '182330.12', difference: '10.00' }],
      errors: [],
    },
    ...overrides,
  };
}

/** An activity-family firing: gross, fee, net and count per currency, nothing failed. */
export function activitySummary(overrides: Partial<FiringSummary> = {}): FiringSummary {
  const usd: CurrencyFigures = {
    currency: 'usd',
    count: 1523,
    gross: '180000.00',
    fee: '-5301.77',
    net: '174698.23',
    categories: [{ reporting_category: 'charge', count: 1523, gross: '180000.00', fee: '-5301.77', net: '174698.23' }],
  };
  return balanceSummary({
    config: 'daily-activity',
    report: 'balance_change_from_activity.summary.1',
    family: 'activity',
    totals: [usd],
    targets: [{ target: 'acct_1AAA', key: 'daily-activity/2025-10/acct_1AAA.csv', sha256: 'a'.repeat(64), rows: 1, currencies: [usd] }],
    failed: [],
    previous: undefined,
    tie_out: undefined,
    ...overrides,
  });
}

/** The real codes, then made-up well-formed ones (`qaa`, `qab`, …) for more currencies than exist. */
const CURRENCIES = [
  ...Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()),
  ...Array.from({ length: 676 }, (_, i) => `q${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`),
];

/** Larger than Slack allows: `currencies` currencies, `failed` failed targets with long reasons, as many differing tie-out lines. */
export function hugeSummary(currencies = 60, failed = 5000): FiringSummary {
  const totals: CurrencyFigures[] = CURRENCIES.slice(0, currencies).map((currency, i) => ({ currency, count: i, gross: `${i}000.00`, fee: '-1.00', net: `${i}999.00` }));
  return activitySummary({
    totals,
    failed: Array.from({ length: failed }, (_, i) => ({ target: `acct_${String(i).padStart(16, '0')}`, reason: `Stripe answered 400 <invalid> & ${'a very long reason '.repeat(40)}` })),
    previous: { period: '2025-09', changes: totals.flatMap((t) => Array.from({ length: 300 }, (_, k) => ({ currency: t.currency, figure: `net_${k}`, previous: '1.00', current: '2.00', change: '1.00' }))) },
    tie_out: {
      source: 'balance_transactions',
      rule: 'net = sum of balance transactions',
      agrees: false,
      transactions: 99999,
      lines: Array.from({ length: failed }, (_, i) => ({ target: `acct_${i}`, currency: 'usd', figure: 'net', reporting_category: 'charge', report: '10.00', ledger: '9.00', difference: '1.00' })),
      errors: Array.from({ length: 100 }, (_, i) => ({ target: `acct_e${i}`, reason: 'ledger read timed out '.repeat(30) })),
    },
  });
}
