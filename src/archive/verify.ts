/**
 * Re-proves the archive: every file's bytes hashed again and compared with its manifest. Works on
 * any backend through the ArchiveStore interface; streams, so 5 GB files are fine.
 *
 * Then each period's finance summary (`summary.json`, beside the files) is listed and checked
 * against the manifests: a summary naming a file whose sha256 is no longer the manifest's, or a
 * file that is gone, sums bytes the archive no longer holds and is reported as stale.
 */
import { createHash } from 'node:crypto';
import { ReportsError } from '../domain/errors.js';
import { readJsonDocument, summaryKeys, type ArchiveStore } from './store.js';

export interface VerifyFinding {
  /** The archived file, or for a summary its `summary.json` key. */
  key: string;
  status: 'ok' | 'missing' | 'size-mismatch' | 'hash-mismatch' | 'no-manifest' | 'summary-ok' | 'summary-stale';
  detail?: string;
}

/** What verify reads of a summary: the files it names (src/domain/summary.ts has the whole shape). */
interface SummaryFileList {
  files?: number;
  rows?: number;
  generated_at?: string;
  targets?: Array<{ key: string; sha256: string }>;
}

export function isSummaryFinding(f: VerifyFinding): boolean {
  return f.status === 'summary-ok' || f.status === 'summary-stale';
}

async function verifyFile(store: ArchiveStore, key: string): Promise<VerifyFinding> {
  const manifest = await store.manifest(key);
  if (!manifest) return { key, status: 'no-manifest' };
  const body = await store.open(key);
  if (!body) return { key, status: 'missing', detail: `manifest says ${manifest.size} bytes, sha256 ${manifest.sha256}` };
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const sha256 = hash.digest('hex');
  if (size !== manifest.size) return { key, status: 'size-mismatch', detail: `${size} bytes, manifest says ${manifest.size}` };
  if (sha256 !== manifest.sha256) return { key, status: 'hash-mismatch', detail: `sha256 ${sha256}, manifest says ${manifest.sha256}` };
  return { key, status: 'ok' };
}

/** `<config>/<period>/` of an archive key or prefix, when it has both. */
function periodOf(keyOrPrefix: string): string | undefined {
  const m = /^([^/]+)\/([^/]+)\//.exec(keyOrPrefix);
  return m ? `${m[1]}/${m[2]}/` : undefined;
}

async function verifySummary(store: ArchiveStore, period: string, files: Map<string, VerifyFinding>): Promise<VerifyFinding | undefined> {
  const [configId, name] = period.split('/') as [string, string];
  const key = summaryKeys(configId, name).json;
  let summary: SummaryFileList | undefined;
  try {
    summary = await readJsonDocument<SummaryFileList>(store, key);
  } catch (err) {
    if (err instanceof ReportsError && !err.retryable) return { key, status: 'summary-stale', detail: 'not valid JSON' };
    throw err;
  }
  if (!summary) return undefined;
  const problems: string[] = [];
  for (const t of summary.targets ?? []) {
    const manifest = await store.manifest(t.key);
    const file = files.get(t.key);
    if (!manifest || file?.status === 'missing') problems.push(`${t.key} is missing`);
    else if (manifest.sha256 !== t.sha256) problems.push(`${t.key} has sha256 ${manifest.sha256.slice(0, 12)}…, the summary read ${t.sha256.slice(0, 12)}…`);
  }
  const what = `${summary.files ?? summary.targets?.length ?? 0} file(s), ${summary.rows ?? 0} rows, generated ${summary.generated_at ?? 'at an unknown time'}`;
  return problems.length > 0
    ? { key, status: 'summary-stale', detail: `${what}; summed bytes the archive no longer holds: ${problems.join('; ')}` }
    : { key, status: 'summary-ok', detail: what };
}

export async function verifyArchive(store: ArchiveStore, prefix: string, onFinding?: (f: VerifyFinding) => void): Promise<VerifyFinding[]> {
  const findings: VerifyFinding[] = [];
  const report = (f: VerifyFinding) => {
    findings.push(f);
    onFinding?.(f);
  };
  const files = new Map<string, VerifyFinding>();
  // Periods in the order met; the prefix's own period too, in case none of its files is left.
  const periods = new Set<string>([periodOf(prefix)].filter((p): p is string => p !== undefined));
  for await (const key of store.keys(prefix)) {
    const finding = await verifyFile(store, key);
    files.set(key, finding);
    const period = periodOf(key);
    if (period) periods.add(period);
    report(finding);
  }
  for (const period of periods) {
    const finding = await verifySummary(store, period, files);
    if (finding) report(finding);
  }
  return findings;
}
