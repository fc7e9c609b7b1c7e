/**
 * `reports validate [paths…]`: checks configurations without Temporal or Stripe, so it can run
 * in CI and in editors' tasks. Prints one `ok` line per good file and every problem (with its fix)
 * per bad one, then a summary; returns the exit code.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { configFilesIn, formatProblem, loadConfigFiles, type ConfigProblem, type LoadResult } from './load.js';

/** Files to check: the paths given (a directory meaning its *.yaml), else every file in schedulesDir. */
function expand(paths: string[], schedulesDir: string): { files: string[]; problems: ConfigProblem[] } {
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const p of paths.length > 0 ? paths : [schedulesDir]) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // Not there: loadConfigFile reports it like any unreadable file.
    }
    if (!isDir) files.push(p);
    else {
      try {
        files.push(...configFilesIn(p));
      } catch (err) {
        problems.push({ file: p, field: '(directory)', message: `cannot list: ${(err as Error).message}`, fix: 'check the path' });
      }
    }
  }
  return { files, problems };
}

/** Paths relative to the working directory when inside it: shorter, and clickable in terminals. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

export function validateConfigs(paths: string[], schedulesDir: string, out: (line: string) => void): number {
  const { files, problems: listing } = expand(paths, schedulesDir);
  const results: LoadResult[] = loadConfigFiles(files);
  for (const p of listing) out(`error ${formatProblem(p)}`);
  for (const r of results) {
    if (r.ok) out(`ok   ${shown(r.file)} (${r.config.id})`);
    else for (const p of r.problems) out(`error ${formatProblem({ ...p, file: shown(p.file) })}`);
  }
  const bad = results.filter((r) => !r.ok).length;
  out(`${results.length} file${results.length === 1 ? '' : 's'}: ${results.length - bad} ok, ${bad} with problems`);
  return bad > 0 || listing.length > 0 ? 1 : 0;
}
