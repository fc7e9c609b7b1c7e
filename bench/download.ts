/**
 * Transfer benchmark: one emulator-generated report file (5 GB by default) fetched by `curl` (to
 * /dev/null) and by the project's transfer activity (streaming from Stripe into the archive,
 * sha256, checks) into each archive backend: the filesystem and S3 (a local versitygw). Each
 * round prints one JSON line per measurement (throughput, ratio to that round's curl, the
 * transferring process's peak RSS); the last line has the medians and the machine's load.
 *
 *   npx tsx bench/download.ts [bytes=5000000000] [rounds=1]
 *   (BENCH_CPU_PROF=<dir>: a V8 CPU profile of each transfer process there)
 *
 * The emulator stands in for Stripe's servers, which never share the worker's CPU; generating
 * a file takes it a whole core. On a machine with 2+ cores it runs in its own process on core 0
 * and everything else (curl, the transfer, the S3 server) on the other cores, so the ratio
 * measures the transfer path rather than a fight for CPU with the file's source.
 * BENCH_NO_PIN=1 runs everything unpinned.
 */
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StripeClient } from '../src/stripe/client.js';
import { startS3Server } from '../test/helpers/s3-server.js';
import { median } from './figures.js';

const bytes = Number(process.argv[2] ?? 5_000_000_000);
const rounds = Number(process.argv[3] ?? 1);
const say = (line: string) => process.stderr.write(`[download] ${line}\n`);
const KEY = 'sk_test_bench0download00';
const here = path.dirname(fileURLToPath(import.meta.url));
const round1 = (x: number) => Math.round(x * 10) / 10;

const pin = availableParallelism() >= 2 && !process.env.BENCH_NO_PIN;
if (pin) execFileSync('taskset', ['-a', '-p', '-c', `1-${availableParallelism() - 1}`, String(process.pid)], { stdio: 'ignore' });
const emulator = await startEmulatorProcess();
// versitygw's CompleteMultipartUpload writes every byte a second time (it concatenates the parts
// into the object), where S3 itself only records them: on a disk that copy (~20 s for 5 GB here)
// counts against the transfer. BENCH_S3_IN_MEMORY=1 keeps its data in /dev/shm (when there is
// room for a file and its parts) to measure without it. The summary says which.
const shmFree = (() => {
  try {
    const st = statfsSync('/dev/shm');
    return st.bavail * st.bsize;
  } catch {
    return 0;
  }
})();
const s3DataOn = process.env.BENCH_S3_IN_MEMORY && shmFree > 2.2 * bytes ? 'tmpfs' : 'disk';
const s3 = await startS3Server({ log: say, ...(s3DataOn === 'tmpfs' ? { dataRoot: '/dev/shm' } : {}) });
const archiveDir = mkdtempSync(path.join(tmpdir(), 'bench-transfer-'));
const stripe = new StripeClient({ apiKey: KEY, baseUrl: emulator.url });
const figures: Record<string, { MBps: number[]; ratio: number[]; rss: number[] }> = {};
const record = (target: string, line: Record<string, unknown>, MBps: number, ratio: number, rss = 0) => {
  const f = (figures[target] ??= { MBps: [], ratio: [], rss: [] });
  f.MBps.push(MBps);
  f.ratio.push(ratio);
  f.rss.push(rss);
  console.log(JSON.stringify({ bench: 'download', target, bytes, ...line }));
};

