/**
 * The report configuration: one YAML file in schedules/ per recurring report. This zod schema
 * is the single source of the TypeScript types. Secrets never live here: a configuration names
 * the environment variable that holds the key (`key_env`), never the key.
 */
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, "-" and "_" (at most 63 characters)');

const accountId = z.string().regex(/^acct_[A-Za-z0-9]+$/, 'an account id looks like acct_1A2b3C');

export const TargetSchema = z.union([
  z.object({ account: accountId }).strict(),
  z.object({ connected_account: accountId, platform: accountId.optional() }).strict(),
  z.object({ organization: z.enum(['concatenated', 'aggregated']) }).strict(),
]);

export const PeriodUnitSchema = z.enum(['day', 'week', 'month', 'quarter', 'year']);

export const ReportConfigSchema = z
  .object({
    id,
    description: z.string().optional(),
    /** v2: Reports API (`/v2/reporting`); v1: Reporting API (`/v1/reporting`). */
    api: z.enum(['v2', 'v1']).default('v2'),
    /** A v2 Report template id or a v1 report_type. */
    report: z.string().min(1),
    mode: z.enum(['live', 'sandbox']),
    /** The environment variable holding the secret key for this configuration. */
    key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. STRIPE_SECRET_KEY')
      .default('STRIPE_SECRET_KEY'),
    schedule: z
      .object({
        cron: z.string().optional(),
        timezone: z.string().default('UTC'),
      })
      .strict()
      .default({ timezone: 'UTC' }),
    /** Each firing reports on the previous complete period of this length, in the schedule's timezone. */
    period: PeriodUnitSchema.default('month'),
    /** Report parameters besides the interval, which comes from the period. */
    parameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
    targets: z.array(TargetSchema).optional(),
    result: z.object({ compress: z.boolean().default(false) }).strict().default({ compress: false }),
    paused: z.boolean().default(false),
  })
  .strict();

export type ReportConfig = z.infer<typeof ReportConfigSchema>;
export type TargetSpec = z.infer<typeof TargetSchema>;
export type PeriodUnit = z.infer<typeof PeriodUnitSchema>;
