/**
 * Starts and stops bench/worker-process.ts, the benchmarks' worker in a process of its own (as in
 * production, where the worker does not share a CPU with Stripe or with the benchmark's own
 * bookkeeping).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Resolves once the worker prints `ready {…}` (its effective tuning options). BENCH_WORKER_NODE_ARGS
 * adds Node flags to the worker only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 */
export async function startBenchWorker(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; options: unknown }> {
  const child = spawn(process.execPath, [...nodeArgs(env), '--import', 'tsx', path.join(here, 'worker-process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const options = await new Promise<unknown>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/^ready (.*)$/m);
      if (m) resolve(JSON.parse(m[1]!));
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code} before it was ready`)));
  });
  return { child, options };
}

/** SIGTERM (a clean shutdown), then SIGKILL after 15 s. */
export async function stopBenchWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const nodeArgs = (env: NodeJS.ProcessEnv) => env.BENCH_WORKER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
