/**
 * Records the replay histories of a release: `npm run record-histories -- 0.2.0`.
 *
 * Every workflow type of the release, complete and caught in flight, from a real run: a fresh
 * dev server, the Stripe emulator, the webhook relay and one worker of this checkout's code. The
 * histories go to test/replay-histories/<version>/ with a manifest (workflow type, state, ids,
 * sha256). They are written once and never again: the script refuses a folder that exists, and
 * test/integration/replay.test.ts fails if a committed history changes or disappears.
 *
 * Record from the release's own commit (package.json's version must be the one asked for);
 * `--out <dir>` records anywhere else, for trying things.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ReportConfigSchema, type ReportConfig } from '../src/config/schema.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createLineLogger } from '../src/observability/logger.js';
import { installTemporalRuntime } from '../src/observability/temporal-runtime.js';
import { startOrConnectTemporal } from '../src/temporal/dev-server.js';
import { temporalTarget } from '../src/temporal/connection.js';
import { startReport } from '../src/temporal/start-report.js';
import { startRelay } from '../src/webhook/index.js';
import { createReportsWorker } from '../src/worker.js';
import { buildWorkerDeps } from '../src/worker-deps.js';
import { firingProgressQuery, poolStateQuery, progressQuery } from '../src/workflows/messages.js';
import { poolIdFor, STRIPE_RUNNING_CAP } from '../src/workflows/permit-state.js';
import { runEventsWorkflowId } from '../src/domain/business-key.js';
import { DEFAULT_V2_VERSION } from '../src/stripe/client.js';
import { resultCounts } from '../src/domain/outcomes.js';

// @temporalio/proto is CommonJS: its namespaces come through the default export under ESM.
const History = proto.temporal.api.history.v1.History;
const EventType = proto.temporal.api.enums.v1.EventType;

/** One recorded history, as listed in the release's manifest.json. */
export interface RecordedHistory {
  file: string;
  workflowType: 'reportWorkflow' | 'reportRunWorkflow' | 'permitPoolWorkflow' | 'runEventsWorkflow';
  /** What the workflow was doing when recorded. */
  state: string;
  /** RUNNING, COMPLETED, FAILED or CONTINUED_AS_NEW. */
  status: string;
  workflowId: string;
  runId: string;
  events: number;
  sha256: string;
}

export interface HistoryManifest {
  version: string;
  recordedAt: string;
  /** The commit whose code made these histories. */
  recordedFrom: string;
  temporalSdk: string;
  histories: RecordedHistory[];
}

// Recording keys and secret: test values, checked absent from every history before it is written.
const KEY = 'sk_test_record0histories0key';
const SECRET = 'whsec_record0histories0secret';
const TASK_QUEUE = 'record-histories';
const PERIOD = '2025-10';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
const version = positionals[0];
if (!version || !/^\d+\.\d+\.\d+$/.test(version)) fail('usage: npm run record-histories -- <version> [--out <dir>]   (version like 0.2.0)');
const pkgVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
if (!values.out && pkgVersion !== version) fail(`package.json says ${pkgVersion}: record ${version}'s histories from its own release commit (or give --out for a scratch folder)`);
const outDir = path.resolve(values.out ?? path.join('test/replay-histories', version));
if (existsSync(outDir)) fail(`${path.relative('.', outDir)} exists: recorded histories are never rewritten`);
if (temporalTarget().configured) fail('TEMPORAL_ADDRESS or a temporal.toml profile is set: record on a fresh dev server (unset them)');

