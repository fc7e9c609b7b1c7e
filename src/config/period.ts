/**
 * Periods: the span of time one ReportRun covers. Computed in the configuration's timezone with
 * luxon and handed to Stripe in UTC; `start` inclusive, `end` exclusive. Pure and deterministic
 * (never reads the clock), so workflows use it directly.
 *
 * Names: day `2025-10-14`, week `2025-W41` (ISO weeks, Monday first), month `2025-10`,
 * quarter `2025-Q3`, year `2025`.
 */
import { DateTime, IANAZone } from 'luxon';
import { InvalidInputError } from '../domain/errors.js';
import { periodSpec } from './durations.js';
import type { Period, PeriodUnit } from '../domain/period.js';
import type { ReportConfig } from './schema.js';


const luxonUnit = { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' } as const;

export function assertTimezone(timezone: string): void {
  if (!IANAZone.isValidZone(timezone)) {
    throw new InvalidInputError(`unknown timezone "${timezone}" (use an IANA name such as Europe/London)`);
  }
}

function periodName(start: DateTime, unit: PeriodUnit): string {
  switch (unit) {
    case 'day':
      return start.toFormat('yyyy-MM-dd');
    case 'week':
      return `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}`;
    case 'month':
      return start.toFormat('yyyy-MM');
    case 'quarter':
      return `${start.year}-Q${start.quarter}`;
    case 'year':
      return String(start.year);
  }
}

function periodStarting(start: DateTime, unit: PeriodUnit, timezone: string): Period {
  const end = start.plus({ [`${luxonUnit[unit]}s`]: 1 });
  return {
    name: periodName(start, unit),
    unit,
    timezone,
    start: start.toUTC().toISO({ suppressMilliseconds: false })!,
    end: end.toUTC().toISO({ suppressMilliseconds: false })!,
  };
}

/**
 * The complete period `-offset` periods before the one containing `at`: offset -1 (default) is
 * the last complete period (a firing on 1 November reports on October).
 */
export function previousPeriod(unit: PeriodUnit, at: Date | string, timezone: string, offset = -1): Period {
  assertTimezone(timezone);
  const instant = typeof at === 'string' ? DateTime.fromISO(at, { zone: timezone }) : DateTime.fromJSDate(at, { zone: timezone });
  const current = instant.setZone(timezone).startOf(luxonUnit[unit], { useLocaleWeeks: false });
  return periodStarting(current.plus({ [`${luxonUnit[unit]}s`]: offset }), unit, timezone);
}

/** The period a configuration reports on when it fires at `at`. */
export function periodForConfig(config: Pick<ReportConfig, 'period' | 'schedule'>, at: Date | string): Period {
  const { unit, offset } = periodSpec(config);
  return previousPeriod(unit, at, config.schedule.timezone, offset);
}

/** Every period from `from` to `to`, both named and included, in order (for backfills). */
export function periodsBetween(from: string, to: string, timezone: string): Period[] {
  assertTimezone(timezone);
  // Say which of the two is wrong: "period "2025-13" does not exist" alone leaves the user guessing.
  const named = (flag: string, name: string) => {
    try {
      return parsePeriod(name, timezone);
    } catch (err) {
      throw err instanceof InvalidInputError ? new InvalidInputError(`${flag}: ${err.message}`) : err;
    }
  };
  const first = named('--from', from);
  const last = named('--to', to);
  if (first.unit !== last.unit) {
    throw new InvalidInputError(`--from ${from} is a ${first.unit} but --to ${to} is a ${last.unit}; name both the same way`);
  }
  if (first.start > last.start) throw new InvalidInputError(`--from ${from} is after --to ${to}`);
  const periods = [first];
  while (periods[periods.length - 1]!.name !== last.name) {
    const prev = periods[periods.length - 1]!;
    periods.push(previousPeriod(first.unit, prev.end, timezone, 0));
    if (periods.length > 10_000) throw new InvalidInputError(`--from ${from} --to ${to} spans more than 10000 periods`);
  }
  return periods;
}

/** The unit a period name is written in. */
export function unitOfPeriodName(name: string): PeriodUnit | undefined {
  if (/^\d{4}$/.test(name)) return 'year';
  if (/^\d{4}-Q\d$/.test(name)) return 'quarter';
  if (/^\d{4}-\d{2}$/.test(name)) return 'month';
  if (/^\d{4}-W\d{2}$/.test(name)) return 'week';
  if (/^\d{4}-\d{2}-\d{2}$/.test(name)) return 'day';
  return undefined;
}

/** A named period, e.g. from `reports run --period 2025-10`. */
export function parsePeriod(name: string, timezone: string): Period {
  assertTimezone(timezone);
  const unit = unitOfPeriodName(name);
  let start: DateTime | undefined;
  if (unit === 'year') start = DateTime.fromObject({ year: Number(name) }, { zone: timezone });
  else if (unit === 'quarter') {
    const q = Number(name.slice(6));
    if (q >= 1 && q <= 4) start = DateTime.fromObject({ year: Number(name.slice(0, 4)), month: (q - 1) * 3 + 1 }, { zone: timezone });
  } else if (unit === 'month') start = DateTime.fromFormat(name, 'yyyy-MM', { zone: timezone });
  else if (unit === 'week') start = DateTime.fromISO(`${name}-1`, { zone: timezone });
  else if (unit === 'day') start = DateTime.fromFormat(name, 'yyyy-MM-dd', { zone: timezone });
  if (!unit || !start || !start.isValid || periodName(start, unit) !== name) {
    throw new InvalidInputError(
      `period "${name}" does not exist (write 2025-10, 2025-W41, 2025-10-14, 2025-Q3 or 2025)`,
    );
  }
  return periodStarting(start.startOf(luxonUnit[unit]), unit, timezone);
}
