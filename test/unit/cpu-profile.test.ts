/** The benchmark's `--cpu-prof` reading: self time per function and per package, summed over threads. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageOf, selfTimes, summarizeProfileDir, summarizeProfiles, type CpuProfile } from '../../bench/cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
const SRC = 'file:///app/src/activities/transfer.ts';
const UNDICI = 'file:///app/node_modules/undici/lib/fetch.js';
const PROTO = 'file:///app/node_modules/@temporalio/proto/node_modules/protobufjs/src/reader.js';

/** root → transfer (src) → undici's fetch; plus idle and GC. Sample i lasts timeDeltas[i + 1] µs. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('transfer', SRC, 9) },
    { id: 3, callFrame: frame('fetch', UNDICI, 99) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('read', PROTO, 4) },
  ],
  samples: [2, 3, 3, 4, 5, 6, 2],
  // 2: 3 ms; 3: 2 + 2 ms; idle: 10 ms; GC: 1 ms; protobufjs: 1 ms; the last sample has no end: 0.
  timeDeltas: [0, 3000, 2000, 2000, 10000, 1000, 1000],
};

describe('a CPU profile read for the benchmark', () => {
  it('gives each sample the time until the next one, per function', () => {
    const t = [...selfTimes(profile).values()];
    expect(t.find((f) => f.name === 'transfer')).toEqual({ name: 'transfer', url: `${SRC}:10`, us: 3000 });
    expect(t.find((f) => f.name === 'fetch')!.us).toBe(4000);
    expect(t.find((f) => f.name === '(idle)')!.us).toBe(10000);
    expect(t.reduce((a, f) => a + f.us, 0)).toBe(19000);
  });

  it('groups scripts by package, room or V8 entry', () => {
    expect(packageOf(SRC, 'transfer')).toBe('src/activities');
    expect(packageOf('file:///app/src/worker.ts', 'x')).toBe('src');
    expect(packageOf(UNDICI, 'fetch')).toBe('undici');
    expect(packageOf(PROTO, 'read')).toBe('protobufjs');
    expect(packageOf('file:///app/node_modules/@temporalio/worker/lib/worker.js', 'x')).toBe('@temporalio/worker');
    expect(packageOf('node:internal/streams/readable', 'read')).toBe('node:internal');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(packageOf('', 'postMessage')).toBe('(native)');
    expect(packageOf('file:///tmp/b/workflows.js', 'x', { 'file:///tmp/b/workflows.js': 'workflow bundle' })).toBe('workflow bundle');
  });

  it('sums threads, leaves idle out of the percentages, and ranks', () => {
    const s = summarizeProfiles(
      [
        { file: '/p/CPU.20261203.233125.42.0.001.cpuprofile', profile },
        { file: '/p/CPU.20261203.233129.42.2.004.cpuprofile', profile },
      ],
      { top: 2, topPackages: 3 },
    );
    expect(s.totalMs).toBe(38);
    expect(s.idleMs).toBe(20);
    expect(s.busyMs).toBe(18);
    expect(s.files.map((f) => [f.thread, f.totalMs, f.busyMs])).toEqual([
      [0, 19, 9],
      [2, 19, 9],
    ]);
    expect(s.topFunctions).toEqual([
      { name: 'fetch', url: `${UNDICI}:100`, selfMs: 8, pct: 44.4 },
      { name: 'transfer', url: `${SRC}:10`, selfMs: 6, pct: 33.3 },
    ]);
    expect(s.byPackage).toEqual([
      { name: 'undici', selfMs: 8, pct: 44.4 },
      { name: 'src/activities', selfMs: 6, pct: 33.3 },
      { name: '(garbage collector)', selfMs: 2, pct: 11.1 },
    ]);
  });

  it('reads the .cpuprofile files of a folder (of one process), and nothing when there is none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cpu-profile-test-'));
    try {
      expect(summarizeProfileDir(dir)).toBeUndefined();
      writeFileSync(path.join(dir, 'CPU.20261203.233125.42.0.001.cpuprofile'), JSON.stringify({ ...profile, startTime: 0, endTime: 19000 }));
      writeFileSync(path.join(dir, 'CPU.20261203.233125.7.0.001.cpuprofile'), JSON.stringify(profile));
      writeFileSync(path.join(dir, 'notes.txt'), 'not a profile');
      expect(summarizeProfileDir(dir)!.files).toHaveLength(2);
      const s = summarizeProfileDir(dir, { pid: 42 })!;
      expect(s.files.map((f) => path.basename(f.file))).toEqual(['CPU.20261203.233125.42.0.001.cpuprofile']);
      expect(s.busyMs).toBe(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
