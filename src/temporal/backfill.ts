/**
 * Backfills: one firing per period from --from to --to, a few at a time, each the same workflow a
 * manual run starts. Targets already archived are skipped by the workflow, so running a backfill
 * again creates no new ReportRun.
 */
import type { Client } from '@temporalio/client';
import type { Period } from '../domain/period.js';
import type { ReportConfig } from '../config/schema.js';
import { rootCauseMessage } from '../workflows/failure-message.js';
import type { PollTiming } from '../workflows/timing.js';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import { startReport, type StartOptions } from './start-report.js';

export type PeriodState = 'queued' | 'running' | 'done' | 'failed';

export interface BackfillProgress {
  period: string;
  state: PeriodState;
  /** Counts over all periods, after this change. */
  totals: Record<PeriodState, number>;
  result?: ReportWorkflowResult;
  error?: string;
}

export interface BackfillOptions extends Pick<StartOptions, 'archiveFor'> {
  taskQueue: string;
  force?: boolean;
  /** Firings in flight at once; the permit pool bounds ReportRuns separately. */
  concurrency?: number;
  timing?: Partial<PollTiming>;
  onProgress?: (p: BackfillProgress) => void;
}

export async function backfill(client: Client, config: ReportConfig, periods: Period[], options: BackfillOptions): Promise<BackfillProgress[]> {
  const states = new Map<string, PeriodState>(periods.map((p) => [p.name, 'queued']));
  const finals: BackfillProgress[] = [];
  const totals = () => {
    const t: Record<PeriodState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const s of states.values()) t[s]++;
    return t;
  };
  const set = (period: string, state: PeriodState, extra: Partial<BackfillProgress> = {}) => {
    states.set(period, state);
    const p = { period, state, totals: totals(), ...extra };
    options.onProgress?.(p);
    return p;
  };
  const queue = [...periods];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const period = next.name;
      set(period, 'running');
      try {
        const handle = await startReport(client, config, period, { taskQueue: options.taskQueue, force: options.force, timing: options.timing, archiveFor: options.archiveFor });
        finals.push(set(period, 'done', { result: await handle.result() }));
      } catch (err) {
        finals.push(set(period, 'failed', { error: rootCauseMessage(err) }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return periods.map((p) => finals.find((f) => f.period === p.name)!);
}
