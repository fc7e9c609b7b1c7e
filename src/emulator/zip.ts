/**
 * Compressed results: Stripe's compress_file gives a ZIP holding the CSV. The archive's size must
 * be known when the run succeeds (the API reports it), and deflate sizes cannot be predicted, so
 * the archive is written once to a temp file and served from there. The CSV is streamed into the
 * deflater: a 5 GB report never sits in memory.
 */
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** Writes a one-entry ZIP to `path` and returns its size in bytes. */
export async function writeZip(opts: {
  path: string;
  entryName: string;
  /** Uncompressed size, checked by yazl against what the stream gives. */
  size: number;
  /** Fixed entry time so the same report gives the same archive bytes. */
  mtime: Date;
  open: () => Readable;
}): Promise<number> {
  const zip = new yazl.ZipFile();
  zip.addReadStreamLazy(opts.entryName, { size: opts.size, mtime: opts.mtime, compress: true }, (cb) =>
    cb(null, opts.open()),
  );
  zip.end();
  await pipeline(zip.outputStream as unknown as Readable, createWriteStream(opts.path));
  return (await stat(opts.path)).size;
}
