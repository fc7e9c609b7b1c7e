/**
 * schedules/schema.json, generated from the zod schema so the two never disagree. Editors read
 * it (`# yaml-language-server: $schema=./schema.json`) to complete and check configurations.
 * It describes what may be written, so defaulted fields are optional (`io: 'input'`); checks
 * zod does in code (timezone names, cron, impossible dates, secrets) stay with `reports validate`.
 */
import { z } from 'zod';
import { ReportConfigSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ReportConfigSchema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  // The loader takes the id from the file name when `id:` is absent.
  const required = (schema.required as string[] | undefined)?.filter((f) => f !== 'id');
  return {
    $schema: schema.$schema,
    title: 'Stripe report configuration',
    description:
      'One recurring Stripe financial report, run on Temporal (schedules/*.yaml). Secrets never go here: ' +
      'name the environment variable holding the key with key_env. Check with `npx reports validate`.',
    ...schema,
    required,
    // Exactly one of report and query (zod checks it in code; editors get the same rule).
    oneOf: [{ required: ['report'] }, { required: ['query'] }],
  };
}

/** The file's text: stable key order and a final newline, so regenerating changes nothing. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
