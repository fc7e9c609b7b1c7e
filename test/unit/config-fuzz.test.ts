/**
 * Bad configuration files, many at once: named bad inputs (none of them already in
 * config-errors.test.ts), then random text and random mutations of a valid file. The loader never
 * throws; a file is either a valid configuration or refused with problems naming the file and
 * the field (and the value, where it is one).
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatProblem, parseConfig, type LoadResult } from '../../src/config/load.js';

const base = 'report: balance.summary.1\nmode: sandbox\n';
const dir = mkdtempSync(path.join(tmpdir(), 'cfg-fuzz-'));
writeFileSync(path.join(dir, 'accounts.txt'), 'acct_1\nnot-an-account\n');

const alias = (depth: number) =>
  Array.from({ length: depth }, (_, i) => `l${i}: &l${i} [${i === 0 ? '"x","x","x","x","x","x","x","x","x","x"' : Array(10).fill(`*l${i - 1}`).join(',')}]`).join('\n');

/** [name, file text, field of the problem, part of its formatted text]. Each a distinct bad input. */
const cases: [string, string, string, string | RegExp][] = [
  ['an alias bomb (billion laughs)', `${base}${alias(6)}\n`, '(yaml)', 'Excessive alias count'],
  ['brackets nested 5000 deep', `${'['.repeat(5000)}${']'.repeat(5000)}`, '(yaml)', '(yaml): '],
  ['a scalar file', 'hello\n', '(file)', 'the file holds only "hello"'],
  ['a number file', '42\n', '(file)', 'the file holds only 42'],
  ['a tab-indented field', `${base}schedule:\n\tcron: "0 6 * * *"\n`, '(yaml)', 'indent with spaces'],
  ['two documents', `${base}---\n${base}`, '(yaml)', 'keep one configuration per file'],
  ['a key longer than 1024 characters', `${base}${'k'.repeat(2000)}: 1\n`, '(yaml)', 'at most 1024 chars'],
  ['an unclosed quote', `${base}description: "half\n`, '(yaml)', '(yaml): '],
  ['a __proto__ key', `${base}__proto__:\n  paused: true\n`, '__proto__', 'unknown field "__proto__"'],
  ['a constructor key under schedule', `${base}schedule:\n  constructor: x\n`, 'schedule.constructor', 'unknown field "constructor"'],
  ['a mapping used as a key', `${base}? [a, b]\n: c\n`, '[ a, b ]', 'unknown field'],
  ['a number as a key', `${base}1: x\n`, '1', 'unknown field "1"'],
  ['a right-to-left override as a key', `${base}"\u202e": 1\n`, '\u202e', 'unknown field'],
  ['report: null', 'report:\nmode: sandbox\n', 'report', 'expected text, got an empty value'],
  ['report: a number', 'report: 123\nmode: sandbox\n', 'report', 'got the number 123'],
  ['report: a list', 'report: [a]\nmode: sandbox\n', 'report', 'expected text, got a list'],
  ['mode: true', 'report: r\nmode: true\n', 'mode', 'true is not one of live, sandbox'],
  ['mode in capitals', 'report: r\nmode: LIVE\n', 'mode', /"LIVE" is not one of live, sandbox — fix: did you mean live\?/],
  ['api in capitals', `${base}api: V2\n`, 'api', 'did you mean v2?'],
  ['description: a mapping', `${base}description: {a: 1}\n`, 'description', 'expected text, got a mapping'],
  ['a binary-tagged description', `${base}description: !!binary aGVsbG8=\n`, 'description', 'expected text'],
  ['id: empty', `id: ""\n${base}`, 'id', '"" is not a valid id'],
  ['id: 64 characters', `id: ${'a'.repeat(64)}\n${base}`, 'id', 'is not a valid id'],
  ['key_env: empty', `${base}key_env: ""\n`, 'key_env', '"" is not an environment variable name'],
  ['key_env: a number', `${base}key_env: 7\n`, 'key_env', 'quote it'],
  ['schedule: empty', `${base}schedule:\n`, 'schedule', 'expected a mapping (fields on the lines below), got an empty value'],
  ['cron: empty', `${base}schedule:\n  cron: ""\n`, 'schedule.cron', 'cron "" has 1 fields, not 5'],
  ['cron: a number', `${base}schedule:\n  cron: 5\n`, 'schedule.cron', 'got the number 5 — fix: quote it'],
  ['cron: @daily', `${base}schedule:\n  cron: "@daily"\n`, 'schedule.cron', 'cron "@daily" has 1 fields'],
  ['cron: day-of-week 8', `${base}schedule:\n  cron: "0 6 * * 8"\n`, 'schedule.cron', 'cron "0 6 * * 8"'],
  ['cron: words', `${base}schedule:\n  cron: "every day at six"\n`, 'schedule.cron', 'has 4 fields'],
  ['calendar minute */5', `${base}schedule:\n  calendar:\n    minute: "*/5"\n`, 'schedule.calendar.minute', '"*/5" is not in the expected form'],
  ['calendar hour past 2^53', `${base}schedule:\n  calendar:\n    hour: "99999999999999999999"\n`, 'schedule.calendar.hour', 'is outside 0-23 for hour'],
  ['calendar minute range to 10^11', `${base}schedule:\n  calendar:\n    minute: "0-99999999999"\n`, 'schedule.calendar.minute', '"0-99999999999" is outside 0-59'],
  ['calendar day_of_week 7', `${base}schedule:\n  calendar:\n    day_of_week: 7\n`, 'schedule.calendar.day_of_week', '7 is more than 6'],
  ['calendar day_of_month 0', `${base}schedule:\n  calendar:\n    day_of_month: 0\n`, 'schedule.calendar.day_of_month', '0 is less than 1'],
  ['calendar list with an empty item', `${base}schedule:\n  calendar:\n    hour: "1,,2"\n`, 'schedule.calendar.hour', '"1,,2" is not in the expected form'],
  ['calendar hour 1.5', `${base}schedule:\n  calendar:\n    hour: 1.5\n`, 'schedule.calendar.hour', 'expected a number or a range'],
  ['timezone: empty', `${base}schedule:\n  timezone: ""\n`, 'schedule.timezone', 'unknown timezone ""'],
  ['timezone: an offset', `${base}schedule:\n  timezone: "+02:00"\n`, 'schedule.timezone', 'unknown timezone "+02:00"'],
  ['jitter without a unit', `${base}schedule:\n  jitter: "5"\n`, 'schedule.jitter', '"5" is not a duration'],
  ['jitter negative', `${base}schedule:\n  jitter: -5m\n`, 'schedule.jitter', '"-5m" is not a duration'],
  ['period: a number', `${base}period: 3\n`, 'period', 'expected a unit or { unit, offset }, got the number 3'],
  ['period: a list', `${base}period: [month]\n`, 'period', 'got a list'],
  ['period offset 1.5', `${base}period:\n  unit: month\n  offset: -1.5\n`, 'period.offset', 'period.offset: '],
  ['period offset -.inf', `${base}period:\n  unit: month\n  offset: -.inf\n`, 'period.offset', 'got the number -Infinity'],
  ['period offset .nan', `${base}period:\n  unit: month\n  offset: .nan\n`, 'period.offset', 'got the number NaN'],
  ['period offset -1e308', `${base}period:\n  unit: month\n  offset: -1e308\n`, 'period.offset', '-1e+308 is less than'],
  ['deadline: forever', `${base}wait_for_data:\n  deadline: forever\n`, 'wait_for_data.deadline', '"forever" is not a duration'],
  ['parameters: a list', `${base}parameters: [a]\n`, 'parameters', 'expected a mapping, got a list'],
  ['a parameter that is a mapping', `${base}parameters:\n  a: {b: c}\n`, 'parameters.a', 'expected text or a list of texts, got a mapping'],
  ['a parameter that is null', `${base}parameters:\n  a:\n`, 'parameters.a', 'got an empty value'],
  ['organization_report_granularity in parameters', `${base}parameters:\n  organization_report_granularity: aggregated_report\n`, 'parameters.organization_report_granularity', 'comes from the target'],
  ['targets: a string', `${base}targets: acct_1\n`, 'targets', 'expected a list, got the text "acct_1"'],
  ['targets: null', `${base}targets:\n`, 'targets', 'got an empty value'],
  ['the same target twice', `${base}targets:\n  - account: acct_1\n  - account: acct_1\n`, 'targets.1', 'duplicates targets[0]'],
  ['targets_from with file and env', `${base}targets_from:\n  file: a.txt\n  env: ACCTS\n`, 'targets_from', 'give exactly one of file or env'],
  ['targets_from env in lowercase', `${base}targets_from:\n  env: accts\n`, 'targets_from.env', '"accts" is not in the expected form'],
  ['targets_from platform with as: account', `${base}targets_from:\n  env: ACCTS\n  platform: acct_9\n`, 'targets_from.platform', 'platform is only for connected accounts'],
  ['targets_from a missing file', `${base}targets_from:\n  file: nope.txt\n`, 'targets_from.file', /cannot read .*nope\.txt: ENOENT/],
  ['targets_from a directory', `${base}targets_from:\n  file: /\n`, 'targets_from.file', 'cannot read /: EISDIR'],
  ['targets_from /dev/zero', `${base}targets_from:\n  file: /dev/zero\n`, 'targets_from.file', 'cannot read /dev/zero: not a regular file'],
  ['targets_from a file with a bad line', `${base}targets_from:\n  file: accounts.txt\n`, 'targets_from', 'accounts.txt:2: "not-an-account" is not an account id'],
  ['max_failed_targets 150%', `${base}max_failed_targets: 150%\n`, 'max_failed_targets', '"150%" is not in the expected form — fix: a count such as 3, or a share such as 10%'],
  ['max_failed_targets -1', `${base}max_failed_targets: -1\n`, 'max_failed_targets', '-1 is less than 0 — fix: write it like `max_failed_targets: 10%`'],
  ['max_failed_targets .nan', `${base}max_failed_targets: .nan\n`, 'max_failed_targets', 'NaN is not a valid'],
  ['permits capacity 0', `${base}permits:\n  capacity: 0\n`, 'permits.capacity', '0 is less than 1'],
  ['permits capacity .inf', `${base}permits:\n  capacity: .inf\n`, 'permits.capacity', 'got the number Infinity — fix: write it like `capacity: 80`'],
  ['permits pool with a space', `${base}permits:\n  pool: Shared Pool\n`, 'permits.pool', '"Shared Pool" is not in the expected form'],
  ['archive backend gcs', `${base}archive:\n  backend: gcs\n`, 'archive', '{"backend":"gcs"} is not a valid archive'],
  ['result compress "yes"', `${base}result:\n  compress: "yes"\n`, 'result.compress', 'write true or false, without quotes'],
  ['notify on: sometimes', `${base}notify:\n  webhook_url: \${HOOK}\n  on: [sometimes]\n`, 'notify.on.0', '"sometimes" is not one of success, failure'],
  ['notify without a destination', `${base}notify:\n  on: [failure]\n`, 'notify', 'names no destination'],
  ['notify email to a name', `${base}notify:\n  email:\n    smtp_url: \${SMTP_URL}\n    from: reports@example.com\n    to: [Finance Team]\n`, 'notify.email.to.0', '"Finance Team"'],
  ['notify email without to', `${base}notify:\n  email:\n    smtp_url: \${SMTP_URL}\n    from: reports@example.com\n`, 'notify.email.to', 'is missing'],
  ['notify slack url written out', `${base}notify:\n  slack:\n    webhook_url: https://hooks.slack.com/services/T0/B0/x\n`, 'notify.slack.webhook_url', 'environment reference'],
  ['reconcile charges', `${base}reconcile: charges\n`, 'reconcile', '"charges" is not one of balance_transactions'],
  ['paused: 1', `${base}paused: 1\n`, 'paused', 'expected true or false, got the number 1'],
];

