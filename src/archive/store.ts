/** The one interface every archive backend implements: the filesystem and S3-compatible storage. */
import type { Readable } from 'node:stream';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ArchiveManifest } from './manifest.js';

export interface ArchiveEntry {
  /** `<config>/<period>/<target>.<ext>`: the business key, so a file is stored once. */
  key: string;
  /** A fully written and verified local file; the store takes it over. */
  stagedPath: string;
  manifest: ArchiveManifest;
}

export interface ArchiveStore {
  /** Stores file and manifest. Storing the same content under the same key again is a no-op. */
  put(entry: ArchiveEntry): Promise<ArchivedFile>;
  /** The manifest stored under a key, if any. */
  manifest(key: string): Promise<ArchiveManifest | undefined>;
  /** The archived file under a key, if both it and its manifest are there. */
  find(key: string): Promise<ArchivedFile | undefined>;
  /** Keys (not manifests) of every archived file under a prefix such as `<config>/` or `<config>/<period>/`. */
  keys(prefix: string): AsyncIterable<string>;
  /** The stored bytes of a key, or undefined when the file is missing. */
  open(key: string): Promise<Readable | undefined>;
  /** Human-readable place, for logs and `npm start`. */
  describe(): string;
}

export function archiveKey(configId: string, period: string, target: string, ext: string): string {
  return `${configId}/${period}/${target}.${ext}`;
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
