/**
 * The ledger: the balance transactions of one account in one interval, which every balance report
 * the emulator writes is made from, and which `GET /v1/balance_transactions` serves. At Stripe the
 * reports are computed from the balance transactions; here both are computed from the same
 * deterministic entries so they agree the way Stripe documents:
 *
 * - `balance_change_from_activity.itemized.*` lists every balance transaction created in the
 *   interval except payouts ("This section includes all transactions except for payouts that
 *   affect your balance", https://docs.stripe.com/reports/balance);
 * - `balance_change_from_activity.summary.1` sums those per reporting_category and currency;
 * - `balance.summary.1`'s `activity` line is the same sum over every category, its `payouts`
 *   line the payouts', and `ending_balance` = starting + activity + payouts.
 *
 * An entry is a pure function of (seed, index), like every row of a file, so an itemized file is
 * still streamed row by row: activity row j is ledger entry `activityIndex(j)`, and every 13th
 * entry (index % 13 === 12) is a payout. The seed names the account, interval and mode, never the
 * report, so two reports of the same account and interval read the same ledger.
 */
import { minorUnitDigits } from '../domain/currency.js';
import { canonical } from './http.js';
import { base62, fmix32, mix, seedOf } from './prng.js';

export const CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'jpy', 'chf', 'sek'];


const ACTIVITY = ['charge', 'charge', 'charge', 'charge', 'charge', 'charge', 'charge', 'refund', 'fee', 'dispute', 'adjustment', 'transfer'];

/** Balance transaction `type` per reporting_category (https://docs.stripe.com/reports/reporting-categories): a dispute is an adjustment. */
const TYPE_OF: Record<string, string> = {
  charge: 'charge',
  refund: 'refund',
  fee: 'stripe_fee',
  dispute: 'adjustment',
  adjustment: 'adjustment',
  transfer: 'transfer',
  payout: 'payout',
};
const SOURCE_PREFIX: Record<string, string> = { charge: 'ch_', refund: 're_', fee: 'fee_', dispute: 'du_', adjustment: 'adj_', transfer: 'tr_', payout: 'po_' };

export interface LedgerSpec {
  seed: number;
  /** ms since the epoch: start inclusive, end exclusive. */
  intervalStart: number;
  intervalEnd: number;
  /**
   * Every entry in this currency. Only for files stretched to an exact byte size, which cannot
   * filter (their rows must stay a closed function of the index); natural files filter instead.
   */
  forceCurrency?: string;
}

export interface LedgerEntry {
  index: number;
  id: string;
  createdMs: number;
  availableOnMs: number;
  currency: string;
  /** Minor units (cents; yen for jpy), as the API gives them. */
  amount: number;
  fee: number;
  net: number;
  reporting_category: string;
  type: string;
  description: string;
}

/** Whose ledger a request or a run reads: the account it acts on, whichever header or parameter named it. */
export function ledgerAccountOf(who: { context: string | null; connectedAccount?: string | null; granularity?: string; organization?: boolean }): string {
  if (who.connectedAccount) return who.connectedAccount;
  // Stripe-Context may be a path (platform/connected): the last segment is the account acted on.
  if (who.context) return who.context.split('/').pop()!.trim();
  if (who.granularity) return `organization:${who.granularity}`;
  return who.organization ? 'organization' : 'self';
}

/** The seed of an account's ledger for an interval and mode. */
export function ledgerSeed(account: string, startMs: number, endMs: number, livemode: boolean): number {
  return seedOf(canonical({ ledger: account, start: startMs, end: endMs, livemode }));
}

/** Entries of a ledger with this many activity rows (payouts come on top: one per 12 activity entries). */
export function ledgerLength(activityRows: number): number {
  return activityRows + Math.floor(activityRows / 12);
}

export function isPayoutIndex(index: number): boolean {
  return index % 13 === 12;
}

/** The ledger index of the j-th activity (non-payout) entry. */
export function activityIndex(j: number): number {
  return j + Math.floor(j / 12);
}

/** 24 characters from three independent 32-bit hashes of the entry: unique in practice. */
export function ledgerId(seed: number, prefix: string, index: number): string {
  return `${prefix}${base62(fmix32(index ^ seed), 8)}${base62(mix(seed, index, 20), 8)}${base62(mix(seed, index, 21), 8)}`;
}

