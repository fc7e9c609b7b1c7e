/**
 * An earlier release's code, checked out beside this one with `git worktree`, so its workers can
 * run next to (or before) the current code's. Tags may not travel with a clone: a release's
 * commit is the one that set its version in package.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git } from './git.js';

export interface ReleaseCheckout {
  version: string;
  commit: string;
  /** The checkout's folder: its bin/reports.js, src/ and node_modules. */
  dir: string;
  remove(): void;
}

/** The commit that set package.json's version to `version` (the oldest one, if it was set twice). */
export function releaseCommit(version: string): string {
  const commits = git(['log', '--format=%H', '-S', `"version": "${version}"`, '--', 'package.json']);
  const commit = commits.at(-1);
  if (!commit) throw new Error(`no commit set package.json's version to ${version}: is this a full clone (not shallow)?`);
  return commit;
}

/**
 * Checks the release out into a temporary folder. Its dependencies: this checkout's node_modules
 * when its package-lock.json is the same, otherwise its own `npm ci` (a few minutes).
 */
export function checkoutRelease(version: string): ReleaseCheckout {
  const commit = releaseCommit(version);
  const dir = path.join(mkdtempSync(path.join(tmpdir(), `reports-${version}-`)), 'checkout');
  git(['worktree', 'add', '--detach', dir, commit]);
  const sameLock = lockedDependencies(path.join(dir, 'package-lock.json')) === lockedDependencies('package-lock.json');
  if (sameLock && existsSync('node_modules')) symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore', timeout: 600_000 });
  return {
    version,
    commit,
    dir,
    remove: () => git(['worktree', 'remove', '--force', dir]),
  };
}

/** What a package-lock.json installs, without the project's own version (which every release changes). */
function lockedDependencies(file: string): string {
  const lock = JSON.parse(readFileSync(file, 'utf8')) as { version?: string; packages?: Record<string, { version?: string }> };
  delete lock.version;
  delete lock.packages?.['']?.version;
  return JSON.stringify(lock);
}
