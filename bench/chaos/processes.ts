/**
 * The chaos run's processes, as a supervisor (systemd, Compose `restart: always`) would keep them:
 * each long-running process appends its output to a log file (scanned for secrets at the end), can
 * be SIGKILLed or stopped by the harness, and is started again when it dies on its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Resolves the start once the output shows the process is ready (e.g. its /healthz line)… */
  ready?: (output: string) => boolean;
  /** …or once this answers true (polled). */
  probe?: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

/** A long-running process the harness owns: started, killed, restarted, its log kept. */
export class Supervised {
  child: ChildProcess | undefined;
  /** Exits the harness did not cause (a crash, a fatal connection error): restarted and counted. */
  unexpectedExits = 0;
  starts = 0;
  private log: WriteStream;
  private expectingExit = false;
  private stopped = false;

  constructor(
    readonly spec: ProcessSpec,
    private readonly say: (line: string) => void,
  ) {
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  /** Starts the process; when it exits before it is ready, tries again (the server it needs may be down) until the deadline. */
  async start(deadlineMs = 180_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.say(`${this.spec.name} did not start (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}; retrying`);
        await sleep(2_000);
      }
    }
  }

  private startOnce(): Promise<void> {
    const { spec } = this;
    this.expectingExit = false;
    this.stopped = false;
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    let output = '';
    let ready = false;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${spec.name} not ready after ${spec.readyTimeoutMs ?? 120_000} ms`));
      }, spec.readyTimeoutMs ?? 120_000);
      const isReady = () => {
        ready = true;
        output = '';
        clearTimeout(timer);
        resolve();
      };
      const onData = (d: Buffer) => {
        this.log.write(d);
        if (ready) return;
        output += d.toString();
        if (spec.ready?.(output)) isReady();
      };
      if (spec.probe) {
        const probe = spec.probe;
        void (async () => {
          while (!ready && child.exitCode === null && child.signalCode === null) {
            if (await probe().catch(() => false)) return isReady();
            await sleep(300);
          }
        })();
      }
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.log.write(`\n[harness] ${spec.name} exited (code ${code}, signal ${signal})\n`);
        if (!ready) return reject(new Error(`${spec.name} exited (code ${code}, signal ${signal}) before it was ready: ${output.slice(-600)}`));
        if (this.expectingExit || this.stopped || this.child !== child) return;
        // Died on its own: a supervisor starts it again.
        this.unexpectedExits++;
        this.say(`${spec.name} exited on its own (code ${code}, signal ${signal}); restarting`);
        void sleep(1_000).then(() => this.start().catch((err: Error) => this.say(`${spec.name} could not be restarted: ${err.message}`)));
      });
    });
  }

  /** SIGKILL (a host dying): nothing is flushed, nothing is handed back. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after the grace time; not restarted. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    await this.signal('SIGTERM', graceMs);
  }

  private async signal(signal: NodeJS.Signals, graceMs = 0): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
    await exited;
    if (timer) clearTimeout(timer);
  }

  closeLog(): Promise<void> {
    return new Promise((r) => this.log.end(() => r()));
  }
}

/** A short-lived `reports <args…>`; its output is appended to the CLI log (scanned too). Never throws. */
export async function reportsCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutMs = 300_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let result: { code: number; stdout: string; stderr: string };
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [path.resolve('bin/reports.js'), ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    result = { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    result = { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
  appendFileSync(logFile, `$ reports ${args.join(' ')}  (exit ${result.code})\n${result.stdout}${result.stderr}\n`);
  return result;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries a Temporal call while it fails (the server is stopped once on purpose; a killed worker cannot answer a query), every second until the deadline. */
export async function untilAnswered<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
}
