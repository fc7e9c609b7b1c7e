/**
 * Determinism. Fresh histories of real runs replay against today's workflow code (catches
 * non-deterministic code). The histories recorded for each release (test/replay-histories/<version>/,
 * recorded once by scripts/record-histories.ts, complete and in flight) must stay exactly as
 * committed and replay against today's code: a change that fails here would break the workflows
 * of that release still running in production (README, "Upgrading").
 */
import { Worker } from '@temporalio/worker';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ReportConfigSchema } from '../../src/config/schema.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { workerSinks } from '../../src/worker.js';
import { historyTampering, manifestOf, releasesWithHistories, replayFailures, retiredReleases } from '../helpers/recorded-histories.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';

// The production worker's sinks (a replay worker calls none of them, but knows them).
const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: workerSinks() });
let emulator: Emulator;
let temporal: TestTemporal;

beforeAll(async () => {
  emulator = await startEmulator({ processingMs: 200 });
  const dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
  temporal = await startTestWorker({ stripe: { baseUrl: emulator.url, env: { KEY: 'sk_test_replay0key0000' } }, archiveDir: dir });
});

afterAll(async () => {
  await temporal?.close();
  await emulator?.close();
});

describe('replay', () => {
  it('histories of fresh v2 and v1 runs, parent and child, replay without non-determinism', async () => {
    const histories = [];
    for (const [api, report, period] of [
      ['v2', 'balance.summary.1', '2025-10'],
      ['v1', 'balance_change_from_activity.itemized.3', '2025-10'],
    ] as const) {
      const config = ReportConfigSchema.parse({ id: `replay-${api}`, api, report, mode: 'sandbox', key_env: 'KEY' });
      const handle = await startReport(temporal.client, config, period, { taskQueue: temporal.taskQueue, timing: { initialMs: 100 } });
      await handle.result();
      for (const workflowId of [handle.workflowId, `${handle.workflowId}/self`]) {
        const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
        histories.push({ workflowId, history });
      }
    }
    const results = Worker.runReplayHistories(replayOptions(), histories);
    let replayed = 0;
    for await (const r of results) {
      expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(4);
  });
});

const WORKFLOW_TYPES = ['reportWorkflow', 'reportRunWorkflow', 'permitPoolWorkflow', 'runEventsWorkflow'];

describe('recorded histories of every release', () => {
  const releases = releasesWithHistories();
  const retired = retiredReleases();

  it('there is a release with recorded histories, and every retired release says why', () => {
    expect(releases).toContain('0.2.0');
    for (const [version, why] of Object.entries(retired)) expect(typeof why === 'string' && why.length > 0, `retired.json: ${version}`).toBe(true);
  });

  describe.each(releases)('%s', (version) => {
    it('every history is exactly as first committed, none gone, all in the manifest', () => {
      expect(historyTampering(version)).toEqual([]);
    });

    it('every workflow type is there, complete and in flight', () => {
      const { histories } = manifestOf(version);
      for (const type of WORKFLOW_TYPES) {
        const states = histories.filter((h) => h.workflowType === type).map((h) => h.status);
        expect(states, type).toContain('RUNNING');
        expect(states.some((s) => s !== 'RUNNING'), `${type}: a closed one`).toBe(true);
      }
    });

    it.runIf(!(version in retired))('every history replays against the current workflow code', async () => {
      const { replayed, failures } = await replayFailures(version, inject('workflowBundlePath'));
      expect(failures).toEqual([]);
      expect(replayed).toBe(manifestOf(version).histories.length);
    });
  });
});
