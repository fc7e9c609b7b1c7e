/**
 * The promises the chaos run checks, each on its own, from the evidence gathered outside the
 * system (evidence.ts). Each names the first target-run (or thing) that broke it.
 */
import type { ReportWorkflowResult, TargetOutcome } from '../../src/domain/outcomes.js';
import type { TargetRun } from './configurations.js';
import type { ArchiveListing, EmulatorRun, SecretFinding, StoredFile, WorkflowListing } from './evidence.js';

export interface Invariant {
  name: string;
  ok: boolean;
  /** What was measured, in a few words. */
  detail: string;
  /** The first target-run or thing that broke it. */
  first?: string;
}

/** A firing's result with every target's outcome (from its outcome file in the archive; 0.2.0's results carried them). */
export type FiringResult = ReportWorkflowResult & { outcomes: TargetOutcome[] };

export interface Evidence {
  expected: TargetRun[];
  /** Each firing's result: the first firing of every (configuration, period). */
  firings: Map<string, FiringResult | Error>;
  /** The forced firing's result (`reports run --force`), keyed the same way. */
  forced: Map<string, FiringResult | Error>;
  runs: EmulatorRun[];
  /** sha256 of each succeeded run's file, from the emulator. */
  sha256: Map<string, string>;
  archive: ArchiveListing;
  verify: { config: string; code: number; output: string }[];
  workflows: WorkflowListing;
  peakRunning: number;
  cap: number;
  secrets: SecretFinding[];
  /** Workflow tasks failed for nondeterminism, from every history. */
  nondeterminism: string[];
}

export interface Tally {
  runs: number;
  archived: number;
  failed: number;
  lost: number;
  duplicateArchives: number;
  duplicateRuns: number;
  leakedPermits: number;
  leftovers: number;
  secretsFound: number;
}

