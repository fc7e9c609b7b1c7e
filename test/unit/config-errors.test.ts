/**
 * Malformed configurations: each must be refused with a problem naming the file, the field, the
 * value where it is not secret, and a fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadConfigDir, parseConfig, type ConfigProblem } from '../../src/config/load.js';

const base = 'report: balance.summary.1\nmode: sandbox\n';

/** [case, file, yaml, field, distinctive part of the message, line] */
const cases: [string, string, string, string, string, number?][] = [
  ['invalid YAML', 'broken.yaml', 'report: [unclosed\nmode: sandbox\n', '(yaml)', 'Flow sequence', 2],
  ['a document that is a list', 'list.yaml', '- report: r\n- mode: sandbox\n', '(file)', 'the file is a list'],
  ['an empty file', 'empty.yaml', '', '(file)', 'the file is empty'],
  ['a file of comments only', 'comments.yaml', '# to do\n', '(file)', 'the file is empty'],
  ['unknown top-level field, with suggestion', 'typo.yaml', `${base}pasued: true\n`, 'pasued', 'unknown field "pasued" — fix: did you mean `paused`?', 3],
  ['a nested field at the top level', 'misplaced.yaml', `${base}timezone: UTC\n`, 'timezone', 'belongs under `schedule:`', 3],
  ['unknown nested field', 'nested.yaml', `${base}schedule:\n  cron: "0 6 2 * *"\n  timezon: UTC\n`, 'schedule.timezon', 'did you mean `timezone`?', 5],
  ['a string where a number goes', 'offset-string.yaml', `${base}period:\n  unit: month\n  offset: "-2"\n`, 'period.offset', 'expected a number, got the text "-2" — fix: write the number without quotes', 5],
  ['a string where a boolean goes', 'paused-string.yaml', `${base}paused: "yes"\n`, 'paused', 'expected true or false, got the text "yes"', 3],
  ['a list where a mapping goes', 'schedule-list.yaml', `${base}schedule:\n  - cron: "0 6 2 * *"\n`, 'schedule', 'expected a mapping', 3],
  ['unknown api', 'api.yaml', `${base}api: v3\n`, 'api', '"v3" is not one of v2, v1', 3],
  ['missing report', 'no-report.yaml', 'mode: sandbox\n', 'report', 'is missing — fix: add `report: balance.summary.1`'],
  ['empty report', 'empty-report.yaml', 'report: ""\nmode: sandbox\n', 'report', 'is empty — fix: name the report', 1],
  ['missing mode', 'no-mode.yaml', 'report: r\n', 'mode', 'is missing — fix: add `mode:` with one of live, sandbox'],
  ['wrong mode', 'mode.yaml', 'report: r\nmode: test\n', 'mode', '"test" is not one of live, sandbox', 2],
  ['unknown timezone', 'tz.yaml', `${base}schedule:\n  timezone: Mars/Base\n`, 'schedule.timezone', 'unknown timezone "Mars/Base" — fix: use an IANA name such as Europe/London', 4],
  ['day 31 in February', 'feb31.yaml', `${base}schedule:\n  calendar:\n    day_of_month: 31\n    month: 2\n`, 'schedule.calendar.day_of_month', 'month 2 never has a day 31', 5],
  ['30 February', 'feb30.yaml', `${base}schedule:\n  calendar:\n    day_of_month: "30"\n    month: "2"\n`, 'schedule.calendar.day_of_month', 'never has a day 30 — fix: use a day of month up to 29', 5],
  ['calendar hour 24', 'hour.yaml', `${base}schedule:\n  calendar:\n    hour: 24\n`, 'schedule.calendar.hour', '24 is more than 23 — fix: use 0-23', 5],
  ['calendar hour range past 23', 'hours.yaml', `${base}schedule:\n  calendar:\n    hour: "20-25"\n`, 'schedule.calendar.hour', '"20-25" is outside 0-23 for hour', 5],
  ['cron minute 61', 'cron61.yaml', `${base}schedule:\n  cron: "61 6 * * *"\n`, 'schedule.cron', 'expected range 0-59', 4],
  ['cron with 6 fields', 'cron6.yaml', `${base}schedule:\n  cron: "0 0 6 2 * *"\n`, 'schedule.cron', 'has 6 fields, not 5 — fix: write 5 fields', 4],
  ['both cron and calendar', 'both.yaml', `${base}schedule:\n  cron: "0 6 2 * *"\n  calendar:\n    hour: 6\n`, 'schedule', 'has both cron and calendar — fix: keep one', 3],
  ['jitter not a duration', 'jitter.yaml', `${base}schedule:\n  cron: "0 6 2 * *"\n  jitter: soon\n`, 'schedule.jitter', '"soon" is not a duration — fix: write a duration such as 30s', 5],
  ['bad period unit', 'fortnight.yaml', `${base}period: fortnight\n`, 'period', '"fortnight" is not one of day, week, month, quarter, year', 3],
  ['bad period unit in the long form, with suggestion', 'monht.yaml', `${base}period:\n  unit: monht\n`, 'period.unit', 'did you mean month?', 4],
  ['period offset 0', 'offset0.yaml', `${base}period:\n  unit: month\n  offset: 0\n`, 'period.offset', '0 is more than -1 — fix: use -1', 5],
  ['period offset positive', 'offset1.yaml', `${base}period:\n  unit: week\n  offset: 1\n`, 'period.offset', '1 is more than -1', 5],
  ['empty targets list', 'no-targets.yaml', `${base}targets: []\n`, 'targets', 'is an empty list — fix: list at least one target', 3],
  ['bad account id in a target', 'acct.yaml', `${base}targets:\n  - account: bob\n`, 'targets.0.account', '"bob" is not an account id — fix: write an account id such as acct_1A2b3C', 4],
  ['bad platform in a target', 'platform.yaml', `${base}targets:\n  - connected_account: acct_1\n    platform: acme\n`, 'targets.0.platform', '"acme" is not an account id', 5],
  ['a target mixing forms', 'mixed.yaml', `${base}targets:\n  - account: acct_1\n    organization: concatenated\n`, 'targets.0', 'mixes the account and the organization forms (account, organization) — fix: make each its own list entry', 4],
  ['a target of none of the forms', 'accnt.yaml', `${base}targets:\n  - acount: acct_1\n`, 'targets.0', 'names none of account, connected_account, organization (has acount) — fix: did you mean `account`?', 4],
  ['a target written as a bare id', 'bare.yaml', `${base}targets:\n  - acct_1\n`, 'targets.0', 'fix: write `- account: acct_1`', 4],
  ['organization: both', 'org.yaml', `${base}targets:\n  - organization: both\n`, 'targets.0.organization', '"both" is not one of concatenated, aggregated', 4],
  ['webhook_url as a literal URL', 'hook.yaml', `${base}notify:\n  webhook_url: https://hooks.example.com/T0/B0/abc\n`, 'notify.webhook_url', 'is written out literally, not as an environment reference — fix: put the value in an environment variable', 4],
  ['interval_start in parameters', 'interval.yaml', `${base}parameters:\n  interval_start: "2025-01-01"\n`, 'parameters.interval_start', 'interval_start comes from the period — fix: remove it', 4],
  ['a parameter with a number value', 'param.yaml', `${base}parameters:\n  reporting_category: 5\n`, 'parameters.reporting_category', 'got the number 5 — fix: quote it', 4],
  ['an uppercase id', 'upper.yaml', `id: Monthly\n${base}`, 'id', '"Monthly" is not a valid id — fix: use lowercase letters', 1],
  ['an id with a space, from the file name', 'Monthly Report.yaml', base, 'id', '"Monthly Report" is not a valid id (the id comes from the file name) — fix: rename the file or set `id:`'],
  ['key_env lowercase', 'keyenv.yaml', `${base}key_env: stripe_key\n`, 'key_env', '"stripe_key" is not an environment variable name — fix: name an environment variable in capitals', 3],
  ['a duplicate YAML key', 'dup.yaml', `${base}mode: live\n`, '(yaml)', 'fix: keep only one of the two', 3],
  ['compress with the v1 API', 'v1zip.yaml', `${base}api: v1\nresult:\n  compress: true\n`, 'result.compress', 'the v1 Reporting API has no compressed results — fix: remove compress, or use api: v2', 5],
  ['extract without compress', 'extract.yaml', `${base}result:\n  extract: true\n`, 'result.extract', 'only a ZIP result can be extracted — fix: add compress: true under result, or remove extract', 4],
];

