/**
 * What moved since the previous period: the same figure of the same currency in both summaries,
 * current − previous, exact. A figure only one period has (a new currency, another family) is
 * not compared.
 */
import { subtractAmounts } from './decimal.js';
import { BALANCE_CATEGORIES } from './figures.js';
import type { CurrencyFigures, FigureChange } from '../domain/summary.js';

/** The figures of one currency that can be compared, by name: amounts as decimal strings, count as an integer string. */
function comparable(f: CurrencyFigures): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (f.net !== undefined) out.push(['net', f.net]);
  if (f.gross !== undefined) out.push(['gross', f.gross]);
  if (f.fee !== undefined) out.push(['fee', f.fee]);
  if (f.count !== undefined) out.push(['count', String(f.count)]);
  if (f.balance) for (const c of BALANCE_CATEGORIES) out.push([c, f.balance[c]]);
  return out;
}

export function figureChanges(previous: CurrencyFigures[], current: CurrencyFigures[]): FigureChange[] {
  const before = new Map(previous.map((f) => [f.currency, new Map(comparable(f))]));
  const changes: FigureChange[] = [];
  for (const f of current) {
    const old = before.get(f.currency);
    if (!old) continue;
    for (const [figure, value] of comparable(f)) {
      const was = old.get(figure);
      if (was !== undefined) changes.push({ currency: f.currency, figure, previous: was, current: value, change: subtractAmounts(value, was) });
    }
  }
  return changes;
}
