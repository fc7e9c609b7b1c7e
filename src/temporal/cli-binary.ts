/**
 * Finds or builds the `temporal` CLI that runs the dev server. Order:
 *   1. TEMPORAL_CLI_PATH
 *   2. `temporal` on PATH
 *   3. a cached build inside the project (.tools/bin/temporal, git-ignored)
 *   4. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into that cache, when Go is present
 *   5. none: the caller lets the Temporal SDK download its own build (needs internet)
 * Later CLI tags carry a `replace` directive that `go install` refuses, hence the pinned tag.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cachedCliPath = path.join(projectRoot, '.tools', 'bin', 'temporal');

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The binary already on this machine, without building anything. */
export function findTemporalCli(): { path: string; source: CliSource } | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
  }
  const found = onPath('temporal');
  if (found) return { path: found, source: 'PATH' };
  if (isExecutable(cachedCliPath)) return { path: cachedCliPath, source: 'cache' };
  return undefined;
}

/** Builds the CLI with Go into the project cache. Takes a few minutes the first time. */
export async function buildTemporalCli(log: (line: string) => void): Promise<string | undefined> {
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) return undefined;
  const version = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(path.dirname(cachedCliPath), { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${version} (first run only, a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)…`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: path.dirname(cachedCliPath), GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${code}):\n${stderr}`)),
      );
    });
  } finally {
    clearInterval(ticker);
  }
  log(`Built ${cachedCliPath} in ${Math.round((Date.now() - started) / 1000)} s.`);
  return cachedCliPath;
}

/** Finds the CLI, building it if needed; undefined means "let the SDK download one". */
export async function ensureTemporalCli(log: (line: string) => void): Promise<string | undefined> {
  const found = findTemporalCli();
  if (found) return found.path;
  return buildTemporalCli(log);
}
