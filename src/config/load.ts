/**
 * Loads schedules/*.yaml into typed configurations. A bad file yields problems naming the file,
 * the field and the value; it never stops the good files from loading.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { redactSecrets } from '../stripe/keys.js';
import { ReportConfigSchema, type ReportConfig } from './schema.js';

export interface ConfigProblem {
  file: string;
  line?: number;
  field: string;
  message: string;
}

export type LoadResult = { ok: true; config: ReportConfig; file: string } | { ok: false; file: string; problems: ConfigProblem[] };

const SECRET_PATTERN = /\b(sk|rk)_(org_)?(live|test)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+/;

/** Every string in the document, with its path, to catch a literal secret wherever it hides. */
function* strings(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${at}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* strings(v, at ? `${at}.${k}` : k);
  }
}

export function parseConfig(text: string, file: string): LoadResult {
  const doc = parseDocument(text, { prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : text.slice(0, offset).split('\n').length);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      problems: doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]), field: '(yaml)', message: e.message.split('\n')[0] })),
    };
  }
  const raw = doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, file, problems: [{ file, field: '(file)', message: 'expected a mapping of fields (report:, mode:, …)' }] };
  }
  const problems: ConfigProblem[] = [];
  const lineOfPath = (pathParts: (string | number)[]) => {
    const node = doc.getIn(pathParts, true) as { range?: [number, number, number] } | undefined;
    return lineOf(node?.range?.[0]);
  };
  for (const [field, value] of strings(raw, '')) {
    if (SECRET_PATTERN.test(value)) {
      problems.push({
        file,
        line: lineOfPath(field.split(/[.[\]]+/).filter(Boolean)),
        field,
        message: 'holds a literal secret; put it in an environment variable and name it (key_env: STRIPE_SECRET_KEY)',
      });
    }
  }
  const withId = { id: path.basename(file).replace(/\.ya?ml$/, ''), ...(raw as object) };
  const parsed = ReportConfigSchema.safeParse(withId);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const parts = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const at = [...parts, key];
          problems.push({ file, line: lineOfPath(at), field: at.join('.'), message: 'unknown field; remove it or check its spelling' });
        }
        continue;
      }
      const value = parts.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], withId);
      problems.push({
        file,
        line: lineOfPath(parts),
        field: parts.join('.') || '(file)',
        message: value === undefined ? issue.message : `${issue.message} (got ${redactSecrets(JSON.stringify(value))})`,
      });
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, file, problems };
  return { ok: true, config: parsed.data, file };
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, file, problems: [{ file, field: '(file)', message: `cannot read: ${(err as Error).message}` }] };
  }
  return parseConfig(text, file);
}

export function loadConfigDir(dir: string): LoadResult[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  const results = files.map(loadConfigFile);
  // Two files with one id would fight over one schedule: refuse both.
  const seen = new Map<string, string>();
  return results.map((r) => {
    if (!r.ok) return r;
    const other = seen.get(r.config.id);
    seen.set(r.config.id, r.file);
    if (!other) return r;
    return { ok: false, file: r.file, problems: [{ file: r.file, field: 'id', message: `id "${r.config.id}" is already used by ${other}` }] };
  });
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.field}: ${p.message}`;
}
