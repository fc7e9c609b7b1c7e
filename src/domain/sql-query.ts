/**
 * Data API queries (`POST /v2/data/query_runs`): checking a configuration's SQL before it is
 * sent, and rendering its placeholders. Pure: no I/O, used by `reports validate`, by the run that
 * renders the query for a period, and by the emulator that answers it.
 *
 * A query names the period it covers with placeholders, `{{interval_start}}`, `{{interval_end}}`
 * and `{{period}}`, never with text pasted from the configuration: rendering replaces each with a
 * SQL literal built here (a TIMESTAMP literal in UTC, or a quoted string with its quotes doubled).
 *
 * The parser is node-sql-parser's `trino` grammar (its per-dialect build, a tenth of the full
 * bundle): Stripe Sigma and the Data API's analytical dataset run on Trino (formerly Presto), so
 * its grammar is the closest the library has: `TIMESTAMP '…'` literals, double-quoted
 * identifiers, Trino's functions. It is still not Trino itself: a query it accepts may fail at
 * Stripe (an unknown table or column), and a rare valid one may be refused here.
 */
import sqlParser from 'node-sql-parser/build/trino.js';

export const QUERY_PLACEHOLDERS = ['interval_start', 'interval_end', 'period'] as const;
export type QueryPlaceholder = (typeof QUERY_PLACEHOLDERS)[number];

export interface QueryValues {
  /** ISO 8601 / RFC 3339 instant, inclusive. */
  intervalStart: string;
  /** ISO 8601 / RFC 3339 instant, exclusive. */
  intervalEnd: string;
  /** The period's name, e.g. `2025-10`. */
  period: string;
}

export type QueryCheck = { ok: true; columns: string[] } | { ok: false; line: number; problem: string };

/** One entry of the SELECT list, as far as the SQL alone tells. */
export interface SelectedColumn {
  /** The output column's name: the alias, else the column's name, else Trino's `_colN`. */
  name: string;
  kind: 'column' | 'star' | 'aggregate' | 'expression';
  /** For `column` and `star`: the table (alias resolved) it comes from, null when unqualified. */
  table?: string | null;
  /** For `column`: the source column's name. */
  column?: string;
  /** For `aggregate`: the function, upper case (COUNT, SUM, …). */
  fn?: string;
}

export type SelectDescription =
  | { ok: true; columns: SelectedColumn[]; tables: string[] }
  | { ok: false; line: number; problem: string };

const { Parser } = sqlParser;
const parser = new Parser();
const DIALECT = { database: 'trino' } as const;

/** `{{ name }}`, with or without spaces inside the braces; anything between braces is checked. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

const lineAt = (sql: string, offset: number) => sql.slice(0, offset).split('\n').length;

/** Checks a configured query: known placeholders only, one statement, a SELECT that parses. */
export function checkQuerySql(sql: string): QueryCheck {
  const bad = placeholderProblem(sql);
  if (bad) return bad;
  // Sample values: the literals have no line breaks, so the parser's lines stay the file's lines.
  const d = describeSelect(fill(sql, { intervalStart: '2000-01-01T00:00:00Z', intervalEnd: '2000-01-02T00:00:00Z', period: 'sample' }));
  return d.ok ? { ok: true, columns: d.columns.map((c) => c.name) } : d;
}

/**
 * The query with its placeholders replaced by literals. Throws on an unknown placeholder or a
 * value that is not what it should be: check the SQL with checkQuerySql first.
 */
export function renderQuerySql(sql: string, values: QueryValues): string {
  const bad = placeholderProblem(sql);
  if (bad) throw new Error(`line ${bad.line}: ${bad.problem}`);
  return fill(sql, values);
}

/** `TIMESTAMP '2025-10-01 00:00:00.000'`, the instant in UTC. */
export function timestampLiteral(iso: string): string {
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(ms)) throw new Error(`not an ISO 8601 timestamp: ${JSON.stringify(iso)}`);
  return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/** A SQL string literal: single quotes doubled, nothing else can end it. */
export function stringLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL string cannot hold a NUL character');
  return `'${text.replace(/'/g, "''")}'`;
}

function fill(sql: string, v: QueryValues): string {
  const literals: Record<QueryPlaceholder, string> = {
    interval_start: timestampLiteral(v.intervalStart),
    interval_end: timestampLiteral(v.intervalEnd),
    period: stringLiteral(v.period),
  };
  return sql.replace(PLACEHOLDER, (_, name: string) => literals[name as QueryPlaceholder]);
}

