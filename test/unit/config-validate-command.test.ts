import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfigs } from '../../src/config/validate-command.js';

const good = 'report: balance.summary.1\nmode: sandbox\n';

function schedulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'validate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function run(paths: string[], dir: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = validateConfigs(paths, dir, (l) => lines.push(l));
  return { code, lines };
}

describe('reports validate', () => {
  it('checks every file of the schedules directory when given none', () => {
    const dir = schedulesDir({ 'a.yaml': good, 'b.yaml': `${good}schedule:\n  timezone: Mars/Base\n` });
    const { code, lines } = run([], dir);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `ok   ${path.join(dir, 'a.yaml')} (a)`,
      `error ${path.join(dir, 'b.yaml')}:4: schedule.timezone: unknown timezone "Mars/Base" — fix: use an IANA name such as Europe/London`,
      '2 files: 1 ok, 1 with problems',
    ]);
  });

  it('returns 0 when every file is good, and checks the shipped examples', () => {
    const { code, lines } = run([], path.resolve('schedules'));
    expect(code).toBe(0);
    expect(lines).toContain('ok   schedules/monthly-balance.yaml (monthly-balance)');
    expect(lines.at(-1)).toMatch(/^\d+ files: (\d+) ok, 0 with problems$/);
  });

  it('checks only the files given; a directory means its files', () => {
    const dir = schedulesDir({ 'a.yaml': good, 'b.yaml': 'mode: sandbox\n' });
    const other = path.join(dir, 'more');
    mkdirSync(other);
    writeFileSync(path.join(other, 'c.yaml'), good);
    writeFileSync(path.join(other, 'd.yaml'), `${good}period: fortnight\n`);
    const { code, lines } = run([path.join(dir, 'a.yaml'), other], '/nonexistent');
    expect(code).toBe(1);
    expect(lines).toEqual([
      `ok   ${path.join(dir, 'a.yaml')} (a)`,
      `ok   ${path.join(other, 'c.yaml')} (c)`,
      `error ${path.join(other, 'd.yaml')}:3: period: "fortnight" is not one of day, week, month, quarter, year — fix: use one of day, week, month, quarter, year, or { unit: month, offset: -2 } for an earlier period`,
      '3 files: 2 ok, 1 with problems',
    ]);
  });

  it('reports a missing file and a duplicate id among the files given', () => {
    const dir = schedulesDir({ 'a.yaml': `id: same\n${good}`, 'b.yaml': `id: same\n${good}` });
    const { code, lines } = run([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml'), path.join(dir, 'gone.yaml')], dir);
    expect(code).toBe(1);
    expect(lines[1]).toContain(`b.yaml: id: id "same" is already used by ${path.join(dir, 'a.yaml')} — fix:`);
    expect(lines[2]).toMatch(/gone\.yaml: \(file\): cannot read: ENOENT.* — fix: check the path/);
    expect(lines.at(-1)).toBe('3 files: 1 ok, 2 with problems');
  });

  it('never prints a secret', () => {
    const dir = schedulesDir({ 'k.yaml': `${good}key_env: sk_live_51AbCdEfGhIjKlMn\n` });
    const { lines } = run([], dir);
    expect(lines.join('\n')).not.toContain('sk_live_51AbCdEfGhIjKlMn');
    expect(lines.join('\n')).toContain('holds a literal secret (sk_live_…KlMn)');
  });

  it('an empty directory is fine; a missing one is a problem', () => {
    expect(run([], schedulesDir({}))).toEqual({ code: 0, lines: ['0 files: 0 ok, 0 with problems'] });
    const missing = run([], path.join(tmpdir(), 'no-such-schedules-dir'));
    expect(missing.code).toBe(1);
  });
});
