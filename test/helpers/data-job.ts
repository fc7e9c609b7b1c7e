/** A Data API job for unit tests: period 2026-10, the key's own account; `extra` overrides any field. */
import type { ReportJob } from '../../src/domain/report-job.js';

export const period = { name: '2026-10', unit: 'month' as const, timezone: 'UTC', start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' };

export function dataJob(extra: Partial<ReportJob> = {}): ReportJob {
  return {
    configId: 'cfg',
    api: 'data',
    report: 'balance.summary',
    mode: 'sandbox',
    keyEnv: 'STRIPE_SECRET_KEY',
    period,
    target: { id: 'self', kind: 'self' },
    parameters: {},
    compress: false,
    extract: false,
    businessKey: 'report/cfg/2026-10/self',
    archive: { backend: 'filesystem' },
    permits: {},
    waitForData: { deadlineMs: 1, recheckMs: 1 },
    ...extra,
  };
}
