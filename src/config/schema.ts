/**
 * The report configuration: one YAML file in schedules/ per recurring report. This zod schema is
 * the single source of the TypeScript types and of schedules/schema.json (`npm run schema`),
 * which the example files reference so editors complete and check them.
 *
 * Secrets never live here: a configuration names the environment variable that holds the key
 * (`key_env`) and writes other secrets as `${ENV_NAME}` references, resolved by the worker.
 *
 * Messages: a regex or min/max message here is the fix ("use …"); custom issues carry their
 * problem as `message` ({value} stands for the value) and the fix as `params.fix`. src/config/explain-issue.ts turns both into
 * the problem people read, with the value.
 */
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { durationPattern } from './durations.js';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, "-" and "_" (at most 63 characters), e.g. monthly-balance');

const accountId = z.string().regex(/^acct_[A-Za-z0-9]+$/, 'write an account id such as acct_1A2b3C');

const duration = z.string().regex(durationPattern, 'write a duration such as 30s, 15m, 6h or 3d');

const envReference = z
  .string()
  .regex(/^\$\{[A-Z_][A-Z0-9_]*\}$/, 'put the value in an environment variable and write a reference to it, e.g. ${SLACK_WEBHOOK_URL}');

export const TargetSchema = z
  .union([
    z.object({ account: accountId.describe('An account of the organization the key belongs to (Stripe-Context).') }).strict(),
    z
      .object({
        connected_account: accountId.describe('A connected account: sent as the report parameter connected_account.'),
        platform: accountId.optional().describe('The platform account, sent as Stripe-Context (organization keys).'),
      })
      .strict(),
    z
      .object({ organization: z.enum(['concatenated', 'aggregated']).describe('Organization-wide: one report per account joined, or one aggregated report.') })
      .strict(),
  ])
  .describe('One of: { account }, { connected_account, platform? }, { organization }.');

export const PeriodUnitSchema = z.enum(['day', 'week', 'month', 'quarter', 'year']);

/** Every number a calendar field names ("1-5", "1,15", "0/15"), or undefined for "*". */
export function calendarValues(value: number | string, min: number, max: number): number[] | undefined {
  if (typeof value === 'number') return [value];
  if (value === '*') return undefined;
  return value.split(',').flatMap((part) => {
    const [range, step] = part.split('/');
    const [from, to] = range!.split('-').map(Number);
    const last = to ?? (step ? max : from!);
    // A reversed or huge range, or a number past 2^53 (where v + 1 === v): its ends are enough to check the bounds.
    if (last < from! || last - from! > 100 || !Number.isSafeInteger(last)) return [from!, last];
    const values: number[] = [];
    for (let v = from!; v <= last; v += Math.max(1, Number(step ?? 1))) values.push(v);
    return values;
  });
}

/** Calendar fields as Temporal takes them; numbers, or ranges like "1-5". */
const calendarField = (name: string, min: number, max: number) =>
  z
    .union([
      z.number().int().min(min, `use ${min}-${max}`).max(max, `use ${min}-${max}`),
      z
        .string()
        .regex(/^\d+(-\d+)?(\/\d+)?(,\d+(-\d+)?)*$|^\*$/, `use a number ${min}-${max}, a range like "${min}-${min + 4}", a list like "${min},${min + 2}" or "*"`)
        .refine((v) => (calendarValues(v, min, max) ?? []).every((n) => n >= min && n <= max), {
          message: `{value} is outside ${min}-${max} for ${name}`,
          params: { fix: `use ${min}-${max}` },
        }),
    ])
    .describe(`${name}, ${min}-${max}`);

const CalendarSchema = z
  .object({
    minute: calendarField('minute', 0, 59).default(0),
    hour: calendarField('hour', 0, 23).default(0),
    day_of_month: calendarField('day of month', 1, 31).optional(),
    month: calendarField('month', 1, 12).optional(),
    day_of_week: calendarField('day of week (0 = Sunday)', 0, 6).optional(),
  })
  .strict()
  .describe('Fires at these calendar fields, in `timezone`; omitted day/month fields mean every.');

const longestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const ScheduleSchema = z
  .object({
    cron: z
      .string()
      .superRefine((expr, ctx) => {
        if (expr.trim().split(/\s+/).length !== 5) {
          ctx.addIssue({
            code: 'custom',
            message: `cron "${expr}" has ${expr.trim().split(/\s+/).length} fields, not 5`,
            params: { fix: 'write 5 fields: minute hour day-of-month month day-of-week, e.g. "0 6 2 * *" (no seconds, no year)' },
          });
          return;
        }
        try {
          CronExpressionParser.parse(expr);
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `cron "${expr}": ${(err as Error).message}`,
            params: { fix: 'fields are minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-6, e.g. "0 6 2 * *"' },
          });
        }
      })
      .optional()
      .describe('Five-field cron, in `timezone`. Either this or `calendar`.'),
    calendar: CalendarSchema.optional(),
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { message: 'unknown timezone {value}', params: { fix: 'use an IANA name such as Europe/London' } })
      .default('UTC')
      .describe('IANA timezone of the schedule and of the periods, e.g. Europe/London.'),
    jitter: duration.optional().describe('Random delay added to each firing, so many configurations do not hit Stripe at once.'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.cron && s.calendar) {
      ctx.addIssue({ code: 'custom', message: 'has both cron and calendar', params: { fix: 'keep one of them' } });
    }
    const days = s.calendar?.day_of_month === undefined ? undefined : calendarValues(s.calendar.day_of_month, 1, 31);
    const months = s.calendar?.month === undefined ? undefined : calendarValues(s.calendar.month, 1, 12);
    if (days && months) {
      // Temporal would accept it and never fire: refuse a day no listed month has.
      const longest = Math.max(...months.map((m) => longestMonth[m - 1] ?? 0));
      if (Math.min(...days) > longest) {
        ctx.addIssue({
          code: 'custom',
          path: ['calendar', 'day_of_month'],
          message: `month ${s.calendar!.month} never has a day ${s.calendar!.day_of_month}`,
          params: { fix: `use a day of month up to ${longest}` },
        });
      }
    }
  })
  .describe('When the report runs: `cron` or `calendar`, in `timezone`.');

export const PeriodSchema = z
  .union([
    PeriodUnitSchema,
    z
      .object({
        unit: PeriodUnitSchema,
        /** -1 = the previous complete period (default), -2 = the one before it. */
        offset: z
          .number()
          .int()
          .max(-1, 'use -1 (the last complete period) or less: a period still in progress has no final report')
          .default(-1)
          .describe('-1 = the last complete period, -2 = the one before it.'),
      })
      .strict(),
  ])
  .describe('The period each run covers: day, week, month, quarter or year, or { unit, offset }.');

export const QuerySchema = z
  .object({
    sql: z.string().regex(/\S/, 'write the SQL, or name a file with file:').optional().describe('The SQL, with {{interval_start}}, {{interval_end}} and {{period}} for the period.'),
    file: z.string().min(1, 'name a .sql file, relative to this configuration file').optional().describe('A file holding the SQL, relative to this configuration file; read when the configuration loads.'),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (!q.sql === !q.file) ctx.addIssue({ code: 'custom', message: 'give exactly one of sql or file', params: { fix: 'query: { file: revenue.sql } or query: { sql: "SELECT …" }' } });
  })
  .describe('A Data API SQL query (api: data) instead of report: { sql } or { file }.');

