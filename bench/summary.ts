/**
 * Summary benchmark: one emulator-generated `balance_change_from_activity.itemized.3` CSV (1 GB by
 * default, currencies mixed as the generator makes them) archived on the filesystem with its
 * manifest, then summed by `summarizeFiring` in a fresh process per round, so each round's peak
 * RSS is the summary's alone (run as every project process runs: `--max-semi-space-size=4`). Each round prints one JSON line (wall time, MB/s, peak RSS); the
 * last line has the medians and the machine's load. The summary must stay under 200 MB of RSS
 * whatever the file's size: it streams, keeping only per-currency totals.
 *
 *   npx tsx bench/summary.ts [bytes=1000000000] [rounds=3]
 *   (BENCH_KEEP=1 keeps the generated archive in the temporary folder for the next run)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FilesystemArchive } from '../src/archive/filesystem.js';
import type { ArchiveManifest } from '../src/archive/manifest.js';
import { loadCatalog } from '../src/emulator/catalog.js';
import { csvStream, type CsvSpec } from '../src/emulator/csv.js';
import { summarizeFiring } from '../src/summary/summarize-firing.js';
import { median } from './figures.js';

const REPORT = 'balance_change_from_activity.itemized.3';
const CONFIG = 'bench';
const PERIOD = '2025-10';
const KEY = `${CONFIG}/${PERIOD}/self.csv`;
const RSS_LIMIT_MB = 200;
const say = (line: string) => process.stderr.write(`[summary] ${line}\n`);
const round1 = (x: number) => Math.round(x * 10) / 10;
const interval = { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' };

/** One round, in its own process: sum the archived file, report time and peak RSS. */
async function child(root: string): Promise<void> {
  const store = new FilesystemArchive(root);
  const size = (await store.manifest(KEY))!.size;
  // What the process holds before the summary (Node, tsx, the modules): the summary's own share is the rest.
  const baselineRssMb = round1(process.memoryUsage().rss / 1048576);
  const started = process.hrtime.bigint();
  const summary = await summarizeFiring(store, { config: CONFIG, period: PERIOD, interval, api: 'v1', report: REPORT, targets: [{ target: 'self' }], failed: [] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (summary.failed.length > 0) throw new Error(`the summary failed: ${summary.failed[0]!.reason}`);
  const peakRssMb = round1(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify({ seconds: Math.round(seconds * 100) / 100, MBps: round1(size / 1e6 / seconds), peakRssMb, baselineRssMb, rows: summary.rows, currencies: summary.totals.length }) + '\n');
}

/** The report, generated and archived as the transfer activity leaves it: bytes placed, manifest last. */
async function archiveGenerated(root: string, bytes: number): Promise<void> {
  const store = new FilesystemArchive(root);
  const existing = await store.manifest(KEY);
  if (existing?.size === bytes) {
    say(`reusing ${path.join(root, KEY)}`);
    return;
  }
  const columns = loadCatalog().reports.find((r) => r.id === REPORT)!.default_columns;
  const spec: CsvSpec = { generator: 'activity_itemized', columns, seed: 42, intervalStart: Date.parse(interval.start), intervalEnd: Date.parse(interval.end), rows: 0, bytes };
  say(`generating ${bytes} bytes of ${REPORT}`);
  const write = await store.beginWrite({ key: KEY, transferId: 'bench', size: bytes, contentType: 'csv' });
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of csvStream(spec)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    await write.write(chunk as Buffer);
  }
  await write.place();
  const now = new Date().toISOString();
  const manifest: ArchiveManifest = {
    manifest_version: 1,
    config: CONFIG,
    period: { name: PERIOD, unit: 'month', timezone: 'UTC', interval_start: interval.start, interval_end: interval.end },
    target: { id: 'self', kind: 'self' },
    api: 'v1',
    report: REPORT,
    parameters: {},
    run_id: 'frr_bench',
    livemode: false,
    size,
    sha256: hash.digest('hex'),
    content_type: 'csv',
    source_host: 'emulator',
    downloaded_at: now,
    archived_at: now,
    project_version: 'bench',
  };
  await store.writeManifest(KEY, manifest);
}

async function main(): Promise<void> {
  const bytes = Number(process.argv[2] ?? 1_000_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  const root = path.join(tmpdir(), `bench-summary-${bytes}`);
  mkdirSync(root, { recursive: true });
  try {
    await archiveGenerated(root, bytes);
    const figures: Array<{ seconds: number; MBps: number; peakRssMb: number }> = [];
    for (let round = 1; round <= rounds; round++) {
      say(`round ${round}/${rounds}`);
      // With the flag every project process runs with (bin/reports.js): V8's young generation stays small.
      const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', root], { maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as (typeof figures)[number] & { rows: number; currencies: number };
      figures.push(result);
      console.log(JSON.stringify({ bench: 'summary', report: REPORT, bytes, round, ...result }));
    }
    const peak = Math.max(...figures.map((f) => f.peakRssMb));
    console.log(
      JSON.stringify({
        bench: 'summary-median',
        bytes,
        rounds,
        medianSeconds: median(figures.map((f) => f.seconds)),
        medianMBps: median(figures.map((f) => f.MBps)),
        medianPeakRssMb: median(figures.map((f) => f.peakRssMb)),
        maxPeakRssMb: peak,
        rssUnderLimit: peak < RSS_LIMIT_MB,
        loadavg: loadavg().map(round1),
      }),
    );
  } finally {
    if (!process.env.BENCH_KEEP && existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await main();
