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
import { askTargets, readFiringProgress, summariseFiring, type FiringView, type TargetStage } from './firing-status.js';

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

  /** One query to the firing, then its targets in flight and those that just finished. */
  const look = async () => {
    const firing = await readFiringProgress(client, handle.workflowId);
    const now = new Set(firing.inFlight.map((t) => t.target));
    const left = inFlightBefore.filter((t) => !now.has(t.target));
    inFlightBefore = firing.inFlight;
    const [answers, ended] = await Promise.all([askTargets(client, firing.inFlight), askTargets(client, left)]);
    for (const a of [...answers, ...ended]) {
      if (a.progress) report({ target: a.target.target, stage: a.progress.stage, runId: a.progress.runId, detail: a.progress.detail });
    }
    onView?.(summariseFiring(firing, answers));
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
    if (firingAnswers) {
      await look().catch((err: Error) => {
        // Not yet started on a worker answers later; an old worker never will.
        if (/did not register a handler/.test(err.message)) firingAnswers = false;
      });
    } else await lookAtEveryTarget();
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}
