/**
 * A firing's per-target outcomes, kept in the archive rather than in workflow history: each
 * batch saves its part, and the firing joins them into `<config>/<period>/outcomes.json`.
 */
import { Context } from '@temporalio/activity';
import type { ArchiveFor } from '../archive/stores.js';
import { outcomesKey, saveBatchOutcomes, writeFiringOutcomes, type FiringRef } from '../archive/firing-outcomes.js';
import type { ArchiveSpec } from '../domain/report-job.js';
import type { OutcomeCounts, TargetOutcome } from '../domain/outcomes.js';
import { activityLog } from './log-context.js';
import { readTargetSlice } from '../archive/target-list.js';
import type { ReportTarget, TargetListRef } from '../domain/target.js';

export function createOutcomeActivities(archiveFor: ArchiveFor) {
  return {
    /** A slice of a list of targets stored in the archive (a batch's own targets). */
    async readTargets(spec: ArchiveSpec | undefined, list: TargetListRef, offset: number, count: number): Promise<ReportTarget[]> {
      return readTargetSlice(archiveFor(spec), list, offset, count);
    },

    async saveBatchOutcomes(spec: ArchiveSpec | undefined, firing: FiringRef, batch: number, outcomes: TargetOutcome[]): Promise<void> {
      await saveBatchOutcomes(archiveFor(spec), firing, batch, outcomes);
    },

    /** Joins the batches' parts; returns the outcome file's key and the counts it holds. */
    async writeFiringOutcomes(
      spec: ArchiveSpec | undefined,
      firing: FiringRef & { interval: { start: string; end: string } },
      batches: number,
    ): Promise<{ key: string; counts: OutcomeCounts }> {
      const { key, outcomes } = await writeFiringOutcomes(archiveFor(spec), firing, batches, (done) => Context.current().heartbeat({ batches: done }));
      activityLog().info('outcomes saved', { key, targets: outcomes.targets, ...outcomes.counts });
      return { key, counts: outcomes.counts };
    },

    /** A firing that ran its targets itself (started before batches): its outcomes in one part. */
    async saveFiringOutcomes(
      spec: ArchiveSpec | undefined,
      firing: FiringRef & { interval: { start: string; end: string } },
      outcomes: TargetOutcome[],
    ): Promise<string> {
      const store = archiveFor(spec);
      await saveBatchOutcomes(store, firing, 0, outcomes);
      await writeFiringOutcomes(store, firing, 1);
      return outcomesKey(firing.config, firing.period);
    },
  };
}
