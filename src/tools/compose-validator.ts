/**
 * The Compose validator CI runs on docker-compose.yml, where no Docker engine runs:
 * deploy/compose-validate, a small Go program that loads the file with compose-go (the library
 * Docker Compose itself is built on), so the checks are Compose's own: its JSON schema, variable
 * interpolation (`${VAR:?…}` unset fails), anchors and merge keys, and the model's consistency.
 *
 * With -dockerfile it also parses the Dockerfile with BuildKit's parser and build checks (the
 * code `docker build` runs).
 *
 * Found or built like the project's other Go tools (src/tools/go-binary.ts): COMPOSE_VALIDATE_PATH,
 * PATH, then the cache `.tools/bin/compose-validate-<hash>` (the hash of its sources, so an edit
 * to main.go or go.mod builds a fresh binary), then `go build -o` from deploy/compose-validate.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildTool, cachedPath, findTool, projectRoot, type GoTool } from './go-binary.js';

export const composeValidateDir = path.join(projectRoot, 'deploy', 'compose-validate');
const SOURCES = ['go.mod', 'go.sum', 'main.go', 'dockerfile.go'];

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES) hash.update(file).update(readFileSync(path.join(composeValidateDir, file)));
  return hash.digest('hex').slice(0, 12);
}

function requiredVersion(module: string): string {
  const goMod = readFileSync(path.join(composeValidateDir, 'go.mod'), 'utf8');
  return goMod.match(new RegExp(`${module.replace(/[./]/g, '\\$&')} (v\\S+)`))?.[1] ?? '?';
}

export function composeValidator(): GoTool {
  return {
    name: `compose-validate-${sourceHash()}`,
    module: 'github.com/compose-spec/compose-go/v2',
    version: requiredVersion('github.com/compose-spec/compose-go/v2'),
    envVar: 'COMPOSE_VALIDATE_PATH',
    description: `the Compose and Dockerfile validator deploy/compose-validate (BuildKit ${requiredVersion('github.com/moby/buildkit')}, compose-go)`,
    sourceDir: composeValidateDir,
  };
}

/** The validator's path, building it when needed (about a minute, two with module downloads). */
export async function ensureComposeValidator(log: (line: string) => void = () => {}): Promise<{ path: string; source: string }> {
  const tool = composeValidator();
  const found = findTool(tool);
  if (found) return found;
  const built = await buildTool(tool, log);
  if (!built) throw new Error('cannot build the Compose validator: Go is not installed (needs go ≥ 1.24.3 on PATH or in /usr/local/go/bin)');
  // Builds of earlier sources are of no further use.
  const dir = path.dirname(cachedPath(tool));
  for (const file of readdirSync(dir)) {
    if (file.startsWith('compose-validate-') && file !== tool.name) rmSync(path.join(dir, file), { force: true });
  }
  return { path: built, source: 'built' };
}

export interface ComposeResult {
  ok: boolean;
  /** The validator's message: "ok: …" or the loader's error. */
  message: string;
  /** The resolved project (interpolated, merged, paths absolute) when ok. */
  project?: ComposeProject;
}

/** The parts of a resolved Compose project the deploy checks read (compose-go's JSON). */
export interface ComposeProject {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [extension: string]: unknown;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { replicas?: number };
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  ports?: { target: number; published?: string; host_ip?: string }[];
  stop_grace_period?: string;
  container_name?: string;
  restart?: string;
  init?: boolean;
}

/**
 * Validates a Compose file with the real loader. Interpolation sees only the given env files,
 * never this process's environment nor a developer's `.env`, so the answer does not depend on
 * the machine.
 */
export function validateComposeFile(binary: string, composeFile: string, options: { envFiles?: string[] } = {}): ComposeResult {
  const args = [...(options.envFiles ?? []).flatMap((f) => ['-env-file', f]), '-json', composeFile];
  const res = spawnSync(binary, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    maxBuffer: 32 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) return { ok: false, message: (res.stderr || res.stdout).trim() || `exit ${res.status}` };
  const project = JSON.parse(res.stdout) as ComposeProject;
  const names = Object.keys(project.services).sort();
  return { ok: true, message: `ok: ${path.relative(process.cwd(), composeFile) || composeFile}: ${names.length} services (${names.join(', ')})`, project };
}

/** Parses a Dockerfile with BuildKit's parser and build checks; the message names line and rule. */
export function validateDockerfile(binary: string, dockerfile: string): { ok: boolean; message: string } {
  const res = spawnSync(binary, ['-dockerfile', dockerfile], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  if (res.error) throw res.error;
  return { ok: res.status === 0, message: (res.status === 0 ? res.stdout : res.stderr || res.stdout).trim() };
}
