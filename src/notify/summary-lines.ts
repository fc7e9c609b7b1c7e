/**
 * The words every destination says about a firing's summary — the status line, a currency's
 * figures, the changes since the previous period, the tie-out, a failed target — as plain text, so
 * Slack, the e-mail and the webhook's `text` say the same thing and each only lays it out.
 */
import type { CurrencyFigures, FiringSummary, TieOutLine } from '../domain/summary.js';

/** Formats an amount (a decimal string in the currency's major unit) for people: `177,038.35 USD`. */
export type FormatAmount = (currency: string, amount: string) => string;

export interface Figure {
  label: string;
  value: string;
}

const integer = new Intl.NumberFormat('en-US');

/** `monthly-balance 2025-10: 12 archived, 3 failed` */
export function statusLine(summary: FiringSummary): string {
  const failed = summary.failed.length;
  const parts = [`${integer.format(summary.targets.length)} archived`];
  if (failed) parts.push(`${integer.format(failed)} failed`);
  if (summary.tie_out && !summary.tie_out.agrees) parts.push('tie-out differs');
  return `${summary.config} ${summary.period}: ${parts.join(', ')}`;
}

/** `balance.summary.1 (v1) for 2025-10-01 – 2025-11-01: 12 files, 3,400 rows` */
export function overviewLine(summary: FiringSummary): string {
  const skipped = summary.skipped ? ` (${integer.format(summary.skipped)} archived by an earlier firing)` : '';
  return (
    `${summary.report} (${summary.api}) for ${summary.interval.start} – ${summary.interval.end}: ` +
    `${integer.format(summary.files)} files${skipped}, ${integer.format(summary.rows)} rows`
  );
}

/** The figures of one currency, by family: the balance's four, or gross, fee, net and count. */
export function currencyFigures(c: CurrencyFigures, format: FormatAmount): Figure[] {
  if (c.balance) {
    return [
      { label: 'Starting balance', value: format(c.currency, c.balance.starting_balance) },
      { label: 'Activity', value: format(c.currency, c.balance.activity) },
      { label: 'Payouts', value: format(c.currency, c.balance.payouts) },
      { label: 'Ending balance', value: format(c.currency, c.balance.ending_balance) },
    ];
  }
  const figures: Figure[] = [];
  if (c.gross !== undefined) figures.push({ label: 'Gross', value: format(c.currency, c.gross) });
  if (c.fee !== undefined) figures.push({ label: 'Fee', value: format(c.currency, c.fee) });
  if (c.net !== undefined) figures.push({ label: 'Net', value: format(c.currency, c.net) });
  if (c.count !== undefined) figures.push({ label: 'Count', value: integer.format(c.count) });
  return figures;
}

/** The one figure a currency is known by: its net, or its ending balance (`net 177,038.35 USD`). */
export function headlineFigure(c: CurrencyFigures, format: FormatAmount): string | undefined {
  if (c.balance) return `ending balance ${format(c.currency, c.balance.ending_balance)}`;
  if (c.net !== undefined) return `net ${format(c.currency, c.net)}`;
  return undefined;
}

/** `ending_balance +1,200.00 USD since 2025-09 (was 175,838.35 USD)`, for one currency. */
export function changeLines(summary: FiringSummary, currency: string, format: FormatAmount): string[] {
  const previous = summary.previous;
  if (!previous) return [];
  return previous.changes
    .filter((ch) => ch.currency === currency)
    .map((ch) => {
      const amount = (a: string) => (ch.figure === 'count' ? integer.format(Number(a)) : format(currency, a));
      const sign = ch.change.startsWith('-') ? '' : '+';
      return `${ch.figure.replace(/_/g, ' ')} ${sign}${amount(ch.change)} since ${previous.period} (was ${amount(ch.previous)})`;
    });
}

/** `Ties out to the ledger (1,204 balance transactions)`, or how many figures differ. */
export function tieOutHeadline(summary: FiringSummary): string | undefined {
  const t = summary.tie_out;
  if (!t) return undefined;
  const read = `${integer.format(t.transactions)} balance transactions`;
  if (t.agrees && !t.errors.length) return `Ties out to the ledger (${read})`;
  const problems = [];
  const differ = t.lines.filter((l) => l.difference !== '0').length;
  if (!t.agrees) problems.push(`${count(differ, 'figure differs', 'figures differ')} from the ledger`);
  if (t.errors.length) problems.push(`${count(t.errors.length, 'ledger', 'ledgers')} could not be read`);
  return `Tie-out: ${problems.join('; ')} (${read})`;
}

/** `acct_1 usd net (charge): report 1,000.00 USD, ledger 990.00 USD, difference 10.00 USD` */
export function tieOutLine(l: TieOutLine, format: FormatAmount): string {
  const figure = l.reporting_category ? `${l.figure} (${l.reporting_category})` : l.figure;
  return `${l.target} ${l.currency} ${figure}: report ${format(l.currency, l.report)}, ledger ${format(l.currency, l.ledger)}, difference ${format(l.currency, l.difference)}`;
}

/** Every tie-out problem, one line each: the differing figures, then the ledgers not read. */
export function tieOutProblemLines(summary: FiringSummary, format: FormatAmount): string[] {
  const t = summary.tie_out;
  if (!t) return [];
  return [
    ...t.lines.filter((l) => l.difference !== '0').map((l) => tieOutLine(l, format)),
    ...t.errors.map((e) => `${e.target}: ledger not read: ${shorten(e.reason, REASON_MAX)}`),
  ];
}

/** A reason longer than this is cut: one target's story must not crowd out the others. */
export const REASON_MAX = 300;

export function failedLine(f: { target: string; reason: string }): string {
  return `${f.target}: ${shorten(f.reason, REASON_MAX)}`;
}

/** `1 failed target`, `5,000 failed targets` */
export function count(n: number, one: string, many: string): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}

/** `… and 412 more failed targets: see the firing` */
export function moreLine(count: number, noun: string, where = 'see the firing'): string {
  return `… and ${integer.format(count)} more ${noun}: ${where}`;
}

/**
 * The first lines that fit in `budget` characters (joined by newlines, each as `render` writes it),
 * then a line saying how many were left out. Always fits: a first line too long is cut.
 */
export function fitLines(lines: string[], budget: number, render: (line: string) => string, more: (left: number) => string): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = render(lines[i]!);
    const left = lines.length - i - 1;
    // Room for this line, and for the "and N more" line should the next one not fit.
    const reserve = left ? more(left).length + 1 : 0;
    if (used + line.length + 1 + reserve > budget) {
      if (!out.length && budget > 200) out.push(shorten(line, budget - more(lines.length - 1).length - 2));
      const rest = lines.length - out.length;
      if (rest) out.push(more(rest));
      return shorten(out.join('\n'), budget);
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
}

/** Cuts a text to `max` characters with an ellipsis, never inside a surrogate pair. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}…`;
}
