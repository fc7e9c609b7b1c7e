/**
 * What the chaos run looks at when it is over, all from the outside: the emulator's run list and
 * counters (Stripe's side), the archive as stored (folders, S3 objects and uploads), `reports
 * verify`, and Temporal through its client (open workflows, pool state, every history).
 */
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ArchiveManifest } from '../../src/archive/manifest.js';
import type { RunInfo } from '../../src/emulator/index.js';
import { poolStateQuery } from '../../src/workflows/messages.js';
import { untilAnswered } from './processes.js';
import type { Secrets } from './topology.js';

/** A run as the emulator lists it (GET /_emulator/runs). */
export type EmulatorRun = RunInfo;

export async function emulatorRuns(url: string): Promise<EmulatorRun[]> {
  return ((await getJson(`${url}/_emulator/runs`)) as { runs: EmulatorRun[] }).runs;
}

export async function emulatorCounters(url: string): Promise<Record<string, number>> {
  return (await getJson(`${url}/_emulator/counters`)) as Record<string, number>;
}

export async function emulatorSha256(url: string, runId: string): Promise<string> {
  return ((await getJson(`${url}/_emulator/runs/${encodeURIComponent(runId)}/sha256`)) as { sha256: string }).sha256;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One archived file: its key without the store's prefix, and its manifest when there is one. */
export interface StoredFile {
  backend: 'filesystem' | 's3';
  key: string;
  manifest?: ArchiveManifest;
  /** The manifest's raw text (scanned for secrets). */
  manifestText?: string;
}

export interface ArchiveListing {
  files: StoredFile[];
  /** Anything a transfer leaves while it works: partial files, placed files without a manifest, open multipart uploads. */
  leftovers: string[];
}

const MANIFEST = '.manifest.json';
/** A period's finance summary: derived from the files and rewritten when recomputed, it has no manifest. */
const SUMMARY = /(^|\/)summary\.(json|md)$/;
/**
 * The firings' outcomes, documents without manifests too: the period's `outcomes.json` beside its
 * files, and each batch's part under the hidden `.firings/` folder at the archive's root. (A
 * writer's temporary file, hidden or `.partial`, is still a leftover.)
 */
const OUTCOMES = /^(\.firings\/.+\/batch-\d+\.json|[^/]+\/[^/]+\/outcomes\.json)$/;

export async function listArchive(o: { archiveDir: string; hostDirs: string[]; s3: S3Client; bucket: string; prefix: string }): Promise<ArchiveListing> {
  const files: StoredFile[] = [];
  const leftovers: string[] = [];
  const data = new Map<string, StoredFile>();
  const manifests = new Map<string, string>();

  for (const full of walk(o.archiveDir)) {
    const rel = path.relative(o.archiveDir, full).split(path.sep).join('/');
    const name = path.basename(full);
    if (name.startsWith('.') || /\.(part|partial|tmp)$/.test(name)) leftovers.push(`filesystem: ${rel}`);
    else if (SUMMARY.test(rel) || OUTCOMES.test(rel)) continue;
    else if (rel.endsWith(MANIFEST)) manifests.set(rel.slice(0, -MANIFEST.length), readFileSync(full, 'utf8'));
    else data.set(rel, { backend: 'filesystem', key: rel });
  }
  collect('filesystem', data, manifests, files, leftovers);

  // A host's own disk: a worker that died mid-transfer must not leave its bytes there either.
  for (const dir of o.hostDirs) {
    for (const full of walk(dir)) if (/\.(part|partial)$/.test(full)) leftovers.push(`host: ${path.relative(dir, full)}`);
  }

  const s3Data = new Map<string, StoredFile>();
  const s3Manifests = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await o.s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: `${o.prefix}/`, ContinuationToken: token }));
    for (const obj of page.Contents ?? []) {
      const key = obj.Key!.slice(o.prefix.length + 1);
      if (SUMMARY.test(key) || OUTCOMES.test(key)) continue;
      if (key.endsWith(MANIFEST)) {
        const body = await o.s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: obj.Key! }));
        s3Manifests.set(key.slice(0, -MANIFEST.length), await body.Body!.transformToString());
      } else s3Data.set(key, { backend: 's3', key });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  collect('s3', s3Data, s3Manifests, files, leftovers);
  const uploads = await o.s3.send(new ListMultipartUploadsCommand({ Bucket: o.bucket }));
  for (const u of uploads.Uploads ?? []) leftovers.push(`s3: open multipart upload ${u.Key}`);
  return { files, leftovers };
}

function collect(backend: string, data: Map<string, StoredFile>, manifests: Map<string, string>, files: StoredFile[], leftovers: string[]) {
  for (const [key, file] of data) {
    const text = manifests.get(key);
    if (text === undefined) {
      leftovers.push(`${backend}: ${key} placed without a manifest`);
      continue;
    }
    files.push({ ...file, manifest: JSON.parse(text) as ArchiveManifest, manifestText: text });
  }
  for (const key of manifests.keys()) if (!data.has(key)) leftovers.push(`${backend}: manifest of ${key} without its file`);
}

