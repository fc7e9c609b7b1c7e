/**
 * Filesystem archive: `<root>/<config>/<period>/<target>.<ext>` with `<…>.manifest.json` beside it.
 * The root may be a folder shared by every worker host (NFS and the like): nothing here depends
 * on the host that began a write.
 *
 * A file is written to `.<name>.<transfer id>.partial` in its final folder (dot-prefixed, so it
 * is never mistaken for an archived file; named from the business key and run, so the retry on
 * any host finds it and resumes), fsynced, then hard-linked to its final name (atomic in one
 * folder, and unlike rename it never replaces a file already there) and unlinked. The manifest
 * goes the same way, last: a reader never sees a manifest whose file is incomplete. Manifests and
 * documents are written in the folder's hidden `.writing/` folder first (removed once empty), so
 * that removing what a killed writer left lists only the writes in flight, not the period's
 * thousands of files.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ReportsError } from '../domain/errors.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ArchiveManifest } from './manifest.js';
import { archivedFile, isDocumentKeyAllowed, manifestKey, type ArchiveStore, type ArchiveWrite, type WriteCheckpoint, type WriteTarget } from './store.js';

export class ArchiveConflictError extends ReportsError {
  constructor(message: string) {
    super(message, false);
  }
}

const MiB = 1024 * 1024;

async function fsync(file: string, flags = 'r'): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a link (or unlink) in a folder durable; some filesystems cannot fsync a folder: fine. */
async function fsyncDir(dir: string): Promise<void> {
  await fsync(dir).catch(() => undefined);
}

/** The temporary name of a write: beside the final file, hidden, and never a `*.manifest.json`. */
export function partialName(key: string, transferId: string): string {
  return `.${path.posix.basename(key)}.${transferId}.partial`;
}

/** Where manifests and documents of `dir` are written before they are linked or renamed into it. */
function writingDir(dir: string): string {
  return path.join(dir, '.writing');
}

/**
 * Writes `body`, synced, to a new temporary file of its own for `file` in its folder's `.writing/`
 * (unique per writer: two writers never share one); returns its path. The folder is removed when a
 * write leaves it empty (doneWriting): one removed under our mkdir or before our open is made again.
 */
async function writeTemp(file: string, body: string): Promise<string> {
  const dir = writingDir(path.dirname(file));
  const temp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.partial`);
  for (let attempt = 1; ; attempt++) {
    let handle;
    try {
      // A recursive mkdir that finds the folder, then stats it after another writer removed it, fails too.
      await mkdir(dir, { recursive: true });
      handle = await open(temp, 'w');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 10) continue;
      throw err;
    }
    try {
      await handle.writeFile(body);
      await handle.sync();
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      await handle.close();
    }
    return temp;
  }
}

/** After `file` stands: what killed writers of it left goes, and `.writing/` too if now empty. */
async function doneWriting(file: string): Promise<void> {
  await removeStaleTemps(file);
  // Fails while other writes are in flight (not empty): theirs to remove.
  await rmdir(writingDir(path.dirname(file))).catch(() => undefined);
}

/**
 * Removes the temporary files (`.<name>.<anything>.partial`) that writers of `file` killed before
 * their rename or link left behind. Called once `file` stands, so only dead or losing writers'
 * files go; one of a writer still going fails its own rename or link, which it already handles.
 * Lists `.writing/` (the writes in flight), not the folder: per file, that stays constant as a
 * period grows to 10,000 files. A 0.2.0 writer killed there left its file beside `file`: that one
 * stays, a hidden file no reader lists.
 */
async function removeStaleTemps(file: string): Promise<void> {
  const dir = writingDir(path.dirname(file));
  const prefix = `.${path.basename(file)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith('.partial')) await rm(path.join(dir, name), { force: true });
  }
}

/** Moves `from` to `to` unless `to` exists: true when moved, false when `to` was already there. */
async function linkInto(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await unlink(from);
  await fsyncDir(path.dirname(to));
  return true;
}

class FilesystemWrite implements ArchiveWrite {
  private readonly out: WriteStream;
  private failure: Error | undefined;
  private bytes: number;

  constructor(
    private readonly temp: string,
    private readonly file: string,
    readonly offset: number,
    private readonly conflict: () => ArchiveConflictError,
  ) {
    this.bytes = offset;
    // Several MiB buffered: Stripe's bytes keep arriving while the disk writes (writev batches them).
    this.out = createWriteStream(temp, { flags: offset > 0 ? 'r+' : 'w', start: offset, highWaterMark: 8 * MiB });
    this.out.on('error', (err) => (this.failure ??= err));
  }

