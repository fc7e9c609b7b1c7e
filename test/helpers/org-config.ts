/** Configurations for many-account tests: an organization key in ORG_KEY, `account:` targets, fast polling. */
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';

/** Polling fast enough for tests whose runs take under a second at the emulator. */
export const fast = { initialMs: 200, maxMs: 500 };

/** `n` account targets `acct_<prefix>0` … */
export const accounts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ account: `acct_${prefix}${i}` }));

/** A sandbox balance summary under the key in ORG_KEY, with `fields` over it. */
export function config(id: string, fields: Record<string, unknown>): ReportConfig {
  return ReportConfigSchema.parse({ id, report: 'balance.summary.1', mode: 'sandbox', key_env: 'ORG_KEY', ...fields });
}
