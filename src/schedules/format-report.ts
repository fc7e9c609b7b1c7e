/** A sync's outcome as lines for people: one per schedule, the action first. */
import type { SyncReport } from './sync-report.js';

export function formatSyncReport(report: SyncReport): string {
  const lines = [
    ...report.created.map((id) => `created ${id}`),
    ...report.updated.map((id) => `updated ${id}`),
    ...report.deleted.map((id) => `deleted ${id}`),
    ...report.unchanged.map((id) => `unchanged ${id}`),
    ...report.skipped.map((s) => `skipped ${s.id} (${s.file})${s.reason ? `: ${s.reason}` : ''}`),
    ...report.failed.map((f) => `failed ${f.id}: ${f.error}`),
  ];
  const counts = (['created', 'updated', 'deleted', 'unchanged', 'skipped', 'failed'] as const)
    .map((k) => `${report[k].length} ${k}`)
    .join(', ');
  return [...lines, counts].join('\n');
}
