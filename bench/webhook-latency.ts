/**
 * How long after Stripe finishes a run does the waiting workflow notice, with the webhook relay
 * on and polling at a minute (so polling cannot be the reason)? Everything in this process: the
 * dev server (in memory unless TEMPORAL_ADDRESS is set), the emulator, the relay and a worker.
 *
 * Per run, latency = when the workflow scheduled downloadReportFile (it saw "succeeded") minus
 * when the emulator settled the run (its log line, same clock). Prints one JSON line on stdout.
 *
 *   npx tsx bench/webhook-latency.ts [runs=50]
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStripeClients } from '../src/activities/stripe-clients.js';
import { FilesystemArchive } from '../src/archive/filesystem.js';
import { ReportConfigSchema } from '../src/config/schema.js';
import { startEmulator } from '../src/emulator/index.js';
import { startOrConnectTemporal } from '../src/temporal/dev-server.js';
import { startReport } from '../src/temporal/start-report.js';
import { startRelay } from '../src/webhook/index.js';
import { createReportsWorker } from '../src/worker.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const runs = Number(process.argv[2] ?? 50);
const say = (line: string) => process.stderr.write(`[webhook-latency] ${line}\n`);
const KEY = 'sk_org_test_bench0hooks000';
const secret = `whsec_bench_${randomBytes(8).toString('hex')}`;

const server = await startOrConnectTemporal({ log: say });
const settledAt = new Map<string, number>();
// Long enough that the first poll (right after create) always sees "running".
const emulator = await startEmulator({
  processingMs: 2_000,
  log: (line) => {
    const m = /^run (\S+) \S+ (succeeded|failed)/.exec(line);
    if (m) settledAt.set(m[1], Date.now());
  },
});
const dir = mkdtempSync(path.join(tmpdir(), 'bench-hooks-'));
const stripe = createStripeClients({ baseUrl: emulator.url, env: { KEY } });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const nativeConnection = await NativeConnection.connect({ address: server.address });
const taskQueue = `bench-hooks-${randomBytes(4).toString('hex')}`;
const worker = await createReportsWorker({
  connection: nativeConnection,
  namespace: server.namespace,
  taskQueue,
  deps: {
    temporal: client,
    clientFor: stripe.clientFor,
    archive: new FilesystemArchive(path.join(dir, 'archive')),
    stagingDir: path.join(dir, 'staging'),
    keyScopeFor: () => taskQueue,
    defaultCapacity: { live: 500, sandbox: 100 },
    webhooks: true,
  },
});
const running = worker.run();
// Receipt time per run, from the relay's one line per request (`… run=<id> signal_ms=<n>`).
const receivedAt = new Map<string, number>();
const relay = await startRelay({
  client,
  taskQueue,
  secrets: [secret],
  log: (line) => {
    const m = / run=(\S+) signal_ms=(\d+)/.exec(line);
    if (m) receivedAt.set(m[1], Date.now() - Number(m[2]));
  },
});
emulator.configure({ webhookUrl: relay.url, webhookSecret: secret });

try {
  const id = `bench-hooks-${Date.now().toString(36)}`;
  const targets = Array.from({ length: runs }, (_, i) => ({ account: `acct_bench${i}` }));
  const cfg = ReportConfigSchema.parse({ id, report: 'balance.summary.1', mode: 'sandbox', key_env: 'KEY', targets });
  say(`${runs} runs, polling every 60 s, relay at ${relay.url}`);
  const started = Date.now();
  const result = await (await startReport(client, cfg, '2025-10', { taskQueue, timing: { initialMs: 60_000, maxMs: 60_000 } })).result();
  say(`all done in ${Date.now() - started} ms`);

  const latencies: number[] = [];
  // Where the time goes: emulator → relay (HTTP push), relay → workflow (mailbox hop), workflow → download (re-check).
  const stages: Record<'push' | 'signal' | 'recheck', number[]> = { push: [], signal: [], recheck: [] };
  for (const o of result.outcomes) {
    if (o.status !== 'archived') throw new Error(`target ${o.target} ended ${o.status}`);
    const history = await client.workflow.getHandle(`report/${id}/2025-10/${o.target}`).fetchHistory();
    const download = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'downloadReportFile');
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
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  say(`median ms: push ${median(stages.push)}, relay→workflow ${median(stages.signal)}, re-check ${median(stages.recheck)} (${stages.push.length} runs woken by an event)`);
  say(`relay: ${JSON.stringify(relay.stats())}; emulator: ${JSON.stringify(emulator.counters())}`);
  console.log(JSON.stringify({ bench: 'webhook-latency', runs: latencies.length, p50Ms: pct(50), p95Ms: pct(95), maxMs: latencies[latencies.length - 1] }));
} finally {
  await relay.close();
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await stripe.close();
  await emulator.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
