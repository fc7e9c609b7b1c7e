/**
 * `targets_from`: hundreds of accounts from a file (one id per line, `#` comments) or an
 * environment variable (ids separated by commas or spaces), added to `targets` when the
 * configuration loads. Each bad line is a problem with its line number.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ConfigProblem } from './load.js';
import type { ReportConfig, TargetSpec } from './schema.js';

const ACCOUNT = /^acct_[A-Za-z0-9]+$/;
const MAX_LIST_BYTES = 10 * 1024 * 1024;

export function expandTargets(config: ReportConfig, file: string, env: NodeJS.ProcessEnv = process.env): { config: ReportConfig; problems: ConfigProblem[] } {
  const from = config.targets_from;
  if (!from) return { config, problems: [] };
  const problems: ConfigProblem[] = [];
  let entries: { id: string; where: string; line?: number }[] = [];
  if (from.file) {
    const listFile = path.resolve(path.dirname(file), from.file);
    try {
      // A device (/dev/zero), a pipe or a huge file would never end or fill memory: refuse them unread.
      const stat = statSync(listFile);
      if (!stat.isFile()) throw new Error(stat.isDirectory() ? 'EISDIR' : 'not a regular file');
      if (stat.size > MAX_LIST_BYTES) throw new Error(`${stat.size} bytes, more than ${MAX_LIST_BYTES} (about 300000 account ids)`);
      entries = readFileSync(listFile, 'utf8')
        .split(/\r?\n/)
        .map((l, i) => ({ id: l.replace(/#.*/, '').trim(), where: `${from.file}:${i + 1}`, line: i + 1 }))
        .filter((e) => e.id);
    } catch (err) {
      problems.push({ file, field: 'targets_from.file', message: `cannot read ${listFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: 'give a path relative to this configuration file' });
    }
  } else if (from.env) {
    const value = env[from.env];
    if (value === undefined) problems.push({ file, field: 'targets_from.env', message: `environment variable ${from.env} is not set`, fix: `export ${from.env}=acct_1,acct_2` });
    else entries = value.split(/[\s,]+/).filter(Boolean).map((id) => ({ id, where: `$${from.env}` }));
  }
  const targets: TargetSpec[] = [...(config.targets ?? [])];
  const seen = new Set(targets.map((t) => JSON.stringify(t)));
  for (const e of entries) {
    if (!ACCOUNT.test(e.id)) {
      problems.push({ file, field: 'targets_from', message: `${e.where}: "${e.id}" is not an account id`, fix: 'one acct_… id per line' });
      continue;
    }
    const target: TargetSpec = from.as === 'connected_account' ? { connected_account: e.id, ...(from.platform ? { platform: from.platform } : {}) } : { account: e.id };
    const key = JSON.stringify(target);
    if (seen.has(key)) {
      problems.push({ file, field: 'targets_from', message: `${e.where}: ${e.id} is listed twice`, fix: 'list each account once' });
      continue;
    }
    seen.add(key);
    targets.push(target);
  }
  if (targets.length === 0 && problems.length === 0) {
    problems.push({ file, field: 'targets_from', message: 'lists no accounts', fix: 'add account ids, or remove targets_from' });
  }
  return { config: { ...config, targets }, problems };
}
