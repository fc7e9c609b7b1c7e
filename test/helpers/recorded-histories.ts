/**
 * The recorded histories of each release (test/replay-histories/<version>/, written once by
 * scripts/record-histories.ts): which releases have them, whether they are still exactly as first
 * committed, and replaying them against a workflow bundle with every failure named.
 */
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { git } from './git.js';
import type { HistoryManifest, RecordedHistory } from '../../scripts/record-histories.js';
import { workerSinks } from '../../src/worker.js';

export const HISTORIES_ROOT = 'test/replay-histories';
const History = proto.temporal.api.history.v1.History;

/** Releases with recorded histories, oldest first. */
export function releasesWithHistories(root = HISTORIES_ROOT): string[] {
  const byNumber = (v: string) => v.split('.').map(Number);
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+\.\d+\.\d+$/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => {
      const [x, y] = [byNumber(a), byNumber(b)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
}

/**
 * Releases whose workflows have all finished (`retired.json`: version → why and since when).
 * Their histories stay and stay unchanged, but no longer need to replay: retiring a release is
 * what allows removing a patch only its runs needed (README, "Upgrading").
 */
export function retiredReleases(root = HISTORIES_ROOT): Record<string, string> {
  const file = path.join(root, 'retired.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function manifestOf(version: string, root = HISTORIES_ROOT): HistoryManifest {
  return JSON.parse(readFileSync(path.join(root, version, 'manifest.json'), 'utf8')) as HistoryManifest;
}

/**
 * Every way a release's histories differ from what was recorded: a file the manifest lists that is
 * gone or whose sha256 changed, a history the manifest does not list, and (from git) any file
 * ever committed under the release's folder that is now missing or differs from its first commit.
 */
export function historyTampering(version: string, root = HISTORIES_ROOT): string[] {
  const dir = path.join(root, version);
  const problems: string[] = [];
  const manifest = manifestOf(version, root);
  for (const h of manifest.histories) {
    const file = path.join(dir, h.file);
    if (!existsSync(file)) problems.push(`${file}: listed in the manifest, missing`);
    else if (sha256(readFileSync(file)) !== h.sha256) problems.push(`${file}: sha256 differs from the manifest's`);
  }
  const listed = new Set(manifest.histories.map((h) => h.file));
  for (const f of readdirSync(dir)) if (f.endsWith('.binpb') && !listed.has(f)) problems.push(`${path.join(dir, f)}: not in the manifest`);
  // The manifest could be edited along with a file: git remembers what was first committed.
  const everAdded = new Set(git(['log', '--diff-filter=A', '--format=', '--name-only', '--', `${dir}/`]));
  for (const file of everAdded) {
    const firstCommit = git(['log', '--diff-filter=A', '--format=%H', '--', file]).at(-1)!;
    if (!existsSync(file)) problems.push(`${file}: committed in ${firstCommit.slice(0, 12)}, now deleted or moved`);
    else if (git(['hash-object', file])[0] !== git(['rev-parse', `${firstCommit}:${file}`])[0]) {
      problems.push(`${file}: changed since it was committed in ${firstCommit.slice(0, 12)}`);
    }
  }
  return problems;
}

/**
 * Replays a release's histories against a workflow bundle. Returns one line per history that
 * does not replay, naming the release, the file, the workflow type, state and id, and the error.
 */
export async function replayFailures(version: string, workflowBundlePath: string, root = HISTORIES_ROOT): Promise<{ replayed: number; failures: string[] }> {
  const entries: RecordedHistory[] = manifestOf(version, root).histories;
  const inputs = entries.map((e) => ({ workflowId: e.workflowId, history: History.decode(readFileSync(path.join(root, version, e.file))) }));
  const failures: string[] = [];
  let i = 0;
  // Results come back in input order, one history at a time.
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: workflowBundlePath }, sinks: workerSinks() }, inputs)) {
    const e = entries[i++]!;
    if (r.error) failures.push(`${e.workflowType} history ${path.join(root, version, e.file)} (state ${e.state}, workflow ${e.workflowId}): ${r.error.name}: ${r.error.message}`);
  }
  return { replayed: i, failures };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
