/**
 * The one interface every archive backend implements: the filesystem and S3-compatible storage.
 *
 * A file enters the archive in three steps, driven by the transfer activity
 * (src/activities/transfer.ts), so it is streamed from Stripe straight into its place:
 *   1. `beginWrite`: bytes go to a resumable, unlisted place beside the final key (a dot-prefixed
 *      `.partial` file in the same folder, or an S3 multipart upload for the key);
 *   2. `place()`: the complete bytes appear under the key, atomically and never over anything
 *      (hard link / If-None-Match), still without a manifest;
 *   3. `writeManifest`: the manifest goes last. `find` and `keys` only see files with a manifest,
 *      so a reader never sees an incomplete or unverified file.
 */
import type { Readable } from 'node:stream';
import { ReportsError } from '../domain/errors.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ArchiveManifest } from './manifest.js';

export interface WriteTarget {
  /** The archive key the bytes become when placed. */
  key: string;
  /** Deterministic per business key and run (any host finds an earlier attempt's bytes by it). */
  transferId: string;
  /** The size Stripe announced: S3 part sizes derive from it. */
  size: number;
  contentType: 'csv' | 'zip';
}

/** Resumable state of a write, small and JSON: it travels in the activity's heartbeat details. */
export type WriteCheckpoint =
  | { backend: 'filesystem'; temp: string; bytes: number }
  | { backend: 's3'; uploadId: string; partSize: number; parts: Array<[partNumber: number, etag: string, sha256: string, size: number]> };

export interface ArchiveWrite {
  /** Bytes already in place from an earlier attempt: the caller sends the file from here on. */
  readonly offset: number;
  /**
   * The first `offset` bytes as stored, to hash them again; undefined when the backend cannot read
   * them back (an unfinished S3 multipart upload): the caller then re-reads them from the source.
   */
  storedPrefix(): Readable | undefined;
  /** Appends bytes; resolves when the caller may send more (memory stays bounded). */
  write(chunk: Buffer): Promise<void>;
  checkpoint(): WriteCheckpoint;
  /** Every byte written: make them the file under the key (atomic, never over an existing file). */
  place(): Promise<void>;
  /** Stops this attempt (cancellation, a broken body) keeping what is durable for the next one. */
  pause(): Promise<void>;
  /** Drops the unplaced bytes: the next attempt starts from byte 0. */
  discard(): Promise<void>;
}

export interface ArchiveStore {
  /** The manifest stored under a key, if any. */
  manifest(key: string): Promise<ArchiveManifest | undefined>;
  /** The archived file under a key, if both it and its manifest are there. */
  find(key: string): Promise<ArchivedFile | undefined>;
  /** Keys (not manifests) of every archived file under a prefix such as `<config>/` or `<config>/<period>/`. */
  keys(prefix: string): AsyncIterable<string>;
  /** The stored bytes of a key, or undefined when the file is missing. */
  open(key: string): Promise<Readable | undefined>;
  /** Bytes [start, end] (inclusive) of a stored file: ZIPs are checked and extracted by random access. */
  openRange(key: string, start: number, end: number): Promise<Readable>;
  /** Begins a new write for `target`, or resumes the one described by `resume` (or found by the transfer id). */
  beginWrite(target: WriteTarget, resume?: WriteCheckpoint): Promise<ArchiveWrite>;
  /**
   * The size of a file under `key` that has no manifest yet and that this transfer placed (a crash
   * between placing and the manifest), or undefined.
   */
  placedWithoutManifest(key: string, transferId: string): Promise<number | undefined>;
  /** Removes a placed file that has no manifest (one that failed verification). Never one with a manifest. */
  removeUnlisted(key: string): Promise<void>;
  /**
   * Removes every unfinished write of this transfer under `<keyBase>` (`<config>/<period>/<target>`,
   * any extension or version): temporary files, S3 multipart uploads. Returns how many.
   */
  discardWrites(keyBase: string, transferId: string): Promise<number>;
  /**
   * Writes the manifest of a placed file, last. The same manifest content (sha256) already there is a
   * no-op; a different one is refused with ArchiveConflictError, never overwritten.
   */
  writeManifest(key: string, manifest: ArchiveManifest): Promise<ArchivedFile>;
  /**
   * Writes a small derived document (a period's `summary.json`, `summary.md`) under `key`, replacing
   * any earlier version: it is recomputed from the archived files, so overwriting loses nothing.
   * Atomic (a reader sees the old or the new body, never a mix). It has no manifest, so `keys` and
   * `find` never list it; a key that holds an archived file is refused.
   */
  writeDocument(key: string, body: string, contentType: string): Promise<void>;
  /** The body of a document written by `writeDocument`, or undefined when there is none. */
  readDocument(key: string): Promise<string | undefined>;
  /** Human-readable place, for logs and `npm start`. */
  describe(): string;
}

export function archiveKey(configId: string, period: string, target: string, ext: string): string {
  return `${configId}/${period}/${target}.${ext}`;
}

/** Where a period's finance summary lives, beside its files: `<config>/<period>/summary.json` and `summary.md`. */
export function summaryKeys(configId: string, period: string): { json: string; markdown: string } {
  return { json: `${configId}/${period}/summary.json`, markdown: `${configId}/${period}/summary.md` };
}

/** Documents never take the name of an archived file or of a manifest. */
export function isDocumentKeyAllowed(key: string): boolean {
  return !/\.(csv|zip|manifest\.json)$/i.test(key);
}

/** A JSON document written by `writeDocument`: undefined when there is none, an error naming it when it is not JSON. */
export async function readJsonDocument<T>(store: ArchiveStore, key: string): Promise<T | undefined> {
  const text = await store.readDocument(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ReportsError(`${key} in ${store.describe()} is not valid JSON`, false);
  }
}

export function manifestKey(key: string): string {
  return `${key}.manifest.json`;
}

/** What a workflow learns about an archived file: where it and its manifest are, and what it is. */
export function archivedFile(key: string, manifest: ArchiveManifest, locate: (key: string) => string): ArchivedFile {
  return {
    location: locate(key),
    manifestLocation: locate(manifestKey(key)),
    size: manifest.size,
    sha256: manifest.sha256,
    contentType: manifest.content_type,
  };
}
