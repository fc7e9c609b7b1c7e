/**
 * Amounts and figures as finance reads them: `$177,038.35`, `¥1,500`, `-€5,301.77`. Formatted with
 * Intl.NumberFormat from the decimal string itself (Node formats strings exactly, so
 * `12345678901234567.89` stays exact), with the currency's own decimals (none for JPY, KRW …)
 * unless the report wrote more: a figure is never rounded for display.
 */
import { isZero } from './decimal.js';
import type { CurrencyFigures, FiringSummary, SummaryDigest } from '../domain/summary.js';

const LOCALE = 'en-US';
const formatters = new Map<string, Intl.NumberFormat | null>();

function decimalsOf(amount: string): number {
  const dot = amount.indexOf('.');
  return dot < 0 ? 0 : amount.length - dot - 1;
}

function formatterFor(currency: string, decimals: number): Intl.NumberFormat | null {
  const id = `${currency}:${decimals}`;
  let f = formatters.get(id);
  if (f === undefined) {
    try {
      const standard = new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
      // The currency's decimals, or all the report wrote when it wrote more (a JPY `218214.30` stays `¥218,214.30`).
      const digits = Math.max(standard, decimals);
      f = new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch {
      f = null; // not an ISO code Intl knows the shape of
    }
    formatters.set(id, f);
  }
  return f;
}

/** `formatAmount('usd', '-5301.77')` → `-$5,301.77`; `formatAmount('jpy', '1500')` → `¥1,500`. */
export function formatAmount(currency: string, amount: string): string {
  const f = formatterFor(currency.toUpperCase(), decimalsOf(amount));
  // ES2023's format takes a decimal string and keeps every digit; the ES2022 types only say number.
  return f ? f.format(amount as unknown as number) : `${amount} ${currency.toUpperCase()}`;
}

const counts = new Intl.NumberFormat(LOCALE);

export function formatCount(n: number): string {
  return counts.format(n);
}

/** Lines of a list, at most `max`, then one saying how many more. */
export function capped(lines: string[], max: number, what = ''): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max), `… and ${formatCount(lines.length - max)} more${what ? ` ${what}` : ''}`];
}

/** One currency in one line: the figure finance looks for first, then the rest. */
export function headlineOf(f: CurrencyFigures): string {
  const money = (a: string) => formatAmount(f.currency, a);
  if (f.balance) {
    const b = f.balance;
    return `${f.currency} ending balance ${money(b.ending_balance)} (starting ${money(b.starting_balance)}, activity ${money(b.activity)}, payouts ${money(b.payouts)})`;
  }
  return `${f.currency} net ${money(f.net ?? '0')} (gross ${money(f.gross ?? '0')}, fee ${money(f.fee ?? '0')}, ${formatCount(f.count ?? 0)} items)`;
}

export const HEADLINE_LINES = 20;

/** What the workflow keeps of a summary: small, per currency at most 20 lines. */
export function summaryDigest(summary: FiringSummary, key: string): SummaryDigest {
  const lines =
    summary.family === 'unknown'
      ? [`${formatCount(summary.rows)} rows in ${formatCount(summary.files)} files (not summed)`]
      : summary.totals.map(headlineOf);
  return {
    key,
    family: summary.family,
    files: summary.files,
    rows: summary.rows,
    headline: capped(lines, HEADLINE_LINES, 'currencies'),
    ...(summary.tie_out ? { tie_out: { agrees: summary.tie_out.agrees, differences: summary.tie_out.lines.filter((l) => !isZero(l.difference)).length } } : {}),
  };
}
