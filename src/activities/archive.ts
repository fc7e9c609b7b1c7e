/**
 * Archives a verified staged file with its manifest. The staged file is hashed again first: what
 * goes into the archive is exactly what was downloaded and verified. With `result.extract`, the
 * CSV inside a ZIP is archived too, under `<target>.csv`, its manifest naming the ZIP.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { archiveKey, type ArchiveStore } from '../archive/store.js';
import type { ArchiveFor } from '../archive/stores.js';
import type { ArchiveSpec } from '../domain/report-job.js';
import type { ArchiveManifest } from '../archive/manifest.js';
import { sha256OfFile } from '../archive/hash.js';
import { DownloadVerificationError } from '../stripe/errors.js';
import type { ArchivedFile } from '../domain/outcomes.js';
import type { ReportJob } from '../domain/report-job.js';
import type { StagedFile } from './download.js';
import { extractCsv } from './zip.js';

const projectVersion = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/**
 * Where new content goes: the business key itself, or, when that already holds different content
 * (a re-run with --force produced another file), the next free version `<target>.v2.<ext>`, …
 * Nothing is ever overwritten.
 */
async function keyForContent(
  store: ArchiveStore,
  job: ReportJob,
  ext: string,
  sha256: string,
): Promise<{ key: string; supersedes?: string; existing?: ArchiveManifest }> {
  const base = archiveKey(job.configId, job.period.name, job.target.id, ext);
  let previous: string | undefined;
  for (let version = 1; ; version++) {
    const key = version === 1 ? base : archiveKey(job.configId, job.period.name, `${job.target.id}.v${version}`, ext);
    const existing = await store.manifest(key);
    if (!existing) return { key, supersedes: previous };
    if (existing.sha256 === sha256) return { key, existing };
    previous = key;
  }
}

export function createArchiveActivities(archiveFor: ArchiveFor) {
  return {
    /** Which of these targets already have their file for the period: those are not run again. */
    async findArchivedTargets(
      configId: string,
      period: string,
      targets: { id: string; ext: string }[],
      spec?: ArchiveSpec,
    ): Promise<Record<string, ArchivedFile>> {
      const store = archiveFor(spec);
      const found: Record<string, ArchivedFile> = {};
      for (const t of targets) {
        const file = await store.find(archiveKey(configId, period, t.id, t.ext));
        if (file) found[t.id] = file;
      }
      return found;
    },

    async archiveReportFile(job: ReportJob, runId: string, staged: StagedFile): Promise<ArchivedFile> {
      const store = archiveFor(job.archive);
      const { key, supersedes, existing } = await keyForContent(store, job, staged.contentType, staged.sha256);
      if (!existing) {
        const actual = await sha256OfFile(staged.path).catch(() => undefined);
        if (actual !== undefined && actual !== staged.sha256) {
          throw new DownloadVerificationError(`staged file for run ${runId} changed after download (sha256 ${actual} ≠ ${staged.sha256})`);
        }
      }
      // The extracted CSV goes first: once the ZIP (the business key) is there, everything is.
      let extracted: ArchivedFile | undefined;
      // Extracted again on a repeat (e.g. a retried activity): the same CSV is a no-op to store.
      if (job.extract && staged.contentType === 'zip') {
        const csvPath = `${staged.path}.csv.part`;
        try {
          const csv = await extractCsv(staged.path, csvPath);
          const place = await keyForContent(store, job, 'csv', csv.sha256);
          const manifest = manifestFor(job, runId, staged, { size: csv.size, sha256: csv.sha256, contentType: 'csv' }, place.supersedes);
          manifest.extracted_from = { key, sha256: staged.sha256, entry: csv.entry };
          extracted = await store.put({ key: place.key, stagedPath: csvPath, manifest });
        } finally {
          await rm(csvPath, { force: true });
        }
      }
      const file = await store.put({ key, stagedPath: staged.path, manifest: manifestFor(job, runId, staged, { size: staged.size, sha256: staged.sha256, contentType: staged.contentType }, supersedes) });
      return extracted ? { ...file, extracted } : file;
    },
  };
}

function manifestFor(
  job: ReportJob,
  runId: string,
  staged: StagedFile,
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
    run_id: runId,
    livemode: staged.livemode,
    size: file.size,
    sha256: file.sha256,
    content_type: file.contentType,
    source_host: staged.sourceHost,
    run_created_at: staged.runCreatedAt,
    run_succeeded_at: staged.runSucceededAt,
    downloaded_at: staged.downloadedAt,
    archived_at: new Date().toISOString(),
    project_version: projectVersion,
    ...(supersedes ? { supersedes } : {}),
  };
}