function fail(message: string): never {
  console.error(`record-histories: ${message}`);
  process.exit(2);
}
const say = (line: string) => console.log(`[record-histories] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

installTemporalRuntime({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' });
const server = await startOrConnectTemporal({ log: say });
const emulator = await startEmulator({ processingMs: 300, rowsPerRun: 20 });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const nativeConnection = await NativeConnection.connect({ address: server.address });
const built = buildWorkerDeps({
  temporal: client,
  stripe: { baseUrl: emulator.url, env: { REPORTS_RECORD_KEY: KEY } },
  archiveDir: mkdtempSync(path.join(tmpdir(), 'record-histories-')),
  defaultCapacity: STRIPE_RUNNING_CAP,
  webhooks: true,
  // A pool continues as new after a few grants here, so one is caught just after it did.
  poolOptions: { reclaimEveryMs: 5_000, maxEvents: 150 },
});
const worker = await createReportsWorker({ connection: nativeConnection, taskQueue: TASK_QUEUE, deps: built.deps, tuning: { shutdownGraceTime: '1 second' } });
const running = worker.run();
const relay = await startRelay({ client, taskQueue: TASK_QUEUE, port: 0, secrets: [SECRET], logger: createLineLogger('relay', () => undefined) });
emulator.configure({ webhookUrl: relay.url, webhookSecret: SECRET });
const recorded: RecordedHistory[] = [];
mkdirSync(outDir, { recursive: true });
say(`recording ${version} into ${path.relative('.', outDir)} (server ${server.address}, emulator ${emulator.url})`);

try {
  await recordAll();
} finally {
  worker.shutdown();
  await running.catch(() => undefined);
  await relay.close();
  await built.close();
  await nativeConnection.close();
  await connection.close();
  await emulator.close();
  await server.stop();
}
const manifest: HistoryManifest = {
  version,
  recordedAt: new Date().toISOString(),
  recordedFrom: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
  temporalSdk: (JSON.parse(readFileSync('node_modules/@temporalio/worker/package.json', 'utf8')) as { version: string }).version,
  histories: recorded,
};
writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
say(`${recorded.length} histories recorded`);
process.exit(0);

async function recordAll(): Promise<void> {
  // Complete: a v2 firing for the key's own account (its run and the run's mailbox, closed).
  const month = config('rec-v2-own-account', { api: 'v2', report: 'balance.summary.1', result: { compress: true } });
  const monthFiring = await finished(month);
  await record('reportWorkflow', 'complete-archived', monthFiring);
  const ownRun = `report/${month.id}/${PERIOD}/self`;
  await record('reportRunWorkflow', 'complete-archived-v2-zip', client.workflow.getHandle(ownRun));
  await record('runEventsWorkflow', 'complete-delivered', client.workflow.getHandle(runEventsWorkflowId(await runIdOf(ownRun))));

  // Complete: v1, two connected accounts.
  const connected = config('rec-v1-connected', {
    api: 'v1',
    report: 'balance_change_from_activity.itemized.3',
    targets: [{ connected_account: 'acct_recordconnected1' }, { connected_account: 'acct_recordconnected2' }],
  });
  await record('reportWorkflow', 'complete-two-connected-accounts-v1', await finished(connected));
  await record('reportRunWorkflow', 'complete-archived-v1', client.workflow.getHandle(`report/${connected.id}/${PERIOD}/acct_recordconnected1`));

  // Complete: the firing again (every target skipped), then forced (every target run again).
  await record('reportWorkflow', 'complete-all-skipped', await finished(month));
  await record('reportWorkflow', 'complete-forced', await finished(month, true));

  // Failed: Stripe fails the run; the firing fails because every target did.
  emulator.setFaults({ failRunRate: 1 });
  const failing = config('rec-failed-at-stripe', { api: 'v2', report: 'balance.summary.1' });
  await record('reportWorkflow', 'failed-every-target', await finished(failing));
  await record('reportRunWorkflow', 'failed-at-stripe', client.workflow.getHandle(`report/${failing.id}/${PERIOD}/self`));
  emulator.setFaults({});

  // A pool that continued as new with holders and waiters: 16 targets through 2 permits.
  const busy = config('rec-pool-continues', {
    api: 'v2',
    report: 'balance_change_from_activity.itemized.3',
    targets: Array.from({ length: 16 }, (_, i) => ({ connected_account: `acct_recordpool${i}` })),
    permits: { pool: 'rec-pool-continues', capacity: 2 },
  });
  await finished(busy);
  const pool = client.workflow.getHandle(poolIdFor('sandbox', 'rec-pool-continues'));
  const current = await quiet(pool);
  const started = current.events![0]!.workflowExecutionStartedEventAttributes!;
  if (!started.continuedExecutionRunId) throw new Error(`the pool ${pool.workflowId} did not continue as new: raise the targets or lower maxEvents`);
  await record('permitPoolWorkflow', 'continued-as-new', client.workflow.getHandle(pool.workflowId, started.continuedExecutionRunId));
  await record('permitPoolWorkflow', 'idle-after-continue-as-new', pool);

  // A mailbox holding an early event: a run created outside any workflow (the Dashboard, a script)
  // whose event reaches the relay before anyone subscribes.
  const outside = await createRunOutsideWorkflows();
  const mailbox = client.workflow.getHandle(runEventsWorkflowId(outside));
  await until(`an event in ${mailbox.workflowId}`, async () => (await mailbox.fetchHistory().catch(() => undefined))?.events?.some((e) => e.workflowExecutionSignaledEventAttributes) === true);
  await record('runEventsWorkflow', 'holding-early-event', mailbox);

  // In flight: a run waiting for Stripe's data (the data ends mid-October).
  await fetch(`${emulator.url}/_emulator/availability`, { method: 'POST', body: JSON.stringify({ to: '2025-10-20T00:00:00Z' }) });
  const late = config('rec-waiting-for-data', { api: 'v2', report: 'balance.summary.1', wait_for_data: { deadline: '30d', recheck: '6h' } });
  await startReport(client, late, PERIOD, { taskQueue: TASK_QUEUE });
  const lateRun = client.workflow.getHandle(`report/${late.id}/${PERIOD}/self`);
  await until('a run waiting for data', async () => (await lateRun.query(progressQuery).catch(() => undefined))?.stage === 'waiting_for_data');
  await record('reportRunWorkflow', 'waiting-for-data', lateRun);
  await fetch(`${emulator.url}/_emulator/availability`, { method: 'POST', body: JSON.stringify({ to: new Date().toISOString() }) });

  // In flight: mid-transfer (a 50 MB file served at 100 kB/s).
  emulator.configure({ bytesPerRun: 50_000_000, downloadBytesPerSecond: 100_000 });
  const large = config('rec-mid-transfer', { api: 'v2', report: 'balance_change_from_activity.itemized.3' });
  await startReport(client, large, PERIOD, { taskQueue: TASK_QUEUE });
  const transferring = client.workflow.getHandle(`report/${large.id}/${PERIOD}/self`);
  await until('a transfer under way', async () => {
    const pending = (await transferring.describe().catch(() => undefined))?.raw.pendingActivities ?? [];
    return pending.some((p) => p.activityType?.name === 'transferReportFile' && (p.heartbeatDetails?.payloads?.length ?? 0) > 0);
  });
  await record('reportRunWorkflow', 'mid-transfer', transferring);

  // In flight: two permits, four targets (the fan-out window is twice the permits): two runs
  // waiting for Stripe (their mailboxes subscribed), two waiting for a permit; the firing with
  // its children running; the pool with holders and waiters.
  emulator.configure({ processingMs: 3_600_000 });
  const waiting = config('rec-in-flight', {
    api: 'v2',
    report: 'balance_change_from_activity.itemized.3',
    targets: [1, 2, 3, 4].map((i) => ({ connected_account: `acct_recordwaiting${i}` })),
    permits: { pool: 'rec-in-flight', capacity: 2 },
  });
  const firing = await startReport(client, waiting, PERIOD, { taskQueue: TASK_QUEUE });
  const waitingPool = client.workflow.getHandle(poolIdFor('sandbox', 'rec-in-flight'));
  await until('two holders and two waiters', async () => {
    const s = await waitingPool.query(poolStateQuery).catch(() => undefined);
    return s !== undefined && Object.keys(s.holders).length === 2 && s.waiters.length === 2;
  });
  const holder = Object.keys((await waitingPool.query(poolStateQuery)).holders)[0]!;
  const holderRun = client.workflow.getHandle(holder);
  await until('the holder polled Stripe twice', async () => ((await holderRun.query(progressQuery)).polls ?? 0) >= 2);
  await until('the firing sees its children', async () => (await firing.query(firingProgressQuery)).inFlight.length === 4);
  await record('reportWorkflow', 'children-running', firing);
  await record('reportRunWorkflow', 'waiting-for-stripe', holderRun);
  const waiter = (await waitingPool.query(poolStateQuery)).waiters[0]!;
  await record('reportRunWorkflow', 'waiting-for-permit', client.workflow.getHandle(waiter));
  await record('permitPoolWorkflow', 'holders-and-waiters', waitingPool);
  await record('runEventsWorkflow', 'subscribed-waiting', client.workflow.getHandle(runEventsWorkflowId(await runIdOf(holder))));
}

function config(id: string, fields: Record<string, unknown>): ReportConfig {
  return ReportConfigSchema.parse({ id, mode: 'sandbox', key_env: 'REPORTS_RECORD_KEY', ...fields });
}

/** Starts a firing of PERIOD and waits for it to close, however it ends. */
async function finished(cfg: ReportConfig, force = false): Promise<WorkflowHandle> {
  const handle = await startReport(client, cfg, PERIOD, { taskQueue: TASK_QUEUE, force });
  const outcome = await handle.result().then(
    (r) => JSON.stringify(resultCounts(r)),
    (err: Error) => `failed: ${(err.cause as Error | undefined)?.message ?? err.message}`,
  );
  say(`${cfg.id}: ${outcome}`);
  const runId = (await handle.describe()).runId;
  return client.workflow.getHandle(handle.workflowId, runId);
}

/** The ReportRun id a run workflow created (from its progress). */
async function runIdOf(workflowId: string): Promise<string> {
  let runId: string | undefined;
  await until(`the ReportRun of ${workflowId}`, async () => (runId = (await client.workflow.getHandle(workflowId).query(progressQuery)).runId) !== undefined);
  return runId!;
}

/** A v2 ReportRun created straight at Stripe, as a person or another program would. */
async function createRunOutsideWorkflows(): Promise<string> {
  const res = await fetch(`${emulator.url}/v2/reporting/report_runs`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', 'Stripe-Version': DEFAULT_V2_VERSION },
    body: JSON.stringify({ report: 'balance.summary.1', report_parameters: { interval_start: '2025-10-01T00:00:00Z', interval_end: '2025-11-01T00:00:00Z' } }),
  });
  const body = (await res.json()) as { id?: string };
  if (!res.ok || !body.id) throw new Error(`creating a run outside the workflows: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * The history once no workflow task is pending or running, read twice 300 ms apart to the same
 * length: a history that ends mid-task would not check that task's commands on replay.
 */
async function quiet(handle: WorkflowHandle): Promise<proto.temporal.api.history.v1.IHistory> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const first = await handle.fetchHistory();
    const last = first.events!.at(-1)!.eventType;
    if (last === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || last === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) continue;
    if ((await handle.describe()).raw.pendingWorkflowTask) continue;
    await sleep(300);
    const again = await handle.fetchHistory();
    if (again.events!.length === first.events!.length) return again;
  }
  throw new Error(`${handle.workflowId} never went quiet`);
}

async function record(workflowType: RecordedHistory['workflowType'], state: string, handle: WorkflowHandle): Promise<void> {
  const history = await quiet(handle);
  const bytes = History.encode(history).finish();
  // What must never be in a history: the key, the webhook secret, a signed download URL.
  const text = Buffer.from(bytes).toString('latin1');
  for (const secret of [KEY, SECRET, emulator.url]) {
    if (text.includes(secret)) throw new Error(`${workflowType} ${state}: its history holds a secret or a download URL; not recorded`);
  }
  const described = await handle.describe();
  if (described.type !== workflowType) throw new Error(`${handle.workflowId} is a ${described.type}, not a ${workflowType}`);
  const file = `${workflowType}--${state}.binpb`;
  writeFileSync(path.join(outDir, file), bytes, { flag: 'wx' });
  const last = history.events!.at(-1)!;
  const status = last.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ? 'CONTINUED_AS_NEW' : described.status.name;
  recorded.push({
    file,
    workflowType,
    state,
    status,
    workflowId: handle.workflowId,
    runId: described.runId,
    events: history.events!.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
  say(`${file}: ${status}, ${history.events!.length} events`);
}
