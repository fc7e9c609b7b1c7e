/**
 * When a configuration fires: its `schedule:` block as a Temporal ScheduleSpec. A configuration
 * with neither cron nor calendar has no spec: it runs on demand only (`reports run`).
 */
import type { ScheduleSpec } from '@temporalio/client';
import { durationMs } from '../config/durations.js';
import type { ReportConfig } from '../config/schema.js';
import { calendarField, dayOfMonthBounds, dayOfWeekBounds, hourBounds, minuteBounds, monthBounds } from './calendar-ranges.js';

export function scheduleSpecFor(config: ReportConfig): ScheduleSpec | undefined {
  const { cron, calendar, timezone, jitter } = config.schedule;
  if (!cron && !calendar) return undefined;
  const spec: ScheduleSpec = {
    // The server interprets cron and calendar in this zone, so "6 am on the 2nd" is New York's 6 am.
    timezone,
    ...(jitter ? { jitter: durationMs(jitter) } : {}),
  };
  if (cron) spec.cronExpressions = [cron];
  if (calendar) {
    spec.calendars = [
      {
        minute: calendarField(calendar.minute, minuteBounds),
        hour: calendarField(calendar.hour, hourBounds),
        dayOfMonth: calendarField(calendar.day_of_month, dayOfMonthBounds),
        month: calendarField(calendar.month, monthBounds),
        dayOfWeek: calendarField(calendar.day_of_week, dayOfWeekBounds),
      },
    ];
  }
  return spec;
}
