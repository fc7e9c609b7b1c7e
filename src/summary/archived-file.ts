/**
 * Which archived file a target's summary reads. A target may have several in a period: versions
 * (`self.v2.csv`, from a forced re-run) and, with `result.extract`, a ZIP and the CSV taken out of
 * it. The newest is read, and of a ZIP the extracted CSV when there is one (no decompression, and
 * the same bytes).
 */
import type { ArchiveManifest } from '../archive/manifest.js';
import type { ArchiveStore } from '../archive/store.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every archived key of one period, listed once and shared by all its targets. */
export class PeriodFiles {
  private listing: Promise<string[]> | undefined;
  private readonly manifests = new Map<string, Promise<ArchiveManifest | undefined>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly configId: string,
    private readonly period: string,
  ) {}

  private async keys(): Promise<string[]> {
    this.listing ??= (async () => {
      const keys: string[] = [];
      for await (const key of this.store.keys(`${this.configId}/${this.period}/`)) keys.push(key);
      return keys;
    })();
    return this.listing;
  }

  private manifest(key: string): Promise<ArchiveManifest | undefined> {
    let m = this.manifests.get(key);
    if (!m) this.manifests.set(key, (m = this.store.manifest(key)));
    return m;
  }

  /** The target's archived files: `<target>.csv|zip` and their versions `<target>.vN.csv|zip`. */
  private async filesOf(target: string): Promise<Array<{ key: string; version: number; manifest: ArchiveManifest }>> {
    const name = new RegExp(`^${escape(`${this.configId}/${this.period}/${target}`)}(?:\\.v(\\d+))?\\.(csv|zip)$`);
    const found = [];
    for (const key of await this.keys()) {
      const m = name.exec(key);
      if (!m) continue;
      const manifest = await this.manifest(key);
      if (manifest) found.push({ key, version: Number(m[1] ?? 1), manifest });
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
