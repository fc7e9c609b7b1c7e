/**
 * Checks that a transferred report is what it claims to be, beyond its size: a ZIP must be intact
 * (every entry's CRC-32 and size) and hold a CSV; a CSV's header must match the requested
 * columns. A UTF-8 BOM and CRLF line ends are fine (Stripe may send both). The CSV header is
 * checked on the stream as it arrives, with every byte as UTF-8 (CsvCheck); a ZIP by random access to where it is stored.
 */
import { parse } from 'csv-parse/sync';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import type yauzl from 'yauzl';
import { DownloadVerificationError } from '../stripe/errors.js';
import type { ReportJob } from '../domain/report-job.js';
import { entryStream, localZipSource, openZip, type ZipSource } from '../archive/zip.js';

/** The first line of a stream, without reading the rest. */
export async function firstLine(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += (chunk as Buffer).toString('utf8');
    const end = text.search(/\r?\n/);
    if (end >= 0 || text.length > 1_000_000) {
      stream.destroy();
      return end >= 0 ? text.slice(0, end) : text;
    }
  }
  return text;
}

export function checkCsvHeader(line: string, job: Pick<ReportJob, 'parameters' | 'report'>, what: string): void {
  const header = line.replace(/^\uFEFF/, '');
  let columns: string[];
  try {
    columns = (parse(header, { relax_quotes: true }) as string[][])[0] ?? [];
  } catch (err) {
    throw new DownloadVerificationError(`${what}: the first line is not a CSV header (${(err as Error).message})`);
  }
  if (columns.length === 0 || columns.every((c) => c.trim() === '')) throw new DownloadVerificationError(`${what}: the file has no CSV header`);
  const requested = job.parameters.columns;
  if (Array.isArray(requested) && requested.length > 0 && columns.join(',') !== requested.join(',')) {
    throw new DownloadVerificationError(`${what}: header is "${columns.join(',')}" but the run asked for columns ${requested.join(',')}`);
  }
}

/** Every entry read in full, CRC-32 compared; returns the names of the CSV entries. */
export async function checkZip(source: ZipSource, job: Pick<ReportJob, 'parameters' | 'report'>, what: string): Promise<string[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(source);
  } catch (err) {
    throw new DownloadVerificationError(`${what}: not a readable ZIP (${(err as Error).message})`);
  }
  const csvs: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          if (entry.fileName.endsWith('/')) return zip.readEntry();
          let crc = 0;
          let header: string | undefined;
          const sink = new Writable({
            write(chunk: Buffer, _enc, done) {
              crc = crc32(chunk, crc);
              if (header === undefined && /\.csv$/i.test(entry.fileName)) {
                const text = chunk.toString('utf8');
                const end = text.search(/\r?\n/);
                header = end >= 0 ? text.slice(0, end) : text;
              }
              done();
            },
          });
          await pipeline(await entryStream(zip, entry), sink);
          if (crc >>> 0 !== entry.crc32 >>> 0) throw new Error(`entry ${entry.fileName} fails its CRC-32 check`);
          if (/\.csv$/i.test(entry.fileName)) {
            checkCsvHeader(header ?? '', job, `${what} (${entry.fileName})`);
            csvs.push(entry.fileName);
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } catch (err) {
    if (err instanceof DownloadVerificationError) throw err;
    throw new DownloadVerificationError(`${what}: corrupt ZIP (${(err as Error).message})`);
  } finally {
    zip.close();
  }
  if (csvs.length === 0) throw new DownloadVerificationError(`${what}: the ZIP holds no CSV file`);
  return csvs;
}

/** A local file checked whole (tests, tools). */
export async function verifyReportFile(file: string, contentType: 'csv' | 'zip', job: ReportJob): Promise<void> {
  const what = `file of ${job.businessKey}`;
  if (contentType === 'zip') await checkZip(await localZipSource(file), job, what);
  else {
    const check = new CsvCheck(job, what);
    for await (const chunk of createReadStream(file)) check.update(chunk as Buffer);
    check.finish();
  }
}

/**
 * A CSV checked on the stream as it arrives: its header from the first chunks (a wrong file fails
 * after its first line, not after 5 GB), and every byte after it as UTF-8. Stripe's CSVs are
 * UTF-8 and announce no checksum, so this is what catches a file damaged on the way: a flipped or
 * lost byte in text leaves a sequence no UTF-8 encoder writes (a ZIP has its CRC-32 instead).
 */
export class CsvCheck {
  private text = '';
  private checked = false;
  /** The last bytes of a chunk that end mid-character: checked with the next chunk. */
  private carry: Buffer | undefined;
  private offset = 0;

  constructor(
    private readonly job: Pick<ReportJob, 'parameters' | 'report'>,
    private readonly what: string,
  ) {}

  /** Throws DownloadVerificationError as soon as the header or the bytes so far are wrong. */
  update(chunk: Buffer): void {
    this.checkUtf8(chunk);
    if (this.checked) return;
    this.text += chunk.subarray(0, 1_000_000).toString('utf8');
    const end = this.text.search(/\r?\n/);
    if (end < 0 && this.text.length <= 1_000_000) return;
    this.checked = true;
    checkCsvHeader(end >= 0 ? this.text.slice(0, end) : this.text, this.job, this.what);
    this.text = '';
  }

  /** At the end of the file: a file without a line end is its own header; no character may be cut. */
  finish(): void {
    if (this.carry) throw this.damaged(this.offset);
    if (this.checked) return;
    this.checked = true;
    checkCsvHeader(this.text, this.job, this.what);
  }

  private checkUtf8(chunk: Buffer): void {
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const open = openSequenceAtEnd(bytes);
    const complete = open > 0 ? bytes.subarray(0, bytes.length - open) : bytes;
    if (!isUtf8(complete)) throw this.damaged(this.offset);
    this.carry = open > 0 ? Buffer.from(bytes.subarray(bytes.length - open)) : undefined;
    this.offset += complete.length;
  }

  private damaged(from: number): DownloadVerificationError {
    return new DownloadVerificationError(`${this.what}: not valid UTF-8 after byte ${from}; the file was damaged on the way, downloading it again`);
  }
}

/** How many bytes at the end start a multi-byte character that the next chunk completes (0–3). */
function openSequenceAtEnd(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    if (b < 0x80) return 0;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}