function* walk(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile() || statSync(full, { throwIfNoEntry: false })?.isFile()) yield full;
  }
}

export interface WorkflowListing {
  /** Every execution the server knows, open or closed. */
  all: { workflowId: string; runId: string; type: string; status: string }[];
  /** Permit pools and what they hold at the end (`unanswered`: the query kept failing, with why). */
  pools: { workflowId: string; holders: string[]; waiters: string[]; unanswered?: string }[];
}

/**
 * `holdersGraceMs`: how long a pool that still has holders is asked again before they count. A
 * release lost with a killed worker (one sent as a workflow task completed: src/domain/sinks.ts)
 * is freed by the pool's next reclaim checks, not at once; the pool must be empty by then.
 */
export async function listWorkflows(client: Client, holdersGraceMs = 0): Promise<WorkflowListing> {
  const all: WorkflowListing['all'] = [];
  for await (const w of client.workflow.list()) all.push({ workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name });
  const pools: WorkflowListing['pools'] = [];
  for (const w of all.filter((x) => x.type === 'permitPoolWorkflow' && x.status === 'RUNNING')) {
    // A query needs a worker: just after one was SIGKILLed the server may still send it to that
    // worker's sticky queue and time out (seen once in CI, 10–20 s after the last kill).
    // One that never answers (its workflow task failing on every attempt) breaks an invariant, not the harness.
    const ask = () => untilAnswered(() => client.workflow.getHandle(w.workflowId).query(poolStateQuery), 60_000).catch((err: Error) => err);
    let state = await ask();
    for (const until = Date.now() + holdersGraceMs; !(state instanceof Error) && Object.keys(state.holders).length > 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      state = await ask();
    }
    if (state instanceof Error) pools.push({ workflowId: w.workflowId, holders: [], waiters: [], unanswered: state.message.split('\n')[0]! });
    else pools.push({ workflowId: w.workflowId, holders: Object.keys(state.holders), waiters: state.waiters });
  }
  return { all, pools };
}

/** Where a secret was found, and which one (never the secret itself). */
export interface SecretFinding {
  where: string;
  what: 'API key' | 'webhook secret' | 'S3 secret key' | 'signed download URL';
}

/** A pre-signed download URL: `/files/<payload>.<signature>` (the emulator's, like S3's query-signed URLs). */
const SIGNED_URL = /\/files\/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

export function findSecrets(text: string, secrets: Secrets, where: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  if (text.includes(secrets.apiKey)) found.push({ where, what: 'API key' });
  if (text.includes(secrets.webhookSecret)) found.push({ where, what: 'webhook secret' });
  if (secrets.awsSecretAccessKey && text.includes(secrets.awsSecretAccessKey)) found.push({ where, what: 'S3 secret key' });
  if (SIGNED_URL.test(text)) found.push({ where, what: 'signed download URL' });
  return found;
}

/** Reads every history through the client (several at a time) and looks for the secrets in its bytes. */
export async function scanHistories(
  client: Client,
  executions: WorkflowListing['all'],
  secrets: Secrets,
  onProgress: (done: number) => void,
): Promise<{ scanned: number; events: number; findings: SecretFinding[]; nondeterminism: string[] }> {
  const findings: SecretFinding[] = [];
  const nondeterminism: string[] = [];
  let next = 0;
  let events = 0;
  const NDE = proto.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;
  const worker = async () => {
    while (next < executions.length) {
      const w = executions[next++]!;
      const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      events += history.events?.length ?? 0;
      // A workflow task that failed for nondeterminism fails on every retry: that workflow is stuck.
      for (const e of history.events ?? []) {
        const failed = e.workflowTaskFailedEventAttributes;
        if (failed?.cause === NDE) nondeterminism.push(`${w.workflowId} (${w.runId}) at event ${String(e.eventId)}: ${(failed.failure?.message ?? '').slice(0, 200)}`);
      }
      // Payloads are bytes (JSON by default): searched as latin1 text, every byte kept.
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      findings.push(...findSecrets(bytes.toString('latin1'), secrets, `history of ${w.workflowId} (${w.runId})`));
      if (next % 250 === 0) onProgress(next);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { scanned: executions.length, events, findings, nondeterminism };
}

/** Every log line our processes wrote (workers, relay, CLI, the Temporal server), not Stripe's (the emulator's). */
export function scanLogs(logsDir: string, secrets: Secrets): { lines: number; findings: SecretFinding[] } {
  const findings: SecretFinding[] = [];
  let lines = 0;
  for (const file of readdirSync(logsDir)) {
    if (file === 'emulator.log') continue;
    const text = readFileSync(path.join(logsDir, file), 'latin1');
    const all = text.split('\n');
    lines += all.length;
    all.forEach((line, i) => findings.push(...findSecrets(line, secrets, `${file}:${i + 1}`)));
  }
  return { lines, findings };
}
