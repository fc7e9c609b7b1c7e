/**
 * One calendar field of a configuration (`5`, `"1-5"`, `"*\/2"`, `"1,15"`, `"*"`) as the value
 * Temporal's CalendarSpec takes. Temporal names months and weekdays (`'MARCH'`, `'MONDAY'`),
 * so numbers from the file go through `name` for those two fields.
 */
import { DAYS_OF_WEEK, MONTHS, type LooseRange, type Range } from '@temporalio/client';

export interface FieldBounds<Unit> {
  field: string;
  min: number;
  max: number;
  name: (n: number) => Unit;
}

export const minuteBounds: FieldBounds<number> = { field: 'minute', min: 0, max: 59, name: (n) => n };
export const hourBounds: FieldBounds<number> = { field: 'hour', min: 0, max: 23, name: (n) => n };
export const dayOfMonthBounds: FieldBounds<number> = { field: 'day_of_month', min: 1, max: 31, name: (n) => n };
export const monthBounds: FieldBounds<(typeof MONTHS)[number]> = { field: 'month', min: 1, max: 12, name: (n) => MONTHS[n - 1]! };
export const dayOfWeekBounds: FieldBounds<(typeof DAYS_OF_WEEK)[number]> = { field: 'day_of_week', min: 0, max: 6, name: (n) => DAYS_OF_WEEK[n]! };

const ITEM = /^(?:(\*)|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

function item<Unit>(text: string, b: FieldBounds<Unit>): LooseRange<Unit> {
  const m = ITEM.exec(text.trim());
  if (!m) throw new Error(`calendar ${b.field}: cannot read "${text}"; write 5, "1-5", "*/2" or "1,15"`);
  const [, star, from, to, every] = m;
  const start = star ? b.min : Number(from);
  // "a/n" means from a to the end of the field, as in cron.
  const end = star || (every && to === undefined) ? b.max : Number(to ?? from);
  const step = every ? Number(every) : 1;
  for (const n of [start, end]) {
    if (n < b.min || n > b.max) throw new Error(`calendar ${b.field}: ${n} is outside ${b.min}-${b.max}`);
  }
  if (end < start) throw new Error(`calendar ${b.field}: "${text}" ends before it starts`);
  if (step < 1) throw new Error(`calendar ${b.field}: step in "${text}" must be at least 1`);
  if (start === end) return b.name(start);
  // Always give `end`: the SDK encodes a range without one as ending at 1.
  const range: Range<Unit> = { start: b.name(start), end: b.name(end), step };
  return range;
}

export function calendarField<Unit>(value: number | string | undefined, b: FieldBounds<Unit>): LooseRange<Unit> | LooseRange<Unit>[] | '*' | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return item(String(value), b);
  if (value.trim() === '*') return '*';
  const items = value.split(',').map((part) => item(part, b));
  return items.length === 1 ? items[0] : items;
}
