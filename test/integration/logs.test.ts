/**
 * Logs as an operator collects them (issue #11): a `reports worker` process and a `reports relay`
 * process at LOG_LEVEL=debug, stdout a pipe, run a firing with several targets (one refused by
 * Stripe, one download cut halfway and resumed) and one whose ReportRun fails at Stripe, against
 * the emulator sending signed webhooks. Every stdout line is a JSON object; every ReportRun can be
 * followed by its `reportRunId`; no secret is anywhere in either process's output.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReportConfigSchema } from '../../src/config/schema.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { StripeClient } from '../../src/stripe/client.js';
import { startReport } from '../../src/temporal/start-report.js';
import type { PollTiming } from '../../src/workflows/timing.js';
import { withOutcomes, type ResultWithOutcomes } from '../helpers/outcomes.js';
import { startRelayProcess, startWorkerProcess, stopProcess, type WorkerProcess } from '../helpers/processes.js';
import { freePort } from '../helpers/s3-server.js';

const hex = () => randomBytes(8).toString('hex');
const KEY = `sk_test_logs${hex()}`;
const ORG_KEY = `sk_org_test_logs${hex()}`;
const SECRET = `whsec_logs${hex()}`;
const TASK_QUEUE = `logs-${hex()}`;
const FAST: Partial<PollTiming> = { initialMs: 200, maxMs: 1_000, transferRetryMs: 200 };
const ACCOUNTS = ['acct_logs1', 'acct_logs2', 'acct_logs3'];
const DENIED = 'acct_logsdenied';

type Line = Record<string, unknown> & { level: string; time: string; msg: string };

let emulator: Emulator;
let worker: WorkerProcess;
let relay: WorkerProcess;
let connection: Connection;
let client: Client;
let archiveDir: string;
/** Every ReportRun the emulator settled, from its own log (`run <id> <report> <status>`). */
const settled = new Map<string, string>();
let outputs: { worker: { stdout: string; all: string }; relay: { stdout: string; all: string } };
let firing: ResultWithOutcomes;
let failedFiring: Error;

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parseLines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        throw new Error(`not a JSON line: ${l.slice(0, 300)}`);
      }
    });
}

beforeAll(async () => {
  archiveDir = mkdtempSync(path.join(tmpdir(), 'logs-'));
  const relayPort = await freePort();
  emulator = await startEmulator({
    processingMs: 500,
    webhookUrl: `http://127.0.0.1:${relayPort}/webhooks/stripe`,
    webhookSecret: SECRET,
    log: (line) => {
      const m = /^run (\S+) \S+ (succeeded|failed)/.exec(line);
      if (m) settled.set(m[1]!, m[2]!);
    },
  });
  const temporalAddress = inject('temporalAddress');
  connection = await Connection.connect({ address: temporalAddress });
  client = new Client({ connection });
  [worker, relay] = await Promise.all([
    startWorkerProcess({
      taskQueue: TASK_QUEUE,
      stripeBase: emulator.url,
      archiveDir,
      env: { LOG_LEVEL: 'debug', REPORTS_WEBHOOKS: 'true', LOGS_STRIPE_KEY: KEY, LOGS_ORG_KEY: ORG_KEY },
    }),
    startRelayProcess({ temporalAddress, taskQueue: TASK_QUEUE, port: relayPort, secrets: [SECRET], env: { LOG_LEVEL: 'debug' } }),
  ]);

  // One target refused by Stripe (no run), one report that fails at Stripe, and every download
  // cut halfway until the first one was: that transfer resumes.
  const faults = { inaccessibleAccounts: [DENIED], failReports: ['balance_change_from_activity.summary.1'] };
  emulator.setFaults({ ...faults, truncateDownloadRate: 1 });
  const id = `logs-${hex()}`;
  const fanOut = ReportConfigSchema.parse({
    id,
    report: 'balance.summary.1',
    mode: 'sandbox',
    key_env: 'LOGS_ORG_KEY',
    targets: [...ACCOUNTS, DENIED].map((account) => ({ account })),
  });
  const failing = ReportConfigSchema.parse({ id: `${id}-fails`, report: 'balance_change_from_activity.summary.1', mode: 'sandbox', key_env: 'LOGS_STRIPE_KEY' });
  const options = { taskQueue: TASK_QUEUE, timing: FAST };
  const [fanOutHandle, failingHandle] = await Promise.all([startReport(client, fanOut, '2025-10', options), startReport(client, failing, '2025-10', options)]);
  await until(() => emulator.counters().downloads >= 1, 60_000);
  emulator.setFaults(faults);
  [firing, failedFiring] = await Promise.all([fanOutHandle.result().then((r) => withOutcomes(r, archiveDir)), failingHandle.result().then(() => new Error('it did not fail'), (e: Error) => e)]);

  // The relay answers each settled run's event; then both stop (SIGTERM), their logs flushed.
  const routed = () => parseLines(relay.stdout()).filter((l) => l.outcome === 'routed').length;
  await until(() => routed() >= settled.size).catch(() => undefined);
  await Promise.all([stopProcess(worker.child, 30_000), stopProcess(relay.child, 30_000)]);
  outputs = { worker: { stdout: worker.stdout(), all: worker.output() }, relay: { stdout: relay.stdout(), all: relay.output() } };
}, 240_000);

