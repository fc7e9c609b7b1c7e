/**
 * `npm run chaos`: the deploy topology as processes, every fault at once, and the promise "every
 * file, exactly once" checked from the outside at the end.
 *
 * A Temporal server on a database file, the emulator (Stripe) in its own process with 5xx, extra
 * 429s, failed runs, dropped / duplicated / delayed webhooks, expiring URLs and broken downloads;
 * S3 on versitygw; the relay; three `reports worker` processes. Several configurations (v2 and v1,
 * per-account, connected and organization-wide targets, ZIP and plain, filesystem and S3) total
 * `--runs` target-runs under a cap well below it, while the harness SIGKILLs a worker every
 * `--kill-every-ms` (rotating, restarted at once), kills the relay once, stops the Temporal server
 * once and starts it on the same database, stops S3 for `--s3-down-ms`, and runs `reports sync`
 * and `reports run --force` of one configuration.
 *
 * Prints each invariant on its own line (stderr) and one JSON line on stdout:
 *   {"bench":"chaos","runs",…,"invariants":{…},"faults":{…}}
 * Exits 1 when an invariant breaks, naming the first target that broke it.
 *
 * Flags: --runs N (1000)  --quick (100 runs, shorter outages)  --cap C  --processing-ms T
 *   --workers W (3)  --seed S  --kill-every-ms  --s3-down-ms  --temporal-down-ms  --keep (keep the folder)
 */
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FilesystemArchive } from '../src/archive/filesystem.js';
import { loadFiringOutcomes } from '../src/archive/firing-outcomes.js';
import { S3Archive } from '../src/archive/s3.js';
import type { ArchiveStore } from '../src/archive/store.js';
import { businessKey } from '../src/domain/business-key.js';
import { resultCounts, type FiringOutcomes, type ReportWorkflowResult } from '../src/domain/outcomes.js';
import type { EmulatorFaults } from '../src/emulator/index.js';
import { poolStateQuery } from '../src/workflows/messages.js';
import { chaosConfigurations, PERIOD, targetRuns, writeConfigurations } from './chaos/configurations.js';
import { emulatorCounters, emulatorRuns, emulatorSha256, findSecrets, listArchive, listWorkflows, scanHistories, scanLogs } from './chaos/evidence.js';
import { checkInvariants, type FiringResult } from './chaos/invariants.js';
import { reportsCommand, sleep, untilAnswered } from './chaos/processes.js';
import { startTopology, temporalAnswers, type Topology } from './chaos/topology.js';

