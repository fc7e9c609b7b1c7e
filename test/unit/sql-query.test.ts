import { describe, expect, it } from 'vitest';
import { checkQuerySql, describeSelect, QUERY_PLACEHOLDERS, renderQuerySql, stringLiteral, timestampLiteral } from '../../src/domain/sql-query.js';

const values = { intervalStart: '2025-10-01T00:00:00Z', intervalEnd: '2025-11-01T00:00:00.000Z', period: '2025-10' };

describe('checkQuerySql', () => {
  it('accepts a SELECT with placeholders and names its columns (aliases first, Trino _colN for bare expressions)', () => {
    const sql = [
      'SELECT id, amount AS gross, t.currency, sum(net) AS net_total, count(*), lower(type)',
      'FROM balance_transactions t',
      'WHERE created >= {{interval_start}} AND created < {{ interval_end }}',
      "  AND {{period}} <> 'x'",
      'GROUP BY 1, 2, 3, 6',
    ].join('\n');
    expect(checkQuerySql(sql)).toEqual({ ok: true, columns: ['id', 'gross', 'currency', 'net_total', '_col4', '_col5'] });
  });

  it('accepts WITH, UNION, a trailing semicolon, comments and quoted aliases', () => {
    expect(checkQuerySql('WITH x AS (SELECT id FROM charges) SELECT id AS "Charge Id" FROM x;')).toEqual({ ok: true, columns: ['Charge Id'] });
    expect(checkQuerySql('-- monthly\nSELECT a FROM t UNION ALL SELECT b FROM u')).toEqual({ ok: true, columns: ['a'] });
    expect(checkQuerySql('/* star */ SELECT *, t.* FROM balance_transactions t')).toEqual({ ok: true, columns: ['*', 't.*'] });
  });

  it('names an unknown placeholder and its line', () => {
    const r = checkQuerySql('SELECT id\nFROM charges\nWHERE created >= {{start_date}}');
    expect(r).toEqual({ ok: false, line: 3, problem: expect.stringContaining('unknown placeholder {{start_date}}') });
    expect(checkQuerySql('SELECT 1 WHERE {{}} = 1')).toMatchObject({ ok: false, line: 1, problem: expect.stringContaining('{{}}') });
  });

  it('refuses a placeholder inside quotes (it becomes a whole literal)', () => {
    expect(checkQuerySql("SELECT id FROM t\nWHERE p = '{{period}}'")).toMatchObject({ ok: false, line: 2, problem: expect.stringContaining('inside a quoted string') });
    expect(checkQuerySql("SELECT id FROM t WHERE p = 'month {{period}} end'")).toMatchObject({ ok: false });
  });

  it("gives the parser's line and message for a syntax error", () => {
    const r = checkQuerySql('SELECT a,\n  b\nFROM t\nWHERE x = 1 AND )');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(4);
    expect(r.problem).toMatch(/^Expected .* but "\)" found\.$/);
    // The long list of expected tokens is cut to a readable few.
    expect(r.problem).toMatch(/more\)/);
    expect(checkQuerySql('SELEC x FROM y')).toMatchObject({ ok: false, line: 1, problem: expect.stringContaining('only a SELECT') });
  });

  it('wants exactly one statement, a SELECT', () => {
    expect(checkQuerySql('SELECT a FROM t;\n\nSELECT b FROM u')).toEqual({ ok: false, line: 3, problem: 'exactly one statement is allowed, found 2' });
    expect(checkQuerySql('DELETE FROM t WHERE a = 1')).toEqual({ ok: false, line: 1, problem: 'only a SELECT query is allowed, found DELETE' });
    expect(checkQuerySql('-- note\nINSERT INTO t VALUES (1)')).toMatchObject({ ok: false, line: 2, problem: expect.stringContaining('INSERT') });
    expect(checkQuerySql('  -- nothing\n')).toEqual({ ok: false, line: 1, problem: 'the query is empty' });
  });
});

describe('renderQuerySql', () => {
  it('replaces placeholders with literals built here, timestamps in UTC', () => {
    const sql = "SELECT id, {{period}} AS period FROM t WHERE created >= {{interval_start}} AND created < {{interval_end}}";
    expect(renderQuerySql(sql, { ...values, intervalStart: '2025-10-01T02:00:00+02:00' })).toBe(
      "SELECT id, '2025-10' AS period FROM t WHERE created >= TIMESTAMP '2025-10-01 00:00:00.000' AND created < TIMESTAMP '2025-11-01 00:00:00.000'",
    );
    expect(checkQuerySql(renderQuerySql(sql, values))).toEqual({ ok: true, columns: ['id', 'period'] });
  });

  it('escapes quotes in the period: configuration text never becomes SQL', () => {
    const out = renderQuerySql('SELECT {{period}} AS p', { ...values, period: "x'; DROP TABLE t; --" });
    expect(out).toBe("SELECT 'x''; DROP TABLE t; --' AS p");
    expect(describeSelect(out)).toEqual({ ok: true, columns: [{ name: 'p', kind: 'expression' }], tables: [] });
  });

  it('throws on an unknown placeholder or a bad timestamp', () => {
    expect(() => renderQuerySql('SELECT {{nope}}', values)).toThrow(/line 1: unknown placeholder \{\{nope\}\}/);
    expect(() => renderQuerySql('SELECT {{interval_start}}', { ...values, intervalStart: 'yesterday' })).toThrow(/not an ISO 8601/);
    expect(() => stringLiteral('a\0b')).toThrow();
  });

  it('exposes the placeholder list and the literal builders', () => {
    expect(QUERY_PLACEHOLDERS).toEqual(['interval_start', 'interval_end', 'period']);
    expect(timestampLiteral('2025-06-30T23:59:59.5Z')).toBe("TIMESTAMP '2025-06-30 23:59:59.500'");
    expect(stringLiteral("it's")).toBe("'it''s'");
  });
});

describe('describeSelect', () => {
  it('resolves table aliases and says what each output column is', () => {
    const d = describeSelect('SELECT t.id, b.amount AS amt, count(*) AS n, t.* FROM balance_transactions t JOIN charges b ON t.source_id = b.id');
    expect(d).toEqual({
      ok: true,
      tables: ['balance_transactions', 'charges'],
      columns: [
        { name: 'id', kind: 'column', table: 'balance_transactions', column: 'id' },
        { name: 'amt', kind: 'column', table: 'charges', column: 'amount' },
        { name: 'n', kind: 'aggregate', fn: 'COUNT' },
        { name: 't.*', kind: 'star', table: 'balance_transactions' },
      ],
    });
  });

  it('refuses placeholders: the SQL Stripe gets is rendered', () => {
    expect(describeSelect('SELECT id FROM t WHERE created >= {{interval_start}}')).toMatchObject({ ok: false, line: 1 });
  });
});
