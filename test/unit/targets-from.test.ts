import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadConfigFile } from '../../src/config/load.js';
import { targetsOf } from '../../src/config/targets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'targets-'));
function load(yaml: string, files: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, `c${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(file, `report: balance.summary.1\nmode: sandbox\n${yaml}`);
  return loadConfigFile(file);
}

describe('targets from a file or an environment variable', () => {
  it('reads hundreds of accounts from a file, with comments, after the listed targets', () => {
    const lines = ['# the EU entities', ...Array.from({ length: 300 }, (_, i) => `acct_eu${i}  # entity ${i}`), ''];
    const r = load('targets:\n  - organization: concatenated\ntargets_from:\n  file: accounts.txt\n', { 'accounts.txt': lines.join('\n') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const targets = targetsOf(r.config);
    expect(targets).toHaveLength(301);
    expect(targets[0]).toMatchObject({ id: 'organization-concatenated' });
    expect(targets[1]).toEqual({ id: 'acct_eu0', kind: 'account', context: 'acct_eu0' });
  });

  it('reads connected accounts from an environment variable, with their platform', () => {
    process.env.TEST_CONNECTED = 'acct_c1, acct_c2 acct_c3';
    const r = load('targets_from:\n  env: TEST_CONNECTED\n  as: connected_account\n  platform: acct_plat\n');
    expect(r.ok && targetsOf(r.config)).toEqual([
      { id: 'acct_c1', kind: 'connected_account', context: 'acct_plat', connectedAccount: 'acct_c1' },
      { id: 'acct_c2', kind: 'connected_account', context: 'acct_plat', connectedAccount: 'acct_c2' },
      { id: 'acct_c3', kind: 'connected_account', context: 'acct_plat', connectedAccount: 'acct_c3' },
    ]);
  });

  it.each([
    ['targets_from:\n  file: missing.txt\n', {}, /targets_from.file: cannot read .*missing.txt: ENOENT/],
    ['targets_from:\n  file: bad.txt\n', { 'bad.txt': 'acct_1\nbob\n' }, /targets_from: bad.txt:2: "bob" is not an account id/],
    ['targets_from:\n  file: dup.txt\n', { 'dup.txt': 'acct_1\nacct_1\n' }, /targets_from: dup.txt:2: acct_1 is listed twice/],
    ['targets:\n  - account: acct_1\ntargets_from:\n  file: one.txt\n', { 'one.txt': 'acct_1\n' }, /acct_1 is listed twice/],
    ['targets_from:\n  env: TEST_UNSET_ACCOUNTS\n', {}, /targets_from.env: environment variable TEST_UNSET_ACCOUNTS is not set/],
    ['targets_from:\n  file: a.txt\n  env: X\n', {}, /give exactly one of file or env/],
    ['targets:\n  - account: acct_1\n  - account: acct_1\n', {}, /targets.1: duplicates targets\[0\]/],
    ['permits:\n  capacity: 0\n', {}, /permits.capacity/],
    ['parameters:\n  organization_report_granularity: aggregated_report\n', {}, /organization_report_granularity comes from the target/],
  ])('%j is refused by file, field and value', (yaml, files, message) => {
    const r = load(yaml, files);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem).join('\n')).toMatch(message);
  });
});