export const ReportConfigSchema = z
  .object({
    $schema: z.string().optional(),
    id: id.describe('Defaults to the file name. Lowercase letters, digits, "-" and "_".'),
    description: z.string().optional(),
    api: z
      .enum(['v2', 'v1', 'data'])
      .default('v2')
      .describe('v2: Reports API (/v2/reporting); v1: Reporting API (/v1/reporting); data: the Data API (/v2/data), a report or a SQL query.'),
    report: z
      .string()
      .min(1, 'name the report: a v2 template id, a v1 report_type, or a Data API report name or id')
      .optional()
      .describe('A v2 Report template id, a v1 report_type, or a Data API report name (balance.summary) or id. Either this or query (api: data).'),
    query: QuerySchema.optional(),
    mode: z.enum(['live', 'sandbox']).describe('live or sandbox; a key of the other mode is refused before any call.'),
    key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'name an environment variable in capitals, e.g. STRIPE_SECRET_KEY')
      .default('STRIPE_SECRET_KEY')
      .describe('The environment variable holding the secret key (never the key itself).'),
    schedule: ScheduleSchema.default({ timezone: 'UTC' }),
    period: PeriodSchema.default('month'),
    wait_for_data: z
      .object({ deadline: duration.default('72h'), recheck: duration.default('30m') })
      .strict()
      .default({ deadline: '72h', recheck: '30m' })
      .describe('How long to wait for Stripe to have data for the whole period before giving up.'),
    parameters: z
      .record(z.string(), z.union([z.string(), z.array(z.string())]))
      .default({})
      .describe('Report parameters besides the interval, which comes from the period.'),
    targets: z
      .array(TargetSchema)
      .min(1, "list at least one target, or leave targets out for the key's own account")
      .optional()
      .describe("Accounts to report on; omitted = the key's own account."),
    targets_from: z
      .object({
        file: z.string().min(1).optional().describe('A text file, one account id per line (# comments); relative to this file.'),
        env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'name an environment variable in capitals, e.g. REPORT_ACCOUNTS').optional(),
        as: z.enum(['account', 'connected_account']).default('account'),
        platform: z.string().regex(/^acct_[A-Za-z0-9]+$/, 'an account id looks like acct_1A2b3C').optional(),
      })
      .strict()
      .superRefine((t, ctx) => {
        if (!t.file === !t.env) ctx.addIssue({ code: 'custom', message: 'give exactly one of file or env', params: { fix: 'targets_from: { file: accounts.txt } or { env: REPORT_ACCOUNTS }' } });
        if (t.platform && t.as !== 'connected_account') ctx.addIssue({ code: 'custom', path: ['platform'], message: 'platform is only for connected accounts', params: { fix: 'add as: connected_account, or remove platform' } });
      })
      .optional()
      .describe('Many accounts from a file or an environment variable; added to targets.'),
    max_failed_targets: z
      .union([z.number().int().min(0), z.string().regex(/^(100|\d{1,2})%$/, 'a count such as 3, or a share such as 10%')])
      .optional()
      .describe('The firing fails when more targets than this fail (default: only when every target failed).'),
    permits: z
      .object({
        pool: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a pool name: lowercase letters, digits, "-" and "_"').optional()
          .describe('Share a named pool across keys (default: one pool per key).'),
        capacity: z.number().int().min(1, 'a capacity of at least 1').optional()
          .describe('Running ReportRuns allowed at once in the pool (default 500 live, 100 sandbox); leave headroom for other integrations.'),
      })
      .strict()
      .default({}),
    result: z
      .object({
        compress: z.boolean().default(false).describe('Ask Stripe for a ZIP (compress_file); archived as <target>.zip.'),
        extract: z.boolean().default(false).describe('With compress: also archive the CSV from the ZIP, as <target>.csv with its own manifest.'),
      })
      .strict()
      .superRefine((r, ctx) => {
        if (r.extract && !r.compress) {
          ctx.addIssue({ code: 'custom', path: ['extract'], message: 'only a ZIP result can be extracted', params: { fix: 'add compress: true under result, or remove extract' } });
        }
      })
      .default({ compress: false, extract: false }),
    archive: z
      .union([
        z.object({ backend: z.literal('filesystem').default('filesystem') }).strict(),
        z
          .object({
            backend: z.literal('s3'),
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens'),
            prefix: z.string().regex(/^[^/].*[^/]$|^[^/]$/, 'a key prefix without leading or trailing "/"').optional(),
            region: z.string().optional(),
            endpoint: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http(s) URL of an S3-compatible server').optional(),
            server_side_encryption: z.enum(['AES256', 'aws:kms']).optional(),
            kms_key_id: z.string().optional(),
          })
          .strict(),
      ])
      .default({ backend: 'filesystem' })
      .describe('Where files go: the filesystem (REPORTS_ARCHIVE_DIR) or an S3 bucket; S3 credentials come from the standard AWS environment.'),
    notify: z
      .object({
        on: z.array(z.enum(['success', 'failure'])).default(['failure']).describe('When to send: after a firing where every target archived (success), or one with a failed target (failure).'),
        slack: z
          .object({ webhook_url: envReference.describe('A Slack incoming webhook, as an environment reference.') })
          .strict()
          .optional()
          .describe('A Block Kit message with the numbers per currency, failed targets and a link to the firing.'),
        email: z
          .object({
            smtp_url: envReference.describe('smtp(s)://user:password@host:port, as an environment reference.'),
            from: z.email('an e-mail address such as reports@example.com'),
            to: z.array(z.email('an e-mail address such as finance@example.com')).min(1, 'list at least one recipient'),
            attach_max_bytes: z.number().int().min(0).default(10_000_000).describe('CSVs are attached while their total stays within this size (default 10 MB); the others are linked.'),
          })
          .strict()
          .optional()
          .describe('An e-mail (text and HTML) with the summary, sent over SMTP.'),
        webhook_url: envReference.optional().describe('A generic webhook: POSTed the summary as JSON (Slack-compatible text).'),
      })
      .strict()
      .superRefine((n, ctx) => {
        if (!n.slack && !n.email && !n.webhook_url) {
          ctx.addIssue({ code: 'custom', message: 'names no destination', params: { fix: 'add slack: { webhook_url: ${SLACK_WEBHOOK_URL} }, email: { smtp_url, from, to } or webhook_url' } });
        }
      })
      .optional(),
    reconcile: z
      .enum(['balance_transactions'])
      .optional()
      .describe("Tie the report's totals out to the ledger: sum the period's balance transactions per target and compare."),
    paused: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.parameters.organization_report_granularity !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', 'organization_report_granularity'],
        message: 'organization_report_granularity comes from the target',
        params: { fix: 'remove it; list - organization: concatenated or - organization: aggregated under targets' },
      });
    }
    if (c.api === 'v1' && c.result.compress) {
      ctx.addIssue({
        code: 'custom',
        path: ['result', 'compress'],
        message: 'the v1 Reporting API has no compressed results',
        params: { fix: 'remove compress, or use api: v2' },
      });
    }
    const seen = new Map<string, number>();
    for (const [i, t] of (c.targets ?? []).entries()) {
      const key = JSON.stringify(t);
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['targets', i], message: `duplicates targets[${seen.get(key)}]`, params: { fix: 'list each target once' } });
      } else seen.set(key, i);
    }
    for (const name of ['interval_start', 'interval_end']) {
      if (c.parameters[name] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', name],
          message: `${name} comes from the period`,
          params: { fix: `remove it; choose the span with period: (and reports run --period for one-off runs)` },
        });
      }
    }
    checkReportOrQuery(c, ctx);
    checkReconcile(c, ctx);
  })
  // `report` stays a string for every consumer (job, metrics, manifest): a query's is a label.
  // A file query's `sql` is filled in by the loader (load.ts), which knows where the file is.
  .transform(({ report, query, ...rest }) => ({
    ...rest,
    report: report ?? queryLabel(query),
    ...(query ? { query: { sql: query.sql ?? '', ...(query.file ? { file: query.file } : {}) } } : {}),
  }));

