/**
 * The project's own commands as processes, as an operator runs them: `reports worker` and
 * `reports relay` (long-running, killable with SIGKILL) and the short-lived ones (`sync`, `run`,
 * `verify`…). Each gets the environment it would have on its host.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const run = promisify(execFile);

export interface WorkerProcessSetup {
  taskQueue: string;
  stripeBase: string;
  /** The shared archive folder (REPORTS_ARCHIVE_DIR); each worker has only this in common. */
  archiveDir: string;
  /** Key variables, AWS credentials, REPORTS_* settings… */
  env: Record<string, string>;
  /** Another Temporal server than the suite's (a fresh one, as users' clusters are). */
  temporalAddress?: string;
  /** Another release's code (a checkout, test/helpers/release-checkout.ts): its command and its own workflow bundle. */
  checkout?: string;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its /healthz (on a free loopback port). */
  healthUrl: string;
  /** Everything it printed, stdout and stderr, for assertions (never a secret). */
  output(): string;
  /** What it printed on stdout alone: its log, one JSON object per line. */
  stdout(): string;
}

/**
 * `reports worker`, the production command, in a process of its own on the suite's dev server (or
 * `temporalAddress`), so a test can SIGKILL it mid-flight; resolves once it polls.
 */
export async function startWorkerProcess(setup: WorkerProcessSetup): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: setup.temporalAddress ?? inject('temporalAddress'),
    // Another release bundles its own workflows when it starts.
    REPORTS_WORKFLOW_BUNDLE: setup.checkout ? undefined : inject('workflowBundlePath'),
    TEMPORAL_TASK_QUEUE: setup.taskQueue,
    STRIPE_API_BASE: setup.stripeBase,
    REPORTS_ARCHIVE_DIR: setup.archiveDir,
    REPORTS_HEALTH_PORT: '0',
    REPORTS_PERMIT_RECLAIM_SECONDS: '1',
    // Its start line (with /healthz) is at info.
    LOG_LEVEL: 'info',
    ...setup.env,
  };
  return startLongRunning('worker', env, setup.checkout);
}

/** `reports relay` in a process of its own; resolves once it listens. */
export async function startRelayProcess(setup: { temporalAddress: string; taskQueue: string; port: number; secrets: string[]; env?: Record<string, string> }): Promise<WorkerProcess> {
  return startLongRunning('relay', {
    ...process.env,
    TEMPORAL_ADDRESS: setup.temporalAddress,
    TEMPORAL_TASK_QUEUE: setup.taskQueue,
    REPORTS_RELAY_PORT: String(setup.port),
    STRIPE_WEBHOOK_SECRETS: setup.secrets.join(','),
    REPORTS_HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    ...setup.env,
  });
}

/** The `reports` command of this checkout, or of another release's. */
const reportsBin = (checkout = '.') => path.resolve(checkout, 'bin/reports.js');

async function startLongRunning(command: 'worker' | 'relay', env: NodeJS.ProcessEnv, checkout?: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [reportsBin(checkout), command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  const collect = (d: Buffer) => (output += d.toString());
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const healthUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      // Its start line (JSON): {"msg":"worker polling", …, "health":"http://…/healthz"}.
      const m = output.match(/"health":"(http:\/\/[^"]+\/healthz)"/);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`reports ${command} exited with ${code} before it was ready:\n${output}`)));
  });
  return { child, healthUrl, output: () => output, stdout: () => stdout };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export async function stopProcess(child: ChildProcess, graceMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A short-lived `reports <args…>` with this environment (of another release's checkout if given); never throws, returns code and output. */
export async function reportsCommand(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 300_000,
  checkout?: string,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, [reportsBin(checkout), ...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), ms: Date.now() - started };
  }
}
