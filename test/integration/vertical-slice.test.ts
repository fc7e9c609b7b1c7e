/**
 * The vertical slice on real parts: a real Temporal dev server, a real worker, the emulator over
 * HTTP through the real client, and the filesystem archive. One report per API from configuration
 * to an archived, verified file; and every kind of bad input failing the right way.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveManifest } from '../../src/archive/manifest.js';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { Emulator } from '../../src/emulator/index.js';
import { localActivityAttempts, localActivityMarkers } from '../helpers/markers.js';
import { startReport } from '../../src/temporal/start-report.js';
import { loadFiringOutcomes } from '../../src/archive/firing-outcomes.js';
import { FilesystemArchive } from '../../src/archive/filesystem.js';
import { withOutcomes, type ResultWithOutcomes } from '../helpers/outcomes.js';
import type { TestTemporal } from '../helpers/temporal.js';
import { startStack, type TestStack } from '../helpers/stack.js';

const SANDBOX_KEY = 'sk_test_slice0key0000abcd';
const LIVE_KEY = 'sk_live_slice0key0000wxyz';
const REVOKED_KEY = 'sk_test_revoked0key00q9r8';
const READONLY_KEY = 'sk_test_readonly_key00m3n4';

let stack: TestStack;
let emulator: Emulator;
let temporal: TestTemporal;
let client: Client;
let archiveDir: string;

beforeAll(async () => {
  stack = await startStack({ name: 'archive', emulator: { processingMs: 300, seed: 7 }, keys: { SANDBOX_KEY, LIVE_KEY, REVOKED_KEY, READONLY_KEY } });
  ({ emulator, temporal, client, archiveDir } = stack);
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  emulator.setFaults({});
});

let seq = 0;
function config(fields: Partial<Record<keyof ReportConfig, unknown>>): ReportConfig {
  return ReportConfigSchema.parse({ id: `slice-${++seq}`, report: 'balance.summary.1', mode: 'sandbox', key_env: 'SANDBOX_KEY', ...fields });
}

async function run(cfg: ReportConfig, period = '2025-10'): Promise<ResultWithOutcomes> {
  const handle = await startReport(client, cfg, period, { taskQueue: temporal.taskQueue, timing: { initialMs: 200, maxMs: 1000 } });
  return withOutcomes(await handle.result(), archiveDir);
}

async function failure(cfg: ReportConfig, period = '2025-10'): Promise<string> {
  const err = await run(cfg, period).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause?.message ?? '';
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('one report, end to end', () => {
  it('v2: archives the file with a manifest whose sha256 and size match the file and the emulator', async () => {
    const cfg = config({ schedule: { timezone: 'America/New_York' } });
    const result = await run(cfg);
    expect(result.interval).toEqual({ start: '2025-10-01T04:00:00.000Z', end: '2025-11-01T04:00:00.000Z' });
    const [outcome] = result.outcomes;
    expect(outcome?.status).toBe('archived');
    if (outcome?.status !== 'archived') return;
    expect(outcome.file.location).toBe(path.join(archiveDir, cfg.id, '2025-10', 'self.csv'));
    const manifest = JSON.parse(readFileSync(outcome.file.manifestLocation, 'utf8')) as ArchiveManifest;
    expect(sha256(outcome.file.location)).toBe(manifest.sha256);
    expect(manifest.sha256).toBe(await emulator.fileSha256(outcome.runId));
    expect(manifest).toMatchObject({
      config: cfg.id,
      period: { name: '2025-10', interval_start: '2025-10-01T04:00:00.000Z', interval_end: '2025-11-01T04:00:00.000Z' },
      target: { id: 'self' },
      report: 'balance.summary.1',
      run_id: outcome.runId,
      livemode: false,
      size: readFileSync(outcome.file.location).length,
      content_type: 'csv',
      source_host: new URL(emulator.url).host,
    });
    expect(readFileSync(outcome.file.location, 'utf8').split(/\r?\n/)[0]).toContain('category,description,net_amount,currency');
    const text = readFileSync(outcome.file.manifestLocation, 'utf8');
    expect(text).not.toContain(SANDBOX_KEY);
    expect(text).not.toMatch(/https?:\/\//); // no signed URL, only its host
  });

  it('v1: pending → succeeded, file downloaded with the key, archived and verified', async () => {
    const cfg = config({ api: 'v1', report: 'balance_change_from_activity.itemized.3', period: 'day', parameters: { timezone: 'Europe/London' } });
    const result = await run(cfg, '2025-10-14');
    const [outcome] = result.outcomes;
    expect(outcome?.status).toBe('archived');
    if (outcome?.status !== 'archived') return;
    expect(outcome.runId).toMatch(/^frr_/);
    expect(sha256(outcome.file.location)).toBe(await emulator.fileSha256(outcome.runId));
    expect(readFileSync(outcome.file.location, 'utf8')).toContain('balance_transaction_id');
  });

  it('running an archived period again skips it and creates no second ReportRun; --force runs it again', async () => {
    const cfg = config({});
    await run(cfg, '2025-09');
    const before = emulator.counters().runsCreated;
    const again = await run(cfg, '2025-09');
    expect(again.outcomes).toEqual([{ target: 'self', status: 'skipped', reason: expect.stringContaining('already archived') }]);
    expect(emulator.counters().runsCreated).toBe(before);
    const forced = await withOutcomes(await (await startReport(client, cfg, '2025-09', { taskQueue: temporal.taskQueue, force: true, timing: { initialMs: 200 } })).result(), archiveDir);
    expect(forced.outcomes[0]?.status).toBe('archived');
    expect(emulator.counters().runsCreated).toBe(before + 1);
  });

  it('a zip result (compress) is archived as .zip', async () => {
    const cfg = config({ result: { compress: true } });
    const [outcome] = (await run(cfg)).outcomes;
    expect(outcome?.status === 'archived' && path.basename(outcome.file.location)).toBe('self.zip');
    if (outcome?.status === 'archived') expect(readFileSync(outcome.file.location).subarray(0, 2).toString()).toBe('PK');
  });
});

describe('bad input fails before any ReportRun and is not retried', () => {
  it.each([
    [{ report: 'balance.nope.9' }, /balance\.nope\.9/],
    [{ parameters: { colour: 'red' } }, /parameters.colour = "red" is not accepted/],
    [{ report: 'balance_change_from_activity.itemized.3', parameters: { columns: ['gross', 'tax'] } }, /parameters.columns has "tax"/],
  ])('%j', async (fields, message) => {
    const before = emulator.counters().runsCreated;
    expect(await failure(config(fields))).toMatch(message);
    expect(emulator.counters().runsCreated).toBe(before);
  });

  it('a period that has not ended is refused by name', async () => {
    const before = emulator.counters().runsCreated;
    const message = await failure(config({ period: 'year' }), '2099');
    expect(message).toMatch(/period 2099 has not ended yet/);
    expect(emulator.counters().runsCreated).toBe(before);
  });

  it('a period before the data Stripe has names the parameter and the value', async () => {
    const before = emulator.counters().runsCreated;
    const message = await failure(config({ period: 'year' }), '2012');
    expect(message).toMatch(/interval_start = "2012-01-01T00:00:00.000Z" is before/);
    expect(emulator.counters().runsCreated).toBe(before);
  });

  it('a live key with a sandbox configuration is refused before any call', async () => {
    const message = await failure(config({ key_env: 'LIVE_KEY' }));
    expect(message).toMatch(/mode is sandbox but the key sk_live_…wxyz is a live key/);
    expect(message).not.toContain(LIVE_KEY);
  });

  it('401 is not retried and shows the key by its last four characters only', async () => {
    const cfg = config({ key_env: 'REVOKED_KEY' });
    const handle = await startReport(client, cfg, '2025-10', { taskQueue: temporal.taskQueue });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    const message = err.cause?.message ?? '';
    expect(message).toMatch(/401/);
    expect(message).not.toContain(REVOKED_KEY);
    const child = client.workflow.getHandle(`report/${cfg.id}/2025-10/self`);
    const history = await child.fetchHistory();
    // The data check is a local activity: refused at its first attempt, nothing after it.
    const events = history.events ?? [];
    expect(localActivityAttempts(events, ['prepareReportRun', 'requestPermit', 'startReportRun'])).toEqual({ prepareReportRun: [1], requestPermit: [], startReportRun: [] });
    expect(localActivityMarkers(events, 'prepareReportRun')[0]!.markerRecordedEventAttributes?.failure?.message).toMatch(/401/);
    expect(events.filter((e) => e.activityTaskStartedEventAttributes)).toEqual([]);
    expect(JSON.stringify(history)).not.toContain(REVOKED_KEY);
  });

  it('403 (a key without reporting_write) is not retried, names the cause, creates nothing', async () => {
    const before = emulator.counters().runsCreated;
    const cfg = config({ key_env: 'READONLY_KEY' });
    const message = await failure(cfg);
    expect(message).toMatch(/403/);
    expect(message).toMatch(/reporting_write/);
    expect(message).not.toContain(READONLY_KEY);
    expect(emulator.counters().runsCreated).toBe(before);
    const history = await client.workflow.getHandle(`report/${cfg.id}/2025-10/self`).fetchHistory();
    const events = history.events ?? [];
    // Prepare, request a permit, create and subscribe (local activities): each once, the create refused.
    expect(localActivityAttempts(events, ['prepareReportRun', 'requestPermit', 'startReportRun'])).toEqual({ prepareReportRun: [1], requestPermit: [1], startReportRun: [1] });
    expect(localActivityMarkers(events, 'startReportRun')[0]!.markerRecordedEventAttributes?.failure?.message).toMatch(/403/);
    expect(events.filter((e) => e.activityTaskStartedEventAttributes)).toEqual([]);
  });
});

describe('Stripe-side failures', () => {
  it('a failed ReportRun fails the workflow with Stripe\'s error code, and nothing is archived', async () => {
    emulator.setFaults({ failReports: ['balance_change_from_activity.summary.1'] });
    const cfg = config({ report: 'balance_change_from_activity.summary.1' });
    const message = await failure(cfg);
    expect(message).toMatch(/failed at Stripe: internal_error/);
    // Only the period's outcome file, saying why.
    expect(readdirSync(path.join(archiveDir, cfg.id), { recursive: true }).sort()).toEqual(['2025-10', path.join('2025-10', 'outcomes.json')]);
    expect((await loadFiringOutcomes(new FilesystemArchive(archiveDir), cfg.id, '2025-10'))?.outcomes).toEqual([
      expect.objectContaining({ target: 'self', status: 'failed', reason: expect.stringMatching(/failed at Stripe: internal_error/) }),
    ]);
  });

  it('truncated downloads are retried and never archived as good', async () => {
    emulator.setFaults({ truncateDownloadRate: 0.5 });
    const cfg = config({ report: 'balance_change_from_activity.itemized.3' });
    const [outcome] = (await run(cfg)).outcomes;
    expect(outcome?.status).toBe('archived');
    if (outcome?.status !== 'archived') return;
    expect(sha256(outcome.file.location)).toBe(await emulator.fileSha256(outcome.runId));
    // Nothing half-written stays behind in the period's folder.
    // The period's finance summary and outcome file sit beside the file (summary.json, summary.md, outcomes.json).
    expect(readdirSync(path.dirname(outcome.file.location)).sort()).toEqual(['outcomes.json', 'self.csv', 'self.csv.manifest.json', 'summary.json', 'summary.md']);
  });

  it('5xx from Stripe are retried', async () => {
    // Half of all calls: a target makes only four or five, and at least one must fail.
    emulator.setFaults({ serverErrorRate: 0.5 });
    const [outcome] = (await run(config({}))).outcomes;
    expect(outcome?.status).toBe('archived');
    expect(emulator.counters().serverErrors).toBeGreaterThan(0);
  });
});
