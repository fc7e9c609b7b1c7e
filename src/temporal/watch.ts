/**
 * Watches a firing while it runs, for `reports run --wait`: each second one `firingProgress`
 * query to the firing, then the `progress` query of its targets in flight (and of those that just
 * left flight, for how they ended), reporting every change of a target and the firing's summary.
 * A firing of a worker older than the `firingProgress` query is watched by asking every target.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/messages.js';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import type { RunProgress, TargetInFlight } from '../domain/progress.js';
import { askTargets, readFiringProgress, summariseFiring, type FiringView, type TargetAnswer, type TargetStage } from './firing-status.js';

export interface TargetProgress {
  target: string;
  stage: TargetStage;
  runId?: string;
  detail?: string;
}

export interface WatchOptions {
  onChange: (p: TargetProgress) => void;
  /** The firing as a whole, after each look. */
  onView?: (view: FiringView) => void;
  intervalMs?: number;
}

async function childProgress(client: Client, workflowId: string): Promise<RunProgress | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).query(progressQuery);
  } catch {
    // Not started yet, or finished and its worker moved on: the parent's result tells the end.
    return undefined;
  }
}

export async function watchFiring(
  client: Client,
  handle: WorkflowHandle,
  targets: { id: string; workflowId: string }[],
  options: WatchOptions,
): Promise<ReportWorkflowResult> {
  const { onChange, onView, intervalMs = 1000 } = options;
  const last = new Map<string, string>();
  const report = (current: TargetProgress) => {
    const key = `${current.stage}|${current.runId ?? ''}|${current.detail ?? ''}`;
    if (last.get(current.target) === key) return;
    last.set(current.target, key);
    onChange(current);
  };
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  }) as Promise<ReportWorkflowResult>;
  let inFlightBefore: TargetInFlight[] = [];
  let firingAnswers = true;

  /**
   * The firing and the targets it had in flight, at once; then the targets new in flight, and
   * those that left it before saying how they ended.
   */
  const look = async () => {
    const [firing, known] = await Promise.all([readFiringProgress(client, handle.workflowId), askTargets(client, inFlightBefore)]);
    const inFlight = new Set(firing.inFlight.map((t) => t.target));
    const before = new Set(inFlightBefore.map((t) => t.target));
    inFlightBefore = firing.inFlight;
    const unfinished = (a: TargetAnswer) => !inFlight.has(a.target.target) && a.progress?.stage !== 'archived' && a.progress?.stage !== 'failed';
    const [fresh, ended] = await Promise.all([
      askTargets(client, firing.inFlight.filter((t) => !before.has(t.target))),
      askTargets(client, known.filter(unfinished).map((a) => a.target)),
    ]);
    for (const a of [...known, ...fresh, ...ended]) {
      if (a.progress) report({ target: a.target.target, stage: a.progress.stage, runId: a.progress.runId, detail: a.progress.detail });
    }
    onView?.(summariseFiring(firing, [...known.filter((a) => inFlight.has(a.target.target)), ...fresh]));
  };

  /** Before `firingProgress` existed: ask every target. */
  const lookAtEveryTarget = () =>
    Promise.all(
      targets.map(async (t) => {
        const p = await childProgress(client, t.workflowId);
        const current: TargetProgress = { target: t.id, stage: p?.stage ?? 'pending', runId: p?.runId, detail: p?.detail };
        if (!(current.stage === 'pending' && !last.has(t.id) && done)) report(current);
      }),
    );

  while (!done) {
    const lookedAt = Date.now();
    if (firingAnswers) {
      await look().catch((err: Error) => {
        // Not yet started on a worker answers later; an old worker never will.
        if (/did not register a handler/.test(err.message)) firingAnswers = false;
      });
    } else await lookAtEveryTarget();
    // A look that took long (a busy worker answers slowly) does not also wait the whole interval.
    const wait = Math.max(0, intervalMs - (Date.now() - lookedAt));
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, wait))]);
  }
  return result;
}
