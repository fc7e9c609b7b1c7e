/**
 * `npm run bench`: the fan-out benchmark against the emulator.
 *
 * One configuration with N `account:` targets under a permit pool of capacity C, against an
 * emulator whose runs take T and whose running cap is C, on an in-memory Temporal dev server with
 * the worker in a child process. Then the plain approach for comparison: one loop, one target
 * after another (create, poll every 10 s, download, next).
 *
 * Prints one JSON line per figure set on stdout (progress goes to stderr):
 *   {"bench":"fanout",…}  {"bench":"plain",…}
 * The fan-out line counts what the archive holds (one manifest per target), the CPU seconds per
 * target, and, read from Temporal after the firing, the history every execution on the task queue
 * wrote (bench/firing-history.ts).
 *
 * Flags (or env):  --n (BENCH_N, 1000)  --cap (BENCH_CAP, 100)  --processing-ms (BENCH_PROCESSING_MS, 30000)
 *   --plain-n (BENCH_PLAIN_N, 10; 0 skips it)  --poll-initial-ms (1000)  --poll-factor (1.5)  --poll-max-ms (2000)
 *   --no-fanout  --quick (N=100, C=10, T=3 s, plain N=3)
 *   --cpu-prof [--cpu-prof-dir DIR]: profile the worker (node --cpu-prof, kept in DIR, a new
 *   temporary folder by default) and add where its time went (bench/cpu-profile.ts)
 * Worker tuning goes to bench/worker-process.ts through BENCH_MAX_CACHED_WORKFLOWS, BENCH_MAX_WFT,
 * BENCH_MAX_ACTIVITIES, BENCH_WFT_POLLERS, BENCH_AT_POLLERS.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createStripeClients } from '../src/activities/stripe-clients.js';
import { ReportConfigSchema } from '../src/config/schema.js';
import { targetsOf } from '../src/config/targets.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createLineLogger } from '../src/observability/logger.js';
import { startRelay } from '../src/webhook/index.js';
import { StripeClient } from '../src/stripe/client.js';
import { startOrConnectTemporal, type TemporalServer } from '../src/temporal/dev-server.js';
import { startReport } from '../src/temporal/start-report.js';
import { startBenchWorker, stopBenchWorker } from './worker-child.js';
import { summarizeProfileDir } from './cpu-profile.js';
import { mb, procStatusKb, stats } from './figures.js';
import { handoffFigures, poolTimeline, runTimelines, historyFigures, largestPayloads, listExecutions, startFigures, tailFigures } from './firing-history.js';
import { poolStateQuery, type PermitPoolState } from '../src/workflows/messages.js';
import { poolIdFor } from '../src/workflows/permit-state.js';
import { defaultPollTiming, type PollTiming } from '../src/workflows/timing.js';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const ORG_KEY = 'sk_org_test_bench0key';
const KEY_ENV = 'BENCH_ORG_KEY';
const PERIOD = '2025-10';
const PERIOD_START = '2025-10-01T00:00:00.000Z';
const PERIOD_END = '2025-11-01T00:00:00.000Z';
const PLAIN_POLL_MS = 10_000;

// ---- options --------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    n: { type: 'string' },
    cap: { type: 'string' },
    'processing-ms': { type: 'string' },
    'plain-n': { type: 'string' },
    'poll-initial-ms': { type: 'string' },
    'poll-factor': { type: 'string' },
    'poll-max-ms': { type: 'string' },
    'no-fanout': { type: 'boolean', default: false },
    'no-webhooks': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
  },
  strict: true,
});
const quick = flags.quick || process.env.BENCH_QUICK === '1';
const num = (flag: string | undefined, envName: string, full: number, quickValue: number): number => {
  const raw = flag ?? process.env[envName];
  const v = raw === undefined ? (quick ? quickValue : full) : Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`bench: ${envName} must be a number ≥ 0, got ${raw}`);
  return v;
};
const N = num(flags.n, 'BENCH_N', 1000, 100);
const C = num(flags.cap, 'BENCH_CAP', 100, 10);
const T = num(flags['processing-ms'], 'BENCH_PROCESSING_MS', 30_000, 3_000);
const PLAIN_N = num(flags['plain-n'], 'BENCH_PLAIN_N', 10, 3);
/** As in production: the emulator posts signed events to the relay; `--no-webhooks` measures polling alone. */
const WEBHOOKS = !flags['no-webhooks'] && process.env.BENCH_WEBHOOKS !== '0';
const timing: Partial<PollTiming> = WEBHOOKS
  ? {
      // Events complete runs; polling is the safety net at its production pace (subscribedInitialMs, …).
      initialMs: num(flags['poll-initial-ms'], 'BENCH_POLL_INITIAL_MS', 2000, 2000),
      factor: num(flags['poll-factor'], 'BENCH_POLL_FACTOR', 1.5, 1.5),
      maxMs: num(flags['poll-max-ms'], 'BENCH_POLL_MAX_MS', 60_000, 60_000),
    }
  : {
      initialMs: num(flags['poll-initial-ms'], 'BENCH_POLL_INITIAL_MS', 1000, 1000),
      factor: num(flags['poll-factor'], 'BENCH_POLL_FACTOR', 1.5, 1.5),
      maxMs: num(flags['poll-max-ms'], 'BENCH_POLL_MAX_MS', 2000, 2000),
    };
