// main.ts as a harness starts it: a separate process configured by flags, checked over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { interval, settledV2, v2 } from './helpers.js';

const MAIN = 'src/emulator/main.ts';
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
});

/** Starts the CLI (one node process, tsx as a loader); resolves with its URL, or its exit code and stderr. */
function start(args: string[]): Promise<{ url?: string; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve({ url: stdout.split('\n')[0], stderr });
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('main.ts flags', () => {
  it('--cap, --url-ttl-seconds and --faults configure the emulator at start', async () => {
    const faults = JSON.stringify({ failReports: ['payouts.itemized.3'] });
    const { url } = await start(['--processing-ms', '400', '--cap', '1', '--url-ttl-seconds', '7', '--faults', faults]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const base = url!;
    const create = (report: string) => v2(base, 'POST', '/v2/reporting/report_runs', { report, report_parameters: interval });
    const first = await create('balance.summary.1');
    expect(first.status).toBe(200);
    expect((await create('balance.summary.1')).status).toBe(429);
    const done = await settledV2(base, first.body.id);
    const ttl = (Date.parse(done.result.file.download_url.expires_at) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(4);
    expect(ttl).toBeLessThanOrEqual(7);
    const failing = await create('payouts.itemized.3');
    expect((await settledV2(base, failing.body.id)).status).toBe('failed');
  });

  it('refuses invalid --faults with exit 2 and a message naming the field', async () => {
    const bad = await start(['--faults', '{"extraRateLimitRate":2}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('extraRateLimitRate');
    const notJson = await start(['--faults', 'rate=1']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--faults must be JSON');
  });
});
