/**
 * The job one firing gives one target: the configuration, the period and the target in the shape
 * that crosses Temporal. Pure (workflow code may use it). `reports run --dry-run` builds its
 * requests from it, and reportWorkflow gives it to each child.
 */
import { businessKey } from '../domain/business-key.js';
import type { Period } from '../domain/period.js';
import type { ReportJob } from '../domain/report-job.js';
import type { ReportTarget } from '../domain/target.js';
import { durationMs } from './durations.js';
import type { ReportConfig } from './schema.js';

export function jobFromConfig(config: ReportConfig, period: Period, target: ReportTarget): ReportJob {
  return {
    configId: config.id,
    api: config.api,
    report: config.report,
    mode: config.mode,
    keyEnv: config.key_env,
    period,
    target,
    parameters: config.parameters,
    compress: config.result.compress,
    extract: config.result.extract,
    businessKey: businessKey(config.id, period.name, target.id),
    waitForData: { deadlineMs: durationMs(config.wait_for_data.deadline), recheckMs: durationMs(config.wait_for_data.recheck) },
    permits: config.permits,
    archive: config.archive,
    // Only query configurations carry it: every other job is exactly what it was.
    ...(config.query ? { query: config.query } : {}),
  };
}