  storedPrefix(): Readable {
    return this.offset > 0 ? createReadStream(this.temp, { start: 0, end: this.offset - 1, highWaterMark: MiB }) : Readable.from([]);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.bytes += chunk.length;
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
    });
  }

  checkpoint(): WriteCheckpoint {
    return { backend: 'filesystem', temp: path.basename(this.temp), bytes: this.bytes };
  }

  private async close(): Promise<void> {
    if (this.out.closed) {
      if (this.failure) throw this.failure;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.out.once('close', () => (this.failure ? reject(this.failure) : resolve()));
      this.out.end();
    });
  }

  async place(): Promise<void> {
    await this.close();
    await fsync(this.temp, 'r+');
    if (!(await linkInto(this.temp, this.file))) throw this.conflict();
  }

  async pause(): Promise<void> {
    // What was written stays for the next attempt, which measures the file and resumes from its size.
    await this.close().catch(() => undefined);
  }

  async discard(): Promise<void> {
    this.out.destroy();
    await new Promise<void>((resolve) => (this.out.closed ? resolve() : this.out.once('close', () => resolve())));
    await rm(this.temp, { force: true });
  }
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

  /** A file's text, or undefined when there is no such file. */
  private async text(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async manifest(key: string): Promise<ArchiveManifest | undefined> {
    const text = await this.text(manifestKey(key));
    return text === undefined ? undefined : (JSON.parse(text) as ArchiveManifest);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const root = path.resolve(this.root);
    const start = path.join(root, prefix);
    const walk = async function* (dir: string): AsyncIterable<string> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory() && !e.name.startsWith('.')) yield* walk(full);
        else if (e.isFile() && !e.name.startsWith('.') && e.name.endsWith('.manifest.json')) {
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
    const found = await stat(file).catch(() => undefined);
    // Reads of a MiB for large files; a small one (a summary reads 10,000 of them) gets a buffer its size, not a MiB each.
    return found ? createReadStream(file, { highWaterMark: Math.max(64 * 1024, Math.min(MiB, found.size)) }) : undefined;
  }

  async openRange(key: string, start: number, end: number): Promise<Readable> {
    return createReadStream(this.pathOf(key), { start, end });
  }

  async find(key: string): Promise<ArchivedFile | undefined> {
    const manifest = await this.manifest(key);
    if (!manifest) return undefined;
    const present = await stat(this.pathOf(key)).catch(() => undefined);
    return present?.size === manifest.size ? archivedFile(key, manifest, (k) => this.pathOf(k)) : undefined;
  }

  private conflictOf(key: string): ArchiveConflictError {
    return new ArchiveConflictError(`archive ${this.pathOf(key)} already holds a file; refusing to overwrite`);
  }

  async beginWrite(target: WriteTarget, resume?: WriteCheckpoint): Promise<ArchiveWrite> {
    const file = this.pathOf(target.key);
    const temp = path.join(path.dirname(file), partialName(target.key, target.transferId));
    await mkdir(path.dirname(file), { recursive: true });
    // The partial file itself is the truth (the heartbeat may lag behind it by a second).
    let offset = (await stat(temp).catch(() => undefined))?.size ?? 0;
    if (resume?.backend === 'filesystem' && resume.temp !== path.basename(temp)) offset = 0;
    if (offset > target.size) {
      await truncate(temp, 0);
      offset = 0;
    }
    return new FilesystemWrite(temp, file, offset, () => this.conflictOf(target.key));
  }

  async placedWithoutManifest(key: string, transferId: string): Promise<number | undefined> {
    if (await this.manifest(key)) return undefined;
    const file = this.pathOf(key);
    const temp = path.join(path.dirname(file), partialName(key, transferId));
    // Our partial file is gone and a file stands at our key: we placed it and stopped before the manifest.
    if (await stat(temp).catch(() => undefined)) return undefined;
    return (await stat(file).catch(() => undefined))?.size;
  }

  async removeUnlisted(key: string): Promise<void> {
    if (await this.manifest(key)) throw this.conflictOf(key);
    await rm(this.pathOf(key), { force: true });
  }

  async discardWrites(keyBase: string, transferId: string): Promise<number> {
    const base = this.pathOf(keyBase);
    const dir = path.dirname(base);
    const names = (await readdir(dir).catch(() => [] as string[])).filter(
      (n) => n.startsWith(`.${path.basename(base)}.`) && n.endsWith(`.${transferId}.partial`),
    );
    await Promise.all(names.map((n) => rm(path.join(dir, n), { force: true })));
    return names.length;
  }

  async writeDocument(key: string, body: string, _contentType: string): Promise<void> {
    if (!isDocumentKeyAllowed(key)) throw new ArchiveConflictError(`archive key ${key} is the name of an archived file or manifest, not of a document`);
    const file = this.pathOf(key);
    // writeTemp makes the folder (its .writing/ inside it).
    const temp = await writeTemp(file, body);
    try {
      // Unlike a manifest, a document is derived: rename replaces an earlier one atomically.
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await fsyncDir(path.dirname(file));
    await doneWriting(file);
  }

  async readDocument(key: string): Promise<string | undefined> {
    return this.text(key);
  }

  async writeManifest(key: string, manifest: ArchiveManifest): Promise<ArchivedFile> {
    const file = this.pathOf(manifestKey(key));
    const result = archivedFile(key, manifest, (k) => this.pathOf(k));
    const check = async () => {
      const existing = await this.manifest(key);
      if (existing && existing.sha256 !== manifest.sha256) {
        throw new ArchiveConflictError(
          `archive ${this.pathOf(key)} already holds a different file (sha256 ${existing.sha256.slice(0, 12)}…, new ${manifest.sha256.slice(0, 12)}…); refusing to overwrite`,
        );
      }
      return existing;
    };
    // Same content already described (a retried activity): keep the first manifest.
    if (!(await check())) {
      const temp = await writeTemp(file, JSON.stringify(manifest, null, 2) + '\n');
      if (!(await linkInto(temp, file))) {
        await rm(temp, { force: true });
        await check();
      }
    }
    // The manifest stands: the temporary file of a writer killed before linking it (or before
    // removing it after) is of no use to anyone. Found by the chaos run: a worker SIGKILLed there
    // left `.writing/.<file>.manifest.json.<writer>.partial`, and the retry, finding the manifest, kept it.
    await doneWriting(file);
    return result;
  }
}
