/**
 * Bad arguments to the `reports` command, as a user types them (a child process running
 * bin/reports.js): each exits non-zero with one line naming the argument and what was wrong, never
 * a stack trace, and before anything connects to Temporal (TEMPORAL_ADDRESS points nowhere).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cli-args-'));
  mkdirSync(path.join(dir, 'schedules'));
  writeFileSync(path.join(dir, 'schedules', 'monthly.yaml'), 'report: balance.summary.1\nmode: sandbox\n');
  writeFileSync(path.join(dir, 'schedules', 'broken.yaml'), 'report: balance.summary.1\nmode: test\nperiod: fortnight\n');
});

async function reports(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.resolve('bin/reports.js'), ...args], {
      timeout: 60_000,
      env: { ...process.env, REPORTS_SCHEDULES_DIR: path.join(dir, 'schedules'), TEMPORAL_ADDRESS: '127.0.0.1:1', STRIPE_SECRET_KEY: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** [name, arguments, what stderr must say]. Each a distinct bad invocation. */
const cases: [string, string[], string | RegExp][] = [
  ['a month 13', ['run', 'monthly', '--period', '2025-13', '--dry-run'], 'reports: period "2025-13" does not exist (write 2025-10'],
  ['a period in words', ['run', 'monthly', '--period', 'last month', '--dry-run'], 'period "last month" does not exist'],
  ['a period with a time', ['run', 'monthly', '--period', '2025-10-14T06:00', '--dry-run'], 'period "2025-10-14T06:00" does not exist'],
  ['an empty period', ['run', 'monthly', '--period=', '--dry-run'], 'reports: period "" does not exist'],
  ['an unknown configuration', ['run', 'nope', '--dry-run'], /nope\.yaml: \(file\): cannot read: ENOENT/],
  ['a configuration path that does not exist', ['run', 'elsewhere/monthly.yaml', '--dry-run'], /elsewhere\/monthly\.yaml: \(file\): cannot read/],
  ['a configuration with problems', ['run', 'broken', '--dry-run'], /broken\.yaml:2: mode: "test" is not one of live, sandbox[\s\S]*broken\.yaml:3: period: "fortnight"/],
  ['a misspelt flag', ['run', 'monthly', '--perod', '2025-10'], /unknown option '--perod'[\s\S]*Did you mean --period\?/],
  ['run without a configuration', ['run'], "missing required argument 'config'"],
  ['an unknown command', ['frobnicate'], "unknown command 'frobnicate'"],
  ['backfill without --to', ['backfill', 'monthly', '--from', '2025-01'], "required option '--to <P>' not specified"],
  ['backfill with a bad --from', ['backfill', 'monthly', '--from', '2025-13', '--to', '2025-12'], '--from: period "2025-13" does not exist'],
  ['backfill with a bad --to', ['backfill', 'monthly', '--from', '2025-01', '--to', '2025-W60'], '--to: period "2025-W60" does not exist'],
  ['backfill --to before --from', ['backfill', 'monthly', '--from', '2025-10', '--to', '2025-09'], '--from 2025-10 is after --to 2025-09'],
  ['backfill of a month to a quarter', ['backfill', 'monthly', '--from', '2025-10', '--to', '2025-Q4'], 'is a month but --to 2025-Q4 is a quarter'],
  ['--concurrency abc', ['backfill', 'monthly', '--from', '2025-01', '--to', '2025-02', '--concurrency', 'abc'], "option '--concurrency <n>' argument 'abc' is invalid. abc is not a whole number"],
  ['--concurrency 1.5', ['backfill', 'monthly', '--from', '2025-01', '--to', '2025-02', '--concurrency', '1.5'], "argument '1.5' is invalid"],
  ['--concurrency -1', ['backfill', 'monthly', '--from', '2025-01', '--to', '2025-02', '--concurrency', '-1'], "argument '-1' is invalid"],
  ['--concurrency 0', ['backfill', 'monthly', '--from', '2025-01', '--to', '2025-02', '--concurrency', '0'], "option '--concurrency <n>' argument '0' is invalid. 0 is less than 1"],
  ['an emulator port past 65535', ['emulator', '--port', '70000'], "option '--port <n>' argument '70000' is invalid. 70000 is not a port (0-65535)"],
];

describe('bad command lines', () => {
  it(`${cases.length} distinct bad command lines`, () => expect(new Set(cases.map((c) => c[1].join(' '))).size).toBe(cases.length));

  it('each exits 1 with a line naming the argument, and no stack trace', async () => {
    const results: (readonly [string, Awaited<ReturnType<typeof reports>>])[] = [];
    // Two at a time: each is a Node process compiling the CLI.
    for (let i = 0; i < cases.length; i += 2) {
      results.push(...(await Promise.all(cases.slice(i, i + 2).map(async ([name, args]) => [name, await reports(args)] as const))));
    }
    const failures: string[] = [];
    for (const [[name, , expected], [, r]] of cases.map((c, i) => [c, results[i]!] as const)) {
      const said = typeof expected === 'string' ? r.stderr.includes(expected) : expected.test(r.stderr);
      if (r.code !== 1 || !said || /\n\s+at /.test(r.stderr)) failures.push(`${name}: exit ${r.code}\n${r.stderr}`);
    }
    expect(failures.join('\n\n')).toBe('');
  }, 300_000);
});
