/**
 * Finds or builds the S3-compatible server used by the S3 archive's tests (and by anyone who
 * wants a local bucket): Versity's `versitygw` with its posix backend, a single static Go binary.
 * Order:
 *   1. VERSITYGW_PATH
 *   2. `versitygw` on PATH
 *   3. a cached build inside the project (.tools/bin/versitygw, git-ignored)
 *   4. `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` into that cache
 * Never a download of a prebuilt binary: only the Go module proxy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw';
export const VERSITYGW_VERSION = 'v1.8.0';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cachedVersitygwPath = path.join(projectRoot, '.tools', 'bin', 'versitygw');

export type S3ServerSource = 'VERSITYGW_PATH' | 'PATH' | 'cache' | 'go install';

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
export function findVersitygw(): { path: string; source: S3ServerSource } | undefined {
  const fromEnv = process.env.VERSITYGW_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`VERSITYGW_PATH=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'VERSITYGW_PATH' };
  }
  const found = onPath('versitygw');
  if (found) return { path: found, source: 'PATH' };
  if (isExecutable(cachedVersitygwPath)) return { path: cachedVersitygwPath, source: 'cache' };
  return undefined;
}

/** Builds versitygw with Go into the project cache (about 3 minutes on 2 cores with cold caches). */
export async function buildVersitygw(log: (line: string) => void): Promise<string> {
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      `no S3 server: versitygw is not on PATH, not at ${cachedVersitygwPath}, VERSITYGW_PATH is unset, and Go is not installed to build it (go install ${VERSITYGW_MODULE}@${VERSITYGW_VERSION})`,
    );
  }
  const version = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(path.dirname(cachedVersitygwPath), { recursive: true });
  log(`Building versitygw ${VERSITYGW_VERSION} (S3-compatible server) with ${version} (first run only, a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(() => log(`  still building versitygw (${Math.round((Date.now() - started) / 1000)} s)…`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', `${VERSITYGW_MODULE}@${VERSITYGW_VERSION}`], {
        env: { ...process.env, GOBIN: path.dirname(cachedVersitygwPath), GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`go install ${VERSITYGW_MODULE}@${VERSITYGW_VERSION} failed (exit ${code}):\n${stderr}`)),
      );
    });
  } finally {
    clearInterval(ticker);
  }
  log(`Built ${cachedVersitygwPath} in ${Math.round((Date.now() - started) / 1000)} s.`);
  return cachedVersitygwPath;
}

/** Finds versitygw, building it if needed. Throws when neither is possible. */
export async function ensureVersitygw(log: (line: string) => void): Promise<string> {
  return findVersitygw()?.path ?? (await buildVersitygw(log));
}
