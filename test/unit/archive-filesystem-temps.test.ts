/**
 * The filesystem archive leaves no temporary file behind a writer that was killed: a manifest or
 * document write that follows one (a retried activity on another host, or a later summary) removes
 * it, whether it writes the manifest itself or finds it already written.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { archive, generated } from '../helpers/summary-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newArchive(): { root: string; store: FilesystemArchive } {
  const root = mkdtempSync(path.join(tmpdir(), 'archive-temps-'));
  dirs.push(root);
  return { root, store: new FilesystemArchive(root) };
}

/** What a writer SIGKILLed between writing its temporary file and linking or renaming it leaves. */
function killedWriterLeft(root: string, name: string, folder = '.writing'): void {
  mkdirSync(path.join(root, 'cfg', '2025-10', folder), { recursive: true });
  writeFileSync(path.join(root, 'cfg', '2025-10', folder, name), '{"half": ');
}

/** The temporary files in the period's folder and in its `.writing/` (gone once empty). */
const hidden = (root: string) =>
  [readdirSync(path.join(root, 'cfg', '2025-10')), (existsSync(path.join(root, 'cfg', '2025-10', '.writing')) ? readdirSync(path.join(root, 'cfg', '2025-10', '.writing')) : []).map((n) => `.writing/${n}`)]
    .flat()
    .filter((n) => n.endsWith('.partial'));

describe('temporary files of killed writers', () => {
  it('a manifest written after a killed writer of the same manifest removes its temporary file', async () => {
    const { root, store } = newArchive();
    const bytes = await generated('balance_change_from_activity.itemized.3');
    // The folder exists once a first file is archived; the killed writer was writing the second's manifest.
    await archive(store, 'cfg/2025-10/acct_a.csv', bytes);
    killedWriterLeft(root, '.acct_b.csv.manifest.json.4242.partial');
    await archive(store, 'cfg/2025-10/acct_b.csv', bytes);
    expect(hidden(root)).toEqual([]);
    expect((await store.manifest('cfg/2025-10/acct_b.csv'))?.size).toBe(bytes.length);
  });

  it('a retry that finds the manifest already written removes the temporary file left beside it', async () => {
    const { root, store } = newArchive();
    const bytes = await generated('balance_change_from_activity.itemized.3');
    const manifest = await archive(store, 'cfg/2025-10/acct_a.csv', bytes);
    // Killed after linking the manifest, before removing its own temporary name.
    killedWriterLeft(root, '.acct_a.csv.manifest.json.4242.partial');
    await store.writeManifest('cfg/2025-10/acct_a.csv', manifest);
    expect(hidden(root)).toEqual([]);
  });

  it('leaves the temporary files of other keys alone', async () => {
    const { root, store } = newArchive();
    const bytes = await generated('balance_change_from_activity.itemized.3');
    await archive(store, 'cfg/2025-10/acct_a.csv', bytes);
    // Another target's download in progress, and another target's manifest being written.
    killedWriterLeft(root, '.acct_b.csv.tr-1.partial', '.');
    killedWriterLeft(root, '.acct_b.csv.manifest.json.77.partial');
    await archive(store, 'cfg/2025-10/acct_c.csv', bytes);
    expect(hidden(root).sort()).toEqual(['.acct_b.csv.tr-1.partial', '.writing/.acct_b.csv.manifest.json.77.partial']);
  });

  it('a document written after a killed writer of the same document removes its temporary file', async () => {
    const { root, store } = newArchive();
    const bytes = await generated('balance_change_from_activity.itemized.3');
    await archive(store, 'cfg/2025-10/acct_a.csv', bytes);
    killedWriterLeft(root, '.summary.json.0b6e.partial');
    await store.writeDocument('cfg/2025-10/summary.json', '{}', 'application/json');
    expect(hidden(root)).toEqual([]);
  });

  it('writes manifests and documents through .writing/, which it removes once empty, and keeps it while another write is in it', async () => {
    const { root, store } = newArchive();
    const bytes = await generated('balance_change_from_activity.itemized.3');
    await archive(store, 'cfg/2025-10/acct_a.csv', bytes);
    await store.writeDocument('cfg/2025-10/summary.json', '{}', 'application/json');
    expect(readdirSync(path.join(root, 'cfg', '2025-10')).sort()).toEqual(['acct_a.csv', 'acct_a.csv.manifest.json', 'summary.json']);
    // Many writers at once in one period, each removing the folder when it leaves it empty and
    // making it again when another removed it: every manifest stands, and the folder goes with the last.
    await Promise.all(Array.from({ length: 300 }, (_, i) => archive(store, `cfg/2025-10/acct_m${i}.csv`, bytes)));
    expect(existsSync(path.join(root, 'cfg', '2025-10', '.writing'))).toBe(false);
    const keys: string[] = [];
    for await (const k of store.keys('cfg/2025-10/')) keys.push(k);
    expect(keys).toHaveLength(301);
    // Another write in flight (a killed writer's file of another key): the folder stays for it.
    killedWriterLeft(root, '.acct_z.csv.manifest.json.9.partial');
    await archive(store, 'cfg/2025-10/acct_h.csv', bytes);
    expect(hidden(root)).toEqual(['.writing/.acct_z.csv.manifest.json.9.partial']);
  });
});
