/**
 * The fingerprint of what a schedule was built from. Equal fingerprints mean the schedule is
 * already right, so a sync makes no update call at all (and an operator's view of the schedule
 * does not churn with "updated" timestamps every time `reports sync` runs).
 */
import { createHash } from 'node:crypto';
import type { ReportConfig } from '../config/schema.js';

/**
 * Bump when the way a configuration becomes a schedule changes (spec mapping, policies, action
 * options): every schedule then differs from its fingerprint and the next sync rewrites it,
 * though no configuration file changed.
 */
export const SCHEDULE_FORMAT = 1;

/** JSON with object keys sorted at every depth, so key order in a YAML file never changes the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function configHash(config: ReportConfig, taskQueue: string): string {
  return createHash('sha256')
    .update(canonicalJson({ config, taskQueue, format: SCHEDULE_FORMAT }))
    .digest('hex');
}
