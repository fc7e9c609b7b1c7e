/**
 * Reading report ZIPs (`compress_file`) with yauzl: opening, streaming an entry, and extracting
 * the CSV to a file with its size and sha256. Streamed throughout: a ZIP holds up to 5 GB of CSV.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip))),
  );
}

export function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
}

export interface ExtractedFile {
  /** The entry's name inside the ZIP. */
  entry: string;
  size: number;
  sha256: string;
}

/** Writes the ZIP's first CSV entry to `dest`, hashing on the way. The ZIP was verified before. */
export async function extractCsv(zipPath: string, dest: string): Promise<ExtractedFile> {
  const zip = await openZip(zipPath);
  try {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (e: yauzl.Entry) => (/\.csv$/i.test(e.fileName) ? resolve(e) : zip.readEntry()));
      zip.readEntry();
    });
    if (!entry) throw new Error(`${zipPath} holds no CSV entry`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(await entryStream(zip, entry), meter, createWriteStream(dest));
    return { entry: entry.fileName, size, sha256: hash.digest('hex') };
  } finally {
    zip.close();
  }
}
