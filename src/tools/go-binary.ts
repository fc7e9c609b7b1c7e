/**
 * Finding or building a Go tool the project runs (the Temporal CLI, the S3 test server, the Compose
 * validator, the Temporal server of the PostgreSQL test):
 *   1. an environment variable naming the binary
 *   2. the binary on PATH
 *   3. a cached build inside the project (.tools/bin/<name>, git-ignored)
 *   4. `go install <module>@<version>` into that cache, when Go is present (or, for a program
 *      kept in this repository, `go build -o` from its folder)
 * This file only uses the Go module proxy. The Temporal CLI also tries a download of its official
 * release before building (src/temporal/cli-binary.ts); the other tools are only ever built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where found-or-built tools are cached: `.tools/bin` in the project (git-ignored). */
export const defaultToolsDir = path.join(projectRoot, '.tools', 'bin');

export interface GoTool {
  /** Binary name in the cache and on PATH, e.g. `temporal`. */
  name: string;
  /** e.g. `github.com/temporalio/cli/cmd/temporal`. */
  module: string;
  version: string;
  /** Environment variable that may name the binary, e.g. TEMPORAL_CLI_PATH. */
  envVar: string;
  /** What it is, for progress lines. */
  description: string;
  /** The name `go install` gives the binary (the package's last path element) when it is not `name`. */
  installedName?: string;
  /** A Go module folder in this repository to `go build` instead of `go install module@version`. */
  sourceDir?: string;
}

export type ToolSource = 'env' | 'PATH' | 'cache' | 'download' | 'go install';

/** Where to look: tests point these elsewhere; everyone else uses the defaults. */
export interface ToolLocation {
  /** Environment to read the tool's variable and PATH from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Cache folder (default: .tools/bin in the project). */
  toolsDir?: string;
}

export function cachedPath(tool: Pick<GoTool, 'name'>, location: ToolLocation = {}): string {
  return path.join(location.toolsDir ?? defaultToolsDir, tool.name);
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The binary already on this machine, without building anything. */
export function findTool(tool: GoTool, location: ToolLocation = {}): { path: string; source: ToolSource } | undefined {
  const env = location.env ?? process.env;
  const fromEnv = env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${tool.envVar}=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' };
  }
  const found = onPath(tool.name, env);
  if (found) return { path: found, source: 'PATH' };
  const cached = cachedPath(tool, location);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** `go` on PATH or in its usual place (CI's PATH may lack /usr/local/go/bin). */
export function goBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Builds the tools with one `go install` (they must come from the same module version) into a
 * temporary folder beside the cache, then moves each binary into place, so a build that fails
 * or is interrupted never leaves a half-written binary in the cache. Says what it does;
 * undefined without Go.
 */
export async function buildTools(
  tools: GoTool[],
  log: (line: string) => void,
  location: ToolLocation = {},
): Promise<string[] | undefined> {
  const env = location.env ?? process.env;
  const go = goBinary(env);
  if (!go || tools.length === 0) return undefined;
  const version = tools[0].version;
  if (tools.some((tool) => tool.version !== version)) throw new Error('buildTools: one go install builds one version');
  const targets = tools.map((tool) => cachedPath(tool, location));
  const toolsDir = path.dirname(targets[0]);
  mkdirSync(toolsDir, { recursive: true });
  const goVersion = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
  const names = tools.map((tool) => tool.description).join(' and ');
  log(`Building ${names} ${version} with ${goVersion} (first run only, a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(
    () => log(`  still building ${tools.map((tool) => tool.name).join(', ')} (${Math.round((Date.now() - started) / 1000)} s)…`),
    30_000,
  );
  const gobin = mkdtempSync(path.join(toolsDir, '.build-'));
  const local = tools.find((tool) => tool.sourceDir);
  if (local && tools.length > 1) throw new Error('buildTools: a tool kept in this repository builds alone');
  const packages = tools.map((tool) => `${tool.module}@${tool.version}`);
  const what = local ? `go build (in ${local.sourceDir})` : `go install ${packages.join(' ')}`;
  try {
    await new Promise<void>((resolve, reject) => {
      // A local module builds from its own go.mod and go.sum (read-only); VCS stamping is off
      // because a git worktree's .git is a file some Go versions cannot read.
      const child = local
        ? spawn(go, ['build', '-o', path.join(gobin, local.name), '.'], {
            cwd: local.sourceDir,
            env: { ...env, GOFLAGS: '-mod=readonly -buildvcs=false' },
            stdio: ['ignore', 'ignore', 'pipe'],
          })
        : spawn(go, ['install', ...packages], {
            env: { ...env, GOBIN: gobin, GOFLAGS: '-mod=mod' },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${stderr}`))));
    });
    tools.forEach((tool, i) => renameSync(path.join(gobin, local ? tool.name : (tool.installedName ?? tool.name)), targets[i]));
  } finally {
    clearInterval(ticker);
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`Built ${targets.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s.`);
  return targets;
}

/** Builds one tool with Go into the project cache (see buildTools); undefined without Go. */
export async function buildTool(tool: GoTool, log: (line: string) => void, location: ToolLocation = {}): Promise<string | undefined> {
  return (await buildTools([tool], log, location))?.[0];
}