const say = (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    cap: { type: 'string' },
    'processing-ms': { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    'kill-every-ms': { type: 'string' },
    's3-down-ms': { type: 'string' },
    'temporal-down-ms': { type: 'string' },
    'timeout-ms': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const quick = flags.quick;
const num = (name: keyof typeof flags, full: number, quickValue: number): number => {
  const raw = flags[name];
  const v = raw === undefined ? (quick ? quickValue : full) : Number(raw);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`chaos: --${name} must be a number ≥ 0, got ${String(raw)}`);
  return v;
};
const RUNS = num('runs', 1000, 100);
const CAP = num('cap', 50, 10);
const T = num('processing-ms', 5_000, 3_000);
const WORKERS = num('workers', 3, 3);
const SEED = num('seed', 7, 7);
const KILL_EVERY = num('kill-every-ms', 30_000, 15_000);
const S3_DOWN = num('s3-down-ms', 60_000, 20_000);
const TEMPORAL_DOWN = num('temporal-down-ms', 15_000, 5_000);
const TIMEOUT = num('timeout-ms', 45 * 60_000, 15 * 60_000);
/** When each one-off disruption happens, from the moment every firing has been started (ms). */
const AT = quick
  ? { sync: 5_000, force: 10_000, relay: 15_000, temporal: 25_000, s3: 40_000 }
  : { sync: 15_000, force: 30_000, relay: 45_000, temporal: 60_000, s3: 90_000 };

/** Stripe's faults, all at once (rates as the issue sets them). */
const FAULTS: EmulatorFaults = {
  serverErrorRate: 0.05,
  // A create carried out whose answer never arrives: only the Idempotency-Key prevents a second run.
  lostResponseRate: 0.02,
  extraRateLimitRate: 0.02,
  failRunRate: 0.01,
  dropWebhookRate: 0.3,
  duplicateWebhookRate: 0.3,
  delayWebhookRate: 0.2,
  webhookDelayMs: 4_000,
  // 5 % of downloads broken: cut short, reset, or one byte flipped.
  truncateDownloadRate: 0.02,
  resetDownloadRate: 0.015,
  corruptDownloadRate: 0.015,
  expireDownloadUrlRate: 0.03,
};
/** Download URLs live 20 s here (Stripe's live minutes): a retry that waits longer must fetch a fresh one. */
const URL_TTL_SECONDS = 20;

const harness = { workerKills: 0, relayKills: 0, temporalStops: 0, temporalDownMs: 0, s3Outages: 0, s3DownMs: 0, syncs: 0, forcedRuns: 0 };

async function main(): Promise<number> {
  const wallStart = Date.now();
  const root = mkdtempSync(path.join(tmpdir(), 'reports-chaos-'));
  say(`folder ${root}; ${RUNS} target-runs, cap ${CAP}, runs take ${T} ms, ${WORKERS} workers${quick ? ' (quick)' : ''}`);
  let topology: Topology | undefined;
  let connection: Connection | undefined;
  try {
    // Ctrl-C or a CI timeout: take every process down with the harness, leave nothing running.
    let stopping = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      // `on`, not `once`: a second signal (tsx forwards the first) must not kill the harness before its children.
      process.on(signal, () => {
        if (stopping) return;
        stopping = true;
        say(`${signal}: stopping every process`);
        void (topology?.stop() ?? Promise.resolve()).finally(() => {
          if (!flags.keep) rmSync(root, { recursive: true, force: true });
          process.exit(130);
        });
      });
    }
    topology = await startTopology({ root, workers: WORKERS, cap: CAP, processingMs: T, urlTtlSeconds: URL_TTL_SECONDS, faults: FAULTS, seed: SEED, say });
    const top = topology;
    const configs = chaosConfigurations(RUNS);
    const expected = targetRuns(configs);
    writeConfigurations(top.schedulesDir, configs, { bucket: top.s3.bucket, endpoint: top.s3.endpoint });
    connection = await Connection.connect({ address: top.temporalAddress });
    const client = new Client({ connection });
    const cliLog = path.join(top.logsDir, 'cli.log');
    const reports = (args: string[]) => reportsCommand(args, top.operatorEnv(), cliLog);

    // The forced configuration runs to the end first, so `--force` later re-runs archived targets.
    const forcedConfig = configs.find((c) => c.forced)!;
    say(`firing ${forcedConfig.id} to completion before the rest`);
    const first = await reports(['run', forcedConfig.id, '--period', PERIOD, '--wait']);
    if (first.code !== 0 && first.code !== 1) throw new Error(`reports run ${forcedConfig.id} --wait exited ${first.code}: ${first.stderr}`);
    const forcedId = businessKey(forcedConfig.id, PERIOD);
    const forcedFirstRun = (await client.workflow.getHandle(forcedId).describe()).runId;
    // Every target's outcome is in the period's outcome file, in the configuration's archive.
    const s3Archive = new S3Archive({ bucket: top.s3.bucket, prefix: 'chaos', client: top.s3.client() });
    const fsArchive = new FilesystemArchive(top.archiveDir);
    const archiveOf = (configId: string): ArchiveStore => (configs.find((c) => c.id === configId)?.backend === 's3' ? s3Archive : fsArchive);
    // The forced firing replaces the period's outcome file: the first firing's is read now.
    const forcedFirstOutcomes = await loadFiringOutcomes(archiveOf(forcedConfig.id), forcedConfig.id, PERIOD);

    // Everything else at once.
    const firings = configs.filter((c) => !c.forced).flatMap((c) => c.periods.map((p) => ({ config: c.id, period: p, id: businessKey(c.id, p) })));
    const t0 = Date.now();
    say(`firing ${firings.length} (configuration, period) pairs: ${expected.length - forcedConfig.targets.length} target-runs`);
    const started = await Promise.all(firings.map((f) => reports(['run', f.config, '--period', f.period])));
    started.forEach((r, i) => {
      if (r.code !== 0) throw new Error(`reports run ${firings[i]!.config} --period ${firings[i]!.period} exited ${r.code}: ${r.stderr}`);
    });

    // The disruptions, while it all runs (timed from here: starting the firings takes a while on a busy machine).
    const t1 = Date.now();
    let done = false;
    const killer = killWorkersUntil(top, () => done);
    let forcedRun: string | undefined;
    const timeline = Promise.all([
      at(t1 + AT.sync, async () => {
        const r = await reports(['sync']);
        harness.syncs++;
        say(`reports sync: exit ${r.code}, ${r.stdout.trim().split('\n').pop()}`);
      }),
      at(t1 + AT.force, async () => {
        const r = await reports(['run', forcedConfig.id, '--period', PERIOD, '--force']);
        if (r.code !== 0) throw new Error(`reports run ${forcedConfig.id} --force exited ${r.code}: ${r.stderr}`);
        harness.forcedRuns++;
        forcedRun = await untilAnswered(async () => (await client.workflow.getHandle(forcedId).describe()).runId);
        say(`reports run ${forcedConfig.id} --force started (${forcedRun})`);
      }),
      at(t1 + AT.relay, async () => {
        await top.relay.kill();
        harness.relayKills++;
        say('relay SIGKILLed');
        await sleep(3_000);
        await top.relay.start();
        say('relay back');
      }),
      at(t1 + AT.temporal, async () => {
        const down = Date.now();
        await top.temporal.stop(15_000);
        harness.temporalStops++;
        say('Temporal server stopped');
        await sleep(TEMPORAL_DOWN);
        await top.temporal.start();
        harness.temporalDownMs += Date.now() - down;
        say(`Temporal server back on the same database after ${Date.now() - down} ms`);
      }),
      at(t1 + AT.s3, async () => {
        const down = Date.now();
        await top.s3.halt();
        harness.s3Outages++;
        say(`S3 stopped for ${S3_DOWN} ms`);
        await sleep(S3_DOWN);
        await top.s3.resume();
        harness.s3DownMs += Date.now() - down;
        say('S3 back');
      }),
    ]);

    // Wait for every firing (and the forced one) to close, showing progress.
    const allIds = firings.map((f) => f.id);
    const closeTimes = new Map<string, number>();
    const deadline = t0 + TIMEOUT;
    let lastNote = 0;
    let timedOut = false;
    for (;;) {
      for (const id of allIds.filter((x) => !closeTimes.has(x))) {
        const d = await client.workflow.getHandle(id).describe().catch(() => undefined);
        if (d && d.status.name !== 'RUNNING' && d.closeTime) closeTimes.set(id, d.closeTime.getTime());
      }
      const forcedClosed = forcedRun ? await client.workflow.getHandle(forcedId, forcedRun).describe().then((d) => (d.status.name !== 'RUNNING' ? d.closeTime?.getTime() : undefined)).catch(() => undefined) : undefined;
      if (forcedClosed) closeTimes.set(`${forcedId} (forced)`, forcedClosed);
      const finished = closeTimes.size === allIds.length + 1;
      if (Date.now() - lastNote > 15_000 || finished) {
        lastNote = Date.now();
        const c = await emulatorCounters(top.emulatorUrl).catch(() => undefined);
        const pools = await poolSummary(client).catch((err: Error) => `pool ? (${err.message.split('\n')[0]!.slice(0, 160)})`);
        say(`${Math.round((Date.now() - t0) / 1000)} s: ${closeTimes.size}/${allIds.length + 1} firings closed; ReportRuns created ${c?.runsCreated ?? '?'}, running ${c?.running ?? '?'} (peak ${c?.peakRunning ?? '?'}); ${pools}; worker kills ${harness.workerKills}; load ${loadavg()[0]!.toFixed(1)}`);
      }
      if (finished) break;
      if (Date.now() > deadline) {
        say(`timed out after ${TIMEOUT} ms with ${allIds.length + 1 - closeTimes.size} firings still open`);
        timedOut = true;
        break;
      }
      await sleep(2_000);
    }
    // Every disruption happens, even in a run that finished early.
    await timeline;
    done = true;
    await killer;
    if (timedOut) {
      // A stalled run is a failure whatever the evidence says: say what is stuck (bounded in time:
      // the server itself may be what hangs) and stop, instead of waiting on results that never come.
      const open = allIds.filter((x) => !closeTimes.has(x));
      if (!closeTimes.has(`${forcedId} (forced)`)) open.push(forcedId); // its latest run: the forced one
      for (const line of await withinMs(120_000, stallReport(client, top.temporalAddress, open, top.logsDir), ['the stall report itself did not finish in 120 s'])) say(line);
      process.stdout.write(`${JSON.stringify({ bench: 'chaos', ok: false, timedOut: true, open, faults: harness, wallMs: Date.now() - wallStart })}\n`);
      say(`BROKEN: every firing closes: ${open.length} still open after ${TIMEOUT} ms; first: ${open[0]}`);
      return 1;
    }
    const makespanMs = Math.max(...closeTimes.values()) - t0;

    // Every process up (a worker may be starting again), then let the last signals land.
    for (const p of [top.relay, ...top.workers]) if (!p.child || p.child.exitCode !== null || p.child.signalCode !== null) await p.start();
    await sleep(5_000);

    say('gathering the evidence: firing results, the emulator\'s runs, the archive, every history');
    /** A firing's result with every target's outcome, from its outcome file (`file`: one read earlier, else the archive's now). */
    const results = async (id: string, runId?: string, file?: () => Promise<FiringOutcomes | undefined>): Promise<FiringResult | Error> => {
      let result: ReportWorkflowResult;
      try {
        // A firing still open after the timeout has no result to wait for: waiting would hang the harness past CI's limit.
        const d = await client.workflow.getHandle(id, runId).describe();
        if (d.status.name === 'RUNNING') return new Error(`${id} still running after ${TIMEOUT} ms`);
        result = (await client.workflow.getHandle(id, runId).result()) as ReportWorkflowResult;
      } catch (err) {
        return err instanceof WorkflowFailedError ? new Error(`${id} failed: ${err.cause?.message ?? err.message}`) : (err as Error);
      }
      if (result.outcomes) return result as FiringResult;
      try {
        const outcomes = await (file ?? (() => loadFiringOutcomes(archiveOf(result.config), result.config, result.period)))();
        if (!outcomes) return new Error(`${id}: no outcome file ${result.outcomesFile ?? `${result.config}/${result.period}/outcomes.json`}`);
        const counts = resultCounts(result);
        if (outcomes.firing !== id || (['archived', 'skipped', 'failed'] as const).some((k) => outcomes.counts[k] !== counts[k])) {
          return new Error(`${id}: the outcome file (${outcomes.firing}, ${JSON.stringify(outcomes.counts)}) is not the result's (${JSON.stringify(counts)})`);
        }
        return { ...result, outcomes: outcomes.outcomes };
      } catch (err) {
        return new Error(`${id}: outcome file unreadable: ${(err as Error).message}`);
      }
    };
    const firingResults = new Map<string, FiringResult | Error>();
    for (const f of firings) firingResults.set(`${f.config}/${f.period}`, await results(f.id));
    firingResults.set(`${forcedConfig.id}/${PERIOD}`, await results(forcedId, forcedFirstRun, async () => forcedFirstOutcomes));
    const forcedResults = new Map<string, FiringResult | Error>();
    forcedResults.set(`${forcedConfig.id}/${PERIOD}`, forcedRun ? await results(forcedId, forcedRun) : new Error('the forced firing never started'));

    const [runs, counters, archive, workflows] = await Promise.all([
      emulatorRuns(top.emulatorUrl),
      emulatorCounters(top.emulatorUrl),
      listArchive({ archiveDir: top.archiveDir, hostDirs: top.hostDirs, s3: top.s3.client(), bucket: top.s3.bucket, prefix: 'chaos' }),
      // Three of the workers' reclaim checks (REPORTS_PERMIT_RECLAIM_SECONDS=5, chaos/topology.ts).
      listWorkflows(client, 15_000),
    ]);
    const sha256 = new Map<string, string>();
    for (const f of archive.files) if (f.manifest && !sha256.has(f.manifest.run_id)) sha256.set(f.manifest.run_id, await emulatorSha256(top.emulatorUrl, f.manifest.run_id).catch(() => 'unknown'));
    const verify = [];
    for (const c of configs) {
      const r = await reports(['verify', '--config', c.id]);
      verify.push({ config: c.id, code: r.code, output: r.stdout + r.stderr });
    }
    const histories = await scanHistories(client, workflows.all, top.secrets, (n) => say(`read ${n} of ${workflows.all.length} histories`));
    const logs = scanLogs(top.logsDir, top.secrets);
    const manifestFindings = archive.files.flatMap((f) => (f.manifestText ? findSecrets(f.manifestText, top.secrets, `${f.backend} manifest ${f.key}`) : []));
    const secrets = [...histories.findings, ...logs.findings, ...manifestFindings];

    const { invariants, tally } = checkInvariants({
      expected,
      firings: firingResults,
      forced: forcedResults,
      runs,
      sha256,
      archive,
      verify,
      workflows,
      peakRunning: counters.peakRunning ?? 0,
      cap: CAP,
      secrets,
      nondeterminism: histories.nondeterminism,
    });
    // Inside the makespan: every target once, and the forced configuration's targets again.
    const lowerBoundMs = Math.ceil(expected.length / CAP) * T;
    const unexpectedExits = [top.temporal, top.emulator, top.relay, ...top.workers].reduce((n, p) => n + p.unexpectedExits, 0);
    for (const inv of invariants) say(`${inv.ok ? '✓' : '✗'} ${inv.name}: ${inv.detail}${inv.first ? `; first: ${inv.first}` : ''}`);
    const firstBroken = invariants.find((i) => !i.ok);
    const line = {
      bench: 'chaos',
      ...tally,
      peakRunning: counters.peakRunning,
      cap: CAP,
      processingMs: T,
      makespanMs,
      lowerBoundMs,
      ratio: Number((makespanMs / lowerBoundMs).toFixed(2)),
      reportRunsCreated: runs.length,
      historiesRead: histories.scanned,
      historyEvents: histories.events,
      logLinesRead: logs.lines,
      manifestsRead: archive.files.length,
      faults: {
        workerKills: harness.workerKills,
        relayKills: harness.relayKills,
        temporalStops: harness.temporalStops,
        temporalDownMs: harness.temporalDownMs,
        s3Outages: harness.s3Outages,
        s3DownMs: harness.s3DownMs,
        syncs: harness.syncs,
        forcedRuns: harness.forcedRuns,
        unexpectedExits,
        serverErrors: counters.serverErrors,
        responsesLost: counters.responsesLost,
        rateLimited: counters.rateLimited,
        extraRateLimited: counters.extraRateLimited,
        runsFailed: counters.runsFailed,
        webhooksSent: counters.webhooksSent,
        webhooksDropped: counters.webhooksDropped,
        webhooksDuplicated: counters.webhooksDuplicated,
        webhooksDelayed: counters.webhooksDelayed,
        downloads: counters.downloads,
        downloadsTruncated: counters.downloadsTruncated,
        downloadsReset: counters.downloadsReset,
        downloadsCorrupted: counters.downloadsCorrupted,
        urlsExpired: counters.urlsExpired,
        idempotentReplays: counters.idempotentReplays,
      },
      invariants: Object.fromEntries(invariants.map((i) => [i.name, i.ok ? 'ok' : `broken: ${i.first}`])),
      wallMs: Date.now() - wallStart,
      load: loadavg().map((l) => Number(l.toFixed(2))),
      ok: !firstBroken,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (firstBroken) say(`BROKEN: ${firstBroken.name}: first at ${firstBroken.first}`);
    return firstBroken ? 1 : 0;
  } finally {
    await connection?.close().catch(() => undefined);
    await topology?.stop().catch((err: Error) => say(`stopping the topology: ${err.message}`));
    if (flags.keep) say(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

/** What the permit pools hold, lend and keep waiting right now (the progress line). */
/**
 * What a stalled run is stuck on: the server's health, each pool's and open firing's pending
 * workflow task (a task failing on every attempt is a bug; one never started is a lost worker)
 * and the last workflow-task failure in their histories.
 */
async function stallReport(client: Client, address: string, open: string[], logsDir: string): Promise<string[]> {
  const lines: string[] = [];
  const health = await temporalAnswers(address).then((ok) => (ok ? 'answers' : 'does not answer')).catch((err: Error) => `fails: ${err.message}`);
  lines.push(`stall: the Temporal server ${health}`);
  const ids: string[] = [];
  try {
    for await (const w of client.workflow.list({ query: 'WorkflowType="permitPoolWorkflow" AND ExecutionStatus="Running"' })) ids.push(w.workflowId);
  } catch (err) {
    lines.push(`stall: listing the pools failed: ${(err as Error).message}`);
  }
  for (const id of [...ids, ...open]) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      const task = d.raw.pendingWorkflowTask;
      const pending = task ? `workflow task ${proto.temporal.api.enums.v1.PendingWorkflowTaskState[task.state ?? 0]}, attempt ${task.attempt}` : 'no workflow task pending';
      const history = await client.workflow.getHandle(id).fetchHistory();
      const E = proto.temporal.api.enums.v1.EventType;
      const failures = (history.events ?? []).filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED || e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
      const last = failures.at(-1);
      const why = last?.workflowTaskFailedEventAttributes?.failure?.message ?? (last?.workflowTaskTimedOutEventAttributes ? 'timed out' : undefined);
      lines.push(`stall: ${id}: ${d.status.name}, ${d.historyLength} events, ${pending}, ${failures.length} failed or timed-out workflow tasks${why ? `, last: ${why.split('\n')[0]!.slice(0, 300)}` : ''}`);
    } catch (err) {
      lines.push(`stall: ${id}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  // The workers' own words about the pools (a task that fails on every attempt says why there).
  const said = readdirSync(logsDir)
    .filter((f) => f.startsWith('worker-'))
    .flatMap((f) => readFileSync(path.join(logsDir, f), 'utf8').split('\n').map((l) => `${f}: ${l}`))
    .filter((l) => ids.some((id) => l.includes(id)) && !l.includes('"level":"info"') && !l.includes('"level":"debug"'));
  lines.push(`stall: ${said.length} warnings or errors about the pools in the workers' logs${said.length ? '; the last:' : ''}`);
  for (const l of said.slice(-6)) lines.push(`stall:   ${l.slice(0, 600)}`);
  return lines;
}

async function withinMs<T>(ms: number, work: Promise<T>, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(otherwise), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function poolSummary(client: Client): Promise<string> {
  const parts: string[] = [];
  for await (const w of client.workflow.list({ query: 'WorkflowType="permitPoolWorkflow" AND ExecutionStatus="Running"' })) {
    const s = await client.workflow.getHandle(w.workflowId).query(poolStateQuery);
    parts.push(`pool ${Object.keys(s.holders).length} held of ${s.effectiveCapacity}/${s.capacity}, ${s.waiters.length} waiting, ${s.capHits} 429s`);
  }
  return parts.join('; ') || 'no pool yet';
}

/** SIGKILLs the workers in turn every KILL_EVERY ms and starts each again at once, until `stop()`. */
async function killWorkersUntil(top: Topology, stop: () => boolean): Promise<void> {
  let next = 0;
  while (!stop()) {
    const wake = Date.now() + KILL_EVERY;
    while (!stop() && Date.now() < wake) await sleep(500);
    if (stop()) return;
    const victim = top.workers[next++ % top.workers.length]!;
    await victim.kill();
    harness.workerKills++;
    say(`${victim.spec.name} SIGKILLed (kill ${harness.workerKills}); starting it again`);
    await victim.start().catch((err: Error) => say(`${victim.spec.name} did not come back: ${err.message}`));
  }
}

async function at(when: number, what: () => Promise<void>): Promise<void> {
  await sleep(Math.max(0, when - Date.now()));
  await what();
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    say(`chaos run failed: ${err.stack ?? err.message}`);
    process.exit(2);
  },
);
