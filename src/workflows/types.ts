/** The firing's input. Shared types of jobs and outcomes live in src/domain/. */
import type { ReportConfig } from '../config/schema.js';
import type { FailedTarget, OutcomeCounts } from '../domain/outcomes.js';
import type { TargetListRef } from '../domain/target.js';
import type { PollTiming } from './timing.js';

export interface ReportWorkflowInput {
  config: ReportConfig;
  /** A named period (`2025-10`); omitted = the period before the scheduled (or start) time. */
  period?: string;
  /** Run targets again even when their file is already archived. */
  force?: boolean;
  /** Test and demo knobs for how often to check; production uses the defaults. */
  timing?: Partial<PollTiming>;
  /** Test knobs for the batches (production sizes them from the permit pool's capacity). */
  fanOut?: { batchSize?: number; batchesPerRun?: number };
  /** The configuration's targets when too many to travel here (then `config` has none): stored in its archive. */
  targetList?: TargetListRef;
  /** Set by the firing itself when it continues as new: where its previous runs left off. */
  carried?: FiringCarried;
}

/** What a firing in batches carries into its next run: never per-target outcomes. */
export interface FiringCarried {
  /** The run that started the firing: the batches' outcome parts are filed under it. */
  runId: string;
  nextBatch: number;
  counts: OutcomeCounts;
  failed: FailedTarget[];
}
