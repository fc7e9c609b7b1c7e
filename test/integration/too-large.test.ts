/**
 * A report too large for a CSV at Stripe (`file_size_above_limit`): Stripe's guide says to ask for
 * a compressed file. The target runs again once with compress_file under a key of its own, is
 * archived as a ZIP whose manifest says why, and the next firing finds it archived. The emulator's
 * limit is lowered (maxFileBytes) so the path costs kilobytes, not 5 GB.
 */
import { patchMarkers } from '../helpers/markers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportConfigSchema } from '../../src/config/schema.js';
import { startReport } from '../../src/temporal/start-report.js';
import { withOutcomes } from '../helpers/outcomes.js';
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ name: 'too-large', emulator: { processingMs: 200, rowsPerRun: 2000 }, keys: { KEY: 'sk_test_toolarge0key00' } });
});

afterAll(async () => {
  await stack?.close();
});

describe('a CSV over Stripe\'s size limit', () => {
  it('runs again compressed, once, and is archived as a ZIP whose manifest says why; the next firing skips it', async () => {
    const { emulator, client, temporal } = stack;
    const config = ReportConfigSchema.parse({ id: 'too-large', api: 'v2', report: 'balance_change_from_activity.itemized.3', mode: 'sandbox', key_env: 'KEY' });
    emulator.configure({ maxFileBytes: 100_000 });
    try {
      const result = await withOutcomes(await (await startReport(client, config, '2025-10', { taskQueue: temporal.taskQueue, timing: { initialMs: 200 } })).result(), stack.archiveFor(config.archive));
      const runs = emulator.listRuns();
      expect(runs.map((r) => r.failure?.code ?? r.status)).toEqual(['file_size_above_limit', 'succeeded']);
      const outcome = result.outcomes[0]!;
      expect(outcome.status, JSON.stringify(outcome)).toBe('archived');
      if (outcome.status !== 'archived') return;
      expect(outcome.runId).toBe(runs[1]!.id);
      expect(outcome.file.location).toMatch(/too-large\/2025-10\/self\.zip$/);
      expect(outcome.file.sha256).toBe(await emulator.fileSha256(runs[1]!.id));
      const manifest = await stack.archiveFor(config.archive).manifest('too-large/2025-10/self.zip');
      expect(manifest?.content_type).toBe('zip');
      expect(manifest?.compressed_because).toContain(`ReportRun ${runs[0]!.id} failed with file_size_above_limit`);
      // Each run under its own Idempotency-Key; the marker of the patch in the run's history.
      expect(new Set(runs.map((r) => r.idempotencyKey)).size).toBe(2);
      const history = await client.workflow.getHandle('report/too-large/2025-10/self').fetchHistory();
      const patches = patchMarkers(history.events!, 'rerun-compressed-when-too-large');
      expect(patches).toHaveLength(1);

      const again = await withOutcomes(await (await startReport(client, config, '2025-10', { taskQueue: temporal.taskQueue })).result(), stack.archiveFor(config.archive));
      expect(again.outcomes.map((o) => o.status)).toEqual(['skipped']);
      expect(emulator.listRuns()).toHaveLength(2);
    } finally {
      emulator.configure({ maxFileBytes: undefined });
    }
  });

  it('a compressed run that is still too large fails the target with Stripe\'s reason, after one re-run', async () => {
    const { emulator, client, temporal } = stack;
    const config = ReportConfigSchema.parse({ id: 'too-large-even-zipped', api: 'v2', report: 'balance_change_from_activity.itemized.3', mode: 'sandbox', key_env: 'KEY' });
    emulator.configure({ maxFileBytes: 100 });
    const before = emulator.listRuns().length;
    try {
      const failure = await (await startReport(client, config, '2025-10', { taskQueue: temporal.taskQueue, timing: { initialMs: 200 } })).result().catch((e: Error) => e);
      expect(failure).toBeInstanceOf(Error);
      const runs = emulator.listRuns().slice(before);
      expect(runs.map((r) => r.failure?.code)).toEqual(['file_size_above_limit', 'file_size_above_limit']);
      expect(String((failure as Error & { cause?: Error }).cause?.message)).toContain(`ReportRun ${runs[1]!.id} failed at Stripe: file_size_above_limit`);
    } finally {
      emulator.configure({ maxFileBytes: undefined });
    }
  });
});
