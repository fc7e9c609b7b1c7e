/**
 * The tie-out to the ledger (`reconcile: balance_transactions`): a report's own totals compared
 * with the balance transactions Stripe lists for the same account and period, under the rule
 * Stripe documents for that report. Pure and exact (big.js, never floats, never across
 * currencies), over the contract types in ./types.ts.
 *
 * From an activity, per target:
 *   const rule = tieOutRuleFor(job.report);                      // undefined: no documented rule
 *   const req = balanceTransactionsRequest(target, period, client.organizationKey);  // stripe/
 *   const result = await tieOutTarget({ summary, rule, transactions: client.listBalanceTransactions(req.query, req.options) });
 * then, for the firing: buildTieOut(rule, results, errors) → FiringSummary.tie_out.
 *
 * Stripe's rules, from https://docs.stripe.com/reports/balance: the Balance summary's activity is
 * the balance change from activity, and "the Balance change from activity section ... includes all
 * transactions except for payouts that affect your balance"; payouts are the reporting categories
 * `payout` and `payout_reversal` (https://docs.stripe.com/reports/reporting-categories). The
 * reports' columns: https://docs.stripe.com/reports/report-types/balance.
 */
import Big from 'big.js';
import { minorUnitDigits } from '../domain/currency.js';
import { InvalidInputError } from '../domain/errors.js';
import { isPayoutCategory } from '../domain/reporting-category.js';
import type { CategoryFigures, TargetSummary, TieOut, TieOutLine } from '../domain/summary.js';

/** What the tie-out reads of a balance transaction (stripe/types.ts BalanceTransaction has it): amounts in minor units. */
export interface LedgerTransaction {
  amount: number;
  fee: number;
  net: number;
  currency: string;
  reporting_category: string;
}

/** The ledger summed: per currency (sorted), per reporting_category (sorted), in major units like the reports. */
export interface LedgerTotals {
  transactions: number;
  currencies: Array<{ currency: string; categories: CategoryFigures[] }>;
}

export interface TieOutRule {
  /** Which report family the rule is for. */
  report: 'balance_change_from_activity' | 'balance_summary';
  /** The rule in words, with the documentation page it comes from. */
  text: string;
}

/** A report's filters that also narrow the ledger it is compared with (v1 `currency`, `reporting_category` parameters). */
export interface TieOutScope {
  currency?: string;
  reporting_category?: string;
}

/** One target's comparison. */
export interface TargetTieOut {
  target: string;
  /** Balance transactions read for this target. */
  transactions: number;
  /** Only the lines that differ. */
  lines: TieOutLine[];
}

const DOC = 'https://docs.stripe.com/reports/balance';

const RULES: Record<TieOutRule['report'], TieOutRule> = {
  balance_change_from_activity: {
    report: 'balance_change_from_activity',
    text:
      'Per currency, each reporting_category\'s net equals the net of the balance transactions of that category created in the period; ' +
      `payouts (payout, payout_reversal) are not activity and are left out of the ledger side (${DOC})`,
  },
  balance_summary: {
    report: 'balance_summary',
    text: `Per currency, the activity line equals the net of the balance transactions created in the period other than payouts (payout, payout_reversal) (${DOC})`,
  },
};

/**
 * The rule for a report (v1/v2 report type such as `balance.summary.1`, or a Data API name such as
 * `balance_change_from_activity.itemized`), or undefined when Stripe documents none this project
 * follows (payouts reports go by payout, not by creation date; queries are free-form).
 */
export function tieOutRuleFor(report: string): TieOutRule | undefined {
  if (/^balance_change_from_activity(\.|$)/.test(report)) return RULES.balance_change_from_activity;
  if (/^balance\.summary(\.|$)/.test(report)) return RULES.balance_summary;
  return undefined;
}

const unitOf = (currency: string) => new Big(10).pow(minorUnitDigits(currency));

/** A decimal in the currency's digits ("0.00", "1500" for jpy), or in full when a report wrote more. */
function shown(value: Big, currency: string): string {
  const digits = minorUnitDigits(currency);
  return value.round(digits).eq(value) ? value.toFixed(digits) : value.toFixed();
}

/** Sums balance transactions per currency and reporting_category: count, gross (amount), fee, net, exactly, in major units. */
export async function ledgerTotals(transactions: AsyncIterable<LedgerTransaction> | Iterable<LedgerTransaction>): Promise<LedgerTotals> {
  const sums = new Map<string, Map<string, { count: number; gross: Big; fee: Big; net: Big }>>();
  let count = 0;
  for await (const t of transactions) {
    count++;
    const currency = t.currency.toLowerCase();
    let byCategory = sums.get(currency);
    if (!byCategory) sums.set(currency, (byCategory = new Map()));
    const s = byCategory.get(t.reporting_category) ?? { count: 0, gross: new Big(0), fee: new Big(0), net: new Big(0) };
    s.count++;
    s.gross = s.gross.plus(t.amount);
    s.fee = s.fee.plus(t.fee);
    s.net = s.net.plus(t.net);
    byCategory.set(t.reporting_category, s);
  }
  const currencies = [...sums.keys()].sort().map((currency) => {
    const unit = unitOf(currency);
    const major = (minor: Big) => shown(minor.div(unit), currency);
    const categories = [...sums.get(currency)!.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([reporting_category, s]) => ({ reporting_category, count: s.count, gross: major(s.gross), fee: major(s.fee), net: major(s.net) }));
    return { currency, categories };
  });
  return { transactions: count, currencies };
}

