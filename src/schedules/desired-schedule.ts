/**
 * What one configuration becomes: the Schedule that `reports sync` creates, or rewrites when the
 * configuration changes.
 */
import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { ReportConfig } from '../config/schema.js';
import { ReportConfigAttribute } from '../workflows/search-attributes.js';
import { configHash } from './config-hash.js';
import { MANAGED_BY, type ActionMemo, type ScheduleMemo } from './managed-memo.js';
import { scheduleIdFor, scheduledWorkflowIdFor } from './schedule-id.js';
import { scheduleSpecFor } from './schedule-spec.js';

/**
 * A server down over the 1st still takes the missed firing when it comes back within this
 * window, with its original scheduled time, so the workflow reports the right period. Past a
 * week an operator should decide (`reports backfill`), rather than a surprise burst of runs.
 */
export const CATCHUP_WINDOW = '7d';

/**
 * ALLOW_ALL: every firing reports on its own period, and runs of different periods never share a
 * workflow id (Temporal appends the scheduled time; children use report/<config>/<period>/<target>).
 * SKIP or BUFFER_ONE would drop a period whenever one run outlives the interval (a daily report
 * waiting up to 72 h for Stripe's data, or several firings caught up after an outage), which is
 * the lost month this project exists to prevent; BUFFER_ALL would let one stuck run hold back
 * every later period. Load on Stripe is bounded by its own cap, not by serialising firings.
 */
export const OVERLAP_POLICY = ScheduleOverlapPolicy.ALLOW_ALL;

export const PAUSED_BY_CONFIGURATION = 'paused by configuration';

export interface DesiredSchedule {
  scheduleId: string;
  configId: string;
  file: string;
  hash: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<Workflow>;
  policies: NonNullable<ScheduleOptions['policies']>;
  memo: ScheduleMemo;
  paused: boolean;
}

/** undefined: the configuration has no cron or calendar, so it runs on demand only. */
export function desiredSchedule(config: ReportConfig, file: string, taskQueue: string, scope: string): DesiredSchedule | undefined {
  const spec = scheduleSpecFor(config);
  if (!spec) return undefined;
  const hash = configHash(config, taskQueue);
  const actionMemo: ActionMemo = { configHash: hash, file };
  return {
    scheduleId: scheduleIdFor(config.id),
    configId: config.id,
    file,
    hash,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'reportWorkflow',
      // The configuration travels in the arguments: the schedule is self-contained, shows its
      // configuration in the UI, and a firing never depends on files on the worker's disk.
      args: [{ config }],
      workflowId: scheduledWorkflowIdFor(config.id),
      taskQueue,
      memo: { ...actionMemo },
      typedSearchAttributes: [{ key: ReportConfigAttribute, value: config.id }],
    },
    policies: {
      overlap: OVERLAP_POLICY,
      catchupWindow: CATCHUP_WINDOW,
      // A failed month must not silently stop next month's close: failures are reported per run.
      pauseOnFailure: false,
    },
    memo: { managedBy: MANAGED_BY, scope, configHash: hash, file },
    paused: config.paused,
  };
}
