/**
 * Download benchmark: one emulator-generated report file (5 GB by default) fetched by `curl` and
 * by the project's download activity (streaming, sha256, verification) from the same URL source
 * in the same run. Prints one JSON line with both throughputs, their ratio, and the activity's
 * peak RSS.
 *
 *   npx tsx bench/download.ts [bytes=5000000000]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator } from '../src/emulator/index.js';
import { StripeClient } from '../src/stripe/client.js';

const bytes = Number(process.argv[2] ?? 5_000_000_000);
const say = (line: string) => process.stderr.write(`[download] ${line}\n`);
const KEY = 'sk_test_bench0download00';
const here = path.dirname(fileURLToPath(import.meta.url));

const emulator = await startEmulator({ processingMs: 100, bytesPerRun: bytes, log: () => {} });
const stagingDir = mkdtempSync(path.join(tmpdir(), 'bench-download-'));
try {
  const stripe = new StripeClient({ apiKey: KEY, baseUrl: emulator.url });
  const run = await stripe.createReportRun({
    report: 'balance_change_from_activity.itemized.3',
    report_parameters: { interval_start: '2025-10-01T00:00:00.000Z', interval_end: '2025-11-01T00:00:00.000Z' },
  });
  let url = '';
  for (;;) {
    const r = await stripe.getReportRun(run.id);
    if (r.status === 'succeeded' && r.result) {
      url = r.result.file.download_url.url;
      break;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  say(`run ${run.id}: ${bytes} bytes; curl first`);
  const curl = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url], { maxBuffer: 1 << 20 });
  const [curlBytes, curlSeconds] = curl.stdout.trim().split(' ').map(Number) as [number, number];
  say(`curl: ${curlBytes} bytes in ${curlSeconds.toFixed(1)} s; now the download activity`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'download-worker.ts')], {
    env: { ...process.env, STRIPE_API_BASE: emulator.url, RUN_ID: run.id, STAGING_DIR: stagingDir, KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((res) => child.once('exit', res));
  const ours = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; ms: number; sha256: string; peakRssMb: number };
  const expected = await emulator.fileSha256(run.id);
  const curlMBps = curlBytes / 1e6 / curlSeconds;
  const oursMBps = ours.bytes / 1e6 / (ours.ms / 1000);
  console.log(
    JSON.stringify({
      bench: 'download',
      bytes,
      curlMBps: Math.round(curlMBps * 10) / 10,
      activityMBps: Math.round(oursMBps * 10) / 10,
      ratio: Math.round((oursMBps / curlMBps) * 1000) / 1000,
      activityPeakRssMb: ours.peakRssMb,
      sha256Matches: ours.sha256 === expected,
    }),
  );
  await stripe.close();
} finally {
  rmSync(stagingDir, { recursive: true, force: true });
  await emulator.close();
}
