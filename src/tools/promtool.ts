/**
 * promtool, Prometheus's checker, for deploy/prometheus (`promtool check config|rules`), found or
 * fetched like the project's other tools (src/tools/go-binary.ts):
 *   1. PROMTOOL_PATH, then PATH, then the cache `.tools/bin/promtool`
 *   2. Debian's `prometheus` package: `apt-get download` (after `apt-get update` when root and
 *      the lists are empty) and only /usr/bin/promtool extracted into the cache, so no Prometheus
 *      server gets installed or started on the machine
 *   3. without apt, a build of cmd/promtool from the Go module proxy: inside the downloaded
 *      module (its go.mod has replace and exclude directives, which `go install m@v` refuses);
 *      slow, Prometheus pulls in every service discovery's SDK (25 minutes on two busy cores)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildTool, cachedPath, findTool, goBinary, type GoTool, type ToolLocation } from './go-binary.js';

/** The module version of Prometheus v3.5.0 (the LTS release docker-compose.yml runs). */
const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
const PROMETHEUS_MODULE_VERSION = 'v0.305.0';

export const promtool: GoTool = {
  name: 'promtool',
  module: `${PROMETHEUS_MODULE}/cmd/promtool`,
  version: PROMETHEUS_MODULE_VERSION,
  envVar: 'PROMTOOL_PATH',
  description: 'promtool (Prometheus config and rules checker)',
};

export function findPromtool(location: ToolLocation = {}) {
  return findTool(promtool, location);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** Debian's package, unpacked: only its promtool goes into the cache. Undefined without apt. */
export function promtoolFromDebian(log: (line: string) => void, location: ToolLocation = {}): string | undefined {
  const env = location.env ?? process.env;
  if (!run('apt-get', ['--version'], env).ok || !run('dpkg-deb', ['--version'], env).ok) return undefined;
  const target = cachedPath(promtool, location);
  mkdirSync(path.dirname(target), { recursive: true });
  const work = mkdtempSync(path.join(path.dirname(target), '.promtool-'));
  try {
    log("Fetching promtool from Debian's prometheus package (apt-get download)…");
    let download = run('apt-get', ['download', 'prometheus'], env, work);
    if (!download.ok && process.getuid?.() === 0) {
      log('  apt-get update first…');
      run('apt-get', ['update', '-qq'], env);
      download = run('apt-get', ['download', 'prometheus'], env, work);
    }
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!download.ok || !deb) {
      log(`  not available from apt: ${download.out.split('\n').pop()}`);
      return undefined;
    }
    const unpacked = path.join(work, 'root');
    const extract = run('dpkg-deb', ['-x', path.join(work, deb), unpacked], env);
    const binary = path.join(unpacked, 'usr', 'bin', 'promtool');
    if (!extract.ok || !existsSync(binary)) {
      log(`  ${deb} has no usr/bin/promtool (${extract.out})`);
      return undefined;
    }
    copyFileSync(binary, path.join(work, 'promtool'));
    chmodSync(path.join(work, 'promtool'), 0o755);
    if (!run(path.join(work, 'promtool'), ['--version'], env).ok) {
      log(`  the promtool in ${deb} does not run here`);
      return undefined;
    }
    renameSync(path.join(work, 'promtool'), target);
    log(`Unpacked ${deb}'s promtool into ${target}.`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds cmd/promtool inside the downloaded Prometheus module, so its replace directives apply. */
async function promtoolFromGo(log: (line: string) => void, location: ToolLocation = {}): Promise<string | undefined> {
  const go = goBinary(location.env);
  if (!go) return undefined;
  const download = spawnSync(go, ['mod', 'download', '-json', `${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION}`], {
    encoding: 'utf8',
    cwd: '/',
    env: location.env ?? process.env,
  });
  const dir = (JSON.parse(download.stdout || '{}') as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION} failed:\n${download.stderr}`);
  return buildTool({ ...promtool, sourceDir: path.join(dir, 'cmd', 'promtool') }, log, location);
}

/** promtool's path: found, unpacked from Debian's package, or built. Throws when none works. */
export async function ensurePromtool(log: (line: string) => void = () => {}, location: ToolLocation = {}): Promise<{ path: string; source: string }> {
  const found = findPromtool(location);
  if (found) return found;
  const debian = promtoolFromDebian(log, location);
  if (debian) return { path: debian, source: 'debian package' };
  const built = await promtoolFromGo(log, location);
  if (built) return { path: built, source: 'go build' };
  throw new Error(
    `no promtool: not on PATH or at ${cachedPath(promtool, location)}, PROMTOOL_PATH is unset, apt cannot fetch Debian's prometheus package, and there is no Go to build it`,
  );
}

/** `promtool check <what> <file>`: ok and promtool's own words. */
export function promtoolCheck(binary: string, what: 'config' | 'rules', file: string): { ok: boolean; output: string } {
  const r = spawnSync(binary, ['check', what, file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}
