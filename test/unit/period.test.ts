import { describe, expect, it } from 'vitest';
import { parsePeriod, previousPeriod } from '../../src/config/period.js';

describe('named periods', () => {
  it.each([
    ['2025-10', 'America/New_York', '2025-10-01T04:00:00.000Z', '2025-11-01T04:00:00.000Z'],
    ['2025-03', 'America/New_York', '2025-03-01T05:00:00.000Z', '2025-04-01T04:00:00.000Z'],
    ['2025-10', 'Europe/London', '2025-09-30T23:00:00.000Z', '2025-11-01T00:00:00.000Z'],
    ['2025-10', 'Asia/Kolkata', '2025-09-30T18:30:00.000Z', '2025-10-31T18:30:00.000Z'],
    ['2025-10', 'Pacific/Auckland', '2025-09-30T11:00:00.000Z', '2025-10-31T11:00:00.000Z'],
    ['2024-02-29', 'UTC', '2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['2024-02', 'UTC', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['2025-Q3', 'UTC', '2025-07-01T00:00:00.000Z', '2025-10-01T00:00:00.000Z'],
    ['2025-Q4', 'America/New_York', '2025-10-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z'],
    ['2025', 'UTC', '2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    // The week DST ends in New York lasts 169 hours.
    ['2025-W45', 'America/New_York', '2025-11-03T05:00:00.000Z', '2025-11-10T05:00:00.000Z'],
    ['2025-W44', 'America/New_York', '2025-10-27T04:00:00.000Z', '2025-11-03T05:00:00.000Z'],
    // The day DST starts in London has 23 hours.
    ['2025-03-30', 'Europe/London', '2025-03-30T00:00:00.000Z', '2025-03-30T23:00:00.000Z'],
  ])('%s in %s', (name, zone, start, end) => {
    const p = parsePeriod(name, zone);
    expect(p).toMatchObject({ name, start, end, timezone: zone });
  });

  it.each(['2025-13', '2025-02-29', '2025-W54', '2025-Q5', '25-10', 'October', ''])('refuses "%s" by name', (name) => {
    expect(() => parsePeriod(name, 'UTC')).toThrow(`period "${name}" does not exist`);
  });

  it('refuses an unknown timezone by name', () => {
    expect(() => parsePeriod('2025-10', 'Mars/Olympus')).toThrow('unknown timezone "Mars/Olympus"');
  });
});

describe('the period before a scheduled time', () => {
  it('a firing early on 1 November UTC is still October in New York', () => {
    // 2025-11-01T02:00Z is 31 October 22:00 in New York: the previous month there is September.
    expect(previousPeriod('month', '2025-11-01T02:00:00Z', 'America/New_York').name).toBe('2025-09');
    expect(previousPeriod('month', '2025-11-01T05:00:00Z', 'America/New_York').name).toBe('2025-10');
  });

  it.each([
    ['day', '2024-03-01T10:00:00Z', 'UTC', '2024-02-29'],
    ['week', '2025-10-15T10:00:00Z', 'UTC', '2025-W41'],
    ['quarter', '2026-01-02T10:00:00Z', 'Asia/Kolkata', '2025-Q4'],
    ['year', '2026-01-01T00:30:00Z', 'Pacific/Auckland', '2025'],
    ['year', '2026-01-01T00:30:00Z', 'America/New_York', '2024'],
  ] as const)('%s before %s in %s is %s', (unit, at, zone, name) => {
    const p = previousPeriod(unit, at, zone);
    expect(p.name).toBe(name);
    expect(parsePeriod(name, zone)).toEqual(p);
  });
});
