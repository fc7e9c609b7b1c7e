/**
 * One report file summed: emulator-generated files of each family and several currencies against
 * an independent computation (test/helpers/summary-files.ts), a BOM and CRLF, a ZIP read through
 * its CSV entry, and bad input named by key, line, column and value.
 */
import { Readable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { ReportFileError } from '../../src/summary/errors.js';
import { reportFamily } from '../../src/summary/family.js';
import { summarizeArchivedFile, summarizeCsv } from '../../src/summary/summarize-file.js';
import { InvalidInputError } from '../../src/domain/errors.js';
import { actualOf, archive, expectedOf, generated, sha256, zipOf } from '../helpers/summary-files.js';

const KEY = 'finance/2025-10/self.csv';
const sum = (csv: Buffer | string, family: 'balance' | 'activity' | 'unknown', key = KEY) => summarizeCsv(Readable.from([Buffer.from(csv)]), key, family);

/** The error a summary throws, for its message and class. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the summary to fail');
}

describe('reportFamily', () => {
  it.each([
    ['v1', 'balance.summary.1', 'balance'],
    ['v2', 'balance.summary.1', 'balance'],
    ['data', 'balance.summary', 'balance'],
    ['v1', 'balance_change_from_activity.itemized.3', 'activity'],
    ['v1', 'balance_change_from_activity.summary.1', 'activity'],
    ['data', 'balance_change_from_activity.itemized', 'activity'],
    ['v1', 'balance.itemized.2', 'activity'],
    ['v1', 'payouts.itemized.3', 'activity'],
    ['data', 'payouts.summary', 'activity'],
    ['v1', 'ending_balance_reconciliation.itemized.4', 'activity'],
    ['data', 'ending_balance_reconciliation.summary', 'activity'],
    ['data', 'query', 'unknown'],
    ['data', 'query:revenue.sql', 'unknown'],
    ['data', 'rpt_0123456789abcdef', 'unknown'],
    ['v1', 'connected_account_balance.summary.1', 'unknown'],
    ['v1', 'tax.transactions.itemized.2', 'unknown'],
  ] as const)('%s %s is %s', (api, report, family) => {
    expect(reportFamily(api, report)).toBe(family);
  });
});

describe('summarizeCsv against an independent sum', () => {
  it.each([
    ['balance.summary.1', 'balance', {}],
    ['balance.summary.1', 'balance', { bytes: 4_000 }], // blocks of several currencies
    ['balance.summary.1', 'balance', { currency: 'jpy', bytes: 1_000 }],
    ['balance_change_from_activity.summary.1', 'activity', {}],
    ['balance_change_from_activity.summary.1', 'activity', { bytes: 8_000 }],
    ['balance_change_from_activity.itemized.3', 'activity', { rows: 3_000 }], // the generator mixes currencies
    ['balance_change_from_activity.itemized.3', 'activity', { rows: 500, currency: 'eur' }],
    ['balance_change_from_activity.itemized.3', 'activity', { rows: 500, bom: true, crlf: true }],
    ['payouts.itemized.3', 'activity', { rows: 2_000 }],
    ['payouts.itemized.3', 'activity', { rows: 300, currency: 'gbp' }],
  ] as const)('%s %j', async (report, family, extra) => {
    const csv = await generated(report, extra);
    const expected = expectedOf(csv, family);
    const result = await sum(csv, family);
    expect(result.rows).toBe(expected.rows);
    const actual = actualOf(result.currencies);
    expect(actual.currencies).toEqual(expected.currencies);
    if (family === 'activity') expect(actual.categories).toEqual(expected.categories);
    // Written as the report writes that currency (`12.30`, never `12.3`; JPY without decimals).
    expect(actual.decimals).toEqual(expected.decimals);
    // Per currency, sorted, never mixed.
    expect(result.currencies.map((c) => c.currency)).toEqual([...expected.currencies.keys()].sort());
    if (!('currency' in extra) && (('bytes' in extra) || ('rows' in extra && extra.rows > 1000))) expect(result.currencies.length).toBeGreaterThan(1);
  });

  it('keeps the decimals of the report (12.30, not 12.3) and JPY without decimals', async () => {
    const result = await sum('reporting_category,currency,count,gross,fee,net\ncharge,usd,2,10.20,0.10,10.10\ncharge,usd,1,2.10,0.00,2.10\ncharge,jpy,3,1500,45,1455\n', 'activity');
    expect(result.currencies).toEqual([
      { currency: 'jpy', count: 3, gross: '1500', fee: '45', net: '1455', categories: [{ reporting_category: 'charge', count: 3, gross: '1500', fee: '45', net: '1455' }] },
      { currency: 'usd', count: 3, gross: '12.30', fee: '0.10', net: '12.20', categories: [{ reporting_category: 'charge', count: 3, gross: '12.30', fee: '0.10', net: '12.20' }] },
    ]);
  });

  it('adds huge amounts exactly', async () => {
    const result = await sum('category,description,net_amount,currency\nending_balance,x,99999999999999999.99,usd\nending_balance,y,0.01,usd\nactivity,z,-12345678901234567.89,usd\n', 'balance');
    expect(result.currencies[0]!.balance).toEqual({ starting_balance: '0', activity: '-12345678901234567.89', payouts: '0', ending_balance: '100000000000000000.00' });
  });

  it('counts the rows of a report it does not sum (a query), with quoted fields spanning lines', async () => {
    const csv = await generated('balance_change_from_activity.itemized.3', { generator: 'query_result', columns: ['id', 'amount', 'currency'], queryColumns: [{ name: 'id', type: 'varchar', prefix: 'txn_' }, { name: 'amount', type: 'decimal' }, { name: 'currency', type: 'varchar' }], rows: 123 });
    expect(await sum(csv, 'unknown')).toEqual({ rows: 123, currencies: [] });
    expect(await sum('a,b\n1,"two\nlines"\n3,4\n', 'unknown')).toEqual({ rows: 2, currencies: [] });
    expect(await sum('', 'unknown')).toEqual({ rows: 0, currencies: [] });
  });
});

describe('bad input', () => {
  it('a header without the currency column names the key and the missing column', async () => {
    const err = await failure(sum('category,description,net_amount\nstarting_balance,x,1.00\n', 'balance'));
    expect(err).toBeInstanceOf(ReportFileError);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe(`${KEY} line 1: the header (category,description,net_amount) has no currency column, which a balance report's summary needs`);
  });

  it("a header that is not the report's (an activity file read as a balance summary)", async () => {
    const csv = await generated('balance_change_from_activity.itemized.3', { rows: 3 });
    expect((await failure(sum(csv, 'balance'))).message).toMatch(/^finance\/2025-10\/self\.csv line 1: the header \(balance_transaction_id,.*\) has no category, net_amount columns/);
  });

  it('an amount that is not a number names the key, line, column and value', async () => {
    const csv = 'reporting_category,currency,gross,fee,net\ncharge,usd,1.00,0.00,1.00\ncharge,usd,12.3x,0.00,12.30\n';
    expect((await failure(sum(csv, 'activity'))).message).toBe(`${KEY} line 3: column gross holds "12.3x", which is not an amount`);
    const empty = 'category,description,net_amount,currency\nstarting_balance,"two\nlines",5.00,usd\npayouts,x,,usd\n';
    expect((await failure(sum(empty, 'balance'))).message).toBe(`${KEY} line 4: column net_amount holds "", which is not an amount`);
    expect((await failure(sum('reporting_category,currency,gross,fee,net\ncharge,usd,1e3,0,1e3\n', 'activity'))).message).toMatch(/line 2: column gross holds "1e3"/);
  });

  it('a count that is not a count, an empty currency, a ragged row, an empty file', async () => {
    const head = 'reporting_category,currency,count,gross,fee,net\n';
    expect((await failure(sum(`${head}charge,usd,2.5,1.00,0.00,1.00\n`, 'activity'))).message).toBe(`${KEY} line 2: column count holds "2.5", which is not a count`);
    expect((await failure(sum(`${head}charge,,1,1.00,0.00,1.00\n`, 'activity'))).message).toBe(`${KEY} line 2: the currency column is empty`);
    expect((await failure(sum(`${head}charge,usd,1,1.00\n`, 'activity'))).message).toMatch(/^finance\/2025-10\/self\.csv: not a readable CSV: Invalid Record Length: .*line 2/);
    expect((await failure(sum('', 'balance'))).message).toBe(`${KEY}: the file is empty: a balance report has at least a header line`);
  });
});

describe('archived files', () => {
  const store = new FilesystemArchive(mkdtempSync(path.join(tmpdir(), 'summary-file-')));

  it('reads a ZIP through its CSV entry, with the sha256 of the archived ZIP', async () => {
    const csv = await generated('balance_change_from_activity.itemized.3', { rows: 1_500 });
    const zip = await zipOf(csv, 'balance_change_from_activity.itemized.3.csv');
    await archive(store, 'zipped/2025-10/self.zip', zip);
    const result = await summarizeArchivedFile(store, 'self', 'zipped/2025-10/self.zip', 'activity');
    expect(result).toMatchObject({ target: 'self', key: 'zipped/2025-10/self.zip', sha256: sha256(zip), rows: 1_500 });
    expect(actualOf(result.currencies).currencies).toEqual(expectedOf(csv, 'activity').currencies);
  });

  it('a bad file names its archive key', async () => {
    await archive(store, 'bad/2025-10/acct_1.csv', Buffer.from('category,net_amount,currency\nstarting_balance,abc,usd\n'));
    expect((await failure(summarizeArchivedFile(store, 'acct_1', 'bad/2025-10/acct_1.csv', 'balance'))).message).toBe('bad/2025-10/acct_1.csv line 2: column net_amount holds "abc", which is not an amount');
    expect((await failure(summarizeArchivedFile(store, 'acct_2', 'bad/2025-10/acct_2.csv', 'balance'))).message).toBe('bad/2025-10/acct_2.csv: no archived file (no manifest) under this key');
  });
});
