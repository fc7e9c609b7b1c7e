/**
 * How long after Stripe finishes a run does the waiting workflow notice, with the webhook relay
 * on and polling at a minute (so polling cannot be the reason)? The dev server (in memory unless
 * TEMPORAL_ADDRESS is set), the emulator and the relay run in this process; the worker runs in a
 * process of its own, as in production (bench/worker-process.ts, the fan-out benchmark's worker).
 *
 * Per run, latency = when the workflow scheduled transferReportFile (it saw "succeeded") minus
 * when the emulator settled the run (its log line, same clock). Prints one JSON line on stdout.
 *
 *   npx tsx bench/webhook-latency.ts [runs=50] [processing-seconds=10]
 *
 * Every run takes the same processing time, so all of them finish within the same second or two:
 * the worst burst of events. Real ReportRuns take tens of seconds to minutes; at 10 s the burst
 * of completions no longer overlaps the burst of creations (with 2 s it does, and the figure then
 * measures a worker still busy starting the other runs: about 0.7–1.4 s p95 on 2 cores).
 *
 * BENCH_TRACE=1 also prints, per run, its latency and stages (push, relay → workflow) and the
 * history events between the wake-up and the download (milliseconds after the wake-up, event type).
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FilesystemArchive } from '../src/archive/filesystem.js';
import { loadFiringOutcomes } from '../src/archive/firing-outcomes.js';
import { ReportConfigSchema } from '../src/config/schema.js';
import { startEmulator } from '../src/emulator/index.js';
import { startOrConnectTemporal } from '../src/temporal/dev-server.js';
import { startReport } from '../src/temporal/start-report.js';
import { createLineLogger } from '../src/observability/logger.js';
import { startRelay } from '../src/webhook/index.js';
import { startBenchWorker, stopBenchWorker } from './worker-child.js';
import { median, stats } from './figures.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const runs = Number(process.argv[2] ?? 50);
const processingMs = Number(process.argv[3] ?? 10) * 1000;
const say = (line: string) => process.stderr.write(`[webhook-latency] ${line}\n`);
const KEY = 'sk_org_test_bench0hooks000';
const secret = `whsec_bench_${randomBytes(8).toString('hex')}`;

const server = await startOrConnectTemporal({ log: say });
const settledAt = new Map<string, number>();
// Long enough that the first poll (right after create) always sees "running".
const emulator = await startEmulator({
  processingMs,
  log: (line) => {
    const m = /^run (\S+) \S+ (succeeded|failed)/.exec(line);
    if (m) settledAt.set(m[1], Date.now());
  },
});
const dir = mkdtempSync(path.join(tmpdir(), 'bench-hooks-'));
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const taskQueue = `bench-hooks-${randomBytes(4).toString('hex')}`;
const { child: worker, archiveDir } = await startBenchWorker({ server, taskQueue, workDir: dir, stripeBase: emulator.url, keys: { KEY }, webhooks: true });
// Receipt time per run, from the relay's one JSON line per request (reportRunId, signalMs).
const receivedAt = new Map<string, number>();
const relay = await startRelay({
  client,
  taskQueue,
  secrets: [secret],
  logger: createLineLogger('relay', (line) => {
    const { reportRunId, signalMs } = JSON.parse(line) as { reportRunId?: string; signalMs?: number };
    if (reportRunId && signalMs !== undefined) receivedAt.set(reportRunId, Date.now() - signalMs);
  }),
});
emulator.configure({ webhookUrl: relay.url, webhookSecret: secret });

try {
  const id = `bench-hooks-${Date.now().toString(36)}`;
  const targets = Array.from({ length: runs }, (_, i) => ({ account: `acct_bench${i}` }));
  const cfg = ReportConfigSchema.parse({ id, report: 'balance.summary.1', mode: 'sandbox', key_env: 'KEY', targets });
  say(`${runs} runs of ${processingMs / 1000} s, polling every 60 s, relay at ${relay.url}`);
  const started = Date.now();
  const result = await (await startReport(client, cfg, '2025-10', { taskQueue, timing: { initialMs: 60_000, maxMs: 60_000, subscribedInitialMs: 60_000, subscribedMaxMs: 60_000 } })).result();
  say(`all done in ${Date.now() - started} ms`);
  // Every target's outcome is in the archive's outcome file (a result of 0.2.0 carried them).
  const outcomes = result.outcomes ?? (await loadFiringOutcomes(new FilesystemArchive(archiveDir), result.config, result.period))?.outcomes;
  if (!outcomes) throw new Error(`no outcome file for ${result.config} ${result.period} in ${archiveDir}`);

  const latencies: number[] = [];
  // Where the time goes: emulator → relay (HTTP push), relay → workflow (mailbox hop), workflow → download (re-check).
  const stages: Record<'push' | 'signal' | 'recheck', number[]> = { push: [], signal: [], recheck: [] };
  for (const o of outcomes) {
    if (o.status !== 'archived') throw new Error(`target ${o.target} ended ${o.status}`);
    const history = await client.workflow.getHandle(`report/${id}/2025-10/${o.target}`).fetchHistory();
    const download = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'transferReportFile');
    const settled = settledAt.get(o.runId);
    if (!download?.eventTime || settled === undefined) throw new Error(`no timing for ${o.target}`);
    const sawAt = Number(download.eventTime.seconds) * 1000 + Math.floor((download.eventTime.nanos ?? 0) / 1e6);
    latencies.push(sawAt - settled);
    const woke = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reportRunEvent');
    const received = receivedAt.get(o.runId);
    if (woke?.eventTime && received !== undefined) {
      const wokeAt = Number(woke.eventTime.seconds) * 1000 + Math.floor((woke.eventTime.nanos ?? 0) / 1e6);
      stages.push.push(received - settled);
      stages.signal.push(wokeAt - received);
      stages.recheck.push(sawAt - wokeAt);
      if (process.env.BENCH_TRACE) {
        const events = history.events ?? [];
        const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
        const after = events.filter((e) => ms(e) >= wokeAt && ms(e) <= sawAt);
        process.stderr.write(`total ${sawAt - settled} push ${received - settled} relay ${wokeAt - received} | ` + after.map((e) => `${ms(e) - wokeAt}:${e.eventType}`).join(' ') + '\n');
      }
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  say(`p95 ms: push ${stats(stages.push)?.p95}, relay→workflow ${stats(stages.signal)?.p95}, re-check ${stats(stages.recheck)?.p95}`);
  say(`median ms: push ${median(stages.push)}, relay→workflow ${median(stages.signal)}, re-check ${median(stages.recheck)} (${stages.push.length} runs woken by an event)`);
  say(`relay: ${JSON.stringify(relay.stats())}; emulator: ${JSON.stringify(emulator.counters())}`);
  console.log(JSON.stringify({ bench: 'webhook-latency', runs: latencies.length, processingMs, p50Ms: pct(50), p95Ms: pct(95), maxMs: latencies[latencies.length - 1] }));
} finally {
  await relay.close();
  await stopBenchWorker(worker);
  await connection.close();
  await emulator.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
