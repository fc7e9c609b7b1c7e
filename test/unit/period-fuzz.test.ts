/**
 * Bad period names and timezones, many at once (none already in period.test.ts). parsePeriod and
 * periodsBetween either give a period of that very name or throw InvalidInputError naming the
 * value; random names never produce anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePeriod, periodsBetween, unitOfPeriodName } from '../../src/config/period.js';
import { InvalidInputError } from '../../src/domain/errors.js';

function thrown(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).retryable).toBe(false);
    return err as InvalidInputError;
  }
  throw new Error('expected it to be refused');
}

/** Names that look like periods but are not. Each distinct. */
const badNames = [
  '2025-00',
  '2025-W00',
  '2021-W53', // 2021 has 52 ISO weeks
  '2025-Q0',
  '2025-02-30',
  '2025-04-31',
  '2025-00-10',
  '0000',
  '10000',
  ' 2025-10',
  '2025-10 ',
  '2025-10\n',
  '2025/10',
  '2025-1',
  '2025-10-1',
  '2025-w41',
  '2025-q3',
  '２０２５',
  '-2025',
  '+2025-10',
  'NaN',
  '2025-Q3-1',
  '2025-W41-1',
  '2025-10-14T00:00',
  'last month',
];

describe('named bad periods', () => {
  it(`${badNames.length} distinct bad names`, () => expect(new Set(badNames).size).toBe(badNames.length));

  it.each(badNames.map((n) => [JSON.stringify(n), n]))('refuses %s, naming it', (_, name) => {
    expect(thrown(() => parsePeriod(name, 'Europe/London')).message).toContain(`period "${name}" does not exist (write 2025-10`);
  });

  it.each([
    ['an empty timezone', ''],
    ['a UTC offset as a timezone', '+02:00'],
    ['a timezone in lowercase words', 'new york'],
    ['a timezone with a trailing slash', 'Europe/'],
  ])('refuses %s, naming it', (_, zone) => {
    expect(thrown(() => parsePeriod('2025-10', zone)).message).toContain(`unknown timezone "${zone}"`);
  });

  it.each([
    ['a month to a quarter', '2025-10', '2025-Q4', '--from 2025-10 is a month but --to 2025-Q4 is a quarter'],
    ['from after to', '2025-10-02', '2025-10-01', '--from 2025-10-02 is after --to 2025-10-01'],
    ['more than 10000 days', '1990-01-01', '2025-12-31', 'spans more than 10000 periods'],
    ['a bad --from', '2025-13', '2025-12', '--from: period "2025-13" does not exist'],
    ['a bad --to', '2025-01', '2025-1', '--to: period "2025-1" does not exist'],
  ])('a backfill range: %s', (_, from, to, message) => {
    expect(thrown(() => periodsBetween(from, to, 'UTC')).message).toContain(message);
  });
});

describe('random period names', () => {
  const zones = fc.constantFrom('UTC', 'America/New_York', 'Pacific/Chatham', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Mars/Olympus', '');
  const lookalike = fc.oneof(
    fc.string({ maxLength: 14 }),
    fc.tuple(fc.integer({ min: -1, max: 10_001 }), fc.constantFrom('', '-', '-Q', '-W', '-x'), fc.integer({ min: -1, max: 100 }), fc.constantFrom('', '-', '-00', '-1', '-31', '-32')).map(
      ([y, sep, n, tail]) => `${String(y).padStart(4, '0')}${sep}${sep ? String(n).padStart(2, '0') : ''}${tail}`,
    ),
  );

  it('either the period of that very name, or InvalidInputError naming the value', () => {
    fc.assert(
      fc.property(lookalike, zones, (name, zone) => {
        let period;
        try {
          period = parsePeriod(name, zone);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInputError);
          expect((err as Error).message).toMatch(name === '' || !zone || zone === 'Mars/Olympus' ? /does not exist|unknown timezone/ : `"${name}"`);
          return;
        }
        expect(period.name).toBe(name);
        expect(period.unit).toBe(unitOfPeriodName(name));
        expect(Date.parse(period.start)).toBeLessThan(Date.parse(period.end));
      }),
      { numRuns: 1000 },
    );
  });

  it('backfill ranges: a list of consecutive periods, or InvalidInputError', () => {
    fc.assert(
      fc.property(lookalike, lookalike, (from, to) => {
        try {
          const periods = periodsBetween(from, to, 'UTC');
          expect(periods[0]!.name).toBe(from);
          expect(periods.at(-1)!.name).toBe(to);
          for (let i = 1; i < periods.length; i++) expect(periods[i]!.start).toBe(periods[i - 1]!.end);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInputError);
          expect((err as Error).message).toMatch(/--from|--to/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
