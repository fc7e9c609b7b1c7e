/**
 * A firing's summary on the filesystem archive: the unknown family said plainly, the balance
 * family's change since the previous period, summary.md as people read it (capped lists), and
 * `reports verify` listing the summary and flagging a stale one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { verifyCommand } from '../../src/cli/verify-command.js';
import type { Settings } from '../../src/settings.js';
import { figureChanges } from '../../src/summary/changes.js';
import { renderMarkdown } from '../../src/summary/render-markdown.js';
import { summarizeFiring } from '../../src/summary/summarize-firing.js';
import { saveSummary } from '../../src/summary/summary-store.js';
import { archive, generated } from '../helpers/summary-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'summary-firing-'));
const store = new FilesystemArchive(root);
const interval = { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' };
const balance = (starting: string, activity: string, payouts: string, ending: string) => ({ starting_balance: starting, activity, payouts, ending_balance: ending });

describe('summarizeFiring', () => {
  it('a query is not summed, and says so plainly', async () => {
    const csv = await generated('balance_change_from_activity.itemized.3', { generator: 'query_result', columns: ['id', 'amount', 'currency'], rows: 42 });
    await archive(store, 'sql/2025-10/acct_1.csv', csv, { api: 'data', report: 'query:revenue.sql' });
    const summary = await summarizeFiring(store, { config: 'sql', period: '2025-10', interval, api: 'data', report: 'query:revenue.sql', targets: [{ target: 'acct_1' }], failed: [] });
    expect(summary).toMatchObject({ family: 'unknown', files: 1, rows: 42, totals: [], note: "A SQL query's result (query:revenue.sql) is not a report type this project sums: rows and files are counted only" });
    expect(summary.targets[0]!.currencies).toEqual([]);
    const unknownReport = await summarizeFiring(store, { config: 'sql', period: '2025-10', interval, api: 'v1', report: 'tax.transactions.itemized.2', targets: [{ target: 'acct_1' }], failed: [] });
    expect(unknownReport.note).toBe('tax.transactions.itemized.2 is not a report type this project sums: rows and files are counted only');
    expect(renderMarkdown(summary)).toContain(`> ${summary.note}`);
  });

  it('balance: the four figures per currency, added over targets, and their change since the previous period', async () => {
    const head = 'category,description,net_amount,currency\n';
    const rows = (cur: string, b: ReturnType<typeof balance>) => Object.entries(b).map(([c, v]) => `${c},${c},${v},${cur}`).join('\n') + '\n';
    await archive(store, 'bal/2025-09/acct_1.csv', Buffer.from(head + rows('usd', balance('100.00', '50.00', '-30.00', '120.00')) + rows('jpy', balance('1000', '500', '0', '1500'))));
    await archive(store, 'bal/2025-10/acct_1.csv', Buffer.from(head + rows('usd', balance('120.00', '10.10', '-100.00', '30.10')) + rows('jpy', balance('1500', '-200', '-1000', '300'))));
    await archive(store, 'bal/2025-10/acct_2.csv', Buffer.from(head + rows('usd', balance('0.00', '99999999999999999.99', '0.00', '99999999999999999.99'))));
    const input = { config: 'bal', interval, api: 'v1' as const, report: 'balance.summary.1', failed: [] };
    await saveSummary(store, await summarizeFiring(store, { ...input, period: '2025-09', targets: [{ target: 'acct_1' }] }));
    const october = await summarizeFiring(store, { ...input, period: '2025-10', targets: [{ target: 'acct_2' }, { target: 'acct_1' }], previousPeriod: '2025-09' });
    expect(october.targets.map((t) => t.target)).toEqual(['acct_1', 'acct_2']);
    expect(october.totals).toEqual([
      { currency: 'jpy', balance: balance('1500', '-200', '-1000', '300') },
      { currency: 'usd', balance: balance('120.00', '100000000000000010.09', '-100.00', '100000000000000030.09') },
    ]);
    expect(october.previous).toEqual({
      period: '2025-09',
      changes: [
        { currency: 'jpy', figure: 'starting_balance', previous: '1000', current: '1500', change: '500' },
        { currency: 'jpy', figure: 'activity', previous: '500', current: '-200', change: '-700' },
        { currency: 'jpy', figure: 'payouts', previous: '0', current: '-1000', change: '-1000' },
        { currency: 'jpy', figure: 'ending_balance', previous: '1500', current: '300', change: '-1200' },
        { currency: 'usd', figure: 'starting_balance', previous: '100.00', current: '120.00', change: '20.00' },
        { currency: 'usd', figure: 'activity', previous: '50.00', current: '100000000000000010.09', change: '99999999999999960.09' },
        { currency: 'usd', figure: 'payouts', previous: '-30.00', current: '-100.00', change: '-70.00' },
        { currency: 'usd', figure: 'ending_balance', previous: '120.00', current: '100000000000000030.09', change: '99999999999999910.09' },
      ],
    });
    // No previous summary: no comparison.
    expect((await summarizeFiring(store, { ...input, period: '2025-10', targets: [{ target: 'acct_1' }], previousPeriod: '2025-08' })).previous).toBeUndefined();
  });

  it('each target reads its newest file, whose name may look like another target\'s version', async () => {
    const file = (net: string) => Buffer.from(`category,description,net_amount,currency\nactivity,activity,${net},usd\n`);
    await archive(store, 'ver/2025-10/acct_1.csv', file('1.00'), { archived_at: '2025-11-01T00:00:00.000Z' });
    await archive(store, 'ver/2025-10/acct_1.v2.csv', file('2.00'), { archived_at: '2025-11-02T00:00:00.000Z' });
    await archive(store, 'ver/2025-10/acct_10.csv', file('10.00'));
    // The first file of a target named `odd.v2`, or the second version of a target `odd`.
    await archive(store, 'ver/2025-10/odd.v2.csv', file('5.00'));
    const summary = await summarizeFiring(store, {
      config: 'ver', period: '2025-10', interval, api: 'v1', report: 'balance.summary.1', failed: [],
      targets: ['acct_1', 'acct_10', 'odd.v2', 'odd', 'acct_2'].map((target) => ({ target })),
    });
    expect(summary.targets.map((t) => [t.target, t.key])).toEqual([
      ['acct_1', 'ver/2025-10/acct_1.v2.csv'],
      ['acct_10', 'ver/2025-10/acct_10.csv'],
      ['odd', 'ver/2025-10/odd.v2.csv'],
      ['odd.v2', 'ver/2025-10/odd.v2.csv'],
    ]);
    expect(summary.failed).toEqual([{ target: 'acct_2', reason: 'no archived file for 2025-10 under ver/2025-10/acct_2.*' }]);
  });

  it('compares only figures both periods have', () => {
    const changes = figureChanges(
      [{ currency: 'usd', count: 2, gross: '10.00', fee: '1.00', net: '9.00' }, { currency: 'eur', count: 1, gross: '1.00', fee: '0.00', net: '1.00' }],
      [{ currency: 'usd', count: 5, gross: '20.00', fee: '1.50', net: '18.50' }, { currency: 'gbp', count: 1, gross: '1.00', fee: '0.00', net: '1.00' }],
    );
    expect(changes.map((c) => `${c.currency} ${c.figure} ${c.change}`)).toEqual(['usd net 9.50', 'usd gross 10.00', 'usd fee 0.50', 'usd count 3']);
  });
});

describe('summary.md', () => {
  it('title, totals per currency, failed targets with why, change, targets capped', async () => {
    const csv = await generated('balance_change_from_activity.summary.1', { bytes: 3_000 });
    const targets = Array.from({ length: 105 }, (_, i) => `acct_${String(i).padStart(3, '0')}`);
    for (const t of targets) await archive(store, `many/2025-10/${t}.csv`, csv, { report: 'balance_change_from_activity.summary.1' });
    const summary = await summarizeFiring(store, {
      config: 'many',
      period: '2025-10',
      interval,
      api: 'v1',
      report: 'balance_change_from_activity.summary.1',
      targets: targets.map((target) => ({ target })),
      failed: [{ target: 'acct_x', reason: 'Stripe: the account | has no access\nto reports' }],
    });
    const md = renderMarkdown(summary);
    expect(md).toMatch(/^# many: 2025-10\n\nbalance_change_from_activity\.summary\.1 \(v1 API\), 2025-10-01T00:00:00Z to 2025-11-01T00:00:00Z\. 105 files, [\d,]+ rows; 1 target failed\./);
    expect(md).toContain('### USD\n\n| reporting category | count | gross | fee | net |\n| --- | ---: | ---: | ---: | ---: |\n| adjustment |');
    expect(md).toContain('## Failed targets (1)\n\nTheir figures are not in the totals.\n\n- `acct_x`: Stripe: the account \\| has no access to reports');
    expect(md).toContain('## Targets (105)');
    expect(md).toContain('| acct_099 | many/2025-10/acct_099.csv |');
    expect(md).not.toContain('acct_100');
    expect(md).toContain('… and 5 more targets (every one is in summary.json)');
    const usd = summary.totals.find((t) => t.currency === 'usd')!;
    expect(md).toContain(`| **total** | ${usd.count!.toLocaleString('en-US')} |`);
  });
});

describe('reports verify', () => {
  it('lists the summary with its headline, and flags it once a file it read is gone', async () => {
    const archiveDir = mkdtempSync(path.join(tmpdir(), 'summary-verify-'));
    const local = new FilesystemArchive(archiveDir);
    await archive(local, 'monthly/2025-10/self.csv', Buffer.from('reporting_category,currency,count,gross,fee,net\ncharge,jpy,3,1500,45,1455\n'));
    await saveSummary(local, await summarizeFiring(local, { config: 'monthly', period: '2025-10', interval, api: 'v1', report: 'balance_change_from_activity.summary.1', targets: [{ target: 'self' }], failed: [], now: new Date('2025-11-02T00:00:00Z') }));
    const settings = { archiveDir, schedulesDir: mkdtempSync(path.join(tmpdir(), 'summary-schedules-')) } as Settings;
    const run = async () => {
      const lines: string[] = [];
      const code = await verifyCommand(settings, { config: 'monthly' }, (l) => lines.push(l));
      return { code, text: lines.join('\n') };
    };
    expect(await run()).toEqual({
      code: 0,
      text: [
        'Summaries:',
        'monthly/2025-10/summary.json: matches the archived files; 1 file(s), 1 rows, generated 2025-11-02T00:00:00.000Z',
        '  jpy net ¥1,455 (gross ¥1,500, fee ¥45, 3 items)',
        '1 archived file(s) checked, 1 match their manifests, 0 with problems',
      ].join('\n'),
    });
    rmSync(path.join(archiveDir, 'monthly/2025-10/self.csv'));
    const { code, text } = await run();
    expect(code).toBe(1);
    expect(text).toContain('monthly/2025-10/summary.json: STALE; 1 file(s), 1 rows, generated 2025-11-02T00:00:00.000Z; summed bytes the archive no longer holds: monthly/2025-10/self.csv is missing');
    expect(text).toContain('1 summary names files changed or gone since it was computed');
  });
});
