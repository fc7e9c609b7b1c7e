/**
 * Loads schedules/*.yaml into typed configurations. A bad file yields problems naming the file,
 * the line, the field, the value and the fix; it never stops the good files from loading.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document } from 'yaml';
import { redactSecrets } from '../stripe/keys.js';
import { explainIssues, show } from './explain-issue.js';
import { loadQuerySql } from './query-sql.js';
import { expandTargets } from './targets-from.js';
import { ReportConfigSchema, type ReportConfig } from './schema.js';

export interface ConfigProblem {
  file: string;
  line?: number;
  field: string;
  message: string;
  /** What to change, e.g. "use an IANA name such as Europe/London". */
  fix?: string;
}

export type LoadResult = { ok: true; config: ReportConfig; file: string } | { ok: false; file: string; problems: ConfigProblem[] };

type Path = (string | number)[];

const SECRET_PATTERN = /\b(sk|rk)_(org_)?(live|test)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+/g;

/** redactSecrets, plus short secret-looking tokens it leaves alone: no problem ever shows a key. */
function safe(text: string): string;
function safe(text: string | undefined): string | undefined;
function safe(text: string | undefined) {
  return text === undefined ? undefined : redactSecrets(text).replace(SECRET_PATTERN, (s) => `${s.slice(0, s.lastIndexOf('_') + 1)}…`);
}

/** Every string in the document, keys included, with its path: a literal secret can hide anywhere. */
function* strings(value: unknown, at: Path): Generator<[Path, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, [...at, i]);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield [[...at, k], k];
      yield* strings(v, [...at, k]);
    }
  }
}

/** The line of a field's key (or list item); its deepest present parent's line when it is missing. */
function lineOfPath(doc: Document, text: string, fieldPath: Path): number | undefined {
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : text.slice(0, offset).split('\n').length);
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const part of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(part));
      if (!pair) break;
      line = lineAt((pair.key as { range?: [number] } | null)?.range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
      node = node.items[part];
      line = lineAt((node as { range?: [number] }).range?.[0]) ?? line;
    } else break;
  }
  return line;
}

const YAML_FIXES: Record<string, string> = {
  DUPLICATE_KEY: 'keep only one of the two',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MULTIPLE_DOCS: 'keep one configuration per file (remove the second ---)',
};
const YAML_FIX = 'check the indentation, quotes and brackets here; quote a value holding ": " or " #"';

function notAMapping(raw: unknown, file: string): ConfigProblem {
  if (raw === null || raw === undefined) {
    return { file, field: '(file)', message: 'the file is empty', fix: 'write at least `report:` and `mode:`, as in schedules/monthly-balance.yaml' };
  }
  if (Array.isArray(raw)) {
    return { file, line: 1, field: '(file)', message: 'the file is a list, not a mapping of fields', fix: 'write the fields at the top level (report: …, mode: …), without a leading "- "' };
  }
  return { file, line: 1, field: '(file)', message: `the file holds only ${show(raw)}`, fix: 'write a mapping of fields: report: …, mode: …' };
}

export function parseConfig(text: string, file: string): LoadResult {
  const fail = (problems: ConfigProblem[]): LoadResult => ({
    ok: false,
    file,
    problems: problems
      .map((p) => ({ ...p, field: safe(p.field), message: safe(p.message), fix: safe(p.fix) }))
      .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)),
  });
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? text.slice(0, e.pos[0]).split('\n').length,
        field: '(yaml)',
        message: e.message.split('\n')[0]!,
        fix: YAML_FIXES[e.code] ?? YAML_FIX,
      })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // yaml refuses to expand an alias bomb here (a "billion laughs" file), after parsing succeeded.
    return fail([{ file, line: 1, field: '(yaml)', message: (err as Error).message, fix: 'write the values out instead of repeating aliases (*name) of aliases' }]);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail([notAMapping(raw, file)]);

  const problems: ConfigProblem[] = [];
  const secretFields = new Set<string>();
  for (const [at, value] of strings(raw, [])) {
    const secret = value.match(SECRET_PATTERN)?.[0];
    if (!secret) continue;
    secretFields.add(at.join('.'));
    problems.push({
      file,
      line: lineOfPath(doc, text, at),
      field: at.join('.'),
      message: `holds a literal secret (${safe(secret)})`,
      fix: secret.startsWith('whsec_')
        ? 'put it in an environment variable and write a reference to it, e.g. ${STRIPE_WEBHOOK_SECRET}'
        : 'put the key in an environment variable and name that variable: key_env: STRIPE_SECRET_KEY',
    });
  }

  const idFromFile = (raw as { id?: unknown }).id === undefined;
  const withId = { id: path.basename(file).replace(/\.ya?ml$/, ''), ...(raw as object) };
  const parsed = ReportConfigSchema.safeParse(withId);
  if (!parsed.success) {
    for (const e of explainIssues(parsed.error.issues, withId)) {
      const field = e.path.join('.') || '(file)';
      // A secret's own problem says all there is to say about that field.
      if (secretFields.has(field)) continue;
      const fromFile = idFromFile && field === 'id';
      problems.push({
        file,
        line: lineOfPath(doc, text, e.path),
        field,
        message: fromFile ? `${e.message} (the id comes from the file name)` : e.message,
        fix: fromFile ? `rename the file or set \`id:\`; ${e.fix}` : e.fix,
      });
    }
  }
  if (problems.length > 0 || !parsed.success) return fail(problems);
  const sqlNode = doc.getIn(['query', 'sql'], true);
  const withSql = loadQuerySql(parsed.data, file, {
    lineOf: (at) => lineOfPath(doc, text, at),
    sqlIsBlock: isScalar(sqlNode) && (sqlNode.type === Scalar.BLOCK_LITERAL || sqlNode.type === Scalar.BLOCK_FOLDED),
  });
  if (withSql.problems.length > 0) return fail(withSql.problems);
  const expanded = expandTargets(withSql.config, file);
  if (expanded.problems.length > 0) return fail(expanded.problems);
  return { ok: true, config: expanded.config, file };
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, file, problems: [{ file, field: '(file)', message: `cannot read: ${(err as Error).message}`, fix: 'check the path' }] };
  }
  return parseConfig(text, file);
}

/** Loads files together: two files with one id would fight over one schedule, so the later is refused. */
export function loadConfigFiles(files: string[]): LoadResult[] {
  const seen = new Map<string, string>();
  return files.map(loadConfigFile).map((r) => {
    if (!r.ok) return r;
    const other = seen.get(r.config.id);
    if (!other) {
      seen.set(r.config.id, r.file);
      return r;
    }
    return {
      ok: false,
      file: r.file,
      problems: [{ file: r.file, field: 'id', message: `id "${r.config.id}" is already used by ${other}`, fix: 'give this file another `id:` (or another file name)' }],
    };
  });
}

export function configFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export function loadConfigDir(dir: string): LoadResult[] {
  return loadConfigFiles(configFilesIn(dir));
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.field}: ${p.message}${p.fix ? ` — fix: ${p.fix}` : ''}`;
}
