/**
 * Watches a firing while it runs: asks each target's reportRunWorkflow for its progress and
 * reports every change (waiting for data, running, downloading, archived, failed), for
 * `reports run --wait` and backfills.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/messages.js';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import type { RunProgress } from '../domain/progress.js';

export type TargetStage = RunProgress['stage'] | 'pending';

export interface TargetProgress {
  target: string;
  stage: TargetStage;
  runId?: string;
  detail?: string;
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
  onChange: (p: TargetProgress) => void,
  intervalMs = 1000,
): Promise<ReportWorkflowResult> {
  const last = new Map<string, string>();
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  }) as Promise<ReportWorkflowResult>;
  while (!done) {
    await Promise.all(
      targets.map(async (t) => {
        const p = await childProgress(client, t.workflowId);
        const current: TargetProgress = { target: t.id, stage: p?.stage ?? 'pending', runId: p?.runId, detail: p?.detail };
        const key = `${current.stage}|${current.runId ?? ''}|${current.detail ?? ''}`;
        if (last.get(t.id) !== key && !(current.stage === 'pending' && !last.has(t.id) && done)) {
          last.set(t.id, key);
          onChange(current);
        }
      }),
    );
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}
