/**
 * Reading report ZIPs (`compress_file`) with yauzl by random access: from a local file or from an
 * archived file (ranged reads, so an S3 object is never downloaded whole). Streamed throughout: a
 * ZIP holds up to 5 GB of CSV.
 */
import { PassThrough, type Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import yauzl from 'yauzl';
import type { ArchiveStore } from './store.js';

/** Where a ZIP's bytes come from: its size, and bytes [start, end] (inclusive) on demand. */
export interface ZipSource {
  size: number;
  read(start: number, end: number): Promise<Readable>;
}

export async function localZipSource(file: string): Promise<ZipSource> {
  const handle = await open(file, 'r');
  const { size } = await handle.stat();
  await handle.close();
  return { size, read: async (start, end) => createReadStream(file, { start, end }) };
}

/** An archived ZIP, read by ranges from its backend (an S3 object is never downloaded whole). */
export function archivedZipSource(store: Pick<ArchiveStore, 'openRange'>, key: string, size: number): ZipSource {
  return { size, read: (start, end) => store.openRange(key, start, end) };
}

class SourceReader extends yauzl.RandomAccessReader {}

export function openZip(source: ZipSource): Promise<yauzl.ZipFile> {
  const reader = new SourceReader();
  // yauzl wants a stream back at once: hand it a pass-through and fill it when the read opens.
  reader._readStreamForRange = (start: number, end: number) => {
    const out = new PassThrough();
    if (end <= start) {
      out.end();
      return out;
    }
    source.read(start, end - 1).then(
      (s) => {
        s.on('error', (err) => out.destroy(err));
        s.pipe(out);
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  };
  return new Promise((resolve, reject) =>
    yauzl.fromRandomAccessReader(reader, source.size, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: true }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    ),
  );
}

export function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
}

/** The ZIP's first CSV entry (the ZIP was verified before). */
export async function firstCsvEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry> {
  const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve(undefined));
    zip.on('entry', (e: yauzl.Entry) => (/\.csv$/i.test(e.fileName) ? resolve(e) : zip.readEntry()));
    zip.readEntry();
  });
  if (!entry) throw new Error('the ZIP holds no CSV entry');
  return entry;
}
