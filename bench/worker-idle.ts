/**
 * Idle `reports worker` memory: the production command (bin/reports.js worker, its own Node
 * flags) against a dev server, polling an empty task queue. Per run: RSS once polling, RSS after
 * `--idle-seconds` of polling, and the peak (VmHWM, startup included). Three runs by default;
 * prints one JSON line with every run and the medians.
 *
 *   npx tsx bench/worker-idle.ts [--runs 3] [--idle-seconds 30]
 *
 * Environment for the worker passes through (REPORTS_MAX_CACHED_WORKFLOWS, REPORTS_WORKFLOW_THREADS, …).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startOrConnectTemporal } from '../src/temporal/dev-server.js';
import { mb, median, procStatusKb } from './figures.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'idle-seconds': { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const idleMs = Number(values['idle-seconds']) * 1000;
const say = (line: string) => process.stderr.write(`[worker-idle] ${line}\n`);
const reportsBin = fileURLToPath(new URL('../bin/reports.js', import.meta.url));

const statusKb = (pid: number, field: string): number => {
  const kb = procStatusKb(pid, field);
  if (kb === undefined) throw new Error(`no ${field} for process ${pid}`);
  return kb;
};

const server = await startOrConnectTemporal({ log: say });
const results: { readyMs: number; rssAtReadyMb: number; rssIdleMb: number; peakMb: number }[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'worker-idle-'));
    const started = Date.now();
    const child = spawn(reportsBin, ['worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        TEMPORAL_TASK_QUEUE: `worker-idle-${process.pid}-${i}`,
        STRIPE_SECRET_KEY: 'sk_test_workeridle',
        REPORTS_ARCHIVE_DIR: path.join(dir, 'archive'),
        REPORTS_HEALTH_PORT: String(19_464 + i),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('worker polling')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before polling: ${stderr.slice(-2000)}`)));
    });
    const readyMs = Date.now() - started;
    const rssAtReady = statusKb(child.pid!, 'VmRSS');
    await new Promise((r) => setTimeout(r, idleMs));
    const run = { readyMs, rssAtReadyMb: mb(rssAtReady)!, rssIdleMb: mb(statusKb(child.pid!, 'VmRSS'))!, peakMb: mb(statusKb(child.pid!, 'VmHWM'))! };
    results.push(run);
    say(`run ${i + 1}: ${JSON.stringify(run)}`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await server.stop();
}
console.log(
  JSON.stringify({
    bench: 'worker-idle',
    idleSeconds: idleMs / 1000,
    runs: results,
    median: { rssIdleMb: median(results.map((r) => r.rssIdleMb)), peakMb: median(results.map((r) => r.peakMb)), readyMs: median(results.map((r) => r.readyMs)) },
    load1: loadavg()[0],
  }),
);
