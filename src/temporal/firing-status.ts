/**
 * Where a running firing's targets are: one `firingProgress` query to the reportWorkflow (pending,
 * finished, and which are in flight), then the `progress` query of each target in flight (at most
 * the fan-out window, asked a few at a time and only up to a bound). For `reports status`,
 * `reports run --wait` and backfills.
 */
import type { Client } from '@temporalio/client';
import type { FiringProgress, RunProgress, RunStage, TargetInFlight } from '../domain/progress.js';
import { firingProgressQuery, progressQuery } from '../workflows/messages.js';
import { inWindow } from '../domain/in-window.js';
import { queryWithin } from './query.js';

/** A target's stage as the CLI shows it: the run's own, or what only the firing knows. */
export type TargetStage = RunStage | 'pending' | 'skipped' | 'in_flight';

/** Display order: the way a target goes. `in_flight`: in flight, its run not asked or not answering. */
export const STAGE_ORDER: readonly TargetStage[] = [
  'pending',
  'validating',
  'waiting_for_data',
  'waiting_for_permit',
  'creating',
  'running',
  'downloading',
  'archiving',
  'in_flight',
  'archived',
  'skipped',
  'failed',
];

/** Stages where a target waits on something outside it: Stripe's data, or a permit. */
export const WAITING_STAGES: readonly TargetStage[] = ['waiting_for_data', 'waiting_for_permit'];

export interface TargetAnswer {
  target: TargetInFlight;
  /** Undefined: not asked (past the bound) or no answer. */
  progress?: RunProgress;
  asked: boolean;
}

export interface FiringView {
  firing: FiringProgress;
  /** Targets per stage, every target counted once. */
  counts: Partial<Record<TargetStage, number>>;
  /** The target waiting longest in a waiting stage (by when it entered it). */
  oldestWaiting?: { target: string; stage: RunStage; since: number };
  /** In flight but not asked (the bound), and asked but unanswered. */
  notAsked: number;
  unanswered: number;
  answers: TargetAnswer[];
}

export interface AskOptions {
  /** Queries in flight at once. */
  concurrency?: number;
  /** Runs asked at most per firing; the rest count as `in_flight`. */
  maxTargets?: number;
  answerWithinMs?: number;
}

/**
 * A firing's progress. A firing in batches knows only its batches in flight: each is asked for its
 * own targets and the answers are added up, so callers see one firing whatever its size. A batch
 * that does not answer (just finished, or its worker is gone) counts its targets as pending.
 */
export async function readFiringProgress(client: Client, workflowId: string, answerWithinMs = 3000): Promise<FiringProgress> {
  const firing = await queryWithin(client, workflowId, firingProgressQuery, answerWithinMs);
  if (!firing.batches?.length) return firing;
  const batches = await inWindow(firing.batches, 8, async (b) => ({ b, progress: await queryWithin(client, b.workflowId, firingProgressQuery, answerWithinMs).catch(() => undefined) }));
  return batches.reduce<FiringProgress>(
    (sum, { b, progress }) =>
      progress
        ? {
            ...sum,
            pending: sum.pending + progress.pending,
            inFlight: [...sum.inFlight, ...progress.inFlight],
            archived: sum.archived + progress.archived,
            skipped: sum.skipped + progress.skipped,
            failed: sum.failed + progress.failed,
          }
        : { ...sum, pending: sum.pending + b.targets },
    { ...firing, batches: undefined },
  );
}

/** The progress of the targets in flight, the longest in flight first, up to `maxTargets`. */
export async function askTargets(client: Client, inFlight: TargetInFlight[], o: AskOptions = {}): Promise<TargetAnswer[]> {
  const { concurrency = 16, maxTargets = 1000, answerWithinMs = 3000 } = o;
  const ordered = [...inFlight].sort((a, b) => a.startedAt - b.startedAt);
  const answered = await inWindow(ordered.slice(0, maxTargets), concurrency, async (target) => {
    // Finished between the two queries, or its worker is gone: counted as in flight.
    const progress = await queryWithin(client, target.workflowId, progressQuery, answerWithinMs).catch(() => undefined);
    return { target, progress, asked: true };
  });
  return [...answered, ...ordered.slice(maxTargets).map((target) => ({ target, asked: false }))];
}

/** The firing and its targets in flight, summed up. Pure. */
export function summariseFiring(firing: FiringProgress, answers: TargetAnswer[]): FiringView {
  const counts: Partial<Record<TargetStage, number>> = {};
  const add = (stage: TargetStage, n = 1) => {
    if (n > 0) counts[stage] = (counts[stage] ?? 0) + n;
  };
  add('pending', firing.pending);
  add('archived', firing.archived);
  add('skipped', firing.skipped);
  add('failed', firing.failed);
  let oldestWaiting: FiringView['oldestWaiting'];
  for (const a of answers) {
    const p = a.progress;
    add(p?.stage ?? 'in_flight');
    if (p && p.since !== undefined && WAITING_STAGES.includes(p.stage) && (!oldestWaiting || p.since < oldestWaiting.since)) {
      oldestWaiting = { target: a.target.target, stage: p.stage, since: p.since };
    }
  }
  return {
    firing,
    counts,
    oldestWaiting,
    notAsked: answers.filter((a) => !a.asked).length,
    unanswered: answers.filter((a) => a.asked && !a.progress).length,
    answers,
  };
}

export async function readFiring(client: Client, workflowId: string, o: AskOptions = {}): Promise<FiringView> {
  const firing = await readFiringProgress(client, workflowId, o.answerWithinMs);
  return summariseFiring(firing, await askTargets(client, firing.inFlight, o));
}
