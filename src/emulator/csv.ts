/**
 * Report file contents. Every row is a pure function of (spec, row index), so a file of any size
 * can be streamed lazily, re-streamed from an offset for Range requests, and hashed, all without
 * ever holding it in memory. The same spec always yields the same bytes.
 *
 * The balance reports (balance.summary, balance_change_from_activity itemized and summary) are
 * made from one ledger per account and interval (./ledger.ts), which GET /v1/balance_transactions
 * serves too. Their summaries, and an itemized file filtered by currency, iterate the ledger once
 * to build their rows: fine at natural sizes (the run's row count), which is why files stretched
 * to an exact byte size keep closed-form rows instead.
 */
import { Readable } from 'node:stream';
import { DateTime } from 'luxon';
import type { GeneratorKind } from './catalog.js';
import { isPayoutCategory } from '../domain/reporting-category.js';
import {
  activityIndex,
  CURRENCIES,
  formatMinor,
  ledgerEntries,
  ledgerEntry,
  ledgerId,
  ledgerSourceId,
  ledgerTotals,
  type CategoryTotal,
  type LedgerSpec,
} from './ledger.js';
import { base62, mix } from './prng.js';

export interface CsvSpec {
  generator: GeneratorKind;
  /** Output columns, in output order. */
  columns: string[];
  seed: number;
  /** Interval in ms since epoch: start inclusive, end exclusive. */
  intervalStart: number;
  intervalEnd: number;
  currency?: string;
  /** Row count of itemized reports (summaries have their natural size). */
  rows: number;
  /** When set, the file is padded with rows to exactly this many bytes. */
  bytes?: number;
  /** IANA zone for timestamps in the file (v1 parameters[timezone]); never moves the interval. */
  timezone?: string;
  bom?: boolean;
  crlf?: boolean;
  /** query_result: each output column's Trino type (and id prefix), aligned with `columns`. */
  queryColumns?: QueryColumn[];
}

