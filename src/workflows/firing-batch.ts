/**
 * firingBatchWorkflow: one batch of a firing's targets (at most a few hundred). It checks which of
 * them are archived already, runs one reportRunWorkflow per remaining target, saves the batch's
 * outcomes in the archive, and gives the firing only counts and the first failures. So no history
 * and no payload grows with the number of targets of the firing: the firing holds one child per
 * batch, a batch one child per target of its own.
 */
import { log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/index.js';
import type { FiringRef } from '../archive/firing-outcomes.js';
import type { ReportConfig } from '../config/schema.js';
import { businessKey } from '../domain/business-key.js';
import { countOutcomes, failedOf, FAILED_TARGETS_NAMED, type BatchResult } from '../domain/outcomes.js';
import type { Period } from '../domain/period.js';
import type { ReportTarget, TargetListRef } from '../domain/target.js';
import { FiringProgressTracker } from './firing-progress.js';
import { inWindow } from '../domain/in-window.js';
import { firingProgressQuery } from './messages.js';
import { runTarget } from './run-target.js';
import type { PollTiming } from './timing.js';

export interface FiringBatchInput {
  /** The configuration without its target list (this batch's targets are below). */
  config: ReportConfig;
  period: Period;
  firing: FiringRef;
  /** The batch's number in its firing, from 0. */
  batch: number;
  /** The batch's targets, or (for a list stored in the archive) where they are in it. */
  targets: ReportTarget[];
  targetSlice?: { list: TargetListRef; offset: number; count: number };
  force?: boolean;
  timing?: Partial<PollTiming>;
  /**
   * When the firing started this batch (its workflow time, ms): the rank of the batch's permit
   * requests. Batches the firing starts in one task share it and queue in batch order; the
   * batch's own start time would order them by when the server happened to create each.
   */
  startedAt?: number;
}

// As the firing's own check before batches existed: the archive may be down for minutes.
const { findArchivedTargets } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const { saveBatchOutcomes, readTargets } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function firingBatchWorkflow(input: FiringBatchInput): Promise<BatchResult> {
  const { config, period, targetSlice } = input;
  const progress = new FiringProgressTracker();
  setHandler(firingProgressQuery, () => progress.snapshot());
  const targets = targetSlice ? await readTargets(config.archive, targetSlice.list, targetSlice.offset, targetSlice.count) : input.targets;
  progress.plan(period.name, targets.length);
  const ext = config.result.compress ? 'zip' : 'csv';
  const archived = input.force ? {} : await findArchivedTargets(config.id, period.name, targets.map((t) => ({ id: t.id, ext })), config.archive);
  // Every target of the batch at once: the firing keeps only as many batches in flight as keep the
  // permit pool busy, and the pool decides who runs: this batch's targets after those of the
  // batches started before it (PermitRequest's rank), so the batch ends about one run after its
  // first permit. Without ranks, batches started together ran interleaved and ended together,
  // and the pool ran dry while the next ones started (N = 1,000 bench: no target waiting at 120 s).
  // Batches started together (in one task of the firing) queue one after the other, in batch order.
  const permitRank = (input.startedAt ?? workflowInfo().startTime.getTime()) + (input.batch % 1000) / 1000;
  const outcomes = await inWindow(
    targets,
    targets.length,
    progress.follow(
      (target) => businessKey(config.id, period.name, target.id),
      (target) => runTarget(config, period, target, { archived: archived[target.id], force: input.force, timing: input.timing, permitRank }),
    ),
  );
  await saveBatchOutcomes(config.archive, input.firing, input.batch, outcomes);
  const counts = countOutcomes(outcomes);
  log.info('batch finished', { configuration: config.id, period: period.name, batch: input.batch, ...counts });
  return { counts, failed: failedOf(outcomes).slice(0, FAILED_TARGETS_NAMED) };
}
