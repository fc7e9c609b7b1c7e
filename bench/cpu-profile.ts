/**
 * Reads the `.cpuprofile` files `node --cpu-prof` writes (one per thread: the worker's main
 * thread, tsx's loader thread, each workflow thread) and says where the CPU went: self time per
 * function and per package (`node_modules/<pkg>`, `src/<room>`), summed over the threads.
 *
 * A profile is `{nodes: [{id, callFrame: {functionName, url, lineNumber, columnNumber}}], samples:
 * [node id…], timeDeltas: [µs…]}`; sample i lasts until the next one (timeDeltas[i + 1]), as in
 * Chrome DevTools. `(idle)` is time the thread waited: percentages are of the busy time (the rest).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** The script and 1-based line, or '' for V8's own entries ((program), (garbage collector), natives). */
  url: string;
  selfMs: number;
  /** Of the busy time (everything but `(idle)`). */
  pct: number;
}

export interface ProfileSummary {
  files: Array<{ file: string; thread: number | null; totalMs: number; busyMs: number }>;
  totalMs: number;
  busyMs: number;
  idleMs: number;
  topFunctions: SelfTime[];
  byPackage: Array<{ name: string; selfMs: number; pct: number }>;
}

const IDLE = '(idle)';

/** Self time in µs per function (keyed by name, url and position) of one profile. */
export function selfTimes(profile: CpuProfile): Map<string, { name: string; url: string; us: number }> {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, { name: string; url: string; us: number }>();
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const f = frames.get(id);
    if (!f || us <= 0) return;
    const name = f.functionName || '(anonymous)';
    const url = f.url ? `${f.url}:${f.lineNumber + 1}` : '';
    const key = `${name}\t${url}\t${f.columnNumber ?? ''}`;
    const entry = out.get(key);
    if (entry) entry.us += us;
    else out.set(key, { name, url, us });
  });
  return out;
}

/**
 * The package a script belongs to: the last `node_modules/<pkg>` (scoped ones whole), `src/<room>`,
 * `node:internal`, V8's own entries by name, or whatever `aliases` (url prefix → label) say first.
 */
export function packageOf(url: string, functionName: string, aliases: Record<string, string> = {}): string {
  if (!url) return functionName.startsWith('(') && functionName !== '(anonymous)' ? functionName : '(native)';
  for (const [prefix, label] of Object.entries(aliases)) if (url.startsWith(prefix)) return label;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!;
  if (url.startsWith('wasm:')) return 'wasm';
  if (url.startsWith('evalmachine.')) return 'vm (evalmachine)';
  const src = url.match(/\/(src|bench|test)\/(?:([^/]+)\/)?/);
  if (src) return src[2] ? `${src[1]}/${src[2]}` : src[1]!;
  return url.replace(/:\d+$/, '');
}

/** The summary of several profiles (the threads of one process), top `top` functions and `topPackages` packages. */
export function summarizeProfiles(
  profiles: Array<{ file: string; profile: CpuProfile }>,
  options: { aliases?: Record<string, string>; top?: number; topPackages?: number } = {},
): ProfileSummary {
  const functions = new Map<string, { name: string; url: string; us: number }>();
  const files: ProfileSummary['files'] = [];
  for (const { file, profile } of profiles) {
    let total = 0;
    let idle = 0;
    for (const [key, t] of selfTimes(profile)) {
      total += t.us;
      if (t.name === IDLE) idle += t.us;
      const entry = functions.get(key);
      if (entry) entry.us += t.us;
      else functions.set(key, { ...t });
    }
    const thread = path.basename(file).match(/^CPU\.\d+\.\d+\.\d+\.(\d+)\.\d+\.cpuprofile$/);
    files.push({ file, thread: thread ? Number(thread[1]) : null, totalMs: ms(total), busyMs: ms(total - idle) });
  }
  const all = [...functions.values()];
  const totalUs = all.reduce((a, f) => a + f.us, 0);
  const idleUs = all.filter((f) => f.name === IDLE).reduce((a, f) => a + f.us, 0);
  const busy = all.filter((f) => f.name !== IDLE);
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  const packages = new Map<string, number>();
  for (const f of busy) {
    const name = packageOf(f.url.replace(/:\d+$/, ''), f.name, options.aliases);
    packages.set(name, (packages.get(name) ?? 0) + f.us);
  }
  return {
    files,
    totalMs: ms(totalUs),
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    topFunctions: busy
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top ?? 15)
      .map((f) => ({ name: f.name, url: f.url, selfMs: ms(f.us), pct: pct(f.us) })),
    byPackage: [...packages]
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.topPackages ?? 10)
      .map(([name, us]) => ({ name, selfMs: ms(us), pct: pct(us) })),
  };
}

/** Every `.cpuprofile` in a folder (of process `pid` only, if given), summarized; undefined when there is none. */
export function summarizeProfileDir(dir: string, options: Parameters<typeof summarizeProfiles>[1] & { pid?: number } = {}): ProfileSummary | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && (options.pid === undefined || f.split('.')[3] === String(options.pid)))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) return undefined;
  return summarizeProfiles(
    files.map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile })),
    options,
  );
}

const ms = (us: number) => Math.round(us / 100) / 10;