function check(file: string, text: string): ConfigProblem[] {
  const r = parseConfig(text, file);
  expect(r.ok, `${file} should be refused`).toBe(false);
  return r.ok ? [] : r.problems;
}

describe('malformed configurations', () => {
  it.each(cases)('%s', (_, name, text, field, part, line) => {
    const file = `schedules/${name}`;
    const problems = check(file, text);
    const mine = problems.filter((p) => p.field === field);
    expect(mine.map(formatProblem).join('\n'), problems.map(formatProblem).join('\n')).toContain(part);
    for (const p of problems) {
      expect(p.file).toBe(file);
      expect(formatProblem(p)).toContain(`${file}${p.line ? `:${p.line}` : ''}: ${p.field}: `);
      expect(p.fix, formatProblem(p)).toBeTruthy();
    }
    if (line !== undefined) expect(mine[0]!.line).toBe(line);
  });

  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each([
    ['sk_live_51AbCdEfGhIjKlMn', 'key_env', 'key_env: sk_live_51AbCdEfGhIjKlMn\n'],
    ['rk_test_Zy9Xw8Vu7Ts6', 'parameters.note', 'parameters:\n  note: "use rk_test_Zy9Xw8Vu7Ts6 here"\n'],
    ['whsec_0123456789abcdef', 'notify.webhook_url', 'notify:\n  webhook_url: whsec_0123456789abcdef\n'],
    ['sk_test_abc', 'description', 'description: sk_test_abc\n'],
    ['sk_test_0000aaaa1111', 'targets.0.sk_test_0000aaaa1111', 'targets:\n  - sk_test_0000aaaa1111: x\n'],
  ])('a literal secret %s is refused without showing it', (secret, field, extra) => {
    const problems = check('schedules/secret.yaml', `${base}${extra}`);
    const text = problems.map(formatProblem).join('\n');
    expect(text).not.toContain(secret);
    const p = problems.find((q) => q.message.startsWith('holds a literal secret'));
    expect(p?.field).toMatch(field.startsWith('targets') ? /^targets\.0\.sk_test_…/ : new RegExp(`^${field}$`));
    expect(p?.fix).toMatch(/environment variable/);
  });

  it('a secret field yields one problem, not also a format one', () => {
    const problems = check('schedules/secret.yaml', `${base}key_env: sk_live_51AbCdEfGhIjKlMn\n`);
    expect(problems.map((p) => p.field)).toEqual(['key_env']);
    expect(formatProblem(problems[0]!)).toBe(
      'schedules/secret.yaml:3: key_env: holds a literal secret (sk_live_…KlMn) — fix: put the key in an environment variable and name that variable: key_env: STRIPE_SECRET_KEY',
    );
  });

  it('duplicate ids across two files: the later file is refused, naming the earlier', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-dup-'));
    writeFileSync(path.join(dir, 'a.yaml'), `id: monthly\n${base}`);
    writeFileSync(path.join(dir, 'b.yaml'), `id: monthly\n${base}`);
    const [a, b] = loadConfigDir(dir);
    expect(a!.ok).toBe(true);
    expect(b!.ok).toBe(false);
    const p = !b!.ok ? b!.problems[0]! : undefined;
    expect(p).toMatchObject({ file: path.join(dir, 'b.yaml'), field: 'id' });
    expect(formatProblem(p!)).toContain(`id "monthly" is already used by ${path.join(dir, 'a.yaml')} — fix: give this file another`);
  });

  it('a directory with good and bad files loads every good one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-mixed-'));
    const files: Record<string, string> = {
      '1-good.yaml': base,
      '2-bad-yaml.yaml': 'report: [\n',
      '3-good.yaml': `${base}period: week\n`,
      '4-list.yaml': '- a\n',
      '5-secret.yaml': `${base}key_env: sk_live_51AbCdEfGhIjKlMn\n`,
      '6-good.yaml': `${base}schedule:\n  calendar:\n    day_of_month: 2\n    hour: 6\n`,
      '7-empty.yaml': '',
      'notes.txt': 'not a configuration',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const results = loadConfigDir(dir);
    expect(results.map((r) => [path.basename(r.file), r.ok])).toEqual([
      ['1-good.yaml', true],
      ['2-bad-yaml.yaml', false],
      ['3-good.yaml', true],
      ['4-list.yaml', false],
      ['5-secret.yaml', false],
      ['6-good.yaml', true],
      ['7-empty.yaml', false],
    ]);
  });
});
