/** A list of targets kept in the archive: stored once under its sha256, read back a slice at a time, refused when changed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { needsTargetList, placeTargets, readTargetSlice, storeTargetList } from '../../src/archive/target-list.js';
import { ReportConfigSchema } from '../../src/config/schema.js';

const config = (n: number) =>
  ReportConfigSchema.parse({ id: `list-${n}`, report: 'balance.summary.1', mode: 'sandbox', key_env: 'K', targets: Array.from({ length: n }, (_, i) => ({ connected_account: `acct_1List${i}`, platform: 'acct_1Plat' })) });

describe('target lists in the archive', () => {
  it('a short list travels inline; a long one is stored and named', async () => {
    const store = new FilesystemArchive(mkdtempSync(path.join(tmpdir(), 'target-list-')));
    expect(needsTargetList(config(100))).toBe(false);
    expect(await placeTargets(store, config(100))).toEqual({ config: config(100) });
    const long = config(20_000);
    expect(needsTargetList(long)).toBe(true);
    const placed = await placeTargets(store, long);
    expect(placed.config.targets).toBeUndefined();
    expect(placed.targetList?.count).toBe(20_000);
    expect(await readTargetSlice(store, placed.targetList!, 19_998, 5)).toEqual([
      { id: 'acct_1List19998', kind: 'connected_account', context: 'acct_1Plat', connectedAccount: 'acct_1List19998' },
      { id: 'acct_1List19999', kind: 'connected_account', context: 'acct_1Plat', connectedAccount: 'acct_1List19999' },
    ]);
  });

  it('a list changed in the archive, or gone, is refused by name', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'target-list-'));
    const store = new FilesystemArchive(root);
    const { targetList } = await storeTargetList(store, config(3));
    writeFileSync(path.join(root, targetList.key), '[{"account":"acct_1Other"}]');
    await expect(readTargetSlice(store, targetList, 0, 3)).rejects.toThrow(new RegExp(`${targetList.key.replace(/\./g, '\\.')} .* has sha256 [0-9a-f]{64}, not ${targetList.sha256}: it was changed`));
    await expect(readTargetSlice(store, { ...targetList, key: '.targets/x/gone.json', sha256: 'f'.repeat(64) }, 0, 3)).rejects.toThrow(/list of 3 targets \.targets\/x\/gone\.json is missing/);
  });
});