/** The business key a ReportRun was created for: from its Idempotency-Key, else from what it reports on. */
export function runsByKey(runs: EmulatorRun[], expected: TargetRun[]): { byKey: Map<string, EmulatorRun[]>; stray: EmulatorRun[] } {
  const keys = new Set(expected.map((t) => t.key));
  const bySignature = new Map<string, string>();
  for (const t of expected) {
    const start = Date.parse(`${t.period}-01T00:00:00Z`);
    bySignature.set([t.config.api, t.config.report, t.context ?? '', t.connectedAccount ?? '', start].join('|'), t.key);
  }
  const byKey = new Map<string, EmulatorRun[]>();
  const stray: EmulatorRun[] = [];
  for (const run of runs) {
    // `report/<config>/<period>/<target>/…`: the business key is its first four parts.
    const fromIdempotency = run.idempotencyKey?.split('/').slice(0, 4).join('/');
    const key =
      fromIdempotency && keys.has(fromIdempotency)
        ? fromIdempotency
        : bySignature.get([run.api, run.report, run.context ?? '', run.connectedAccount ?? '', Date.parse(run.intervalStart)].join('|'));
    if (!key) stray.push(run);
    else byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  return { byKey, stray };
}

/** `<config>/<period>/<target>.<ext>` and its later versions `<target>.vN.<ext>`. */
function filesOf(t: TargetRun, files: StoredFile[]): StoredFile[] {
  const ext = t.archiveKey.slice(t.archiveKey.lastIndexOf('.'));
  const base = t.archiveKey.slice(0, -ext.length);
  const backend = t.config.backend;
  return files.filter((f) => f.backend === backend && (f.key === t.archiveKey || (f.key.startsWith(`${base}.v`) && f.key.endsWith(ext) && /^\d+$/.test(f.key.slice(base.length + 2, -ext.length)))));
}

function outcomeOf(result: FiringResult | Error | undefined, target: string): TargetOutcome | undefined {
  return result && !(result instanceof Error) ? result.outcomes.find((o) => o.target === target) : undefined;
}

/** A failure reason that names one of this target's ReportRuns that Stripe failed, with Stripe's reason (v2's code, v1's message). */
function stripeFailed(reason: string, runs: EmulatorRun[]): boolean {
  return runs.some((r) => r.status === 'failed' && r.failure && reason.includes(r.id) && reason.includes(r.api === 'v1' ? r.failure.message : r.failure.code));
}

export function checkInvariants(e: Evidence): { invariants: Invariant[]; tally: Tally } {
  const { byKey, stray } = runsByKey(e.runs, e.expected);
  const invariants: Invariant[] = [];
  const broken = (name: string, detail: string, firsts: string[]) => invariants.push({ name, ok: firsts.length === 0, detail, first: firsts[0] });
  const firingKey = (t: TargetRun) => `${t.config.id}/${t.period}`;

  // 1. Archived exactly once, or failed by name with Stripe's reason; and only those Stripe failed.
  let archived = 0;
  let failed = 0;
  const lost: string[] = [];
  const duplicates: string[] = [];
  const wronglyFailed: string[] = [];
  const unexplained: string[] = [];
  for (const t of e.expected) {
    const files = filesOf(t, e.archive.files);
    const runs = byKey.get(t.key) ?? [];
    if (files.length > 1) duplicates.push(`${t.key} (${files.map((f) => f.key).join(', ')})`);
    const results = [e.firings.get(firingKey(t)), ...(t.config.forced ? [e.forced.get(firingKey(t))] : [])];
    for (const [i, result] of results.entries()) {
      const outcome = outcomeOf(result, t.target);
      const which = i === 0 ? 'the firing' : 'the forced firing';
      if (!outcome) {
        unexplained.push(`${t.key}: no outcome in ${which}${result instanceof Error ? ` (${result.message})` : ''}`);
        continue;
      }
      if (outcome.status === 'failed') {
        // Failed by name: only a ReportRun Stripe failed may explain it.
        if (!stripeFailed(outcome.reason, runs)) wronglyFailed.push(`${t.key}: ${which} says "${outcome.reason}"`);
      } else if (files.length === 0) unexplained.push(`${t.key}: ${which} says ${outcome.status} but nothing is archived`);
    }
    const first = outcomeOf(results[0], t.target);
    if (files.length >= 1) archived++;
    else if (first?.status === 'failed' && stripeFailed(first.reason, runs)) failed++;
    else lost.push(`${t.key}: not archived and not failed with Stripe's reason`);
  }
  broken('every target-run archived exactly once, or failed by name with Stripe\'s reason', `${archived} archived, ${failed} failed at Stripe, ${lost.length} lost, ${duplicates.length} archived twice`, [...lost, ...duplicates, ...unexplained]);
  broken('targets failed only where Stripe failed their ReportRun', `${wronglyFailed.length} failed for another reason`, wronglyFailed);

  // 2. The archive verifies, and every manifest names the run whose bytes it holds.
  const verifyProblems = e.verify.filter((v) => v.code !== 0 || !/, 0 with problems/.test(v.output)).map((v) => `reports verify --config ${v.config}: exit ${v.code}: ${v.output.trim().split('\n').slice(-3).join(' / ')}`);
  broken('`reports verify` passes for everything archived', `${e.verify.length} configurations verified`, verifyProblems);
  const mismatched: string[] = [];
  const keyOfRun = new Map<string, string>();
  for (const [key, runs] of byKey) for (const r of runs) keyOfRun.set(r.id, key);
  for (const t of e.expected) {
    for (const f of filesOf(t, e.archive.files)) {
      const m = f.manifest!;
      if (keyOfRun.get(m.run_id) !== t.key) mismatched.push(`${f.key}: manifest names run ${m.run_id}, which Stripe made for ${keyOfRun.get(m.run_id) ?? 'no target of this run'}`);
      else if (e.sha256.get(m.run_id) !== m.sha256) mismatched.push(`${f.key}: manifest sha256 ${m.sha256} ≠ the emulator's ${e.sha256.get(m.run_id)} for ${m.run_id}`);
      else if (m.config !== t.config.id || m.period.name !== t.period || m.target.id !== t.target) mismatched.push(`${f.key}: manifest says ${m.config}/${m.period.name}/${m.target.id}`);
    }
  }
  broken('every manifest names the run whose file it holds (sha256 = the emulator\'s)', `${e.archive.files.length} manifests`, mismatched);

  // 3. One ReportRun per business key (two where the configuration was forced).
  const extraRuns: string[] = [];
  for (const t of e.expected) {
    const n = byKey.get(t.key)?.length ?? 0;
    const allowed = t.config.forced ? 2 : 1;
    if (n > allowed) extraRuns.push(`${t.key}: ${n} ReportRuns (${byKey.get(t.key)!.map((r) => r.id).join(', ')}), at most ${allowed}`);
  }
  broken('ReportRuns per business key: one (two where forced)', `${e.runs.length} ReportRuns for ${e.expected.length} target-runs, ${stray.length} for no target`, [...extraRuns, ...stray.map((r) => `run ${r.id} (${r.report}, ${r.context ?? 'no context'}) belongs to no target`)]);

  // 4. The cap, the permits, and what is still running.
  broken('running ReportRuns never above the cap', `peak ${e.peakRunning} of ${e.cap}`, e.peakRunning > e.cap ? [`peak ${e.peakRunning} running > cap ${e.cap}`] : []);
  const held = e.workflows.pools.flatMap((p) => [
    ...(p.unanswered ? [`${p.workflowId} does not answer its query: ${p.unanswered}`] : []),
    ...p.holders.map((h) => `${p.workflowId} still held by ${h}`),
    ...p.waiters.map((w) => `${p.workflowId} still has waiter ${w}`),
  ]);
  broken('no permit held at the end', `${e.workflows.pools.length} pools`, held);
  const running = e.workflows.all.filter((w) => w.status === 'RUNNING' && w.type !== 'permitPoolWorkflow' && w.type !== 'runEventsWorkflow');
  broken('no workflow left running but the pools and mailboxes', `${e.workflows.all.length} executions`, running.map((w) => `${w.type} ${w.workflowId} still running`));

  // 5. Nothing partial, staged or temporary anywhere.
  broken('no partial, staged or temporary file, no open multipart upload', `${e.archive.leftovers.length} found`, e.archive.leftovers);

  // 6. No secret in any history, log line or manifest.
  broken('no API key, webhook secret or signed URL in histories, logs or manifests', `${e.secrets.length} found`, e.secrets.map((s) => `${s.what} in ${s.where}`));

  // 7. Every workflow replays what it did: no task failed for nondeterminism (it would fail on every retry).
  broken('no workflow task failed for nondeterminism', `${e.nondeterminism.length} found`, e.nondeterminism);

  return {
    invariants,
    tally: {
      runs: e.expected.length,
      archived,
      failed,
      lost: lost.length,
      duplicateArchives: duplicates.length,
      duplicateRuns: extraRuns.length,
      leakedPermits: held.length,
      leftovers: e.archive.leftovers.length,
      secretsFound: e.secrets.length,
    },
  };
}
