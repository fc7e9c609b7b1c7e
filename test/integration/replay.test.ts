/**
 * Determinism: histories of real runs replay against today's workflow code. Fresh histories catch
 * non-deterministic code; the committed ones in test/replay-histories catch changes that would
 * break workflows already running in production. Refresh them deliberately with
 * UPDATE_REPLAY_HISTORIES=1 npx vitest run test/integration/replay.test.ts.
 */
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ReportConfigSchema } from '../../src/config/schema.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startReport } from '../../src/temporal/start-report.js';
import { metricsSinks } from '../../src/worker.js';
import { startTestWorker, type TestTemporal } from '../helpers/temporal.js';

const History = proto.api.history.v1.History;
const fixturesDir = path.resolve('test/replay-histories');
// The production worker's sinks (a replay worker calls none of them, but knows them).
const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: metricsSinks() });
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
    if (process.env.UPDATE_REPLAY_HISTORIES) {
      mkdirSync(fixturesDir, { recursive: true });
      // Binary protobuf: the SDK's JSON loader trips over two protobufjs copies in this install.
      for (const { workflowId, history } of histories) {
        writeFileSync(path.join(fixturesDir, `${workflowId.replaceAll('/', '_')}.binpb`), History.encode(history).finish());
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

  it('committed histories replay against the current workflow code', async () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.binpb'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const history = History.decode(readFileSync(path.join(fixturesDir, file)));
      await expect(
        Worker.runReplayHistory(replayOptions(), history, file),
      ).resolves.toBeUndefined();
    }
  });
});
