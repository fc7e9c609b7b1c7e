/**
 * Which archived file a target's summary reads. A target may have several in a period: versions
 * (`self.v2.csv`, from a forced re-run) and, with `result.extract`, a ZIP and the CSV taken out of
 * it. The newest is read, and of a ZIP the extracted CSV when there is one (no decompression, and
 * the same bytes).
 */
import type { ArchiveManifest } from '../archive/manifest.js';
import type { ArchiveStore } from '../archive/store.js';

/** Every archived key of one period, listed once and shared by all its targets. */
export class PeriodFiles {
  /** Target → its archived keys and their versions, from one listing (a lookup per target, not a scan: 10,000 targets). */
  private byTarget: Promise<Map<string, Array<{ key: string; version: number }>>> | undefined;
  private readonly manifests = new Map<string, Promise<ArchiveManifest | undefined>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly configId: string,
    private readonly period: string,
  ) {}

  /**
   * `<target>.csv|zip` is the target's first version and `<target>.vN.csv|zip` its N-th; a key
   * `x.v2.csv` could also be the first file of a target named `x.v2`, so it is listed under both.
   */
  private index(): Promise<Map<string, Array<{ key: string; version: number }>>> {
    this.byTarget ??= (async () => {
      const prefix = `${this.configId}/${this.period}/`;
      const index = new Map<string, Array<{ key: string; version: number }>>();
      const add = (target: string, key: string, version: number) => {
        const files = index.get(target);
        if (files) files.push({ key, version });
        else index.set(target, [{ key, version }]);
      };
      for await (const key of this.store.keys(prefix)) {
        const file = /^(.+)\.(csv|zip)$/.exec(key.slice(prefix.length));
        if (!key.startsWith(prefix) || !file) continue;
        add(file[1]!, key, 1);
        const versioned = /^(.+)\.v(\d+)$/.exec(file[1]!);
        if (versioned) add(versioned[1]!, key, Number(versioned[2]));
      }
      return index;
    })();
    return this.byTarget;
  }

  /** A key's manifest, read once however often it is asked for. */
  manifest(key: string): Promise<ArchiveManifest | undefined> {
    let m = this.manifests.get(key);
    if (!m) this.manifests.set(key, (m = this.store.manifest(key)));
    return m;
  }

  /** The target's archived files: `<target>.csv|zip` and their versions `<target>.vN.csv|zip`. */
  private async filesOf(target: string): Promise<Array<{ key: string; version: number; manifest: ArchiveManifest }>> {
    const found = [];
    for (const { key, version } of (await this.index()).get(target) ?? []) {
      const manifest = await this.manifest(key);
      if (manifest) found.push({ key, version, manifest });
    }
    return found;
  }

  /**
   * The key to read for `target`: `key` when given (a ZIP's extracted CSV instead, if archived),
   * else the newest file archived for the target; undefined when the period has none.
   */
  async fileFor(target: string, key?: string): Promise<string | undefined> {
    if (key && !key.endsWith('.zip')) return key;
    const files = await this.filesOf(target);
    let chosen = key;
    if (!chosen) {
      // Newest first; at the same moment the CSV (extracted from the ZIP just before it).
      const newest = files.sort((a, b) => b.manifest.archived_at.localeCompare(a.manifest.archived_at) || b.version - a.version || (a.key.endsWith('.csv') ? -1 : 1))[0];
      chosen = newest?.key;
    }
    if (!chosen?.endsWith('.zip')) return chosen;
    return files.find((f) => f.manifest.extracted_from?.key === chosen)?.key ?? chosen;
  }
}
