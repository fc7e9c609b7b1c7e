/**
 * Stripe's Data API (`api: data`) through real workflows on the real server and the emulator over
 * HTTP: a report run for the key's own account, a SQL query run across an Organization's
 * accounts (Stripe-Context), each archived with its manifest; SQL Stripe refuses and a run Stripe
 * cancels end their target with Stripe's code and message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatProblem, loadConfigFile } from '../../src/config/load.js';
import { ReportConfigSchema } from '../../src/config/schema.js';
import { startReport } from '../../src/temporal/start-report.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { withOutcomes } from '../helpers/outcomes.js';
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const keys = { KEY: 'sk_test_dataapi0key0000', ORG_KEY: 'sk_org_test_dataapi0key00' };

beforeAll(async () => {
  stack = await startStack({ name: 'data-api', emulator: { processingMs: 300 }, keys });
});

afterAll(async () => {
  await stack?.close();
});

const fire = async (fields: Record<string, unknown>) => {
  const config = ReportConfigSchema.parse({ mode: 'sandbox', api: 'data', ...fields });
  const handle = await startReport(stack.client, config, '2025-10', { taskQueue: stack.temporal.taskQueue, timing: { initialMs: 200 } });
  return { config, handle };
};

describe('the Data API', () => {
  it('a report run for the key\'s own account is archived with its manifest', async () => {
    const { config, handle } = await fire({ id: 'data-balance', report: 'balance.summary', key_env: 'KEY' });
    const result = await withOutcomes(await handle.result(), stack.archiveFor(config.archive));
    const outcome = result.outcomes[0]!;
    expect(outcome.status, JSON.stringify(outcome)).toBe('archived');
    if (outcome.status !== 'archived') return;
    expect(outcome.runId).toMatch(/^rrun_/);
    expect(outcome.file.sha256).toBe(await stack.emulator.fileSha256(outcome.runId));
    const manifest = await stack.archiveFor(config.archive).manifest('data-balance/2025-10/self.csv');
    expect(manifest).toMatchObject({ api: 'data', report: 'balance.summary', run_id: outcome.runId, sha256: outcome.file.sha256 });
  });

  it('a SQL query across two accounts of an Organization: one query run each (Stripe-Context), the SQL as sent in each manifest', async () => {
    const sql = "SELECT currency, sum(net) AS net FROM balance_transactions WHERE created >= {{interval_start}} AND created < {{interval_end}} GROUP BY currency";
    const { config, handle } = await fire({ id: 'data-query', query: { sql }, key_env: 'ORG_KEY', targets: [{ account: 'acct_dataquery1' }, { account: 'acct_dataquery2' }] });
    const result = await withOutcomes(await handle.result(), stack.archiveFor(config.archive));
    expect(result.outcomes.map((o) => o.status)).toEqual(['archived', 'archived']);
    const runs = stack.emulator.listRuns().filter((r) => r.kind === 'query');
    expect(runs.map((r) => r.context).sort()).toEqual(['acct_dataquery1', 'acct_dataquery2']);
    for (const r of runs) expect(r.sql).toContain("TIMESTAMP '2025-10-01");
    const manifest = await stack.archiveFor(config.archive).manifest('data-query/2025-10/acct_dataquery1.csv');
    expect(manifest?.query?.sql).toBe(runs.find((r) => r.context === 'acct_dataquery1')!.sql);
    expect(manifest?.query?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a report run across an Organization: one aggregated run without Stripe-Context, and one per account with it, each archived', async () => {
    const { config, handle } = await fire({
      id: 'data-org-balance',
      report: 'balance.summary',
      key_env: 'ORG_KEY',
      targets: [{ organization: 'aggregated' }, { account: 'acct_dataorg1' }, { account: 'acct_dataorg2' }],
    });
    const result = await withOutcomes(await handle.result(), stack.archiveFor(config.archive));
    expect(result.outcomes.map((o) => `${o.target}:${o.status}`).sort()).toEqual(['acct_dataorg1:archived', 'acct_dataorg2:archived', 'organization-aggregated:archived']);
    const runs = stack.emulator.listRuns().filter((r) => result.outcomes.some((o) => o.status === 'archived' && o.runId === r.id));
    expect(runs.map((r) => r.context ?? 'none').sort()).toEqual(['acct_dataorg1', 'acct_dataorg2', 'none']);
    const manifest = await stack.archiveFor(config.archive).manifest('data-org-balance/2025-10/organization-aggregated.csv');
    expect(manifest).toMatchObject({ api: 'data', report: 'balance.summary', target: { kind: 'organization', organization: 'aggregated' } });
  });

  it('a SQL query for the key\'s own account is archived with the SQL as sent', async () => {
    const sql = 'SELECT id, amount, currency FROM charges WHERE created >= {{interval_start}} AND created < {{interval_end}} AND {{period}} = {{period}}';
    const { config, handle } = await fire({ id: 'data-query-self', query: { sql }, key_env: 'KEY' });
    const result = await withOutcomes(await handle.result(), stack.archiveFor(config.archive));
    const outcome = result.outcomes[0]!;
    expect(outcome.status, JSON.stringify(outcome)).toBe('archived');
    if (outcome.status !== 'archived') return;
    expect(outcome.runId).toMatch(/^qrun_/);
    const manifest = await stack.archiveFor(config.archive).manifest('data-query-self/2025-10/self.csv');
    expect(manifest?.query?.sql).toContain("'2025-10' = '2025-10'");
    expect(manifest?.sha256).toBe(await stack.emulator.fileSha256(outcome.runId));
  });

  it('SQL Stripe refuses ends the target at once with query_run_invalid_sql and Stripe\'s message', async () => {
    const { handle } = await fire({ id: 'data-bad-sql', query: { sql: 'SELECT FROM WHERE' }, key_env: 'KEY' });
    const failure = await handle.result().catch((e: Error & { cause?: Error }) => e);
    expect(String((failure as Error & { cause?: Error }).cause?.message)).toMatch(/failed at Stripe: query_run_invalid_sql/);
  });

  it('a run Stripe cancels ends the target with canceled and Stripe\'s reason', async () => {
    stack.emulator.configure({ processingMs: 600_000 });
    try {
      const { handle } = await fire({ id: 'data-canceled', report: 'balance.summary', key_env: 'KEY' });
      const run = stack.client.workflow.getHandle('report/data-canceled/2025-10/self');
      let runId: string | undefined;
      await expect.poll(async () => (runId = (await run.query(progressQuery).catch(() => undefined))?.runId), { timeout: 60_000 }).toBeDefined();
      const res = await fetch(`${stack.emulator.url}/_emulator/runs/${runId}/cancel`, { method: 'POST', body: JSON.stringify({ message: 'canceled by the account owner' }) });
      expect(res.status).toBe(200);
      const failure = await handle.result().catch((e: Error & { cause?: Error }) => e);
      expect(String((failure as Error & { cause?: Error }).cause?.message)).toContain(`ReportRun ${runId} canceled at Stripe`);
    } finally {
      stack.emulator.configure({ processingMs: 300 });
    }
  });
});

let badSeq = 0;

describe('bad Data API input is refused before any run is created, naming the configuration, field and value', () => {
  it.each([
    ['an unknown report name', { report: 'balance.summry' }, /data-bad-0 .*report: Data API report "balance\.summry" not found/],
    ['a parameter the template lacks', { report: 'balance.summary', parameters: { currency: 'usd' } }, /data-bad-1 .*parameters\.currency = "usd" is not accepted by balance\.summary/],
    ['a value the template\'s enum does not allow', { report: 'balance_change_from_activity.itemized', parameters: { columns: ['balance_transaction_id', 'lunch'] } }, /data-bad-2 .*parameters\.columns has "lunch"/],
  ])('%s', async (_name, fields, message) => {
    const id = `data-bad-${badSeq++}`;
    const before = stack.emulator.listRuns().length;
    const { handle } = await fire({ id, key_env: 'KEY', ...fields });
    const failure = await handle.result().catch((e: Error & { cause?: Error }) => e);
    const reason = String((failure as Error & { cause?: Error }).cause?.message ?? (failure as Error).message);
    expect(reason).toMatch(message);
    expect(stack.emulator.listRuns().length).toBe(before);
  });

  it.each([
    ['SQL that does not parse', { sql: 'SELECT currency,, net FROM balance_transactions' }, /query\.sql: line 1 of the SQL/],
    ['a placeholder that does not exist', { sql: 'SELECT id FROM charges WHERE created >= {{month_start}}' }, /query\.sql: .*\{\{month_start\}\}/],
    ['two statements', { sql: 'SELECT id FROM charges; SELECT id FROM payouts' }, /query\.sql: .*one statement/],
    ['an SQL file that is missing', { file: 'no-such-query.sql' }, /query\.file: .*no-such-query\.sql/],
  ])('%s: the configuration never loads, so no schedule or run can exist', (_name, query, message) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'data-bad-sql-'));
    const file = path.join(dir, 'bad-query.yaml');
    writeFileSync(file, stringify({ api: 'data', mode: 'sandbox', key_env: 'KEY', query }));
    const loaded = loadConfigFile(file);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const text = loaded.problems.map(formatProblem).join('\n');
    expect(text).toContain(file);
    expect(text).toMatch(message);
  });
});


