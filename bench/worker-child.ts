/**
 * Starts and stops bench/worker-process.ts, the benchmarks' worker in a process of its own (as in
 * production, where the worker does not share a CPU with Stripe or with the benchmark's own
 * bookkeeping). It runs compiled, as `reports worker` does (bin/reports.js runs dist/): the
 * project's modules from dist/ (built first), worker-process.ts itself compiled into .data/bench/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleWorkflows } from '../src/worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BenchWorkerSetup {
  server: { address: string; namespace: string };
  taskQueue: string;
  /** The bundle is written here, the archive goes to `<workDir>/archive`. */
  workDir: string;
  stripeBase: string;
  /** Key environment variables the configurations name. */
  keys: Record<string, string>;
  webhooks: boolean;
  /** Node flags for the worker, after BENCH_WORKER_NODE_ARGS (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/**
 * Bundles the workflows and starts the worker; resolves once it prints `ready {…}` (its
 * effective tuning options). BENCH_WORKER_NODE_ARGS adds Node flags to the worker only, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`; BENCH_* tuning variables pass through (worker-process.ts).
 */
export async function startBenchWorker(setup: BenchWorkerSetup): Promise<{ child: ChildProcess; options: unknown; archiveDir: string }> {
  const bundlePath = path.join(setup.workDir, 'workflows.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);
  const archiveDir = path.join(setup.workDir, 'archive');
  const env: NodeJS.ProcessEnv = {
    ...PRODUCTION_ENV,
    ...process.env,
    TEMPORAL_ADDRESS: setup.server.address,
    TEMPORAL_NAMESPACE: setup.server.namespace,
    TASK_QUEUE: setup.taskQueue,
    BUNDLE_PATH: bundlePath,
    STRIPE_API_BASE: setup.stripeBase,
    ARCHIVE_DIR: archiveDir,
    ...setup.keys,
    BENCH_WEBHOOKS: setup.webhooks ? '1' : '0',
  };
  const script = await compileWorkerProcess(setup.workDir);
  const child = spawn(process.execPath, [...PRODUCTION_NODE_ARGS, ...nodeArgs(env), ...(setup.nodeArgs ?? []), script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  child.once('exit', () => rmSync(script, { force: true }));
  const options = await new Promise<unknown>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/^ready (.*)$/m);
      if (m) resolve(JSON.parse(m[1]!));
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code} before it was ready`)));
  });
  return { child, options, archiveDir };
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

/**
 * Builds dist/ and compiles worker-process.ts into .data/bench/, its imports of
 * ../src/ pointed at dist/ (so the project's modules, and their import.meta.url, are dist's).
 */
async function compileWorkerProcess(workDir: string): Promise<string> {
  const root = path.resolve(here, '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const toDist: Plugin = {
    name: 'src-to-dist',
    setup: (b) => b.onResolve({ filter: /^\.\.\/src\// }, (a) => ({ path: path.join(root, 'dist', a.path.slice('../src/'.length)), external: true })),
  };
  // Inside the project, so its own imports of packages resolve from node_modules/.
  const outfile = path.join(root, '.data', 'bench', `worker-process-${path.basename(workDir)}.mjs`);
  await build({ entryPoints: [path.join(here, 'worker-process.ts')], outfile, bundle: true, packages: 'external', plugins: [toDist], format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  return outfile;
}

/** The Node flags and environment `reports worker` runs with (bin/reports.js's first line), so the figures are production's. */
const PRODUCTION_NODE_ARGS = ['--max-semi-space-size=4'];
const PRODUCTION_ENV = { MALLOC_ARENA_MAX: '2' };
const nodeArgs = (env: NodeJS.ProcessEnv) => env.BENCH_WORKER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