/** The polling the runs used: with webhooks, the subscribed pace is production's (not set here). */
function pollTimingUsed() {
  const t = { ...defaultPollTiming, ...timing };
  return { initialMs: t.initialMs, factor: t.factor, maxMs: t.maxMs, ...(WEBHOOKS ? { subscribedInitialMs: t.subscribedInitialMs, subscribedMaxMs: t.subscribedMaxMs } : {}) };
}
const lowerBound = (n: number) => Math.ceil(n / C) * T;
const CPU_PROF = flags['cpu-prof'] || flags['cpu-prof-dir'] !== undefined;

// ---- process accounting (/proc) -------------------------------------------------------------

const CLK_TCK = 100;
/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}
/** Descendant processes of ours named `temporal` (the dev server the SDK spawned). */
function temporalServerPids(): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(e), stat.slice(stat.indexOf('(') + 1, close));
      parents.set(Number(e), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = parents.get(pid), hops = 0; p && hops < 10; p = parents.get(p), hops++) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name.startsWith('temporal') && isOurs(pid)).map(([pid]) => pid);
}

// ---- helpers --------------------------------------------------------------------------------

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const parseIso = (iso: string | undefined) => (iso ? Date.parse(iso.replace(/(\.\d{3})\d+/, '$1')) : NaN);

// ---- the archive and the firing's result ------------------------------------------------------

interface Manifest {
  target: { id: string };
  run_id: string;
  run_created_at?: string;
  downloaded_at: string;
  archived_at: string;
  extracted_from?: unknown;
}
const manifestNames = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.manifest.json')) : []);
const readManifests = (dir: string) => manifestNames(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Manifest);

/** Every target archived once: one manifest per target `acct_b<i>` (a CSV extracted from a ZIP is the same target's, not counted). */
function archiveCheck(manifests: Manifest[], n: number) {
  const perTarget = new Map<string, number>();
  for (const m of manifests) if (!m.extracted_from) perTarget.set(m.target.id, (perTarget.get(m.target.id) ?? 0) + 1);
  const expected = new Set(Array.from({ length: n }, (_, i) => `acct_b${i}`));
  const archived = [...expected].filter((id) => perTarget.has(id)).length;
  return {
    archived,
    manifests: manifests.length,
    duplicates: [...perTarget.values()].filter((c) => c > 1).length,
    missing: n - archived,
    unexpected: [...perTarget.keys()].filter((id) => !expected.has(id)).length,
  };
}

