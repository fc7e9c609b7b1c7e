/**
 * `/metrics` of the production processes, scraped over HTTP: a `reports worker` process on the
 * suite's Temporal dev server runs two firings of one configuration against the emulator (the
 * second with a target archived by the first, one Stripe refuses and one whose ReportRun fails at
 * Stripe), and every project counter says exactly what happened; the Temporal SDK's own metrics
 * are in the same answer. The relay's `/metrics` counts a refused webhook.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { metricNames, parseExposition, sampleSum, type ParsedExposition } from '../../src/observability/metric-names.js';
import { startReport } from '../../src/temporal/start-report.js';
import { observabilityExpressions, referencedMetricNames } from '../../src/tools/dashboard-metrics.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { withOutcomes, type ResultWithOutcomes } from '../helpers/outcomes.js';
import { startRelayProcess, startWorkerProcess, stopProcess, type WorkerProcess } from '../helpers/processes.js';
import { freePort } from '../helpers/s3-server.js';

const KEY = 'sk_org_test_metrics0key0000';
const run = Date.now().toString(36);
const CONFIG = `metrics-${run}`;
const TASK_QUEUE = `metrics-${run}`;
const fast = { initialMs: 200, maxMs: 500 };

let emulator: Emulator;
let worker: WorkerProcess;
let connection: Connection;
let client: Client;
let archiveDir: string;
let notifySink: Server;
const notified: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ processingMs: 500 });
  archiveDir = mkdtempSync(path.join(tmpdir(), 'metrics-'));
  // The notification webhook: a real HTTP server that keeps what it is sent.
  notifySink = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      notified.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => notifySink.listen(0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(notifySink.address() as AddressInfo).port}/hook`;
  worker = await startWorkerProcess({ taskQueue: TASK_QUEUE, stripeBase: emulator.url, archiveDir, env: { METRICS_KEY: KEY, METRICS_NOTIFY_URL: notifyUrl } });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  if (worker) await stopProcess(worker.child);
  await connection?.close();
  await emulator?.close();
  await new Promise((resolve) => notifySink?.close(resolve));
});

function config(accounts: string[]): ReportConfig {
  return ReportConfigSchema.parse({
    id: CONFIG,
    report: 'balance.summary.1',
    mode: 'sandbox',
    key_env: 'METRICS_KEY',
    targets: accounts.map((account) => ({ account })),
    notify: { webhook_url: '${METRICS_NOTIFY_URL}', on: ['success', 'failure'] },
  });
}

async function scrape(url: string): Promise<{ text: string; parsed: ParsedExposition; contentType: string }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, parsed: parseExposition(text), contentType: res.headers.get('content-type') ?? '' };
}

describe('/metrics of a reports worker process', () => {
  it('counts runs, targets, firings, stages, bytes and Stripe answers exactly; the SDK metrics come along', async () => {
    const metricsUrl = worker.healthUrl.replace(/\/healthz$/, '/metrics');

    // Firing 1 archives acct_m0.
    // (Read at once: the second firing of the same period replaces the period's outcome file.)
    const first = await withOutcomes(await (await startReport(client, config(['acct_m0']), '2025-10', { taskQueue: TASK_QUEUE, timing: fast })).result(), archiveDir);
    expect(first.outcomes.map((o) => o.status)).toEqual(['archived']);

    // Firing 2: acct_m0 is skipped, m1 and m2 archive, acct_bad is refused by Stripe (403 on
    // create), acct_runfail's ReportRun fails at Stripe (its run id is marked failing while it runs).
    // Runs take 6 s at Stripe: time to mark acct_runfail's run failing while it runs.
    emulator.configure({ processingMs: 6000 });
    emulator.setFaults({ inaccessibleAccounts: ['acct_bad'] });
    let second: ResultWithOutcomes;
    try {
      const handle = await startReport(client, config(['acct_m0', 'acct_m1', 'acct_m2', 'acct_bad', 'acct_runfail']), '2025-10', { taskQueue: TASK_QUEUE, timing: fast });
      const child = client.workflow.getHandle(`report/${CONFIG}/2025-10/acct_runfail`);
      let runId: string | undefined;
      await expect.poll(async () => (runId = (await child.query(progressQuery).catch(() => undefined))?.runId), { timeout: 30_000, interval: 100 }).toBeTruthy();
      emulator.setFaults({ inaccessibleAccounts: ['acct_bad'], failReports: [runId!] });
      second = await withOutcomes(await handle.result(), archiveDir);
    } finally {
      emulator.setFaults({});
      emulator.configure({ processingMs: 500 });
    }
    const status = Object.fromEntries(second.outcomes.map((o) => [o.target, o.status]));
    expect(status).toEqual({ acct_m0: 'skipped', acct_m1: 'archived', acct_m2: 'archived', acct_bad: 'failed', acct_runfail: 'failed' });

    const archived = [...first.outcomes, ...second.outcomes].flatMap((o) => (o.status === 'archived' ? [o.file] : []));
    const bytes = archived.reduce((sum, f) => sum + f.size, 0);
    expect(archived.map((f) => statSync(f.location).size)).toEqual(archived.map((f) => f.size));

    // Workflows report through a sink once their task completes: wait until the last firing is in.
    await expect.poll(async () => sampleSum((await scrape(metricsUrl)).parsed, 'reports_firings_total', { configuration: CONFIG }), { timeout: 10_000 }).toBe(2);
    const { text, parsed, contentType } = await scrape(metricsUrl);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (series: string, labels: Record<string, string> = {}) => sampleSum(parsed, series, labels);
    const report = { api: 'v2', report: 'balance.summary.1' };
    const cfg = { configuration: CONFIG };

    expect({
      created: value('reports_report_runs_created_total', report),
      succeeded: value('reports_report_runs_finished_total', { ...report, status: 'succeeded' }),
      failed: value('reports_report_runs_finished_total', { ...report, status: 'failed' }),
      canceled: value('reports_report_runs_finished_total', { ...report, status: 'canceled' }),
      targetsArchived: value('reports_targets_total', { ...cfg, outcome: 'archived' }),
      targetsSkipped: value('reports_targets_total', { ...cfg, outcome: 'skipped' }),
      targetsFailed: value('reports_targets_total', { ...cfg, outcome: 'failed' }),
      firingsComplete: value('reports_firings_total', { ...cfg, result: 'complete' }),
      firingsWithFailures: value('reports_firings_total', { ...cfg, result: 'with_failures' }),
      deadlinesPassed: value('reports_data_deadline_passed_total'),
      bytes: value('reports_transfer_bytes_total', { backend: 'filesystem' }),
      throughputs: value('reports_transfer_throughput_bytes_per_second_count', { backend: 'filesystem' }),
      notificationsSent: value('reports_notifications_total', { destination: 'webhook', result: 'sent' }),
      notificationsFailed: value('reports_notifications_total', { destination: 'webhook', result: 'failed' }),
      permitsGranted: value('reports_permits_granted_total'),
    }).toEqual({
      created: 4, // m0, then m1, m2, runfail (acct_bad is refused on create)
      succeeded: 3,
      failed: 1,
      canceled: 0,
      targetsArchived: 3,
      targetsSkipped: 1,
      targetsFailed: 2,
      firingsComplete: 1,
      firingsWithFailures: 1,
      deadlinesPassed: 0,
      bytes,
      throughputs: 3,
      notificationsSent: 2,
      notificationsFailed: 0,
      permitsGranted: 5, // every target that ran got a permit, acct_bad included
    });
    expect(notified).toHaveLength(2);

    // One observation per target that left the stage with an answer.
    const stages = Object.fromEntries(
      ['waiting_for_data', 'waiting_for_permit', 'waiting_for_stripe', 'transfer'].map((stage) => [stage, value('reports_stage_duration_seconds_count', { stage })]),
    );
    expect(stages).toEqual({ waiting_for_data: 5, waiting_for_permit: 5, waiting_for_stripe: 4, transfer: 3 });
    // The runs took the emulator's processing time at Stripe: 0.5 s, then 6 s each.
    expect(value('reports_stage_duration_seconds_sum', { stage: 'waiting_for_stripe' })).toBeGreaterThan(3 * 5.5);

    // Stripe's answers: v2 calls and file downloads succeeded, the refusal is a 4xx.
    expect(value('reports_stripe_responses_total', { api: 'v2', status_class: '2xx' })).toBeGreaterThan(0);
    expect(value('reports_stripe_responses_total', { api: 'files', status_class: '2xx' })).toBe(3);
    expect(value('reports_stripe_responses_total', { api: 'v2', status_class: '4xx' })).toBe(1);
    expect(value('reports_stripe_rate_limited_total')).toBe(0);

    // The pool's gauges: its last report, after every release.
    const pools = parsed.samples.filter((s) => s.name === 'reports_permit_pool_capacity').map((s) => s.labels.pool);
    expect(pools).toEqual([expect.stringMatching(/^permits\/sandbox\/key-[0-9a-f]{12}$/)]);
    await expect.poll(async () => sampleSum((await scrape(metricsUrl)).parsed, 'reports_permit_pool_held'), { timeout: 35_000 }).toBe(0);
    expect(value('reports_permit_pool_capacity')).toBe(100);
    expect(value('reports_permit_pool_waiting')).toBe(0);

    // The Temporal SDK's metrics, from core's exporter, in the same answer.
    const names = metricNames(text);
    const sdk = [...names].filter((n) => n.startsWith('temporal_')).sort();
    for (const name of ['temporal_request', 'temporal_long_request', 'temporal_num_pollers', 'temporal_worker_task_slots_available', 'temporal_workflow_completed', 'temporal_activity_execution_latency']) {
      expect(sdk, name).toContain(name);
    }
    expect(text).not.toMatch(/Temporal SDK metrics unavailable/);
    // The dashboard and the alert rules query only metrics this worker was just seen exposing.
    const referenced = referencedMetricNames(observabilityExpressions((file) => readFileSync(path.resolve(file), 'utf8'), parseYaml), names);
    expect(referenced.length).toBeGreaterThan(10);
    expect(referenced.filter((n) => !names.has(n))).toEqual([]);
    // Nothing secret, and no per-account or per-run label.
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/acct_|reprun_|frr_|2025-10/);
    console.log(`worker /metrics: ${names.size} metrics; from the Temporal SDK: ${sdk.join(' ')}`);
  });
});

describe('/metrics of a reports relay process', () => {
  it('counts a webhook it refuses, by reason; no SDK metrics (the relay has no Temporal runtime)', async () => {
    const port = await freePort();
    const relay = await startRelayProcess({ temporalAddress: inject('temporalAddress'), taskQueue: TASK_QUEUE, port, secrets: ['whsec_metrics0test0secret'] });
    try {
      const hook = `http://127.0.0.1:${port}/webhooks/stripe`;
      const refused = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, body: '{"id":"evt_1"}' });
      expect(refused.status).toBe(400);
      const { text, parsed } = await scrape(relay.healthUrl.replace(/\/healthz$/, '/metrics'));
      expect(sampleSum(parsed, 'reports_webhook_events_total', { result: 'rejected' })).toBe(1);
      expect(parsed.samples.find((s) => s.name === 'reports_webhook_events_total')?.labels.reason).toMatch(/^[a-z0-9_]+$/);
      expect([...metricNames(text)].filter((n) => n.startsWith('temporal_'))).toEqual([]);
    } finally {
      await stopProcess(relay.child);
    }
  });
});