function placeholderProblem(sql: string): { ok: false; line: number; problem: string } | null {
  const strings = [...sql.matchAll(/'(?:[^']|'')*'/g)].map((m) => [m.index ?? 0, (m.index ?? 0) + m[0].length - 1]);
  for (const m of sql.matchAll(PLACEHOLDER)) {
    const name = m[1];
    const line = lineAt(sql, m.index ?? 0);
    if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(name)) {
      return { ok: false, line, problem: `unknown placeholder {{${name}}}; the placeholders are ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` };
    }
    // The placeholder becomes a whole literal; inside a string it would end the string early.
    if (strings.some(([from, to]) => (m.index ?? 0) > from && (m.index ?? 0) < to)) {
      return { ok: false, line, problem: `placeholder {{${name}}} is inside a quoted string; it is replaced by a complete SQL literal, so write it without quotes` };
    }
  }
  return null;
}

/** Parses SQL as sent to Stripe (no placeholders): one SELECT, and what its SELECT list names. */
export function describeSelect(sql: string): SelectDescription {
  const first = firstKeyword(sql);
  if (first && !['SELECT', 'WITH', '('].includes(first.word.toUpperCase())) {
    return { ok: false, line: first.line, problem: `only a SELECT query is allowed, found ${first.word.toUpperCase()}` };
  }
  let ast: unknown;
  try {
    ast = parser.astify(sql, DIALECT);
  } catch (err) {
    const e = err as Error & { location?: { start?: { line?: number } } };
    const line = e.location?.start?.line ?? 1;
    return { ok: false, line, problem: e.name === 'SyntaxError' ? shorten(e.message) : `the SQL could not be parsed: ${e.message}` };
  }
  const statements = (Array.isArray(ast) ? ast : [ast]).filter(Boolean) as Ast[];
  if (statements.length === 0) return { ok: false, line: 1, problem: 'the query is empty' };
  if (statements.length > 1) {
    return { ok: false, line: secondStatementLine(sql), problem: `exactly one statement is allowed, found ${statements.length}` };
  }
  const s = statements[0];
  if (s.type !== 'select') return { ok: false, line: first?.line ?? 1, problem: `only a SELECT query is allowed, found ${String(s.type).toUpperCase()}` };
  const from = (s.from ?? []).filter((f) => typeof f.table === 'string');
  const aliases = new Map<string, string>(from.map((f) => [nameOf(f.as) ?? f.table!, f.table!]));
  const columns = (s.columns ?? []).map((c, i) => selected(c, i, aliases));
  return { ok: true, columns, tables: from.map((f) => f.table!) };
}

interface Ast {
  type?: string;
  columns?: { expr?: Expr; as?: unknown }[];
  from?: { table?: string; as?: unknown }[] | null;
}
interface Expr {
  type?: string;
  table?: unknown;
  column?: unknown;
  name?: unknown;
}

function nameOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as { value?: unknown; expr?: unknown };
    if (typeof o.value === 'string') return o.value;
    if (o.expr) return nameOf(o.expr);
  }
  return null;
}

function selected(c: { expr?: Expr; as?: unknown }, i: number, aliases: Map<string, string>): SelectedColumn {
  const alias = nameOf(c.as);
  const e = c.expr ?? {};
  const qualifier = nameOf(e.table);
  const table = qualifier === null ? null : (aliases.get(qualifier) ?? qualifier);
  if (e.type === 'column_ref') {
    const column = nameOf(e.column);
    if (column === '*') return { name: qualifier ? `${qualifier}.*` : '*', kind: 'star', table };
    if (column) return { name: alias ?? column, kind: 'column', table, column };
  }
  if (e.type === 'aggr_func') return { name: alias ?? `_col${i}`, kind: 'aggregate', fn: String(nameOf(e.name) ?? '').toUpperCase() };
  return { name: alias ?? `_col${i}`, kind: 'expression' };
}

/** The first word outside comments, to refuse DELETE and friends with a clear message. */
function firstKeyword(sql: string): { word: string; line: number } | null {
  const re = /--[^\n]*|\/\*[\s\S]*?\*\/|\s+|(\(|[A-Za-z_]+)/g;
  for (const m of sql.matchAll(re)) {
    if (m[1]) return { word: m[1], line: lineAt(sql, m.index ?? 0) };
  }
  return null;
}

/** Where the second statement starts: the line after the first top-level semicolon. */
function secondStatementLine(sql: string): number {
  const re = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|(;)/g;
  for (const m of sql.matchAll(re)) {
    if (!m[1]) continue;
    const rest = sql.slice((m.index ?? 0) + 1);
    const skip = /^(?:\s|--[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(rest)?.[0] ?? '';
    if (skip.length < rest.length) return lineAt(sql, (m.index ?? 0) + 1 + skip.length);
  }
  return 1;
}

/** The parser lists every token it expected; a few are enough to read. */
function shorten(message: string): string {
  const m = /^Expected (.*) but (.*) found\.$/s.exec(message);
  if (!m) return message;
  const expected = m[1].split(/, (?:or )?| or /);
  if (expected.length <= 8) return message;
  return `Expected ${expected.slice(0, 8).join(', ')}, … (${expected.length - 8} more) but ${m[2]} found.`;
}