/** The firing's result: with per-target `outcomes`, or with `counts` and the first failures (`failed`). */
interface FiringResult {
  counts?: { archived: number; skipped: number; failed: number };
  outcomes?: Array<{ target: string; status: string; reason?: string }>;
  failed?: Array<{ target: string; reason?: string }>;
}
function resultCounts(result: FiringResult) {
  if (result.counts) return { ...result.counts, firstFailure: result.failed?.[0] };
  const outcomes = result.outcomes ?? [];
  const count = (status: string) => outcomes.filter((o) => o.status === status).length;
  return { archived: count('archived'), skipped: count('skipped'), failed: count('failed'), firstFailure: outcomes.find((o) => o.status === 'failed') };
}

// ---- the fan-out run -------------------------------------------------------------------------

interface Sample {
  t: number;
  running: number;
  held?: number;
  waiters?: number;
  effectiveCapacity?: number;
}

async function fanout(server: TemporalServer, emulator: Emulator, settled: Map<string, number>): Promise<Record<string, unknown>> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'reports-bench-'));
  // Kept after the run, for Chrome DevTools or speedscope.
  const profDir = CPU_PROF ? (flags['cpu-prof-dir'] ?? mkdtempSync(path.join(tmpdir(), 'reports-bench-prof-'))) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const taskQueue = `bench-${Date.now().toString(36)}`;
  const {
    child: worker,
    options: workerOptions,
    archiveDir,
  } = await startBenchWorker({
    server,
    taskQueue,
    workDir,
    stripeBase: emulator.url,
    keys: { [KEY_ENV]: ORG_KEY },
    webhooks: WEBHOOKS,
    nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  running.worker = worker;
  log(`worker ${worker.pid} ready: ${JSON.stringify(workerOptions)}`);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const stripe = createStripeClients({ baseUrl: emulator.url, env: { [KEY_ENV]: ORG_KEY } });
  const secret = 'whsec_bench0secret';
  const relay = WEBHOOKS ? await startRelay({ client, taskQueue, port: 0, secrets: [secret], logger: createLineLogger('relay', (l) => process.stderr.write(`${l}\n`), 'warn') }) : undefined;
  if (relay) emulator.configure({ webhookUrl: relay.url, webhookSecret: secret });
  try {
    const configId = `bench-${Date.now().toString(36)}`;
    const config = ReportConfigSchema.parse({
      id: configId,
      report: 'balance.summary.1',
      mode: 'sandbox',
      key_env: KEY_ENV,
      targets: Array.from({ length: N }, (_, i) => ({ account: `acct_b${i}` })),
      permits: { capacity: C },
    });
    const periodDir = path.join(archiveDir, configId, PERIOD);
    const poolId = poolIdFor('sandbox', stripe.keyScopeFor({ keyEnv: KEY_ENV, mode: 'sandbox', configId }));
    const pool = client.workflow.getHandle(poolId);

    const serverPids = temporalServerPids();
    const cpu0 = { bench: process.cpuUsage(), worker: cpuMs(worker.pid!) ?? 0, server: serverPids.reduce((a, p) => a + (cpuMs(p) ?? 0), 0) };
    const samples: Sample[] = [];
    let querying = false;
    let queryFailures = 0;

    const t0 = Date.now();
    const handle = await startReport(client, config, PERIOD, { taskQueue, timing });
    log(`started ${handle.workflowId}: N=${N} C=${C} T=${T}ms, lower bound ${lowerBound(N)} ms`);
    const sampler = setInterval(() => {
      const sample: Sample = { t: Date.now() - t0, running: emulator.counters().running };
      samples.push(sample);
      if (querying) return; // a slow query is not stacked: this second counts as unknown
      querying = true;
      pool
        .query(poolStateQuery)
        .then((s: PermitPoolState) => {
          sample.held = Object.keys(s.holders).length;
          sample.waiters = s.waiters.length;
          sample.effectiveCapacity = s.effectiveCapacity;
        })
        .catch(() => void queryFailures++)
        .finally(() => (querying = false));
      if (samples.length % 30 === 0) {
        const c = emulator.counters();
        log(
          `  t=${Math.round(sample.t / 1000)}s created=${c.runsCreated} running=${c.running} held=${samples.at(-2)?.held ?? '?'} waiting=${samples.at(-2)?.waiters ?? '?'}` +
            ` archived=${manifestNames(periodDir).length} workerRss=${mb(procStatusKb(worker.pid!, 'VmRSS')) ?? '?'}MB`,
        );
      }
    }, 1000);
    let result: FiringResult;
    try {
      result = (await handle.result()) as unknown as FiringResult;
    } finally {
      clearInterval(sampler);
    }
    const makespanMs = Date.now() - t0;
    const workerPeakRssKb = procStatusKb(worker.pid!, 'VmHWM');
    const cpuBench = process.cpuUsage(cpu0.bench);
    const workerCpuMs = (cpuMs(worker.pid!) ?? 0) - cpu0.worker;
    const serverCpuMs = serverPids.reduce((a, p) => a + (cpuMs(p) ?? 0), 0) - cpu0.server;
    const cpu = {
      benchProcessPct: Math.round(((cpuBench.user + cpuBench.system) / 1000 / makespanMs) * 100),
      workerPct: Math.round((workerCpuMs / makespanMs) * 100),
      temporalServerPct: Math.round((serverCpuMs / makespanMs) * 100),
      cores: (await import('node:os')).cpus().length,
    };
    const counters = emulator.counters();
    // Counted in the archive, not from the result (which need not list every target).
    const manifests = readManifests(periodDir);
    const archive = archiveCheck(manifests, N);
    const { archived } = archive;
    const { firstFailure, ...reported } = resultCounts(result);
    if (archived !== N || archive.duplicates > 0) log(`WARNING: ${archived} of ${N} targets archived, ${archive.duplicates} more than once; first failure: ${JSON.stringify(firstFailure ?? null)}`);
    if (reported.archived !== archived) log(`WARNING: the firing says ${reported.archived} archived, the archive holds ${archived}`);
    const perTarget = (cpuMsSpent: number) => (archived > 0 ? Math.round(cpuMsSpent / archived) / 1000 : null);
    const cpuSecondsPerTarget = { worker: perTarget(workerCpuMs), temporalServer: perTarget(serverCpuMs) };

    // Where the time goes, from the 1 s samples: permits held but nothing running at Stripe
    // (create latency + noticing completion + release), and permits free while targets wait (grant latency).
    const known = samples.filter((s) => s.held !== undefined);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const permitUtilisation = round3(mean(known.map((s) => s.held!)) / C);
    const stripeUtilisation = round3(mean(samples.map((s) => s.running)) / C);
    const heldIdle = round3(mean(known.map((s) => s.held! - s.running)) / C);
    const freeWhileWaiting = round3(mean(known.map((s) => (s.waiters! > 0 ? C - s.held! : 0))) / C);

    // Per run, from the manifests and the emulator's settle times.
    const created = manifests.map((m) => parseIso(m.run_created_at)).filter(Number.isFinite).sort((a, b) => a - b);
    const settledTimes = [...settled.values()].sort((a, b) => a - b);
    const noticeLag = manifests.flatMap((m) => {
      const s = settled.get(m.run_id);
      return s === undefined ? [] : [Date.parse(m.downloaded_at) - s];
    });
    // A slot's turnaround: the k-th settle frees a permit that the (k+C)-th create uses.
    const turnaround = created.slice(C).map((c, k) => c - settledTimes[k]!).filter((x) => Number.isFinite(x));
    const lastSettle = settledTimes.at(-1);
    // BENCH_TIMES_FILE: every create and settle (ms from the start), to see where a wave lost time.

    // What the firing wrote into Temporal, once it has ended (the pool still runs: described).
    const historyStarted = Date.now();
    const { executions, described } = await listExecutions(client, taskQueue, log);
    const history = { ...historyFigures(executions, { targets: N, firingId: handle.workflowId }), described };
    const payloads = await largestPayloads(client, executions, log);
    const handoff = await handoffFigures(client, executions);
    const tail = await tailFigures(client, handle.workflowId, executions).catch((err: Error) => ({ error: err.message }));
    const start = await startFigures(client, handle.workflowId, targetsOf(config)[0]!.id, poolId).catch((err: Error) => ({ error: err.message }));
    const historyReadMs = Date.now() - historyStarted;
    // BENCH_TIMES_FILE: every run's steps (ms from the start), to see where a wave's turnaround went.
    if (process.env.BENCH_TIMES_FILE) {
      const settledAt = Object.fromEntries(manifests.map((m) => [m.target.id, (settled.get(m.run_id) ?? NaN) - t0]));
      const runs = (await runTimelines(client, executions)).map((r) => ({
        ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? v - t0 : v])),
        settled: settledAt[r.workflowId.split('/').at(-1)!],
      }));
      const pool = (await poolTimeline(client, poolId)).map(([at, ...rest]) => [at - t0, ...rest]);
      writeFileSync(process.env.BENCH_TIMES_FILE, JSON.stringify({ created: created.map((c) => c - t0), settled: settledTimes.map((x) => x - t0), runs, pool }));
    }

    const workerRssKbAtEnd = procStatusKb(worker.pid!, 'VmRSS');
    const stopStarted = Date.now();
    await stopBenchWorker(worker); // before reading its profile: node writes it on a clean exit
    const workerStopMs = Date.now() - stopStarted;
    const profile = profDir ? cpuProfile(profDir, worker.pid!, path.join(workDir, 'workflows.js')) : undefined;

    const lb = lowerBound(N);
    return {
      bench: 'fanout',
      n: N,
      cap: C,
      processingMs: T,
      makespanMs,
      lowerBoundMs: lb,
      ratio: round3(makespanMs / lb),
      archived,
      archive: { ...archive, result: reported },
      runsCreated: counters.runsCreated,
      peakRunning: counters.peakRunning,
      permitUtilisation,
      rateLimited: counters.rateLimited,
      workerPeakRssMb: mb(workerPeakRssKb),
      workerRssMbAtEnd: mb(workerRssKbAtEnd),
      workerStopMs,
      pollTiming: pollTimingUsed(),
      webhooks: relay ? { ...relay.stats(), webhooksSent: counters.webhooksSent } : false,
      workerOptions,
      breakdown: {
        stripeUtilisation,
        heldButNotRunning: heldIdle,
        freeWhileTargetsWait: freeWhileWaiting,
        firstRunCreatedMs: created.length ? created[0]! - t0 : null,
        // Where that time goes, in the first batch and its first target (firing-history.ts).
        start,
        lastRunSettledToResultMs: lastSettle === undefined ? null : t0 + makespanMs - lastSettle,
        // Where that time goes after the last run (firing-history.ts).
        tail,
        settleToDownloadedMs: stats(noticeLag),
        slotTurnaroundMs: stats(turnaround),
        // From a permit granted to its run created at Stripe, in a sample of runs (firing-history.ts).
        handoff,
        samples: samples.length,
        poolQueriesMissed: samples.length - known.length,
        queryFailures,
      },
      cpu,
      cpuSecondsPerTarget,
      history: { ...history, readMs: historyReadMs },
      largestPayload: payloads,
      ...(profile ? { profile } : {}),
    };
  } finally {
    await relay?.close();
    emulator.configure({ webhookUrl: undefined });
    await stopBenchWorker(worker);
    await connection.close();
    await stripe.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Where the worker's time went, from its threads' profiles; the workflow bundle named as such. */
function cpuProfile(dir: string, pid: number, bundlePath: string) {
  const summary = summarizeProfileDir(dir, { pid, aliases: { [`file://${bundlePath}`]: 'workflow bundle' } });
  if (!summary) {
    log(`WARNING: no .cpuprofile in ${dir}: did the worker exit cleanly?`);
    return { dir, file: null };
  }
  const main = summary.files.find((f) => f.thread === 0) ?? summary.files[0]!;
  return { dir, file: main.file, ...summary };
}

// ---- the plain approach ----------------------------------------------------------------------

async function plain(emulator: Emulator): Promise<Record<string, unknown>> {
  (emulator as Emulator & { resetCounters(): void }).resetCounters();
  const stripe = new StripeClient({ apiKey: ORG_KEY, baseUrl: emulator.url });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let bytes = 0;
  const t0 = Date.now();
  try {
    for (let i = 0; i < PLAIN_N; i++) {
      const context = `acct_p${i}`;
      let run = await stripe.createReportRun(
        { report: 'balance.summary.1', report_parameters: { interval_start: PERIOD_START, interval_end: PERIOD_END } },
        { context, idempotencyKey: `bench-plain-${t0}-${i}` },
      );
      while (run.status === 'running') {
        await sleep(PLAIN_POLL_MS);
        run = await stripe.getReportRun(run.id, { context });
      }
      if (run.status !== 'succeeded' || !run.result) throw new Error(`plain run ${run.id} ended ${run.status}`);
      const res = await stripe.openFile(run.result.file.download_url.url, { withKey: false });
      const hash = createHash('sha256');
      for await (const chunk of res.body) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      if (res.status !== 200) throw new Error(`plain download of ${run.id} answered ${res.status}`);
      log(`  plain ${i + 1}/${PLAIN_N} done at ${Math.round((Date.now() - t0) / 1000)}s`);
    }
  } finally {
    await stripe.close();
  }
  const makespanMs = Date.now() - t0;
  const lb = lowerBound(PLAIN_N);
  const c = emulator.counters();
  return {
    bench: 'plain',
    n: PLAIN_N,
    cap: C,
    processingMs: T,
    makespanMs,
    lowerBoundMs: lb,
    ratio: round3(makespanMs / lb),
    sequentialBoundMs: PLAIN_N * T,
    pollEveryMs: PLAIN_POLL_MS,
    runsCreated: c.runsCreated,
    peakRunning: c.peakRunning,
    rateLimited: c.rateLimited,
    bytesDownloaded: bytes,
  };
}

// ---- main ------------------------------------------------------------------------------------

/** Whatever must be stopped if the run is interrupted (Ctrl-C, SIGTERM). */
const running: { server?: TemporalServer; emulator?: Emulator; worker?: ChildProcess } = {};

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let server: TemporalServer | undefined;
  let emulator: Emulator | undefined;
  const settled = new Map<string, number>();
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: stopping the worker, the emulator and the server');
    void (async () => {
      if (running.worker) await stopBenchWorker(running.worker).catch(() => undefined);
      await running.emulator?.close().catch(() => undefined);
      await running.server?.stop().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    emulator = await startEmulator({
      processingMs: T,
      runningCap: { sandbox: C, live: C },
      log: (line) => {
        const m = line.match(/^run (\S+) \S+ (succeeded|failed)/);
        if (m) settled.set(m[1]!, Date.now());
      },
    });
    running.emulator = emulator;
    log(`emulator at ${emulator.url}`);
    if (!flags['no-fanout'] && N > 0) {
      server = await startOrConnectTemporal({ log });
      running.server = server;
      log(`Temporal at ${server.address}`);
      console.log(JSON.stringify(await fanout(server, emulator, settled)));
      // The plain approach needs no Temporal: stop the server now.
      await server.stop();
      server = running.server = undefined;
    }
    if (PLAIN_N > 0) {
      log(`plain approach: ${PLAIN_N} targets one after another, polling every ${PLAIN_POLL_MS / 1000} s`);
      console.log(JSON.stringify(await plain(emulator)));
    }
  } finally {
    await emulator?.close();
    await server?.stop();
  }
}

/**
 * The Temporal CLI prints its banner on the stdout it inherits: the benchmark runs in a child
 * process whose stdout is filtered, so this process's stdout carries only the JSON lines.
 */
async function supervise(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, BENCH_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('{"bench"')) process.stdout.write(`${line}\n`);
      else if (line.trim()) process.stderr.write(`[temporal] ${line}\n`);
    }
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (process.env.BENCH_CHILD === '1') {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`[bench] ${(err as Error).stack ?? err}`);
      process.exit(1);
    },
  );
} else {
  supervise().then((code) => process.exit(code));
}
