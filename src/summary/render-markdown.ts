/**
 * `summary.md`: the firing's summary for people (opened in the archive, attached to an e-mail).
 * Totals per currency first, then what failed and what moved, then the targets, capped so a
 * firing of 10,000 accounts stays readable (summary.json has every target).
 */
import { capped, formatAmount, formatCount } from './format.js';
import { BALANCE_CATEGORIES } from './figures.js';
import type { CurrencyFigures, FiringSummary } from '../domain/summary.js';

/** Targets listed in full; summary.json has the rest. */
export const MARKDOWN_TARGETS = 100;
/** Failed targets listed in full. */
export const MARKDOWN_FAILED = 50;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(header: string[], rows: string[][], alignRight: number[] = []): string[] {
  const rule = header.map((_, i) => (alignRight.includes(i) ? '---:' : '---'));
  return [header, rule, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`);
}

const words = (figure: string) => figure.replace(/_/g, ' ');

function currencyTable(f: CurrencyFigures): string[] {
  const money = (a: string) => formatAmount(f.currency, a);
  if (f.balance) {
    const b = f.balance;
    return table(['figure', 'amount'], BALANCE_CATEGORIES.map((c) => [words(c), money(b[c])]), [1]);
  }
  const rows = (f.categories ?? []).map((c) => [c.reporting_category, formatCount(c.count), money(c.gross), money(c.fee), money(c.net)]);
  rows.push(['**total**', formatCount(f.count ?? 0), `**${money(f.gross ?? '0')}**`, `**${money(f.fee ?? '0')}**`, `**${money(f.net ?? '0')}**`]);
  return table(['reporting category', 'count', 'gross', 'fee', 'net'], rows, [1, 2, 3, 4]);
}

/** A target's figures in one cell: net per currency, or the ending balance. */
function targetFigures(currencies: CurrencyFigures[]): string {
  return currencies
    .map((f) => (f.balance ? `${f.currency} ending ${formatAmount(f.currency, f.balance.ending_balance)}` : `${f.currency} net ${formatAmount(f.currency, f.net ?? '0')}`))
    .join('; ');
}

function changeAmount(currency: string, figure: string, amount: string): string {
  return figure === 'count' ? formatCount(Number(amount)) : formatAmount(currency, amount);
}

export function renderMarkdown(s: FiringSummary): string {
  const out: string[] = [`# ${s.config}: ${s.period}`, ''];
  out.push(
    `${s.report} (${s.api} API), ${s.interval.start} to ${s.interval.end}. ` +
      `${formatCount(s.files)} file${s.files === 1 ? '' : 's'}, ${formatCount(s.rows)} rows` +
      `${s.skipped > 0 ? ` (${formatCount(s.skipped)} archived by an earlier firing)` : ''}` +
      `${s.failed.length > 0 ? `; ${formatCount(s.failed.length)} target${s.failed.length === 1 ? '' : 's'} failed` : ''}. ` +
      `Amounts are per currency, never added across currencies. Generated ${s.generated_at}.`,
    '',
  );
  if (s.note) out.push(`> ${s.note}`, '');

  if (s.totals.length > 0) {
    out.push('## Totals', '');
    for (const f of s.totals) out.push(`### ${f.currency.toUpperCase()}`, '', ...currencyTable(f), '');
  }

  if (s.failed.length > 0) {
    out.push(`## Failed targets (${formatCount(s.failed.length)})`, '', 'Their figures are not in the totals.', '');
    out.push(...capped(s.failed.map((f) => `- \`${cell(f.target)}\`: ${cell(f.reason)}`), MARKDOWN_FAILED, 'failed targets'), '');
  }

  if (s.previous) {
    out.push(`## Change since ${s.previous.period}`, '');
    if (s.previous.changes.length === 0) out.push(`No figure of ${s.previous.period} compares with this period's (other currencies or another report).`, '');
    else {
      const rows = s.previous.changes.map((c) => [
        c.currency,
        words(c.figure),
        changeAmount(c.currency, c.figure, c.previous),
        changeAmount(c.currency, c.figure, c.current),
        changeAmount(c.currency, c.figure, c.change),
      ]);
      out.push(...table(['currency', 'figure', s.previous.period, s.period, 'change'], rows, [2, 3, 4]), '');
    }
  }

  if (s.tie_out) {
    const t = s.tie_out;
    out.push('## Tie-out with the ledger', '', `${t.agrees ? 'Agrees' : 'Does not agree'}: ${cell(t.rule)} (${formatCount(t.transactions)} balance transactions read).`, '');
    if (t.lines.length > 0) {
      const rows = t.lines.map((l) => [l.target, l.currency, l.reporting_category ? `${l.figure} (${l.reporting_category})` : l.figure, formatAmount(l.currency, l.report), formatAmount(l.currency, l.ledger), formatAmount(l.currency, l.difference)]);
      out.push(...table(['target', 'currency', 'figure', 'report', 'ledger', 'difference'], rows.slice(0, MARKDOWN_TARGETS), [3, 4, 5]));
      if (rows.length > MARKDOWN_TARGETS) out.push('', `… and ${formatCount(rows.length - MARKDOWN_TARGETS)} more lines (in summary.json)`);
      out.push('');
    }
    for (const e of t.errors) out.push(`- \`${cell(e.target)}\`: ledger not read: ${cell(e.reason)}`);
    if (t.errors.length > 0) out.push('');
  }

  if (s.targets.length > 0) {
    out.push(`## Targets (${formatCount(s.targets.length)})`, '');
    const rows = s.targets.slice(0, MARKDOWN_TARGETS).map((t) => [t.target, t.key, formatCount(t.rows), targetFigures(t.currencies) || '—']);
    out.push(...table(['target', 'file', 'rows', 'figures'], rows, [2]));
    if (s.targets.length > MARKDOWN_TARGETS) out.push('', `… and ${formatCount(s.targets.length - MARKDOWN_TARGETS)} more targets (every one is in summary.json)`);
    out.push('');
  }
  return out.join('\n');
}