function refused(name: string, text: string): { file: string; r: Extract<LoadResult, { ok: false }> } {
  const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 50)}.yaml`);
  const r = parseConfig(text, file);
  if (r.ok) throw new Error(`${name}: accepted`);
  return { file, r };
}

describe('named bad configurations', () => {
  it(`${cases.length} distinct bad inputs, none repeated`, () => {
    expect(new Set(cases.map((c) => c[0])).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c[1])).size).toBe(cases.length);
  });

  it.each(cases)('%s', (name, text, field, part) => {
    const { file, r } = refused(name, text);
    const mine = r.problems.filter((p) => p.field === field).map(formatProblem).join('\n');
    const all = r.problems.map(formatProblem).join('\n');
    expect(mine, all).not.toBe('');
    if (typeof part === 'string') expect(mine, all).toContain(part);
    else expect(mine, all).toMatch(part);
    for (const p of r.problems) {
      expect(p.file).toBe(file);
      expect(p.fix, formatProblem(p)).toBeTruthy();
    }
  });
});

/** Every problem names this file and a field, and has a message; the loader did not throw. */
function wellFormed(r: LoadResult, file: string): void {
  expect(r.file).toBe(file);
  if (r.ok) return;
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) {
    expect(p.file).toBe(file);
    expect(p.field.length).toBeGreaterThan(0);
    expect(p.message.length).toBeGreaterThan(0);
    expect(formatProblem(p)).toContain(`${file}`);
  }
}

const valid = {
  id: 'fuzz-base',
  description: 'base',
  api: 'v2',
  report: 'balance.summary.1',
  mode: 'sandbox',
  key_env: 'STRIPE_SECRET_KEY',
  schedule: { calendar: { day_of_month: 2, hour: 6, minute: 0 }, timezone: 'America/New_York', jitter: '5m' },
  period: { unit: 'month', offset: -1 },
  wait_for_data: { deadline: '72h', recheck: '30m' },
  parameters: { currency: 'usd', columns: ['a', 'b'] },
  targets: [{ account: 'acct_1' }, { connected_account: 'acct_2', platform: 'acct_3' }, { organization: 'concatenated' }],
  max_failed_targets: '10%',
  permits: { capacity: 80, pool: 'shared' },
  result: { compress: true, extract: true },
  archive: { backend: 's3', bucket: 'finance-reports', prefix: 'stripe', endpoint: 'http://minio:9000' },
  notify: { webhook_url: '${SLACK}', on: ['failure'] },
  paused: false,
};

type Path = (string | number)[];
function paths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return [at];
}
const allPaths = paths(valid).filter((p) => p.length > 0);

function setAt(root: unknown, at: Path, value: unknown, remove: boolean): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = at.at(-1)!;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** Values people and tools get wrong: other types, empties, extremes, look-alikes. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', ' ', 0, -1, 1.5, 1e21, true, 'true', 'null', '~', [], {}, 'acct_', 'Europe/Lunar', '0 0 * *', '99999999999999999999', '-', '%', '${}'),
);

describe('random configurations', () => {
  it('random text: never throws, always a configuration or problems naming file and field', () => {
    const file = path.join(dir, 'random.yaml');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => wellFormed(parseConfig(text, file), file)),
      { numRuns: 400 },
    );
  });

  it('the valid file is valid (so each mutation below is what breaks it)', () => {
    const r = parseConfig(stringify(valid), path.join(dir, 'fuzz-base.yaml'));
    expect(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n')).toBe(true);
  });

  it('one field of a valid file set to an odd value or removed: refused with a problem under that field, or still valid', () => {
    const file = path.join(dir, 'mutated.yaml');
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), oddValue, fc.boolean(), (at, value, remove) => {
        const r = parseConfig(stringify(setAt(valid, at, value, remove)), file);
        wellFormed(r, file);
        if (r.ok) return;
        // Some problem names the field changed, one of its parents or one of its children (a
        // check across fields, such as compress with extract, names a sibling under the same top-level field).
        const top = String(at[0]);
        const fields = r.problems.map((p) => p.field);
        expect(fields.some((f) => f === top || f.startsWith(`${top}.`)), `${at.join('.')} = ${JSON.stringify(value)}: ${fields.join(', ')}`).toBe(true);
        // A changed value that is short text is shown in the problem about that very field.
        const exact = r.problems.find((p) => p.field === at.join('.'));
        if (!remove && exact && typeof value === 'string' && value.trim() && value.length < 50 && at.at(-1) !== 'webhook_url' && !exact.message.startsWith('holds a literal secret')) {
          expect(formatProblem(exact)).toContain(JSON.stringify(value).slice(1, -1));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('an unknown field anywhere: refused, naming it', () => {
    const file = path.join(dir, 'extra.yaml');
    const objectPaths = allPaths.filter((p) => {
      const v = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], valid);
      return v && typeof v === 'object' && !Array.isArray(v) && p[0] !== 'parameters';
    });
    fc.assert(
      fc.property(fc.constantFrom([], ...objectPaths), fc.stringMatching(/^[a-z_]{1,12}$/), fc.jsonValue({ maxDepth: 1 }), (at, key, value) => {
        const parent = at.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], valid) as Record<string, unknown>;
        fc.pre(!(key in parent) && !['id', 'description', 'api', 'report', 'mode', 'key_env'].includes(key));
        const r = parseConfig(stringify(setAt(valid, [...at, key], value, false)), file);
        wellFormed(r, file);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problems.map((p) => p.field)).toContain([...at, key].join('.'));
      }),
      { numRuns: 200 },
    );
  });
});