export function ledgerEntry(spec: LedgerSpec, index: number): LedgerEntry {
  const s = spec.seed;
  const spanSec = Math.max(1, Math.floor((spec.intervalEnd - spec.intervalStart) / 1000));
  const createdMs = spec.intervalStart + (mix(s, index, 7) % spanSec) * 1000;
  const currency = spec.forceCurrency ?? (mix(s, index, 3) % 10 < 7 ? 'usd' : CURRENCIES[mix(s, index, 4) % CURRENCIES.length]);
  const payout = isPayoutIndex(index);
  const category = payout ? 'payout' : ACTIVITY[mix(s, index, 6) % ACTIVITY.length];
  const base = 500 + (mix(s, index, 8) % 49_500);
  const order = 1000 + (mix(s, index, 9) % 900_000);
  let amount = base;
  let fee = 0;
  let description = `Charge for order #${order}`;
  if (category === 'charge') fee = Math.round(base * 0.029) + 30;
  else if (category === 'refund') ((amount = -base), (description = `REFUND FOR CHARGE (Charge for order #${order})`));
  else if (category === 'fee') ((amount = -(base % 2000) - 100), (description = 'Billing - Usage Fee'));
  else if (category === 'dispute') ((amount = -base), (fee = 1500), (description = `Dispute for order #${order}`));
  else if (category === 'adjustment') ((amount = (base % 5000) - 2500), (description = 'Balance adjustment'));
  else if (category === 'transfer') ((amount = -base), (description = 'Transfer to connected account'));
  // About what the 12 activity entries before it brought in, so balances stay plausible.
  else ((amount = -(1000 + (mix(s, index, 10) % 300_000))), (description = 'STRIPE PAYOUT'));
  return {
    index,
    id: ledgerId(s, 'txn_', index),
    createdMs,
    availableOnMs: Math.floor(createdMs / 86_400_000 + 2) * 86_400_000,
    currency,
    amount,
    fee,
    net: amount - fee,
    reporting_category: category,
    type: typeOf(category),
    description,
  };
}

const DISCREPANCY_SEED = seedOf('ledger discrepancy');

/** The id of the n-th seeded discrepancy (a balance transaction in the ledger and in no file). */
export function discrepancyId(n: number): string {
  return ledgerId(DISCREPANCY_SEED, 'txn_', n);
}

/** A balance transaction's `type` for a reporting_category. */
export function typeOf(category: string): string {
  return TYPE_OF[category] ?? 'adjustment';
}

/** The object the entry came from (`ch_…`, `re_…`, `po_…`): computed on demand, it costs a hash. */
export function ledgerSourceId(seed: number, entry: Pick<LedgerEntry, 'index' | 'reporting_category'>): string {
  // Another seed: at Stripe the source's id shares nothing with the balance transaction's.
  return ledgerId(fmix32(seed ^ 0x5f3759df), SOURCE_PREFIX[entry.reporting_category] ?? 'obj_', entry.index);
}

/** Every entry of the ledger, in index order; `currency` keeps only that currency. */
export function* ledgerEntries(spec: LedgerSpec, activityRows: number, currency?: string): Generator<LedgerEntry> {
  const n = ledgerLength(activityRows);
  for (let k = 0; k < n; k++) {
    const e = ledgerEntry(spec, k);
    if (currency === undefined || e.currency === currency) yield e;
  }
}

/** Minor units as the report files write them: `10.00`, `1500` for jpy, `1.250` for kwd. */
export function formatMinor(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const neg = minor < 0;
  const a = Math.abs(minor);
  if (digits === 0) return `${neg ? '-' : ''}${a}`;
  const unit = digits === 3 ? 1000 : 100;
  const frac = String(a % unit).padStart(digits, '0');
  return `${neg ? '-' : ''}${Math.floor(a / unit)}.${frac}`;
}

export interface CategoryTotal {
  count: number;
  gross: number;
  fee: number;
  net: number;
}

/** Per currency, per reporting_category: what the summaries are computed from (natural-size files only). */
export function ledgerTotals(spec: LedgerSpec, activityRows: number, currency?: string): Map<string, Map<string, CategoryTotal>> {
  const out = new Map<string, Map<string, CategoryTotal>>();
  for (const e of ledgerEntries(spec, activityRows, currency)) {
    let byCategory = out.get(e.currency);
    if (!byCategory) out.set(e.currency, (byCategory = new Map()));
    const t = byCategory.get(e.reporting_category) ?? { count: 0, gross: 0, fee: 0, net: 0 };
    t.count++;
    t.gross += e.amount;
    t.fee += e.fee;
    t.net += e.net;
    byCategory.set(e.reporting_category, t);
  }
  return out;
}
