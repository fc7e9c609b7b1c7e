/**
 * The Data API's `analytical` dataset as far as the emulator knows it: a few Sigma-like tables,
 * enough to give a query's result file typed columns and believable rows. A query is parsed with
 * the project's own sql-query module (node-sql-parser, Trino grammar); what it selects decides the
 * file's header, the seeded rows follow the column types.
 */
import type { QueryColumn } from './csv.js';
import { describeSelect, type SelectedColumn } from '../domain/sql-query.js';

type ColType = QueryColumn['type'];

const TABLES: Record<string, { prefix: string; columns: [string, ColType][] }> = {
  balance_transactions: {
    prefix: 'txn_',
    columns: [
      ['id', 'varchar'],
      ['amount', 'bigint'],
      ['available_on', 'timestamp'],
      ['created', 'timestamp'],
      ['currency', 'varchar'],
      ['description', 'varchar'],
      ['fee', 'bigint'],
      ['net', 'bigint'],
      ['reporting_category', 'varchar'],
      ['source_id', 'varchar'],
      ['status', 'varchar'],
      ['type', 'varchar'],
    ],
  },
  charges: {
    prefix: 'ch_',
    columns: [
      ['id', 'varchar'],
      ['amount', 'bigint'],
      ['amount_refunded', 'bigint'],
      ['captured', 'boolean'],
      ['created', 'timestamp'],
      ['currency', 'varchar'],
      ['customer_id', 'varchar'],
      ['status', 'varchar'],
    ],
  },
  payouts: {
    prefix: 'po_',
    columns: [
      ['id', 'varchar'],
      ['amount', 'bigint'],
      ['arrival_date', 'timestamp'],
      ['created', 'timestamp'],
      ['currency', 'varchar'],
      ['status', 'varchar'],
      ['type', 'varchar'],
    ],
  },
  customers: {
    prefix: 'cus_',
    columns: [
      ['id', 'varchar'],
      ['created', 'timestamp'],
      ['email', 'varchar'],
      ['name', 'varchar'],
    ],
  },
};

export const ANALYTICAL_TABLES = Object.keys(TABLES);

export type QueryPlan =
  | { ok: true; columns: QueryColumn[]; allAggregates: boolean; interval: { start: number; end: number } | null }
  | { ok: false; message: string };

/** What the query's result file holds, or why Stripe would refuse it (query_run_invalid_sql). */
export function planQuery(sql: string): QueryPlan {
  const d = describeSelect(sql);
  if (!d.ok) return { ok: false, message: `line ${d.line}: ${d.problem}` };
  const columns: QueryColumn[] = [];
  for (const c of d.columns) {
    if (c.kind === 'star') {
      const table = c.table ?? d.tables[0];
      const t = table ? TABLES[table] : undefined;
      if (!t) return { ok: false, message: `Table '${table ?? '?'}' does not exist (the emulator's analytical dataset has ${ANALYTICAL_TABLES.join(', ')}).` };
      for (const [name, type] of t.columns) columns.push({ name, type, prefix: name === 'id' ? t.prefix : undefined });
    } else columns.push(typed(c, d.tables));
  }
  return { ok: true, columns, allAggregates: d.columns.every((c) => c.kind === 'aggregate'), interval: intervalOf(sql) };
}

function typed(c: SelectedColumn, tables: string[]): QueryColumn {
  if (c.kind === 'aggregate') {
    return c.fn === 'COUNT' ? { name: c.name, type: 'bigint', count: true } : { name: c.name, type: c.fn === 'AVG' ? 'double' : 'decimal' };
  }
  if (c.kind === 'column') {
    const t = TABLES[c.table ?? tables[0] ?? ''];
    const hit = t?.columns.find(([name]) => name === c.column);
    if (hit) return { name: c.name, type: hit[1], prefix: c.column === 'id' ? t.prefix : undefined };
  }
  return { name: c.name, type: 'varchar' };
}

/** The span the query's TIMESTAMP literals bound, so generated rows fall inside its WHERE. */
function intervalOf(sql: string): { start: number; end: number } | null {
  const times = [...sql.matchAll(/TIMESTAMP\s*'(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)'/gi)]
    .map((m) => Date.parse(`${m[1].replace(' ', 'T')}Z`))
    .filter((t) => !Number.isNaN(t));
  if (times.length < 2) return null;
  const start = Math.min(...times);
  const end = Math.max(...times);
  return end > start ? { start, end } : null;
}

/** A report file's column types (Data API report runs describe their columns too). */
export function reportColumnType(name: string): ColType {
  if (['gross', 'fee', 'net', 'net_amount'].includes(name)) return 'decimal';
  if (name === 'count') return 'bigint';
  if (name.endsWith('_utc')) return 'timestamp';
  return 'varchar';
}
