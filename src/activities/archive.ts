/**
 * What the archive holds for a business key: targets already archived for a period (not run
 * again), where new content goes (the key itself or its next version), the file a run already
 * archived, and the manifest written beside every file.
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildQueryRequest } from '../stripe/run-request.js';
import { archiveKey, type ArchiveStore } from '../archive/store.js';
import type { ArchiveFor } from '../archive/stores.js';
import type { ArchiveSpec } from '../domain/report-job.js';
import type { ArchiveManifest } from '../archive/manifest.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ReportJob } from '../domain/report-job.js';
import { activityLog } from './log-context.js';
import { inWindow } from '../domain/in-window.js';

/** Archive lookups in flight at once when checking a batch of targets. */
const LOOKUPS_AT_ONCE = 16;

const projectVersion = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** `<config>/<period>/<target>` and its versions `<target>.vN`, with an extension. */
export function versionKey(job: ReportJob, ext: string, version: number): string {
  return archiveKey(job.configId, job.period.name, version === 1 ? job.target.id : `${job.target.id}.v${version}`, ext);
}

/**
 * Where new content goes: the business key itself, or, when that already holds different content
 * (a re-run with --force produced another file), the next free version `<target>.v2.<ext>`, …
 * Nothing is ever overwritten.
 */
export async function keyForContent(
  store: ArchiveStore,
  job: ReportJob,
  ext: string,
  sha256: string,
): Promise<{ key: string; supersedes?: string; existing?: ArchiveManifest }> {
  let previous: string | undefined;
  for (let version = 1; ; version++) {
    const key = versionKey(job, ext, version);
    const existing = await store.manifest(key);
    if (!existing) return { key, supersedes: previous };
    if (existing.sha256 === sha256) return { key, existing };
    previous = key;
  }
}

/** The first key (business key or version) with no manifest: where a transfer of unknown content writes. */
export async function firstFreeKey(store: ArchiveStore, job: ReportJob, ext: string): Promise<string> {
  for (let version = 1; ; version++) {
    const key = versionKey(job, ext, version);
    if (!(await store.manifest(key))) return key;
  }
}

/** The CSV archived from the ZIP under `zipKey` (`result.extract`), if any. */
export async function extractedFrom(store: ArchiveStore, job: ReportJob, zipKey: string): Promise<ArchivedFile | undefined> {
  for (let version = 1; ; version++) {
    const key = versionKey(job, 'csv', version);
    const manifest = await store.manifest(key);
    if (!manifest) return undefined;
    if (manifest.extracted_from?.key === zipKey) return store.find(key);
  }
}

/** The file this run archived already (a retry after the attempt that did it), with its extracted CSV. */
export async function archivedByRun(store: ArchiveStore, job: ReportJob, ext: 'csv' | 'zip', runId: string): Promise<ArchivedFile | undefined> {
  for (let version = 1; ; version++) {
    const key = versionKey(job, ext, version);
    const manifest = await store.manifest(key);
    if (!manifest) return undefined;
    if (manifest.run_id !== runId) continue;
    const file = await store.find(key);
    if (!file) return undefined;
    const extracted = job.extract && ext === 'zip' ? await extractedFrom(store, job, key) : undefined;
    return extracted ? { ...file, extracted } : file;
  }
}

/** What the manifest records about where the file came from. */
export interface FileOrigin {
  sourceHost: string;
  livemode: boolean;
  runCreatedAt?: string;
  runSucceededAt?: string;
  downloadedAt: string;
}

export function manifestFor(
  job: ReportJob,
  runId: string,
  origin: FileOrigin,
  file: { size: number; sha256: string; contentType: 'csv' | 'zip' },
  supersedes: string | undefined,
): ArchiveManifest {
  const { target, period } = job;
  return {
    manifest_version: 1,
    config: job.configId,
    period: { name: period.name, unit: period.unit, timezone: period.timezone, interval_start: period.start, interval_end: period.end },
    target: {
      id: target.id,
      kind: target.kind,
      stripe_context: target.context,
      connected_account: target.connectedAccount,
      organization: target.organization,
    },
    api: job.api,
    report: job.report,
    parameters: { ...job.parameters, interval_start: period.start, interval_end: period.end },
    ...(job.query ? { query: sentQuery(job) } : {}),
    run_id: runId,
    livemode: origin.livemode,
    size: file.size,
    sha256: file.sha256,
    content_type: file.contentType,
    source_host: origin.sourceHost,
    run_created_at: origin.runCreatedAt,
    run_succeeded_at: origin.runSucceededAt,
    downloaded_at: origin.downloadedAt,
    archived_at: new Date().toISOString(),
    project_version: projectVersion,
    ...(supersedes ? { supersedes } : {}),
    ...(job.compressedBecause ? { compressed_because: job.compressedBecause } : {}),
  };
}

/** A query's SQL exactly as the run sent it (placeholders rendered for the period), and its sha256. */
function sentQuery(job: ReportJob): NonNullable<ArchiveManifest['query']> {
  const sql = buildQueryRequest(job).body.query.sql;
  return { sql, sha256: createHash('sha256').update(sql).digest('hex'), ...(job.query?.file ? { file: job.query.file } : {}) };
}

export function createArchiveActivities(archiveFor: ArchiveFor) {
  return {
    /** Which of these targets already have their file for the period: those are not run again. */
    /**
     * Which of one batch's targets are archived already. The lookups go a few at a time (an S3
     * HEAD each) and the activity heartbeats, so a batch of hundreds on a slow archive neither
     * takes minutes nor times out.
     */
    async findArchivedTargets(
      configId: string,
      period: string,
      targets: { id: string; ext: string }[],
      spec?: ArchiveSpec,
    ): Promise<Record<string, ArchivedFile>> {
      const store = archiveFor(spec);
      const found: Record<string, ArchivedFile> = {};
      let checked = 0;
      await inWindow(targets, LOOKUPS_AT_ONCE, async (t) => {
        // A CSV too large for Stripe was archived as a ZIP instead (manifest: compressed_because).
        const other = t.ext === 'csv' ? 'zip' : undefined;
        const file = (await store.find(archiveKey(configId, period, t.id, t.ext))) ?? (other ? await store.find(archiveKey(configId, period, t.id, other)) : undefined);
        if (file) {
          found[t.id] = file;
          activityLog().info('already archived; skipped', { target: t.id, location: file.location });
        }
        if (++checked % 50 === 0) Context.current().heartbeat({ checked });
      });
      return found;
    },
  };
}
