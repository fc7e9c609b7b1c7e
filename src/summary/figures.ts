/**
 * Per-currency running totals of one family, fed row by row (a file) or figure by figure (a
 * firing's targets). Never adds across currencies: each currency has its own totals.
 */
import { DecimalSum, type AmountPlace } from './decimal.js';
import type { BalanceFigures, CategoryFigures, CurrencyFigures, ReportFamily } from '../domain/summary.js';

export const BALANCE_CATEGORIES = ['starting_balance', 'activity', 'payouts', 'ending_balance'] as const;
type BalanceCategory = (typeof BALANCE_CATEGORIES)[number];

interface CategoryTotals {
  count: number;
  gross: DecimalSum;
  fee: DecimalSum;
  net: DecimalSum;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Totals of the activity family: per currency, per reporting_category. */
export class ActivityTotals {
  private readonly currencies = new Map<string, Map<string, CategoryTotals>>();

  private totalsOf(currency: string, category: string): CategoryTotals {
    let categories = this.currencies.get(currency);
    if (!categories) this.currencies.set(currency, (categories = new Map()));
    let totals = categories.get(category);
    if (!totals) categories.set(category, (totals = { count: 0, gross: new DecimalSum(), fee: new DecimalSum(), net: new DecimalSum() }));
    return totals;
  }

  /** One row (or one category's figures); `line` names the row in an error. Plain arguments: this runs for every row of a 5 GB file. */
  add(currency: string, category: string, count: number, gross: string, fee: string, net: string, line?: number): void {
    const totals = this.totalsOf(currency, category);
    totals.count += count;
    totals.gross.add(gross, { line, column: 'gross' });
    totals.fee.add(fee, { line, column: 'fee' });
    totals.net.add(net, { line, column: 'net' });
  }

  /** Adds another summary's figures (a target's, into a firing's totals). */
  addFigures(figures: CurrencyFigures[]): void {
    for (const f of figures) for (const c of f.categories ?? []) this.add(f.currency, c.reporting_category, c.count, c.gross, c.fee, c.net);
  }

  figures(): CurrencyFigures[] {
    return [...this.currencies]
      .map(([currency, byCategory]): CurrencyFigures => {
        const categories = [...byCategory]
          .map(([reporting_category, t]): CategoryFigures => ({ reporting_category, count: t.count, gross: t.gross.toString(), fee: t.fee.toString(), net: t.net.toString() }))
          .sort(byKey((c) => c.reporting_category));
        // The currency's figures are the sum of its categories: fewer additions than per row.
        const total = { count: 0, gross: new DecimalSum(), fee: new DecimalSum(), net: new DecimalSum() };
        for (const c of categories) {
          total.count += c.count;
          total.gross.add(c.gross, { column: 'gross' });
          total.fee.add(c.fee, { column: 'fee' });
          total.net.add(c.net, { column: 'net' });
        }
        return { currency, count: total.count, gross: total.gross.toString(), fee: total.fee.toString(), net: total.net.toString(), categories };
      })
      .sort(byKey((f) => f.currency));
  }
}

/** Totals of the balance family: per currency, the four balance figures. */
export class BalanceTotals {
  private readonly currencies = new Map<string, Record<BalanceCategory, DecimalSum>>();

  private totalsOf(currency: string): Record<BalanceCategory, DecimalSum> {
    let totals = this.currencies.get(currency);
    if (!totals) {
      totals = { starting_balance: new DecimalSum(), activity: new DecimalSum(), payouts: new DecimalSum(), ending_balance: new DecimalSum() };
      this.currencies.set(currency, totals);
    }
    return totals;
  }

  /**
   * One row. Other categories (`activity_gross`, `payouts_fee` … in Stripe's fuller balance
   * summaries) break the four figures down; they are counted as rows but not added again.
   */
  add(currency: string, category: string, amount: string, place: AmountPlace): void {
    const totals = this.totalsOf(currency);
    if ((BALANCE_CATEGORIES as readonly string[]).includes(category)) totals[category as BalanceCategory].add(amount, place);
  }

  addFigures(figures: CurrencyFigures[]): void {
    for (const f of figures) {
      if (!f.balance) continue;
      for (const c of BALANCE_CATEGORIES) this.add(f.currency, c, f.balance[c], { column: c });
    }
  }

  figures(): CurrencyFigures[] {
    return [...this.currencies]
      .map(([currency, t]) => {
        const balance = Object.fromEntries(BALANCE_CATEGORIES.map((c) => [c, t[c].toString()])) as unknown as BalanceFigures;
        return { currency, balance };
      })
      .sort(byKey((f) => f.currency));
  }
}

export type FamilyTotals = ActivityTotals | BalanceTotals | undefined;

/** Empty totals for a family; the unknown family has none. */
export function totalsFor(family: ReportFamily): FamilyTotals {
  return family === 'activity' ? new ActivityTotals() : family === 'balance' ? new BalanceTotals() : undefined;
}
