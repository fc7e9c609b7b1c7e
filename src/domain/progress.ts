/** Where a reportRunWorkflow is, for queries, `reports run --wait`, `reports status` and the UI. */
export type RunStage =
  | 'validating'
  | 'waiting_for_data'
  | 'waiting_for_permit'
  | 'creating'
  | 'running'
  | 'downloading'
  | 'archiving'
  | 'archived'
  | 'failed';

export interface RunProgress {
  stage: RunStage;
  /** When the run entered `stage` (ms, workflow time); absent from runs of 0.1.0. */
  since?: number;
  runId?: string;
  polls: number;
  detail?: string;
}

/**
 * A run's progress whose `since` follows `stage` by itself: every assignment of a new stage
 * restamps it, so no stage change can forget to. In a workflow `now` is the workflow's clock.
 */
export function progressSince(stage: RunStage, now: () => number = () => Date.now()): RunProgress {
  let current = stage;
  let since = now();
  return {
    polls: 0,
    get stage() {
      return current;
    },
    set stage(next: RunStage) {
      if (next === current) return;
      current = next;
      since = now();
    },
    // Enumerable getters: the query's JSON carries both.
    get since() {
      return since;
    },
  };
}

/** A target the firing has started and not yet heard back from. */
export interface TargetInFlight {
  target: string;
  /** The child reportRunWorkflow (the business key). */
  workflowId: string;
  /** When the firing started it (ms, workflow time). */
  startedAt: number;
}

/**
 * What a running reportWorkflow knows about its targets, in one query: counts for the targets
 * not started and finished, and the ones in flight (at most the fan-out window), whose stage only
 * their own reportRunWorkflow knows.
 */
export interface FiringProgress {
  /** `starting`: settling the period and looking for archived targets; `finishing`: every target done. */
  phase: 'starting' | 'running' | 'finishing';
  period?: string;
  targets: number;
  /** Not started yet: waiting for a place in the fan-out window. */
  pending: number;
  inFlight: TargetInFlight[];
  archived: number;
  skipped: number;
  failed: number;
  /**
   * A firing in batches: the batches in flight. Their targets count as started here and are
   * pending, in flight or finished in each batch's own `firingProgress` (the CLI adds them up).
   */
  batches?: Array<{ workflowId: string; targets: number }>;
}
