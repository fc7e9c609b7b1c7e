/**
 * One archived report file, summed: its rows and, per currency, the figures its family has.
 * Streamed with csv-parse (a file may be 5 GB: only the per-currency totals are kept), each row
 * added as it arrives and dropped; a UTF-8 BOM and CRLF line ends are Stripe's optional quirks and
 * read like any other file. A ZIP is read through its first CSV entry by ranged reads.
 */
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import type { ArchiveManifest } from '../archive/manifest.js';
import type { ArchiveStore } from '../archive/store.js';
import { archivedZipSource, entryStream, firstCsvEntry, openZip } from '../archive/zip.js';
import { NotAnAmountError } from './decimal.js';
import { ReportFileError } from './errors.js';
import { FAMILY_COLUMNS } from './family.js';
import { ActivityTotals, BalanceTotals, totalsFor } from './figures.js';
import type { CurrencyFigures, ReportFamily, TargetSummary } from '../domain/summary.js';

export interface FileFigures {
  rows: number;
  /** Sorted by currency; empty for the unknown family. */
  currencies: CurrencyFigures[];
}

/** A row's handler, made once the header says where each column is. */
type RowHandler = (record: string[], line: number) => void;

const COUNT = /^\d+$/;

function columnIndex(header: string[]): (name: string) => number {
  const names = header.map((h) => h.trim().toLowerCase());
  return (name) => names.indexOf(name);
}

function currencyAt(record: string[], index: number, key: string, line: number): string {
  const currency = record[index]!.trim().toLowerCase();
  if (!currency) throw new ReportFileError(key, 'the currency column is empty', line);
  return currency;
}

function activityRows(header: string[], key: string, totals: ActivityTotals): RowHandler {
  const at = columnIndex(header);
  const [category, currency, gross, fee, net, count] = ['reporting_category', 'currency', 'gross', 'fee', 'net', 'count'].map(at) as [number, number, number, number, number, number];
  return (record, line) => {
    let n = 1; // itemized reports: one row is one item
    if (count >= 0) {
      const value = record[count]!;
      if (!COUNT.test(value)) throw new ReportFileError(key, `column count holds ${JSON.stringify(value)}, which is not a count`, line);
      n = Number(value);
    }
    totals.add(currencyAt(record, currency, key, line), record[category]!, n, record[gross]!, record[fee]!, record[net]!, line);
  };
}

function balanceRows(header: string[], key: string, totals: BalanceTotals): RowHandler {
  const at = columnIndex(header);
  const [category, amount, currency] = ['category', 'net_amount', 'currency'].map(at) as [number, number, number];
  return (record, line) => totals.add(currencyAt(record, currency, key, line), record[category]!.trim(), record[amount]!, { line, column: 'net_amount' });
}

function checkHeader(header: string[], family: ReportFamily, key: string): void {
  const at = columnIndex(header);
  const missing = FAMILY_COLUMNS[family].filter((c) => at(c) < 0);
  if (missing.length > 0) {
    throw new ReportFileError(
      key,
      `the header (${header.join(',').slice(0, 200)}) has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}, which a ${family} report's summary needs`,
      1,
    );
  }
}

/** Lines a record spans: 1, plus the line breaks inside its quoted fields (a description may hold some). */
function linesOf(record: string[]): number {
  let lines = 1;
  for (const field of record) {
    if (!field.includes('\n')) continue;
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) lines++;
  }
  return lines;
}

/**
 * Sums one report CSV. `key` names the file in errors. Throws ReportFileError when the header
 * lacks a column the family needs or a cell is not what its column holds (an amount, a count).
 */
export async function summarizeCsv(body: Readable, key: string, family: ReportFamily): Promise<FileFigures> {
  const totals = totalsFor(family);
  let handle: RowHandler | undefined;
  let headerSeen = false;
  let rows = 0;
  /** Where the next record starts, for errors (csv-parse's per-record context costs a third of the speed). */
  let line = 1;
  const take = (record: string[]) => {
    const at = line;
    line += linesOf(record);
    if (!headerSeen) {
      headerSeen = true;
      checkHeader(record, family, key);
      if (totals instanceof ActivityTotals) handle = activityRows(record, key, totals);
      else if (totals instanceof BalanceTotals) handle = balanceRows(record, key, totals);
      return;
    }
    rows++;
    handle?.(record, at);
  };
  // Rows are summed as they arrive and dropped: memory holds the totals and a few chunks, whatever the file's size.
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 256,
    writev(chunks, done) {
      try {
        for (const c of chunks) take(c.chunk as string[]);
      } catch (err) {
        return done(err instanceof NotAnAmountError ? new ReportFileError(key, err.message, err.place.line) : (err as Error));
      }
      done();
    },
  });
  try {
    await pipeline(body, parse({ bom: true, skip_empty_lines: true }), sink);
  } catch (err) {
    if (err instanceof ReportFileError) throw err;
    // csv-parse's own messages name the line ("Invalid Record Length: … on line 7"). Anything
    // else (the archive backend failing mid-read) is not the file's fault: it goes up as it is.
    if (err instanceof CsvError) throw new ReportFileError(key, `not a readable CSV: ${err.message}`);
    throw err;
  }
  if (!headerSeen && family !== 'unknown') throw new ReportFileError(key, `the file is empty: a ${family} report has at least a header line`);
  return { rows, currencies: totals?.figures() ?? [] };
}

/** The bytes of an archived report as CSV: the file itself, or a ZIP's first CSV entry. */
async function openCsv(store: ArchiveStore, key: string, manifest: ArchiveManifest): Promise<{ body: Readable; close(): void }> {
  if (manifest.content_type !== 'zip') {
    const body = await store.open(key);
    if (!body) throw new ReportFileError(key, 'the manifest is there but the file is missing');
    return { body, close: () => undefined };
  }
  const zip = await openZip(archivedZipSource(store, key, manifest.size));
  try {
    const entry = await firstCsvEntry(zip);
    return { body: await entryStream(zip, entry), close: () => zip.close() };
  } catch (err) {
    zip.close();
    throw new ReportFileError(key, `the ZIP cannot be read: ${(err as Error).message}`);
  }
}

/** Sums the archived file under `key` (a CSV, or a ZIP through its CSV entry); its sha256 is the manifest's. */
export async function summarizeArchivedFile(
  store: ArchiveStore,
  target: string,
  key: string,
  family: ReportFamily,
  manifest: ArchiveManifest | undefined | Promise<ArchiveManifest | undefined> = store.manifest(key),
): Promise<TargetSummary> {
  manifest = await manifest;
  if (!manifest) throw new ReportFileError(key, 'no archived file (no manifest) under this key');
  const csv = await openCsv(store, key, manifest);
  try {
    const figures = await summarizeCsv(csv.body, key, family);
    return { target, key, sha256: manifest.sha256, ...figures };
  } finally {
    csv.close();
  }
}