export interface QueryColumn {
  name: string;
  type: 'varchar' | 'bigint' | 'double' | 'decimal' | 'boolean' | 'timestamp';
  /** For an `id` column: the object's prefix (txn_, ch_, …). */
  prefix?: string;
  /** A COUNT(…): small positive numbers. */
  count?: boolean;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Minor units to `10.00` for query results' decimals (all generated values are ASCII and comma-free, so no quoting is needed). */
function amount(cents: number): string {
  const neg = cents < 0;
  const a = Math.abs(cents);
  const c = a % 100;
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${c < 10 ? '0' : ''}${c}`;
}

function escapeField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

type RowFn = (i: number) => Record<string, string>;

interface Shape {
  /** Rows when no byte size is asked for. */
  natural: number;
  row: RowFn;
}

const PAD2: string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** `YYYY-MM-DD HH:MM:SS` in UTC; the date part is cached because rows of a file share few days. */
function utcFormatter() {
  const days = new Map<number, string>();
  return (ms: number) => {
    const day = Math.floor(ms / 86_400_000);
    let d = days.get(day);
    if (d === undefined) {
      d = new Date(day * 86_400_000).toISOString().slice(0, 10);
      if (days.size > 10_000) days.clear();
      days.set(day, d);
    }
    const sec = Math.floor((ms - day * 86_400_000) / 1000);
    return `${d} ${PAD2[Math.floor(sec / 3600)]}:${PAD2[Math.floor(sec / 60) % 60]}:${PAD2[sec % 60]}`;
  };
}

function timeFormatter(zone: string | undefined) {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return utcFormatter();
  // Zone offsets only change at transitions, which fall on quarter hours: look the offset up once
  // per quarter hour, then format as UTC shifted by it (luxon per row is ~50x slower).
  const utc = utcFormatter();
  const offsets = new Map<number, number>();
  return (ms: number) => {
    const q = Math.floor(ms / 900_000);
    let off = offsets.get(q);
    if (off === undefined) {
      off = DateTime.fromMillis(q * 900_000, { zone }).offset * 60_000;
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(q, off);
    }
    return utc(ms + off);
  };
}

function shapeOf(spec: CsvSpec): Shape {
  const s = spec.seed;
  const start = spec.intervalStart;
  const spanSec = Math.max(1, Math.floor((spec.intervalEnd - spec.intervalStart) / 1000));
  const fmt = timeFormatter(spec.timezone);
  const want = new Set(spec.columns);
  const at = (i: number, f: number) => start + (mix(s, i, f) % spanSec) * 1000;
  const cur = (i: number) => spec.currency ?? (mix(s, i, 3) % 10 < 7 ? 'usd' : CURRENCIES[mix(s, i, 4) % CURRENCIES.length]);
  const id = (prefix: string, i: number) => ledgerId(s, prefix, i);

  switch (spec.generator) {
    case 'query_result':
      return queryShape(spec, { at, cur, id, fmt });
    case 'balance_summary':
      return spec.bytes === undefined ? balanceSummaryFromLedger(spec) : stretchedBalanceSummary(spec);
    case 'activity_summary':
      return spec.bytes === undefined ? activitySummaryFromLedger(spec) : stretchedActivitySummary(spec);
    case 'activity_itemized': {
      const ledger = ledgerOf(spec);
      // Natural size: the ledger's activity entries (payouts are not "activity"), filtered by
      // currency when asked. Stretched to a byte size: entry after entry, currency forced, so a
      // row stays a closed function of its index however large the file.
      const pick = spec.bytes === undefined && spec.currency !== undefined ? activityIndexesIn(ledger, spec.rows, spec.currency) : null;
      return {
        natural: pick ? pick.length : spec.rows,
        row: (i) => {
          const e = ledgerEntry(ledger, pick ? pick[i]! : activityIndex(i));
          return {
            balance_transaction_id: e.id,
            created_utc: fmt(e.createdMs),
            available_on_utc: fmt(e.availableOnMs),
            currency: e.currency,
            gross: formatMinor(e.amount, e.currency),
            fee: formatMinor(e.fee, e.currency),
            net: formatMinor(e.net, e.currency),
            reporting_category: e.reporting_category,
            description: e.description,
            // Optional columns cost a hash each: only computed when asked for.
            source_id: want.has('source_id') ? ledgerSourceId(s, e) : '',
            customer_id:
              want.has('customer_id') && (e.reporting_category === 'charge' || e.reporting_category === 'refund') ? `cus_${base62(mix(s, e.index % 97, 30), 14)}` : '',
          };
        },
      };
    }
    case 'payouts_itemized': {
      const destination = `ba_${base62(mix(s, 0, 40), 12)}${base62(mix(s, 0, 41), 12)}`;
      return {
        natural: spec.rows,
        row: (i) => {
          const effective = at(i, 7);
          const gross = 10_000 + (mix(s, i, 8) % 4_990_000);
          const arrival = new Date(Math.floor(effective / 86_400_000 + 2) * 86_400_000).toISOString().slice(0, 10);
          const currency = cur(i);
          return {
            payout_id: id('po_', i),
            effective_at_utc: fmt(effective),
            currency,
            gross: formatMinor(gross, currency),
            fee: formatMinor(0, currency),
            net: formatMinor(gross, currency),
            reporting_category: 'payout',
            description: 'STRIPE PAYOUT',
            payout_expected_arrival_date: arrival,
            payout_status: 'paid',
            payout_reversed_at_utc: '',
            payout_type: 'bank_account',
            payout_description: 'STRIPE PAYOUT',
            payout_destination_id: destination,
          };
        },
      };
    }
  }
}

/** The ledger a ledger-based file reads: the spec's seed is the ledger's (see params.ts csvSpecFor). */
function ledgerOf(spec: CsvSpec): LedgerSpec {
  return { seed: spec.seed, intervalStart: spec.intervalStart, intervalEnd: spec.intervalEnd, forceCurrency: spec.bytes === undefined ? undefined : spec.currency };
}

/** Ledger indexes of the activity entries in one currency (natural-size itemized files with a currency filter). */
function activityIndexesIn(ledger: LedgerSpec, activityRows: number, currency: string): number[] {
  const out: number[] = [];
  for (const e of ledgerEntries(ledger, activityRows, currency)) if (!isPayoutCategory(e.reporting_category)) out.push(e.index);
  return out;
}

/** A starting balance per currency: the ledger holds only the interval, so the balance before it is made up, deterministically. */
function startingBalance(seed: number, currency: string): number {
  return mix(seed, currency.charCodeAt(0) * 65_536 + currency.charCodeAt(1) * 256 + currency.charCodeAt(2), 1) % 5_000_000;
}

const sum = (totals: Map<string, CategoryTotal>, keep: (category: string) => boolean) =>
  [...totals].reduce((acc, [category, t]) => (keep(category) ? acc + t.net : acc), 0);

/**
 * balance.summary.1 from the ledger: per currency (sorted), activity = every non-payout balance
 * transaction's net, payouts = the payouts' net, ending = starting + activity + payouts.
 */
function balanceSummaryFromLedger(spec: CsvSpec): Shape {
  const totals = ledgerTotals(ledgerOf(spec), spec.rows, spec.currency);
  const currencies = [...totals.keys()].sort();
  if (currencies.length === 0) currencies.push(spec.currency ?? 'usd');
  const rows = currencies.flatMap((currency) => {
    const t = totals.get(currency) ?? new Map<string, CategoryTotal>();
    const start = startingBalance(spec.seed, currency);
    const activity = sum(t, (c) => !isPayoutCategory(c));
    const payouts = sum(t, isPayoutCategory);
    const line = (category: string, description: string, v: number) => ({ category, description, net_amount: formatMinor(v, currency), currency });
    return [
      line('starting_balance', 'Starting balance', start),
      line('activity', 'Activity', activity),
      line('payouts', 'Payouts', payouts),
      line('ending_balance', 'Ending balance', start + activity + payouts),
    ];
  });
  return { natural: rows.length, row: (i) => rows[i]! };
}

/** balance_change_from_activity.summary.1 from the ledger: per currency and reporting_category, payouts left out. */
function activitySummaryFromLedger(spec: CsvSpec): Shape {
  const totals = ledgerTotals(ledgerOf(spec), spec.rows, spec.currency);
  const rows: Array<Record<string, string>> = [];
  for (const currency of [...totals.keys()].sort()) {
    for (const [category, t] of [...totals.get(currency)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (isPayoutCategory(category)) continue;
      const f = (v: number) => formatMinor(v, currency);
      rows.push({ reporting_category: category, currency, count: String(t.count), gross: f(t.gross), fee: f(t.fee), net: f(t.net) });
    }
  }
  return { natural: rows.length, row: (i) => rows[i]! };
}

/*
 * Summaries stretched to an exact byte size (benchmarks of multi-gigabyte files) repeat blocks of
 * made-up figures, one block per currency: they cannot be sums of a ledger, whose length is the
 * run's row count, and nobody ties them out.
 */
function stretchedBalanceSummary(spec: CsvSpec): Shape {
  const s = spec.seed;
  const cats = ['starting_balance', 'activity', 'payouts', 'ending_balance'];
  const desc = ['Starting balance', 'Activity', 'Payouts', 'Ending balance'];
  return {
    natural: 4,
    row: (i) => {
      const block = Math.floor(i / 4);
      const k = i % 4;
      const startBal = mix(s, block, 1) % 5_000_000;
      const activity = (mix(s, block, 2) % 3_000_000) - 500_000;
      const payouts = -(mix(s, block, 5) % 2_000_000);
      const vals = [startBal, activity, payouts, startBal + activity + payouts];
      const currency = spec.currency ?? (block === 0 ? 'usd' : CURRENCIES[block % CURRENCIES.length]);
      return { category: cats[k], description: desc[k], net_amount: formatMinor(vals[k], currency), currency };
    },
  };
}

function stretchedActivitySummary(spec: CsvSpec): Shape {
  const s = spec.seed;
  const cats = ['charge', 'refund', 'dispute', 'fee', 'adjustment', 'transfer'];
  return {
    natural: cats.length,
    row: (i) => {
      const cat = cats[i % cats.length];
      const block = Math.floor(i / cats.length);
      const currency = spec.currency ?? (block === 0 ? 'usd' : CURRENCIES[block % CURRENCIES.length]);
      const count = 1 + (mix(s, i, 1) % 4000);
      const magnitude = count * (500 + (mix(s, i, 2) % 9500));
      const gross = cat === 'charge' || cat === 'adjustment' ? magnitude : -Math.floor(magnitude / 10);
      const fee = cat === 'charge' ? Math.round(gross * 0.029) + 30 * count : cat === 'dispute' ? 1500 * count : 0;
      const f = (v: number) => formatMinor(v, currency);
      return { reporting_category: cat, currency, count: String(count), gross: f(gross), fee: f(fee), net: f(gross - fee) };
    },
  };
}

/** A query's rows: values by column type and name, deterministic per (seed, row, column). */
function queryShape(
  spec: CsvSpec,
  h: { at: (i: number, f: number) => number; cur: (i: number) => string; id: (prefix: string, i: number) => string; fmt: (ms: number) => string },
): Shape {
  const s = spec.seed;
  const cols = spec.queryColumns ?? spec.columns.map((name) => ({ name, type: 'varchar' as const }));
  const cats = ['charge', 'charge', 'charge', 'refund', 'fee', 'dispute', 'adjustment', 'payout'];
  const value = (c: QueryColumn, i: number, f: number): string => {
    const v = mix(s, i, 50 + f);
    switch (c.type) {
      case 'timestamp':
        return `${h.fmt(h.at(i, 50 + f))}.000`;
      case 'bigint':
        return String(c.count || /count/.test(c.name) ? 1 + (v % 4000) : v % 1_000_000);
      case 'double':
      case 'decimal':
        return amount(v % 1_000_000);
      case 'boolean':
        return v % 2 ? 'true' : 'false';
      default:
        if (c.name === 'id') return h.id(c.prefix ?? 'obj_', i);
        if (c.name.endsWith('_id')) return h.id(`${c.name.slice(0, 3)}_`, i ^ f);
        if (c.name === 'currency') return h.cur(i);
        if (c.name === 'reporting_category' || c.name === 'type') return cats[v % cats.length];
        if (c.name === 'status') return 'available';
        if (c.name === 'email') return `customer${v % 100_000}@example.com`;
        return `${c.name.replace(/[^A-Za-z0-9_]/g, '')}_${base62(v, 6)}`;
    }
  };
  return {
    natural: spec.rows,
    row: (i) => Object.fromEntries(cols.map((c, f) => [c.name, value(c, i, f)])),
  };
}

/** How the last row is stretched to hit an exact byte size without changing any value's meaning. */
function padder(spec: CsvSpec): ((fields: string[], gap: number) => void) | null {
  const columns = spec.columns;
  if (spec.queryColumns) {
    const k = spec.queryColumns.findIndex((c) => c.type === 'varchar');
    if (k >= 0) return (f, gap) => void (f[k] = f[k] + 'x'.repeat(gap));
    const n = spec.queryColumns.findIndex((c) => c.type === 'bigint');
    return n >= 0 ? (f, gap) => void (f[n] = '0'.repeat(gap) + f[n]) : null;
  }
  for (const name of ['description', 'payout_description']) {
    const k = columns.indexOf(name);
    if (k >= 0) return (f, gap) => void (f[k] = f[k] + '.'.repeat(gap));
  }
  for (const name of ['balance_transaction_id', 'payout_id', 'source_id']) {
    const k = columns.indexOf(name);
    if (k >= 0) return (f, gap) => void (f[k] = f[k] + 'x'.repeat(gap));
  }
  const k = columns.indexOf('count');
  if (k >= 0) return (f, gap) => void (f[k] = '0'.repeat(gap) + f[k]);
  return null;
}

/**
 * The file as a sequence of ASCII lines (the BOM, if any, is not included: see prefixBytes).
 * With `bytes`, rows repeat until the next one would overflow, and the last row is padded so the
 * file is exactly `bytes` long.
 */
export function* csvLines(spec: CsvSpec): Generator<string> {
  const eol = spec.crlf ? '\r\n' : '\n';
  const shape = shapeOf(spec);
  const line = (fields: string[]) => fields.join(',') + eol;
  const fieldsOf = (i: number) => {
    const r = shape.row(i);
    return spec.columns.map((c) => escapeField(r[c] ?? ''));
  };
  const header = line(spec.columns.map(escapeField));
  yield header;
  if (spec.bytes === undefined) {
    for (let i = 0; i < shape.natural; i++) yield line(fieldsOf(i));
    return;
  }
  const target = spec.bytes;
  const pad = padder(spec);
  let total = (spec.bom ? BOM.length : 0) + header.length;
  let cur = fieldsOf(0);
  let curLine = line(cur);
  for (let i = 0; ; i++) {
    const nextFields = fieldsOf(i + 1);
    const nextLine = line(nextFields);
    if (total + curLine.length + nextLine.length <= target) {
      yield curLine;
      total += curLine.length;
      cur = nextFields;
      curLine = nextLine;
      continue;
    }
    const gap = target - total - curLine.length;
    if (gap < 0) return; // not even one row fits
    if (gap > 0 && pad) {
      pad(cur, gap);
      curLine = line(cur);
    }
    yield curLine;
    return;
  }
}

export function prefixBytes(spec: CsvSpec): Buffer {
  return spec.bom ? BOM : Buffer.alloc(0);
}

/** Whether csvSize can answer without generating: an exact target is always met when it can be. */
function exactTarget(spec: CsvSpec): boolean {
  if (spec.bytes === undefined || !padder(spec)) return false;
  const it = csvLines({ ...spec, bytes: undefined, rows: 1 });
  const header = it.next().value as string;
  const first = it.next().value as string | undefined;
  return first !== undefined && spec.bytes >= prefixBytes(spec).length + header.length + first.length;
}

/** Size in bytes; exact targets are known up front, otherwise the lines are counted (nothing kept). */
export async function csvSize(spec: CsvSpec): Promise<number> {
  if (exactTarget(spec)) return spec.bytes as number;
  let n = prefixBytes(spec).length;
  let k = 0;
  for (const l of csvLines(spec)) {
    n += l.length;
    // Let the server breathe while counting a big file.
    if (++k % 50_000 === 0) await new Promise((r) => setImmediate(r));
  }
  return n;
}

/** Data rows (without the header): known up front unless the file is stretched to `bytes`. */
export async function csvRowCount(spec: CsvSpec): Promise<number> {
  if (spec.bytes === undefined) return shapeOf(spec).natural;
  let k = -1;
  for (const _ of csvLines(spec)) {
    if (++k % 50_000 === 0) await new Promise((r) => setImmediate(r));
  }
  return Math.max(0, k);
}

/** The bytes [start, end] (inclusive; end defaults to the last byte), generated lazily in ~64 KiB chunks. */
export function csvStream(spec: CsvSpec, start = 0, end = Infinity): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let pos = 0; // offset of the first byte of the next piece
    const prefix = prefixBytes(spec);
    if (prefix.length) {
      if (start < prefix.length) yield prefix.subarray(start, Math.min(prefix.length, end + 1));
      pos = prefix.length;
    }
    let parts: string[] = [];
    let built = 0;
    let skipped = 0;
    for (const l of csvLines(spec)) {
      const from = pos;
      pos += l.length;
      if (pos <= start) {
        // Skipping to a Range offset: keep the event loop turning on long skips.
        if (++skipped % 50_000 === 0) await new Promise((r) => setImmediate(r));
        continue;
      }
      const lo = Math.max(0, start - from);
      const hi = Math.min(l.length, end - from + 1);
      parts.push(lo === 0 && hi === l.length ? l : l.slice(lo, hi));
      built += hi - lo;
      if (built >= 1 << 16) {
        yield Buffer.from(parts.join(''), 'latin1');
        parts = [];
        built = 0;
      }
      if (pos > end) break;
    }
    if (built > 0) yield Buffer.from(parts.join(''), 'latin1');
  }
  return Readable.from(chunks(), { objectMode: false });
}
