/**
 * `api: data` configurations: a Data API report by name or id, or a SQL query (inline or from a
 * file beside the configuration, read when it loads and checked offline), with problems that name
 * the file, the line, the field and the value.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { validateConfigs } from '../../src/config/validate-command.js';

function problems(text: string, file = 'schedules/x.yaml'): string[] {
  const r = parseConfig(text, file);
  return r.ok ? [] : r.problems.map(formatProblem);
}

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-data-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const SQL = 'SELECT id, amount\nFROM balance_transactions\nWHERE created >= {{interval_start}} AND created < {{interval_end}}\n';

describe('api: data configurations', () => {
  it('takes a Data API report by name, leaving v1 and v2 as they were', () => {
    const r = parseConfig('api: data\nreport: balance.summary\nmode: sandbox\n', 'schedules/balance.yaml');
    expect(r.ok && r.config).toMatchObject({ api: 'data', report: 'balance.summary' });
    expect(r.ok && 'query' in r.config).toBe(false);
    const v2 = parseConfig('report: balance.summary.1\nmode: sandbox\n', 'schedules/v2.yaml');
    expect(v2.ok && v2.config).toMatchObject({ api: 'v2', report: 'balance.summary.1' });
    expect(v2.ok && Object.keys(v2.config)).not.toContain('query');
  });

  it('takes an inline query; its report is the label "query"', () => {
    const r = parseConfig(`api: data\nmode: sandbox\nquery:\n  sql: |\n${SQL.replace(/^/gm, '    ')}`, 'schedules/q.yaml');
    expect(r.ok ? r.config : r.problems).toMatchObject({ api: 'data', report: 'query', query: { sql: SQL } });
  });

  it('reads query.file relative to the configuration file, and the SQL travels in the configuration', () => {
    const dir = dirWith({ 'schedules/revenue.yaml': 'api: data\nmode: live\nquery:\n  file: sql/revenue.sql\n', 'schedules/sql/revenue.sql': SQL });
    const r = loadConfigFile(path.join(dir, 'schedules/revenue.yaml'));
    expect(r.ok ? r.config : r.problems).toMatchObject({ report: 'query:sql/revenue.sql', query: { sql: SQL, file: 'sql/revenue.sql' } });
  });

  it('a missing SQL file names the configuration, the field and the path', () => {
    const dir = dirWith({ 'revenue.yaml': 'api: data\nmode: live\nquery:\n  file: nope.sql\n' });
    const r = loadConfigFile(path.join(dir, 'revenue.yaml'));
    const text = r.ok ? '' : r.problems.map(formatProblem).join('\n');
    expect(text).toContain(`${path.join(dir, 'revenue.yaml')}:4: query.file: cannot read the SQL file "nope.sql" (${path.join(dir, 'nope.sql')}): no such file`);
  });

  it.each([
    ['api: data\nmode: live\n', 'report: is missing — fix: add `report: balance.summary` (a Data API report), or `query: { file: revenue.sql }`'],
    ['api: data\nreport: balance.summary\nquery:\n  sql: SELECT 1\nmode: live\n', 'x.yaml:3: query: is given with report:'],
    ['api: v2\nquery:\n  sql: SELECT 1\nmode: live\n', 'x.yaml:2: query: queries need the Data API, not api: v2 — fix: add `api: data`'],
    ['api: data\nquery:\n  sql: SELECT 1\n  file: a.sql\nmode: live\n', 'x.yaml:2: query: give exactly one of sql or file'],
    ['api: data\nquery: {}\nmode: live\n', 'query: give exactly one of sql or file'],
    ['api: data\nquery:\n  sql: "  "\nmode: live\n', 'x.yaml:3: query.sql: "  " is not SQL (it is blank) — fix: write the SQL, or name a file with file:'],
    ['api: data\nquery:\n  sql: SELECT 1\n  dialect: trino\nmode: live\n', 'x.yaml:4: query.dialect: unknown field "dialect"'],
    ['api: data\nreport: balance.summary.1\nmode: live\n', 'x.yaml:2: report: Data API report names have no version suffix ("balance.summary.1") — fix: write `report: balance.summary`'],
    ['api: data\nquery:\n  sql: SELECT 1\nparameters:\n  currency: usd\nmode: live\n', 'x.yaml:5: parameters.currency: a query takes no report parameters (currency)'],
    ['api: data\nquery:\n  sql: SELECT 1\ntargets:\n  - organization: aggregated\nmode: live\n', 'x.yaml:5: targets.0: a query runs as one account'],
    ['api: data\nquery:\n  sql: SELECT 1\ntargets_from:\n  env: ACCTS\n  as: connected_account\nmode: live\n', 'x.yaml:6: targets_from.as: a query runs as one account'],
    ['api: v3\nreport: r\nmode: live\n', 'api: "v3" is not one of v2, v1, data'],
  ])('%j is refused with %j', (text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });

  it('checks inline SQL offline, naming the configuration line of the bad SQL line', () => {
    const text = 'api: data\nmode: live\nquery:\n  sql: |\n    SELECT id\n    FROM charges\n    WHERE created >= {{intervl_start}}\n';
    const found = problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^schedules\/x\.yaml:7: query\.sql: line 3 of the SQL: .*\{\{intervl_start\}\}/);
  });

  it('reports validate names the SQL file, its line and the problem', () => {
    const dir = dirWith({ 'revenue.yaml': 'api: data\nmode: live\nquery:\n  file: revenue.sql\n', 'revenue.sql': 'SELECT id\nFROM charges\nWHERE created < {{interval_ends}}\n' });
    const lines: string[] = [];
    expect(validateConfigs([dir], dir, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(new RegExp(`error ${path.join(dir, 'revenue.sql').replace(/[.]/g, '\\.')}:3: query\\.file: .*\\{\\{interval_ends\\}\\}.*the query of`));
  });

  it('a good query validates', () => {
    const dir = dirWith({ 'revenue.yaml': 'api: data\nmode: live\nquery:\n  file: revenue.sql\n', 'revenue.sql': SQL });
    const lines: string[] = [];
    expect(validateConfigs([dir], dir, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe('1 file: 1 ok, 0 with problems');
  });
});
