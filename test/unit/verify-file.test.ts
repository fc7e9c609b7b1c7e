import { mkdtempSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { checkCsvHeader, CsvCheck, verifyReportFile } from '../../src/activities/verify-file.js';
import { DownloadVerificationError } from '../../src/stripe/errors.js';
import type { ReportJob } from '../../src/domain/report-job.js';

const dir = mkdtempSync(path.join(tmpdir(), 'verify-'));
const job = (columns?: string[]) => ({ businessKey: 'report/x/2025-10/self', report: 'r', parameters: columns ? { columns } : {} }) as unknown as ReportJob;

async function zip(entries: Record<string, string>): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.zip`);
  const z = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) z.addBuffer(Buffer.from(text), name);
  z.end();
  await new Promise<void>((resolve) => z.outputStream.pipe(createWriteStream(file)).on('close', () => resolve()));
  return file;
}

describe('CSV header', () => {
  it('tolerates a BOM and CRLF, and checks requested columns in order', () => {
    expect(() => checkCsvHeader('\uFEFFgross,fee,net', job(['gross', 'fee', 'net']), 'f')).not.toThrow();
    expect(() => checkCsvHeader('"gross","fee"', job(['gross', 'fee']), 'f')).not.toThrow();
    expect(() => checkCsvHeader('gross,net', job(['gross', 'fee']), 'f')).toThrow(/header is "gross,net" but the run asked for columns gross,fee/);
    expect(() => checkCsvHeader('', job(), 'f')).toThrow(DownloadVerificationError);
  });

  it('reads only the first line of a CSV file with CRLF ends', async () => {
    const file = path.join(dir, 'a.csv');
    writeFileSync(file, '\uFEFFcategory,net_amount\r\nactivity,10.00\r\n');
    await expect(verifyReportFile(file, 'csv', job(['category', 'net_amount']))).resolves.toBeUndefined();
  });
});

describe('ZIP integrity', () => {
  it('accepts an intact ZIP holding a CSV', async () => {
    await expect(verifyReportFile(await zip({ 'report.csv': 'a,b\r\n1,2\r\n' }), 'zip', job())).resolves.toBeUndefined();
  });

  it('refuses a ZIP with a corrupted byte (CRC-32)', async () => {
    const file = await zip({ 'report.csv': 'a,b\n' + '1,2\n'.repeat(1000) });
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff; // inside the compressed data of the only entry
    writeFileSync(file, bytes);
    await expect(verifyReportFile(file, 'zip', job())).rejects.toThrow(/corrupt ZIP|CRC-32|not a readable ZIP/);
  });

  it('refuses a ZIP without a CSV, and a file that is no ZIP at all', async () => {
    await expect(verifyReportFile(await zip({ 'readme.txt': 'hi' }), 'zip', job())).rejects.toThrow(/holds no CSV/);
    const junk = path.join(dir, 'junk.zip');
    writeFileSync(junk, 'this is not a zip');
    await expect(verifyReportFile(junk, 'zip', job())).rejects.toThrow(/not a readable ZIP/);
  });
});

describe('CSV header on the stream', () => {
  it('checks the first line as soon as it has arrived, across chunks, with a BOM and CRLF', () => {
    const ok = new CsvCheck(job(['gross', 'fee']), 'f');
    ok.update(Buffer.from('\uFEFFgro'));
    ok.update(Buffer.from('ss,fee\r\n1,2\r\n'));
    ok.update(Buffer.from('not,a,header,any,more\n'));
    expect(() => ok.finish()).not.toThrow();

    const wrong = new CsvCheck(job(['gross', 'fee']), 'f');
    wrong.update(Buffer.from('gross,'));
    expect(() => wrong.update(Buffer.from('net\n'))).toThrow(/header is "gross,net" but the run asked for columns gross,fee/);
  });

  it('a file without a line end is its own header; an empty file has none', () => {
    const single = new CsvCheck(job(['a', 'b']), 'f');
    single.update(Buffer.from('a,b'));
    expect(() => single.finish()).not.toThrow();
    expect(() => new CsvCheck(job(), 'f').finish()).toThrow(DownloadVerificationError);
  });
});

describe('CSV bytes on the stream', () => {
  const text = 'description,net\nCafé crème,1\nPrix 5 €,2\nGift 🎁,3\n';
  const bytes = Buffer.from(text, 'utf8');

  it('multi-byte characters cut at any chunk boundary pass', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const check = new CsvCheck(job(), 'f');
      check.update(bytes.subarray(0, cut));
      check.update(bytes.subarray(cut));
      expect(() => check.finish(), `cut at ${cut}`).not.toThrow();
    }
  });

  it('one byte flipped anywhere after the header fails, naming where', () => {
    const header = bytes.indexOf(0x0a) + 1;
    for (let at = header; at < bytes.length; at++) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0xff;
      const check = new CsvCheck(job(), 'file of report/x/2025-10/acct_1');
      const run = () => {
        check.update(damaged.subarray(0, 20));
        check.update(damaged.subarray(20));
        check.finish();
      };
      expect(run, `flipped at ${at}`).toThrow(DownloadVerificationError);
      expect(run).toThrow(/file of report\/x\/2025-10\/acct_1: not valid UTF-8 after byte \d+/);
    }
  });

  it('a file that ends in the middle of a character fails at the end', () => {
    const check = new CsvCheck(job(), 'f');
    check.update(Buffer.from('a,b\nx,'));
    check.update(Buffer.from('€', 'utf8').subarray(0, 2));
    expect(() => check.finish()).toThrow(/not valid UTF-8/);
  });
});