/** The ledger's net per currency and category, within the report's scope. */
function ledgerNets(ledger: LedgerTotals, scope: TieOutScope): Map<string, Map<string, Big>> {
  const out = new Map<string, Map<string, Big>>();
  for (const c of ledger.currencies) {
    if (scope.currency && c.currency !== scope.currency.toLowerCase()) continue;
    const byCategory = new Map<string, Big>();
    for (const cat of c.categories) {
      if (scope.reporting_category && cat.reporting_category !== scope.reporting_category) continue;
      byCategory.set(cat.reporting_category, new Big(cat.net));
    }
    out.set(c.currency, byCategory);
  }
  return out;
}

function line(target: string, currency: string, figure: string, report: Big | undefined, ledger: Big | undefined, reportText?: string, reporting_category?: string): TieOutLine | null {
  const r = report ?? new Big(0);
  const l = ledger ?? new Big(0);
  const difference = r.minus(l);
  if (difference.eq(0)) return null;
  return {
    target,
    currency,
    figure,
    ...(reporting_category !== undefined ? { reporting_category } : {}),
    report: reportText ?? shown(r, currency),
    ledger: shown(l, currency),
    difference: shown(difference, currency),
  };
}

/**
 * Compares one target's report with its ledger under `rule`; returns only the lines that differ
 * (report − ledger ≠ 0). A currency or category on one side only is a difference against zero.
 */
export function tieOut(summary: TargetSummary, rule: TieOutRule, ledger: LedgerTotals, scope: TieOutScope = {}): TieOutLine[] {
  const nets = ledgerNets(ledger, scope);
  const lines: Array<TieOutLine | null> = [];
  const currencies = [...new Set([...summary.currencies.map((c) => c.currency.toLowerCase()), ...nets.keys()])].sort();
  for (const currency of currencies) {
    const reported = summary.currencies.find((c) => c.currency.toLowerCase() === currency);
    const ledgerSide = nets.get(currency) ?? new Map<string, Big>();
    const activity = [...ledgerSide].filter(([category]) => !isPayoutCategory(category));
    if (rule.report === 'balance_summary') {
      const text = reported?.balance?.activity;
      const sum = activity.reduce((a, [, net]) => a.plus(net), new Big(0));
      lines.push(line(summary.target, currency, 'activity', text === undefined ? undefined : new Big(text), sum, text));
      continue;
    }
    const ledgerByCategory = new Map(activity);
    const reportByCategory = new Map((reported?.categories ?? []).map((c) => [c.reporting_category, c.net]));
    for (const category of [...new Set([...reportByCategory.keys(), ...ledgerByCategory.keys()])].sort()) {
      const text = reportByCategory.get(category);
      lines.push(line(summary.target, currency, 'net', text === undefined ? undefined : new Big(text), ledgerByCategory.get(category), text, category));
    }
  }
  return lines.filter((l): l is TieOutLine => l !== null);
}

/**
 * Reads one target's balance transactions to the end and compares them with its summary.
 * `rule` undefined (a report without a documented rule) is refused: check tieOutRuleFor first.
 */
export async function tieOutTarget(input: {
  summary: TargetSummary;
  rule: TieOutRule | undefined;
  transactions: AsyncIterable<LedgerTransaction> | Iterable<LedgerTransaction>;
  scope?: TieOutScope;
}): Promise<TargetTieOut> {
  if (!input.rule) throw new InvalidInputError(`target ${input.summary.target}: this report has no documented rule to tie out to balance transactions`);
  const totals = await ledgerTotals(input.transactions);
  return { target: input.summary.target, transactions: totals.transactions, lines: tieOut(input.summary, input.rule, totals, input.scope) };
}

/**
 * The firing's tie-out. `agrees` only when every target was compared and none differs: a target
 * whose ledger could not be read (in `errors`, with why) is not agreement.
 */
export function buildTieOut(rule: TieOutRule, results: TargetTieOut[], errors: Array<{ target: string; reason: string }>): TieOut {
  const lines = results
    .flatMap((r) => r.lines)
    .sort((a, b) => cmp(a.target, b.target) || cmp(a.currency, b.currency) || cmp(a.reporting_category ?? '', b.reporting_category ?? ''));
  return {
    source: 'balance_transactions',
    rule: rule.text,
    agrees: lines.length === 0 && errors.length === 0,
    transactions: results.reduce((n, r) => n + r.transactions, 0),
    lines,
    errors: [...errors].sort((a, b) => cmp(a.target, b.target)),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
