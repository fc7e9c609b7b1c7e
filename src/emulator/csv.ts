/**
 * Report file contents. Every row is a pure function of (spec, row index), so a file of any size
 * can be streamed lazily, re-streamed from an offset for Range requests, and hashed, all without
 * ever holding it in memory. The same spec always yields the same bytes.
 */
import { Readable } from 'node:stream';
import { DateTime } from 'luxon';
import type { GeneratorKind } from './catalog.js';
import { base62, fmix32, mix } from './prng.js';

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
const CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud', 'jpy', 'chf', 'sek'];

/** Minor units to `10.00` (all generated values are ASCII and comma-free, so no quoting is needed). */
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
  // 24 characters from three independent 32-bit hashes of the row: unique in practice.
  const id = (prefix: string, i: number) =>
    `${prefix}${base62(fmix32(i ^ s), 8)}${base62(mix(s, i, 20), 8)}${base62(mix(s, i, 21), 8)}`;

  switch (spec.generator) {
    case 'query_result':
      return queryShape(spec, { at, cur, id, fmt });
    case 'balance_summary': {
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
          return { category: cats[k], description: desc[k], net_amount: amount(vals[k]), currency };
        },
      };
    }
    case 'activity_summary': {
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
          return { reporting_category: cat, currency, count: String(count), gross: amount(gross), fee: amount(fee), net: amount(gross - fee) };
        },
      };
    }
    case 'activity_itemized': {
      const cats = ['charge', 'charge', 'charge', 'charge', 'charge', 'charge', 'charge', 'refund', 'fee', 'dispute', 'adjustment', 'transfer'];
      return {
        natural: spec.rows,
        row: (i) => {
          const cat = cats[mix(s, i, 6) % cats.length];
          const created = at(i, 7);
          const availableOn = Math.floor(created / 86_400_000 + 2) * 86_400_000;
          const base = 500 + (mix(s, i, 8) % 49_500);
          const order = 1000 + (mix(s, i, 9) % 900_000);
          let gross = base;
          let fee = 0;
          let description = `Charge for order #${order}`;
          let src = 'ch_';
          if (cat === 'charge') fee = Math.round(base * 0.029) + 30;
          else if (cat === 'refund') ((gross = -base), (description = `REFUND FOR CHARGE (Charge for order #${order})`), (src = 're_'));
          else if (cat === 'fee') ((gross = -(base % 2000) - 100), (description = 'Billing - Usage Fee'), (src = 'fee_'));
          else if (cat === 'dispute') ((gross = -base), (fee = 1500), (description = `Dispute for order #${order}`), (src = 'du_'));
          else if (cat === 'adjustment') ((gross = (base % 5000) - 2500), (description = 'Balance adjustment'), (src = 'adj_'));
          else ((gross = -base), (description = 'Transfer to connected account'), (src = 'tr_'));
          return {
            balance_transaction_id: id('txn_', i),
            created_utc: fmt(created),
            available_on_utc: fmt(availableOn),
            currency: cur(i),
            gross: amount(gross),
            fee: amount(fee),
            net: amount(gross - fee),
            reporting_category: cat,
            description,
            // Optional columns cost a hash each: only computed when asked for.
            source_id: want.has('source_id') ? id(src, i) : '',
            customer_id: want.has('customer_id') && (cat === 'charge' || cat === 'refund') ? `cus_${base62(mix(s, i % 97, 30), 14)}` : '',
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
          return {
            payout_id: id('po_', i),
            effective_at_utc: fmt(effective),
            currency: cur(i),
            gross: amount(gross),
            fee: '0.00',
            net: amount(gross),
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
