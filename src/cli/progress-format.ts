/** How progress reads in a terminal or a log: stages, durations, times, counts. Pure. */
import type { TargetStage, FiringView } from '../temporal/firing-status.js';
import { STAGE_ORDER } from '../temporal/firing-status.js';

export function stageLabel(stage: TargetStage): string {
  return stage.replaceAll('_', ' ');
}

/** `45s`, `3m 10s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** `06:00:03` (UTC), the time column of progress lines. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `2025-11-02 06:00:03 UTC`. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `pending 3, waiting for permit 1, running 1`: the stages that have targets, in the order targets go. */
export function stageCounts(counts: Partial<Record<TargetStage, number>>): string {
  return STAGE_ORDER.filter((s) => counts[s]).map((s) => `${stageLabel(s)} ${counts[s]}`).join(', ') || 'no targets';
}

/** One line for a firing's whole state: `5 targets: pending 3, waiting for permit 1, running 1`. */
export function firingSummary(view: FiringView): string {
  const f = view.firing;
  if (f.phase === 'starting') return 'starting (settling the period)';
  return `${targetsWord(f.targets)}: ${stageCounts(view.counts)}`;
}

/** `oldest waiting: acct_2, waiting for permit since 2025-11-02 06:00:03 UTC (3m 10s)`. */
export function oldestWaitingLine(view: FiringView, now: number): string | undefined {
  const w = view.oldestWaiting;
  if (!w) return undefined;
  return `oldest waiting: ${w.target}, ${stageLabel(w.stage)} since ${formatUtc(w.since)} (${formatDuration(now - w.since)})`;
}

const targetsWord = (n: number) => `${n} target${n === 1 ? '' : 's'}`;

/** `reports status`: a running firing's stages, its oldest waiting target, and what was not asked. */
export function firingStatusLines(workflowId: string, view: FiringView, now: number): string[] {
  const lines = [`${workflowId}  ${firingSummary(view)}`];
  const oldest = oldestWaitingLine(view, now);
  if (oldest) lines.push(`  ${oldest}`);
  if (view.notAsked > 0) lines.push(`  ${targetsWord(view.notAsked)} in flight not asked for their stage (the longest in flight are)`);
  if (view.unanswered > 0) lines.push(`  ${targetsWord(view.unanswered)} in flight did not answer (finishing, or no worker)`);
  return lines;
}

/** `reports run --wait`: one target's change, `06:00:03  acct_2  running reprun_… — detail`. */
export function targetChangeLine(at: number, p: { target: string; stage: TargetStage; runId?: string; detail?: string }): string {
  return `${clockTime(at)}  ${p.target.padEnd(28)} ${stageLabel(p.stage)}${p.runId ? ` ${p.runId}` : ''}${p.detail ? ` — ${p.detail}` : ''}`;
}
