/** A period: the span of time one ReportRun covers (computed by config/period.ts). */

export type PeriodUnit = 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface Period {
  name: string;
  unit: PeriodUnit;
  timezone: string;
  /** RFC 3339, UTC, inclusive. */
  start: string;
  /** RFC 3339, UTC, exclusive. */
  end: string;
}
