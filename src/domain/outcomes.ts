/** What a firing learns about each target, and what it returns: references and hashes, never contents. */
import type { NotificationResult, SummaryDigest } from './summary.js';

export interface ArchivedFile {
  /** Where the file is, as the archive backend names it (a path for the filesystem). */
  location: string;
  manifestLocation: string;
  size: number;
  sha256: string;
  contentType: 'csv' | 'zip';
  /** The CSV extracted from this ZIP and archived beside it (`result.extract`). */
  extracted?: ArchivedFile;
}

export type TargetOutcome =
  | { target: string; status: 'archived'; runId: string; file: ArchivedFile }
  | { target: string; status: 'skipped'; reason: string }
  | { target: string; status: 'failed'; reason: string; runId?: string };

export interface ReportWorkflowResult {
  config: string;
  period: string;
  interval: { start: string; end: string };
  /** Every target's outcome: only in results of firings started by 0.2.0 (now in the outcome file). */
  outcomes?: TargetOutcome[];
  /** How many targets the firing had. */
  targets?: number;
  counts?: OutcomeCounts;
  /** The first failed targets with their reasons (at most FAILED_TARGETS_NAMED). */
  failed?: FailedTarget[];
  /** The archive key of the outcome file with every target (`<config>/<period>/outcomes.json`). */
  outcomesFile?: string;
  /** The finance summary stored beside the files (its key and headline figures). */
  summary?: SummaryDigest;
  /** Why there is no summary, when it could not be computed (the files are archived all the same). */
  summaryError?: string;
  /** One per destination the configuration names, when its `on` wanted a message. */
  notifications?: NotificationResult[];
}

/** Targets of a firing by how they ended. */
export interface OutcomeCounts {
  archived: number;
  skipped: number;
  failed: number;
}

/** A failed target as the firing's result names it (the first few; all of them are in the outcome file). */
export interface FailedTarget {
  target: string;
  reason: string;
}

/** How many failed targets a firing's result names; the outcome file has every one. */
export const FAILED_TARGETS_NAMED = 20;

/**
 * The outcome file beside the period's files and summary (`<config>/<period>/outcomes.json`):
 * every target of the latest firing, one line each. Firings of any size keep per-target outcomes
 * here, never in workflow history.
 */
export interface FiringOutcomes {
  outcomes_version: 1;
  config: string;
  period: string;
  interval: { start: string; end: string };
  /** The firing's workflow id (the Temporal UI finds it). */
  firing: string;
  written_at: string;
  targets: number;
  counts: OutcomeCounts;
  outcomes: TargetOutcome[];
}

/** What one batch of a firing returns to it: counts and the first failures; its outcomes are in the archive. */
export interface BatchResult {
  counts: OutcomeCounts;
  failed: FailedTarget[];
}

export function countOutcomes(outcomes: readonly TargetOutcome[]): OutcomeCounts {
  const counts: OutcomeCounts = { archived: 0, skipped: 0, failed: 0 };
  for (const o of outcomes) counts[o.status]++;
  return counts;
}

export function addCounts(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  return { archived: a.archived + b.archived, skipped: a.skipped + b.skipped, failed: a.failed + b.failed };
}

export function failedOf(outcomes: readonly TargetOutcome[]): FailedTarget[] {
  return outcomes.flatMap((o) => (o.status === 'failed' ? [{ target: o.target, reason: o.reason }] : []));
}

/** A firing's counts, from a result of any version (firings of 0.2.0 carry every outcome instead). */
export function resultCounts(result: Pick<ReportWorkflowResult, 'counts' | 'outcomes'>): OutcomeCounts {
  return result.counts ?? countOutcomes(result.outcomes ?? []);
}

/** The failed targets a result names: all of them for 0.2.0 firings, the first few since. */
export function resultFailed(result: Pick<ReportWorkflowResult, 'failed' | 'outcomes'>): FailedTarget[] {
  return result.failed ?? failedOf(result.outcomes ?? []);
}