/** The emulator in a process of its own (on core 0 when pinning); its URL is its first stdout line. */
async function startEmulatorProcess(): Promise<{ url: string; fileSha256(runId: string): Promise<string>; close(): Promise<void> }> {
  const command = [process.execPath, '--import', 'tsx', path.join(here, '..', 'src', 'emulator', 'main.ts'), '--port', '0', '--processing-ms', '100', '--bytes-per-run', String(bytes), '--quiet'];
  const child = pin ? spawn('taskset', ['-c', '0', ...command], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${String(code)} before it listened`)));
  });
  return {
    url,
    async fileSha256(runId) {
      const res = await fetch(`${url}/_emulator/runs/${encodeURIComponent(runId)}/sha256`);
      return ((await res.json()) as { sha256: string }).sha256;
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
    },
  };
}

async function transfer(backend: 'filesystem' | 's3', runId: string, configId: string) {
  // The same V8 flags as a worker (bin/reports.js).
  const child = spawn(process.execPath, ['--max-semi-space-size=4', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', path.join(here, 'download-worker.ts')], {
    env: {
      ...process.env,
      STRIPE_API_BASE: emulator.url,
      RUN_ID: runId,
      KEY,
      CONFIG_ID: configId,
      BACKEND: backend,
      ARCHIVE_DIR: archiveDir,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((res) => child.once('exit', res));
  if (code !== 0) throw new Error(`${backend} transfer exited with ${String(code)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; ms: number; sha256: string; peakRssMb: number; baselineRssMb: number; peak: Record<string, number> };
}

/** The archived files go after each measurement: 5 GB each. */
async function clean(): Promise<void> {
  rmSync(archiveDir, { recursive: true, force: true });
  const c = s3.client();
  const listed = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'bench/' }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length) await c.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys } }));
  c.destroy();
}

// Ctrl-C / SIGTERM: the emulator and the S3 server are processes of their own; stop them too.
const interrupt = () => void Promise.allSettled([emulator.close(), s3.stop()]).then(() => process.exit(130));
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);
try {
  // One ReportRun for every round: its file is generated (and hashed) once; each round asks
  // for a fresh download URL, as each transfer does.
  const run = await stripe.createReportRun({
    report: 'balance_change_from_activity.itemized.3',
    report_parameters: { interval_start: '2025-10-01T00:00:00.000Z', interval_end: '2025-11-01T00:00:00.000Z' },
  });
  const downloadUrl = async (): Promise<string> => {
    for (;;) {
      const r = await stripe.getReportRun(run.id);
      if (r.status === 'succeeded' && r.result) return r.result.file.download_url.url;
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  await downloadUrl();
  say(`run ${run.id}: ${bytes} bytes; hashing it at the emulator`);
  const expected = await emulator.fileSha256(run.id);
  for (let round = 1; round <= rounds; round++) {
    const url = await downloadUrl();
    say(`round ${round}/${rounds}: curl first`);
    const curl = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url], { maxBuffer: 1 << 20 });
    const [curlBytes, curlSeconds] = curl.stdout.trim().split(' ').map(Number) as [number, number];
    const curlMBps = curlBytes / 1e6 / curlSeconds;
    record('curl', { round, MBps: round1(curlMBps) }, curlMBps, 1);
    for (const backend of ['filesystem', 's3'] as const) {
      say(`round ${round}: transfer to ${backend}`);
      const ours = await transfer(backend, run.id, `bench-${backend}-${round}`);
      const MBps = ours.bytes / 1e6 / (ours.ms / 1000);
      record(
        backend,
        { round, MBps: round1(MBps), ratioToCurl: Math.round((MBps / curlMBps) * 1000) / 1000, peakRssMb: ours.peakRssMb, baselineRssMb: ours.baselineRssMb, ...ours.peak, sha256Matches: ours.sha256 === expected },
        MBps,
        MBps / curlMBps,
        ours.peakRssMb,
      );
      await clean();
    }
  }
  const summary: Record<string, unknown> = { bench: 'download-summary', bytes, rounds, pinned: pin, s3DataOn, loadavg: loadavg().map(round1) };
  for (const [target, f] of Object.entries(figures)) {
    summary[target] = { medianMBps: round1(median(f.MBps)), medianRatioToCurl: Math.round(median(f.ratio) * 1000) / 1000, maxPeakRssMb: Math.max(...f.rss) };
  }
  console.log(JSON.stringify(summary));
} finally {
  await stripe.close();
  await clean().catch(() => undefined);
  await s3.stop();
  await emulator.close();
}
