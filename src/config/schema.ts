/**
 * The report configuration: one YAML file in schedules/ per recurring report. This zod schema is
 * the single source of the TypeScript types and of schedules/schema.json (`npm run schema`),
 * which the example files reference so editors complete and check them.
 *
 * Secrets never live here: a configuration names the environment variable that holds the key
 * (`key_env`) and writes other secrets as `${ENV_NAME}` references, resolved by the worker.
 */
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { durationPattern } from './durations.js';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, "-" and "_" (at most 63 characters), e.g. monthly-balance');

const accountId = z.string().regex(/^acct_[A-Za-z0-9]+$/, 'an account id looks like acct_1A2b3C');

const duration = z.string().regex(durationPattern, 'a duration such as 30s, 15m, 6h or 3d');

const envReference = z
  .string()
  .regex(/^\$\{[A-Z_][A-Z0-9_]*\}$/, 'write secrets as an environment reference, e.g. ${SLACK_WEBHOOK_URL}');

export const TargetSchema = z.union([
  z.object({ account: accountId }).strict(),
  z.object({ connected_account: accountId, platform: accountId.optional() }).strict(),
  z.object({ organization: z.enum(['concatenated', 'aggregated']) }).strict(),
]);

export const PeriodUnitSchema = z.enum(['day', 'week', 'month', 'quarter', 'year']);

/** Calendar fields as Temporal takes them; numbers, or ranges like "1-5". */
const calendarField = (name: string, min: number, max: number) =>
  z
    .union([z.number().int().min(min).max(max), z.string().regex(/^\d+(-\d+)?(\/\d+)?(,\d+(-\d+)?)*$|^\*$/)])
    .describe(`${name}, ${min}-${max}`);

const CalendarSchema = z
  .object({
    minute: calendarField('minute', 0, 59).default(0),
    hour: calendarField('hour', 0, 23).default(0),
    day_of_month: calendarField('day of month', 1, 31).optional(),
    month: calendarField('month', 1, 12).optional(),
    day_of_week: calendarField('day of week (0 = Sunday)', 0, 6).optional(),
  })
  .strict();

export const ScheduleSchema = z
  .object({
    /** Five-field cron, in `timezone`. Either this or `calendar`. */
    cron: z
      .string()
      .superRefine((expr, ctx) => {
        if (expr.trim().split(/\s+/).length !== 5) {
          ctx.addIssue({ code: 'custom', message: `cron "${expr}" needs exactly 5 fields: minute hour day-of-month month day-of-week` });
          return;
        }
        try {
          CronExpressionParser.parse(expr);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `cron "${expr}": ${(err as Error).message}` });
        }
      })
      .optional(),
    calendar: CalendarSchema.optional(),
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { message: 'unknown timezone; use an IANA name such as Europe/London' })
      .default('UTC'),
    /** Random delay added to each firing, so many configurations do not hit Stripe at once. */
    jitter: duration.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.cron && s.calendar) ctx.addIssue({ code: 'custom', message: 'give either cron or calendar, not both' });
    if (s.calendar?.day_of_month !== undefined && s.calendar.month !== undefined) {
      const day = Number(s.calendar.day_of_month);
      const month = Number(s.calendar.month);
      const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
      if (Number.isInteger(day) && longest !== undefined && day > longest) {
        ctx.addIssue({ code: 'custom', path: ['calendar', 'day_of_month'], message: `month ${month} never has a day ${day}` });
      }
    }
  });

export const PeriodSchema = z.union([
  PeriodUnitSchema,
  z
    .object({
      unit: PeriodUnitSchema,
      /** -1 = the previous complete period (default), -2 = the one before it. */
      offset: z.number().int().max(-1, 'offset must be -1 or less: a period still in progress has no final report').default(-1),
    })
    .strict(),
]);

export const ReportConfigSchema = z
  .object({
    $schema: z.string().optional(),
    id,
    description: z.string().optional(),
    /** v2: Reports API (`/v2/reporting`); v1: Reporting API (`/v1/reporting`). */
    api: z.enum(['v2', 'v1']).default('v2'),
    /** A v2 Report template id or a v1 report_type. */
    report: z.string().min(1, 'name the report: a v2 template id or a v1 report_type'),
    mode: z.enum(['live', 'sandbox']),
    /** The environment variable holding the secret key for this configuration. */
    key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. STRIPE_SECRET_KEY')
      .default('STRIPE_SECRET_KEY'),
    schedule: ScheduleSchema.default({ timezone: 'UTC' }),
    /** Each firing reports on a complete period before the scheduled time, in the schedule's timezone. */
    period: PeriodSchema.default('month'),
    /** How long to wait for Stripe to have data for the whole period before giving up. */
    wait_for_data: z
      .object({ deadline: duration.default('72h'), recheck: duration.default('30m') })
      .strict()
      .default({ deadline: '72h', recheck: '30m' }),
    /** Report parameters besides the interval, which comes from the period. */
    parameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
    targets: z.array(TargetSchema).min(1, 'list at least one target, or leave targets out for the key\'s own account').optional(),
    result: z.object({ compress: z.boolean().default(false) }).strict().default({ compress: false }),
    archive: z
      .object({ backend: z.enum(['filesystem']).default('filesystem') })
      .strict()
      .default({ backend: 'filesystem' }),
    notify: z
      .object({
        webhook_url: envReference,
        on: z.array(z.enum(['success', 'failure'])).default(['failure']),
      })
      .strict()
      .optional(),
    paused: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.parameters.interval_start !== undefined || c.parameters.interval_end !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['parameters'], message: 'interval_start and interval_end come from the period; remove them' });
    }
  });

export type ReportConfig = z.infer<typeof ReportConfigSchema>;
export type TargetSpec = z.infer<typeof TargetSchema>;
export type PeriodUnit = z.infer<typeof PeriodUnitSchema>;
export type PeriodSpec = z.infer<typeof PeriodSchema>;
