/**
 * Downloading a prebuilt tool (a .tar.gz holding one binary) into the project's tool cache,
 * atomically: the archive is streamed into a temporary folder beside the cache, unpacked there,
 * the binary is run once to check it works, and only then renamed into place. A machine without
 * internet fails fast: a short connect timeout, and DNS failures or refused connections fail at
 * once. Used for the Temporal CLI (src/temporal/cli-binary.ts).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, fetch } from 'undici';

export interface DownloadToolOptions {
  url: string;
  /** The binary's name inside the archive (at its top level, or under one folder). */
  entry: string;
  /** Where the binary ends up. */
  target: string;
  /** Arguments that make the binary print its version and exit 0, e.g. ['--version']. */
  versionArgs: string[];
  /** Connecting (DNS + TCP + TLS) must finish within this; default 5 s. */
  connectTimeoutMs?: number;
  /** The response headers must arrive, and the body must not stall, within this; default 30 s. */
  idleTimeoutMs?: number;
  /** The whole download; default 10 min. */
  totalTimeoutMs?: number;
}

export interface DownloadedTool {
  path: string;
  /** What the binary printed for its version. */
  version: string;
  bytes: number;
  ms: number;
}

/** The reason a download failed, in a few words (e.g. `getaddrinfo ENOTFOUND temporal.download`). */
export function describeDownloadError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${error.message}: ${(cause as { code?: string }).code ?? ''} ${cause.message}`.replace(/\s+/g, ' ');
  return error.message;
}

export async function downloadTool(options: DownloadToolOptions): Promise<DownloadedTool> {
  const started = Date.now();
  const dir = path.dirname(options.target);
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(path.join(dir, `.download-${path.basename(options.target)}-`));
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 5_000 },
    headersTimeout: options.idleTimeoutMs ?? 30_000,
    bodyTimeout: options.idleTimeoutMs ?? 30_000,
  });
  try {
    const response = await fetch(options.url, {
      dispatcher,
      redirect: 'follow',
      signal: AbortSignal.timeout(options.totalTimeoutMs ?? 600_000),
    });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText} from ${options.url}`);
    const archive = path.join(work, 'archive.tar.gz');
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(archive));
    const bytes = statSync(archive).size;

    const unpacked = path.join(work, 'unpacked');
    mkdirSync(unpacked);
    const tar = spawnSync('tar', ['-xzf', archive, '-C', unpacked], { encoding: 'utf8', timeout: 120_000 });
    if (tar.status !== 0) throw new Error(`the download from ${options.url} is not a .tar.gz archive: ${(tar.stderr || tar.error?.message || '').trim()}`);
    const binary = [path.join(unpacked, options.entry), ...topLevelFolders(unpacked).map((d) => path.join(d, options.entry))].find((f) => existsSync(f));
    if (!binary) throw new Error(`the archive from ${options.url} holds no ${options.entry}`);
    chmodSync(binary, 0o755);

    const run = spawnSync(binary, options.versionArgs, { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) {
      throw new Error(`the downloaded ${options.entry} does not run (${run.error?.message ?? `exit ${run.status}`}): ${(run.stderr ?? '').trim().slice(0, 500)}`);
    }
    renameSync(binary, options.target);
    return { path: options.target, version: run.stdout.trim().split('\n')[0], bytes, ms: Date.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dispatcher.destroy().catch(() => {});
  }
}

function topLevelFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(dir, entry.name));
}
