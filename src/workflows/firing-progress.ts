/**
 * The firing's side of `reports status`: which targets are pending, in flight (and since when) or
 * finished, answered by the `firingProgress` query without asking any child. Deterministic.
 */
import type { FiringProgress, TargetInFlight } from '../domain/progress.js';
import type { OutcomeCounts, TargetOutcome } from '../domain/outcomes.js';

export class FiringProgressTracker {
  private period?: string;
  private targets = 0;
  private started = 0;
  private readonly inFlight = new Map<string, TargetInFlight>();
  private readonly finished = { archived: 0, skipped: 0, failed: 0 };
  /** A firing in batches: the batches in flight (workflow id → its targets); each knows its own targets. */
  private readonly batches = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** The period is settled and these many targets will run (or be skipped). */
  plan(period: string, targets: number): void {
    this.period = period;
    this.targets = targets;
  }

  /** Wraps the per-target step: in flight from its start until its outcome. */
  follow<T extends { id: string }>(workflowIdOf: (target: T) => string, step: (target: T) => Promise<TargetOutcome>): (target: T) => Promise<TargetOutcome> {
    return async (target) => {
      this.started++;
      this.inFlight.set(target.id, { target: target.id, workflowId: workflowIdOf(target), startedAt: this.now() });
      const outcome = await step(target);
      this.inFlight.delete(target.id);
      this.finished[outcome.status]++;
      return outcome;
    };
  }

  /** A firing that continued as new: where the previous runs left off. */
  resume(started: number, finished: OutcomeCounts): void {
    this.started = started;
    Object.assign(this.finished, finished);
  }

  batchStarted(workflowId: string, targets: number): void {
    this.started += targets;
    this.batches.set(workflowId, targets);
  }

  batchFinished(workflowId: string, counts: OutcomeCounts): void {
    this.batches.delete(workflowId);
    this.finished.archived += counts.archived;
    this.finished.skipped += counts.skipped;
    this.finished.failed += counts.failed;
  }

  snapshot(): FiringProgress {
    const done = this.finished.archived + this.finished.skipped + this.finished.failed;
    return {
      phase: this.period === undefined ? 'starting' : done === this.targets ? 'finishing' : 'running',
      period: this.period,
      targets: this.targets,
      pending: this.targets - this.started,
      inFlight: [...this.inFlight.values()],
      ...this.finished,
      ...(this.batches.size > 0 ? { batches: [...this.batches].map(([workflowId, targets]) => ({ workflowId, targets })) } : {}),
    };
  }
}