/** What a query configuration reports as its `report`: `query`, or `query:<file>`. */
export function queryLabel(query: { file?: string } | undefined): string {
  return query?.file ? `query:${query.file}` : 'query';
}

type ConfigInput = { api: string; report?: string; query?: unknown; parameters: Record<string, unknown>; targets?: Record<string, unknown>[]; targets_from?: { as: string } };

/** Exactly one of report and query; a query only with api: data, on one account, without parameters. */
function checkReportOrQuery(c: ConfigInput, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string, fix: string) => ctx.addIssue({ code: 'custom', path, message, params: { fix } });
  if (c.report === undefined && c.query === undefined) {
    issue(['report'], 'is missing', c.api === 'data' ? 'add `report: balance.summary` (a Data API report), or `query: { file: revenue.sql }`' : 'add `report: balance.summary.1`');
    return;
  }
  if (c.report !== undefined && c.query !== undefined) {
    issue(['query'], 'is given with report:', 'keep one: report: runs a report, query: runs SQL');
    return;
  }
  if (c.api === 'data' && c.report !== undefined && /\.\d+$/.test(c.report)) {
    issue(['report'], `Data API report names have no version suffix ({value})`, `write \`report: ${c.report.replace(/\.\d+$/, '')}\``);
  }
  if (c.query === undefined) return;
  if (c.api !== 'data') {
    issue(['query'], `queries need the Data API, not api: ${c.api}`, 'add `api: data`');
    return;
  }
  for (const name of Object.keys(c.parameters)) {
    issue(['parameters', name], `a query takes no report parameters (${name})`, 'remove it; write the value in the SQL, or use {{interval_start}}, {{interval_end}}, {{period}}');
  }
  for (const [i, t] of (c.targets ?? []).entries()) {
    if ('connected_account' in t || 'organization' in t) {
      issue(['targets', i], 'a query runs as one account, so it cannot take a connected_account or organization target', 'use account: targets (organization key) or none; filter connected accounts in the SQL');
    }
  }
  if (c.targets_from?.as === 'connected_account') {
    issue(['targets_from', 'as'], 'a query runs as one account, so it cannot take connected_account targets', 'use as: account, or filter connected accounts in the SQL');
  }
}

/**
 * The tie-out follows a rule Stripe documents for the report (src/summary/tie-out.ts): balance
 * change from activity and balance summary reports, each on one account's ledger.
 */
function checkReconcile(c: ConfigInput & { reconcile?: string }, ctx: z.RefinementCtx): void {
  if (!c.reconcile) return;
  const issue = (path: (string | number)[], message: string, fix: string) => ctx.addIssue({ code: 'custom', path, message, params: { fix } });
  if (c.query !== undefined || !/^(balance_change_from_activity|balance\.summary)(\.|$)/.test(c.report ?? '')) {
    issue(['reconcile'], `Stripe documents no tie-out to balance transactions for ${c.report ? `report ${c.report}` : 'a query'}`, 'remove reconcile, or use it with a balance_change_from_activity.* or balance.summary report');
    return;
  }
  for (const [i, t] of (c.targets ?? []).entries()) {
    if ('organization' in t) issue(['targets', i], 'an organization-wide report has no single ledger to tie out to', 'list the accounts (- account: acct_…), or remove reconcile');
  }
}

export type ReportConfig = z.infer<typeof ReportConfigSchema>;
export type TargetSpec = z.infer<typeof TargetSchema>;
export type PeriodUnit = z.infer<typeof PeriodUnitSchema>;
export type PeriodSpec = z.infer<typeof PeriodSchema>;
