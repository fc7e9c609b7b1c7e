import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadConfigDir, parseConfig } from '../../src/config/load.js';

function problems(text: string): string[] {
  const r = parseConfig(text, 'schedules/x.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('configuration files', () => {
  it('loads the shipped examples', () => {
    const results = loadConfigDir(path.resolve('schedules'));
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.ok ? 'ok' : r.problems.map(formatProblem).join('\n')).toBe('ok');
  });

  it('takes the id from the file name and fills defaults', () => {
    const r = parseConfig('report: balance.summary.1\nmode: sandbox\n', 'schedules/monthly.yaml');
    expect(r.ok && r.config).toMatchObject({ id: 'monthly', api: 'v2', period: 'month', key_env: 'STRIPE_SECRET_KEY', schedule: { timezone: 'UTC' } });
  });

  it.each([
    ['report: [unclosed\n', '(yaml): Flow sequence'],
    ['mode: sandbox\n', 'report:'],
    ['report: r\nmode: prod\n', 'mode: "prod" is not one of live, sandbox'],
    ['report: r\nmode: sandbox\ncolour: red\n', 'x.yaml:3: colour: unknown field'],
    ['report: r\nmode: sandbox\nkey_env: sk_test_abcdef123456\n', 'key_env: holds a literal secret'],
    ['report: r\nmode: sandbox\nparameters:\n  note: "whsec_abc123"\n', 'parameters.note: holds a literal secret'],
    ['report: r\nmode: sandbox\nschedule:\n  timezone: Mars/Base\n', 'schedule.timezone: unknown timezone'],
    ['report: r\nmode: sandbox\nperiod: fortnight\n', 'period:'],
    ['report: r\nmode: sandbox\ntargets:\n  - account: bob\n', 'targets.0.account'],
    ['- a\n- b\n', '(file): the file is a list'],
  ])('%j is refused with %j', (text, expected) => {
    const found = problems(text);
    expect(found.join('\n')).toContain(expected);
    expect(found.join('\n')).not.toMatch(/sk_test_abcdef123456|whsec_abc123/);
  });

  it('a bad file does not stop the good ones, and duplicate ids are refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    writeFileSync(path.join(dir, 'a.yaml'), 'report: r\nmode: sandbox\n');
    writeFileSync(path.join(dir, 'b.yaml'), 'report: r\nmode: nope\n');
    writeFileSync(path.join(dir, 'c.yaml'), 'id: a\nreport: r\nmode: live\n');
    const results = loadConfigDir(dir);
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    const c = results[2]!;
    expect(!c.ok && formatProblem(c.problems[0]!)).toContain('id "a" is already used by');
  });
});
