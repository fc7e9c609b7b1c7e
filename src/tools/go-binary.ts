/**
 * Finding or building a Go tool the project runs (the Temporal dev server, the S3 test server):
 *   1. an environment variable naming the binary
 *   2. the binary on PATH
 *   3. a cached build inside the project (.tools/bin/<name>, git-ignored)
 *   4. `go install <module>@<version>` into that cache, when Go is present (or, for a program
 *      kept in this repository, `go build -o` from its folder)
 * Only the Go module proxy is used: never a download of a prebuilt binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface GoTool {
  /** Binary name, e.g. `temporal`. */
  name: string;
  /** e.g. `github.com/temporalio/cli/cmd/temporal`. */
  module: string;
  version: string;
  /** Environment variable that may name the binary, e.g. TEMPORAL_CLI_PATH. */
  envVar: string;
  /** What it is, for progress lines. */
  description: string;
  /** A Go module folder in this repository to `go build` instead of `go install module@version`. */
  sourceDir?: string;
}

export type ToolSource = 'env' | 'PATH' | 'cache' | 'go install';

export function cachedPath(tool: GoTool): string {
  return path.join(projectRoot, '.tools', 'bin', tool.name);
}

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
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The binary already on this machine, without building anything. */
export function findTool(tool: GoTool): { path: string; source: ToolSource } | undefined {
  const fromEnv = process.env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${tool.envVar}=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' };
  }
  const found = onPath(tool.name);
  if (found) return { path: found, source: 'PATH' };
  if (isExecutable(cachedPath(tool))) return { path: cachedPath(tool), source: 'cache' };
  return undefined;
}

/** `go` on PATH or in its usual place (CI's PATH may lack /usr/local/go/bin). */
export function goBinary(): string | undefined {
  return onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** Builds the tool with Go into the project cache, saying what it does; undefined without Go. */
export async function buildTool(tool: GoTool, log: (line: string) => void): Promise<string | undefined> {
  const go = goBinary();
  if (!go) return undefined;
  const target = cachedPath(tool);
  const version = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(path.dirname(target), { recursive: true });
  log(`Building ${tool.description} ${tool.version} with ${version} (first run only, a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building ${tool.name} (${Math.round((Date.now() - started) / 1000)} s)…`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      // A local module builds from its own go.mod and go.sum (read-only); VCS stamping is off
      // because a git worktree's .git is a file some Go versions cannot read.
      const child = tool.sourceDir
        ? spawn(go, ['build', '-o', target, '.'], {
            cwd: tool.sourceDir,
            env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' },
            stdio: ['ignore', 'ignore', 'pipe'],
          })
        : spawn(go, ['install', `${tool.module}@${tool.version}`], {
            env: { ...process.env, GOBIN: path.dirname(target), GOFLAGS: '-mod=mod' },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', reject);
      const what = tool.sourceDir ? `go build -o ${target} (in ${tool.sourceDir})` : `go install ${tool.module}@${tool.version}`;
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${stderr}`))));
    });
  } finally {
    clearInterval(ticker);
  }
  log(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
  return target;
}
