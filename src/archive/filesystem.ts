/**
 * Filesystem archive: `<root>/<config>/<period>/<target>.<ext>` with `<…>.manifest.json` beside it.
 * The file is moved in by rename (atomic on one filesystem, copy + fsync across filesystems) and
 * the manifest is written to a temporary name, fsynced, then renamed: a reader never sees a
 * manifest whose file is incomplete.
 */
import { constants, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ReportsError } from '../domain/errors.js';
import { sha256OfFile } from './hash.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ArchiveManifest } from './manifest.js';
import { archivedFile, manifestKey, type ArchiveEntry, type ArchiveStore } from './store.js';

export class ArchiveConflictError extends ReportsError {
  constructor(message: string) {
    super(message, false);
  }
}

async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = `${to}.partial`;
    await copyFile(from, tmp, constants.COPYFILE_FICLONE);
    await fsyncPath(tmp);
    await rename(tmp, to);
    await rm(from, { force: true });
  }
}

async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.partial`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

export class FilesystemArchive implements ArchiveStore {
  constructor(readonly root: string) {}

  describe(): string {
    return path.resolve(this.root);
  }

  private pathOf(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(path.resolve(this.root) + path.sep)) throw new ArchiveConflictError(`archive key ${key} leaves the archive folder`);
    return resolved;
  }

  async manifest(key: string): Promise<ArchiveManifest | undefined> {
    try {
      return JSON.parse(await readFile(this.pathOf(manifestKey(key)), 'utf8')) as ArchiveManifest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const root = path.resolve(this.root);
    const start = path.join(root, prefix);
    const walk = async function* (dir: string): AsyncIterable<string> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory() && !e.name.startsWith('.')) yield* walk(full);
        else if (e.isFile() && e.name.endsWith('.manifest.json')) {
          const key = path.relative(root, full).slice(0, -'.manifest.json'.length).split(path.sep).join('/');
          // The walk may start above the prefix (a period, or a folder that does not exist yet).
          if (key.startsWith(prefix)) yield key;
        }
      }
    };
    yield* walk((await stat(start).catch(() => undefined))?.isDirectory() ? start : path.dirname(start));
  }

  async open(key: string): Promise<Readable | undefined> {
    const file = this.pathOf(key);
    return (await stat(file).catch(() => undefined)) ? createReadStream(file) : undefined;
  }

  async find(key: string): Promise<ArchivedFile | undefined> {
    const manifest = await this.manifest(key);
    if (!manifest) return undefined;
    const present = await stat(this.pathOf(key)).catch(() => undefined);
    return present?.size === manifest.size ? archivedFile(key, manifest, (k) => this.pathOf(k)) : undefined;
  }

  async put(entry: ArchiveEntry): Promise<ArchivedFile> {
    const file = this.pathOf(entry.key);
    const manifestFile = this.pathOf(manifestKey(entry.key));
    const { manifest } = entry;
    const result = archivedFile(entry.key, manifest, (k) => this.pathOf(k));
    const existing = await this.manifest(entry.key);
    if (existing) {
      const present = await stat(file).catch(() => undefined);
      if (existing.sha256 === manifest.sha256 && present?.size === existing.size) {
        // Same content already archived (a retried activity): keep the first, drop the copy.
        await rm(entry.stagedPath, { force: true });
        return result;
      }
      if (existing.sha256 !== manifest.sha256) {
        throw new ArchiveConflictError(
          `archive ${entry.key} already holds a different file (sha256 ${existing.sha256.slice(0, 12)}…, new ${manifest.sha256.slice(0, 12)}…); refusing to overwrite`,
        );
      }
    }
    await mkdir(path.dirname(file), { recursive: true });
    const staged = await stat(entry.stagedPath).catch(() => undefined);
    if (staged) await moveInto(entry.stagedPath, file);
    else if ((await sha256OfFile(file).catch(() => undefined)) !== manifest.sha256) {
      // A crash between moving the file in and writing its manifest leaves the file in place;
      // anything else means the staged file is gone and the download must run again.
      throw new ReportsError(`staged file ${entry.stagedPath} is missing; download again`, true);
    }
    await writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    return result;
  }
}