afterAll(async () => {
  await Promise.all([worker && stopProcess(worker.child, 5_000), relay && stopProcess(relay.child, 5_000)]);
  await connection?.close();
  await emulator?.close();
  rmSync(archiveDir, { recursive: true, force: true });
});

describe('the logs of a worker and a relay', () => {
  it('the firings did what the test needs: archived, refused, failed at Stripe, a resumed download', () => {
    expect(firing.outcomes.map((o) => [o.target, o.status])).toEqual([...ACCOUNTS.map((a) => [a, 'archived']), [DENIED, 'failed']]);
    expect(String((failedFiring as { cause?: Error }).cause?.message ?? failedFiring.message)).toMatch(/failed at Stripe/);
    expect([...settled.values()].sort()).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded']);
    expect(emulator.counters().rangeRequests).toBeGreaterThanOrEqual(1);
  });

  it('every stdout line of both processes is a JSON object with level, time, msg and process', () => {
    for (const [name, { stdout }] of Object.entries(outputs)) {
      const lines = parseLines(stdout);
      expect(lines.length, name).toBeGreaterThan(5);
      for (const line of lines) {
        expect(line, name).toMatchObject({ level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/), time: expect.any(String), msg: expect.any(String), process: name });
        expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      }
    }
  });

  it('each ReportRun is followed by reportRunId: created, settled, transferred (resumed once), archived, and its webhook', () => {
    const workerLines = parseLines(outputs.worker.stdout);
    const relayLines = parseLines(outputs.relay.stdout);
    expect(settled.size).toBe(4);
    for (const [runId, status] of settled) {
      const about = workerLines.filter((l) => l.reportRunId === runId);
      const messages = about.map((l) => l.msg);
      expect(messages, runId).toContain('ReportRun created');
      expect(messages, runId).toContain(status === 'succeeded' ? 'ReportRun succeeded' : 'ReportRun failed at Stripe');
      if (status === 'succeeded') {
        expect(messages, runId).toEqual(expect.arrayContaining(['transfer started', 'transfer completed', 'archived']));
        // Activity lines carry the whole context, workflow lines too.
        const archived = about.find((l) => l.msg === 'archived' && l.activityType === 'transferReportFile')!;
        expect(archived).toMatchObject({ configuration: expect.any(String), period: '2025-10', target: expect.stringMatching(/^acct_logs\d$/), location: expect.any(String) });
        expect(about.some((l) => l.sdkComponent === 'workflow' && l.workflowId === `report/${archived.configuration}/2025-10/${archived.target}`)).toBe(true);
      }
      expect(relayLines.filter((l) => l.reportRunId === runId && l.outcome === 'routed'), runId).not.toHaveLength(0);
    }
    expect(workerLines.filter((l) => l.msg === 'transfer resumed' && settled.has(l.reportRunId as string))).not.toHaveLength(0);
    // The refused target has no run, and says why with its context.
    expect(workerLines.some((l) => l.target === DENIED && l.msg === 'target failed' && /report_inaccessible|cannot access/.test(String(l.reason)))).toBe(true);
    // A line that names a run in its message carries it as reportRunId.
    for (const line of [...workerLines, ...relayLines]) {
      const named = /\b(?:reprun|frr)_[0-9a-f]+/.exec(line.msg)?.[0];
      if (named) expect(line.reportRunId, line.msg).toBe(named);
    }
  });

  it('no secret anywhere in either process: keys, the webhook secret, signed download URLs', async () => {
    const stripe = new StripeClient({ apiKey: ORG_KEY, baseUrl: emulator.url });
    const secrets = [KEY, ORG_KEY, SECRET, KEY.slice(8), ORG_KEY.slice(12), SECRET.slice(6)];
    try {
      for (const outcome of firing.outcomes) {
        if (outcome.status !== 'archived') continue;
        const run = await stripe.getReportRun(outcome.runId, { context: outcome.target });
        const url = run.result!.file.download_url.url;
        const token = url.slice(url.indexOf('/files/') + '/files/'.length);
        // Each read signs anew; every signature of this run starts with the same encoded run id.
        const runIdPrefix = Buffer.from(`${outcome.runId}.`).toString('base64url').slice(0, Math.floor((outcome.runId.length + 1) / 3) * 4);
        secrets.push(url, token, runIdPrefix);
      }
    } finally {
      await stripe.close();
    }
    for (const [name, { all }] of Object.entries(outputs)) {
      for (const secret of secrets) expect(all.includes(secret), `${name} printed ${secret.slice(0, 12)}…`).toBe(false);
      expect(all, name).not.toContain('/files/');
      expect(all, name).not.toMatch(/https?:\/\/[^\s"?]+\?[^…\s"]/); // a query string shown
    }
  });
});
