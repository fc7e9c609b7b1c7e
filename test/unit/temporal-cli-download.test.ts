/**
 * The Temporal CLI's lookup order: TEMPORAL_CLI_PATH, PATH, the cache, a download of the release
 * (here from a local HTTP server serving a fake archive), then the Go build. The Go build is
 * replaced by a stub that records it was reached; the download is real.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { locateTemporalCli, temporalCliDownloadUrl } from '../../src/temporal/cli-binary.js';

const root = mkdtempSync(path.join(tmpdir(), 'reports-cli-download-'));
const emptyPath = path.join(root, 'empty-path');
mkdirSync(emptyPath);

/** A .tar.gz holding `temporal`, a shell script that prints a version (like the release's layout). */
function fakeArchive(name: string, script: string): string {
  const dir = path.join(root, `archive-${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'temporal'), script);
  chmodSync(path.join(dir, 'temporal'), 0o755);
  writeFileSync(path.join(dir, 'LICENSE'), 'fake\n');
  const file = path.join(root, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', dir, 'temporal', 'LICENSE']);
  return file;
}

const good = fakeArchive('good', '#!/bin/sh\necho "temporal version 1.5.1 (fake, from the test server)"\n');
const broken = fakeArchive('broken', '#!/bin/sh\necho "cannot run here" >&2\nexit 3\n');

let server: Server;
let base = '';
const requests: string[] = [];
let silent: TcpServer;
let silentUrl = '';
const silentSockets: Socket[] = [];
let closedUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    // Like temporal.download: /cli/archive/<version>?platform&arch redirects to the file.
    if (url.pathname === '/cli/archive/v1.5.1') {
      res.writeHead(302, { location: `/files/temporal_cli_1.5.1_${url.searchParams.get('platform')}_${url.searchParams.get('arch')}.tar.gz` });
      res.end();
    } else if (url.pathname.startsWith('/files/')) {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(readFileSync(good));
    } else if (url.pathname === '/broken.tar.gz') {
      res.end(readFileSync(broken));
    } else if (url.pathname === '/not-a-tarball') {
      res.end('<html>not found</html>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  // Accepts connections and never answers: a stalled download.
  silent = createTcpServer((socket) => silentSockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/cli/archive/v1.5.1`;

  // A port nobody listens on: connection refused, like a machine without internet.
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}/cli/archive/v1.5.1`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  silentSockets.forEach((s) => s.destroy());
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

let toolsDir = '';
let lines: string[] = [];
let builds = 0;
const log = (line: string) => lines.push(line);
const build = async () => {
  builds += 1;
  return '/built/by/go/temporal';
};

beforeEach(() => {
  toolsDir = mkdtempSync(path.join(root, 'tools-'));
  lines = [];
  builds = 0;
  requests.length = 0;
});

describe('the Temporal CLI lookup order', () => {
  it('downloads the release into the cache, checks it runs, then uses the cached one without downloading again', async () => {
    const env = { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: `${base}/cli/archive/v1.5.1?platform=linux&arch=amd64` };
    const first = await locateTemporalCli({ env, toolsDir, log, build });
    expect(first).toEqual({ path: path.join(toolsDir, 'temporal'), source: 'download' });
    expect(requests).toEqual(['/cli/archive/v1.5.1?platform=linux&arch=amd64', '/files/temporal_cli_1.5.1_linux_amd64.tar.gz']);
    expect(builds).toBe(0);
    expect(lines.join('\n')).toMatch(/Downloaded .*temporal version 1\.5\.1 \(fake/);
    // It is the binary that is used: running it prints the fake version.
    expect(execFileSync(first!.path, ['--version'], { encoding: 'utf8' })).toContain('temporal version 1.5.1 (fake');
    // Nothing else is left in the cache (the temporary folder is gone).
    expect(readdirSync(toolsDir)).toEqual(['temporal']);

    const second = await locateTemporalCli({ env, toolsDir, log, build });
    expect(second).toEqual({ path: path.join(toolsDir, 'temporal'), source: 'cache' });
    expect(requests).toHaveLength(2);
  });

  it('TEMPORAL_CLI_PATH and PATH come before the cache and the download', async () => {
    const env = { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: `${base}/cli/archive/v1.5.1` };
    await locateTemporalCli({ env, toolsDir, log, build }); // fills the cache
    const onPath = mkdtempSync(path.join(root, 'path-'));
    writeFileSync(path.join(onPath, 'temporal'), '#!/bin/sh\necho path\n');
    chmodSync(path.join(onPath, 'temporal'), 0o755);
    requests.length = 0;

    expect(await locateTemporalCli({ env: { ...env, PATH: onPath }, toolsDir, log, build })).toEqual({ path: path.join(onPath, 'temporal'), source: 'PATH' });
    const explicit = path.join(onPath, 'temporal');
    expect(await locateTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: explicit }, toolsDir, log, build })).toEqual({ path: explicit, source: 'env' });
    expect(requests).toEqual([]);
    expect(builds).toBe(0);
  });

  it('an unreachable download URL falls through to the Go build at once (under 2 s even on a loaded machine), with one line saying so', async () => {
    const started = performance.now();
    const found = await locateTemporalCli({ env: { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: closedUrl }, toolsDir, log, build });
    const ms = performance.now() - started;
    process.stderr.write(`[cli download test] connection refused: fell through to the build in ${ms.toFixed(0)} ms\n`);
    expect(found).toEqual({ path: '/built/by/go/temporal', source: 'go install' });
    expect(builds).toBe(1);
    expect(ms).toBeLessThan(2_000);
    expect(lines.filter((l) => l.startsWith('Could not download'))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('Could not download'))).toMatch(/ECONNREFUSED.*building it with Go instead/);
    expect(readdirSync(toolsDir)).toEqual([]);
  });

  it('a server that never answers is given up after the stall timeout', async () => {
    const started = performance.now();
    const found = await locateTemporalCli({
      env: { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: silentUrl },
      toolsDir,
      log,
      build,
      idleTimeoutMs: 500,
    });
    const ms = performance.now() - started;
    process.stderr.write(`[cli download test] silent server: fell through to the build in ${ms.toFixed(0)} ms\n`);
    expect(found?.source).toBe('go install');
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(5_000);
    expect(readdirSync(toolsDir)).toEqual([]);
  });

  it('a download that is not a tar.gz, or whose binary does not run, is not cached', async () => {
    for (const url of [`${base}/not-a-tarball`, `${base}/broken.tar.gz`, `${base}/missing.tar.gz`]) {
      lines = [];
      const found = await locateTemporalCli({ env: { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: url }, toolsDir, log, build });
      expect(found?.source).toBe('go install');
      expect(lines.find((l) => l.startsWith('Could not download'))).toBeDefined();
      expect(readdirSync(toolsDir)).toEqual([]);
    }
    expect(existsSync(path.join(toolsDir, 'temporal'))).toBe(false);
  });

  it('TEMPORAL_CLI_DOWNLOAD_URL="" skips the download', async () => {
    const found = await locateTemporalCli({ env: { PATH: emptyPath, TEMPORAL_CLI_DOWNLOAD_URL: '' }, toolsDir, log, build });
    expect(found?.source).toBe('go install');
    expect(lines.some((l) => l.includes('ownload'))).toBe(false);
  });

  it('the default URL is the official release archive of the same version', () => {
    const url = temporalCliDownloadUrl({});
    if (process.platform === 'linux' || process.platform === 'darwin') {
      expect(url).toMatch(/^https:\/\/temporal\.download\/cli\/archive\/v1\.5\.1\?platform=(linux|darwin)&arch=(amd64|arm64)$/);
    }
  });
});
