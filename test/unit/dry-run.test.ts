/**
 * `reports run --dry-run`: each target's request exactly as it would be sent (method, path,
 * Stripe-Context, body), for v1, v2 and the Data API (reports and queries), offline or with a
 * template lookup; never a key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/run-command.js';
import { readSettings } from '../../src/settings.js';
import { parseConfig } from '../../src/config/load.js';
import type { ReportConfig } from '../../src/config/schema.js';
import { formatPlannedRequests, plannedRequests, type TemplateLookup } from '../../src/cli/dry-run.js';
import { renderQuerySql } from '../../src/domain/sql-query.js';
import type { Period } from '../../src/domain/period.js';

const period: Period = { name: '2026-10', unit: 'month', timezone: 'UTC', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' };

function config(text: string): ReportConfig {
  const r = parseConfig(text, 'schedules/x.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe('dry-run requests', () => {
  it('a Data API report: by name, with the interval, granularity from the target, compress, Stripe-Context', async () => {
    const c = config('api: data\nreport: balance.summary\nmode: live\nresult: { compress: true }\nparameters: { currency: usd }\ntargets:\n  - account: acct_1\n  - organization: aggregated\n');
    const [one, org] = await plannedRequests(c, period);
    expect(one).toMatchObject({ target: 'acct_1', method: 'POST', path: '/v2/data/report_runs' });
    expect(one!.headers).toMatchObject({ 'Stripe-Context': 'acct_1', 'Stripe-Version': '2026-10-28.preview', 'Content-Type': 'application/json' });
    expect(JSON.parse(one!.body)).toEqual({
      report: { name: 'balance.summary' },
      parameters: { currency: 'usd', interval_start: period.start, interval_end: period.end },
      format: 'csv',
      result_options: { compress_file: true },
    });
    expect(one!.note).toBeUndefined();
    expect(org!.headers['Stripe-Context']).toBeUndefined();
    expect(JSON.parse(org!.body).parameters.organization_report_granularity).toBe('aggregated_report');
    expect(org!.note).toMatch(/^offline: assumes the report offers both organization modes/);
  });

  it('a Data API report by id, checked against the template a lookup reads', async () => {
    const c = config('api: data\nreport: rpt_123\nmode: live\nparameters: { currency: usd }\ntargets:\n  - connected_account: acct_2\n    platform: acct_9\n');
    const seen: string[] = [];
    const lookup: TemplateLookup = async (job) => {
      seen.push(`${job.report} ${job.target.context}`);
      return { id: 'rpt_123', parameters: { interval_start: { type: 'timestamp' }, interval_end: { type: 'timestamp' }, currency: { type: 'string' } } };
    };
    const [p] = await plannedRequests(c, period, lookup, { dataVersion: '2027-01-01.preview' });
    expect(seen).toEqual(['rpt_123 acct_9']);
    expect(p!.error).toBe('target connected_account acct_2: report rpt_123 has no connected_account parameter');
    const ok = await plannedRequests(config('api: data\nreport: rpt_123\nmode: live\nparameters: { currency: usd }\n'), period, lookup, { dataVersion: '2027-01-01.preview' });
    expect(JSON.parse(ok[0]!.body).report).toEqual({ id: 'rpt_123' });
    expect(ok[0]!.headers['Stripe-Version']).toBe('2027-01-01.preview');
    const typo = await plannedRequests(config('api: data\nreport: rpt_123\nmode: live\nparameters: { curency: usd }\n'), period, lookup);
    expect(typo[0]!.error).toContain('parameters.curency = "usd" is not accepted by rpt_123');
  });

  it('a query: the SQL rendered for the period, dataset analytical, CSV', async () => {
    const sql = 'SELECT id FROM charges\nWHERE created >= {{interval_start}} AND created < {{interval_end}} -- {{period}}\n';
    const c = config(`api: data\nmode: sandbox\nquery:\n  sql: ${JSON.stringify(sql)}\n`);
    const [p] = await plannedRequests(c, period);
    expect(p).toMatchObject({ target: 'self', path: '/v2/data/query_runs' });
    expect(p!.headers['Stripe-Context']).toBeUndefined();
    expect(JSON.parse(p!.body)).toEqual({
      dataset: 'analytical',
      format: 'csv',
      query: { sql: renderQuerySql(sql, { intervalStart: period.start, intervalEnd: period.end, period: '2026-10' }) },
    });
  });

  it('v2 and v1 as before: JSON to the v2 prefix, a form body to v1', async () => {
    const v2 = await plannedRequests(config('report: balance.summary.1\nmode: live\n'), period, undefined, { v2Prefix: '/v2/reporting', v2Version: '2025-07-03.preview' });
    expect(v2[0]).toMatchObject({ path: '/v2/reporting/report_runs', body: JSON.stringify({ report: 'balance.summary.1', report_parameters: { interval_start: period.start, interval_end: period.end } }) });
    expect(v2[0]!.headers['Stripe-Version']).toBe('2025-07-03.preview');
    const v1 = await plannedRequests(config('api: v1\nreport: balance.summary.1\nmode: live\ntargets:\n  - account: acct_3\n'), period);
    expect(v1[0]).toMatchObject({ path: '/v1/reporting/report_runs', body: `report_type=balance.summary.1&parameters%5Binterval_start%5D=${Date.parse(period.start) / 1000}&parameters%5Binterval_end%5D=${Date.parse(period.end) / 1000}` });
    expect(v1[0]!.headers).toMatchObject({ 'Content-Type': 'application/x-www-form-urlencoded', 'Stripe-Context': 'acct_3' });
    expect(v1[0]!.headers['Stripe-Version']).toBeUndefined();
  });

  it('prints each request and never a key', async () => {
    const c = config('api: data\nreport: balance.summary\nmode: live\nkey_env: FINANCE_KEY\ntargets:\n  - account: acct_1\n');
    const text = formatPlannedRequests(await plannedRequests(c, period), false);
    expect(text.split('\n')).toEqual([
      'requests (built offline; nothing sent):',
      'target acct_1',
      '  POST /v2/data/report_runs',
      '  Authorization: Bearer $FINANCE_KEY (not shown)',
      '  Stripe-Version: 2026-10-28.preview',
      '  Stripe-Context: acct_1',
      '  Content-Type: application/json',
      "  Idempotency-Key: report/x/2026-10/acct_1/<the target workflow's first run id>",
      `  {"report":{"name":"balance.summary"},"parameters":{"interval_start":"${period.start}","interval_end":"${period.end}"},"format":"csv"}`,
    ]);
    const failing = formatPlannedRequests([{ target: 't', method: 'POST', path: '', headers: {}, body: '', error: 'boom' }], true);
    expect(failing).toBe('requests (templates read from Stripe; nothing created):\ntarget t\n  would fail before creating a run: boom');
    expect(text).not.toMatch(/sk_|rk_/);
  });

  it('reports run --dry-run on a query file configuration prints the plan and the request, offline in demo mode', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dry-run-'));
    writeFileSync(path.join(dir, 'revenue.yaml'), 'api: data\nmode: sandbox\nquery:\n  file: revenue.sql\n');
    writeFileSync(path.join(dir, 'revenue.sql'), 'SELECT id\nFROM charges\nWHERE created >= {{interval_start}}\n');
    const lines: string[] = [];
    const code = await runCommand({ ...readSettings(), schedulesDir: dir, demo: true }, 'revenue', { period: '2026-10', dryRun: true }, (l) => lines.push(l));
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('configuration  revenue (data query:revenue.sql, sandbox)');
    expect(text).toContain('query          revenue.sql: 3 lines of SQL');
    expect(text).toContain('requests (built offline; nothing sent):\ntarget self\n  POST /v2/data/query_runs\n');
    expect(text).toContain('"dataset":"analytical","format":"csv","query":{"sql":"SELECT id\\nFROM charges\\nWHERE created >= ');
    expect(lines.at(-1)).toBe('dry run: nothing started');
  });
});
