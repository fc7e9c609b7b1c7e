/**
 * Turns zod issues into problems people can act on: what is wrong, with the value, and the fix.
 * zod's own messages ("Invalid input") say neither which form of a union was meant nor how to
 * repair it, so targets and period are re-checked against the form the author evidently chose.
 */
import type { z } from 'zod';
import { PeriodSchema, PeriodUnitSchema, ReportConfigSchema, TargetSchema } from './schema.js';

type Path = (string | number)[];
type Issue = z.core.$ZodIssue;
export interface Explained {
  path: Path;
  message: string;
  fix?: string;
}

/** An example value per field (numbers in paths written as *), for "write it like …" fixes. */
const EXAMPLES: Record<string, string> = {
  id: 'monthly-balance',
  description: 'Monthly balance summary',
  api: 'v2',
  report: 'balance.summary.1',
  query: '{ file: revenue.sql }',
  'query.sql': '"SELECT … WHERE created >= {{interval_start}}"',
  'query.file': 'revenue.sql',
  mode: 'sandbox',
  key_env: 'STRIPE_SECRET_KEY',
  schedule: '{ cron: "0 6 2 * *", timezone: Europe/London }',
  'schedule.cron': '"0 6 2 * *"',
  'schedule.calendar': '{ day_of_month: 2, hour: 6 }',
  'schedule.timezone': 'Europe/London',
  'schedule.jitter': '15m',
  period: 'month',
  'period.unit': 'month',
  'period.offset': '-1',
  wait_for_data: '{ deadline: 72h, recheck: 30m }',
  'wait_for_data.deadline': '72h',
  'wait_for_data.recheck': '30m',
  parameters: '{ currency: usd, columns: [balance_transaction_id, gross] }',
  targets: '[{ account: acct_1A2b3C }]',
  'targets.*': '{ account: acct_1A2b3C }',
  targets_from: '{ file: accounts.txt }',
  'targets_from.file': 'accounts.txt',
  'targets_from.env': 'REPORT_ACCOUNTS',
  'targets_from.platform': 'acct_1A2b3C',
  max_failed_targets: '10%',
  permits: '{ capacity: 80 }',
  'permits.capacity': '80',
  'permits.pool': 'shared-org',
  result: '{ compress: false }',
  'result.compress': 'false',
  'result.extract': 'true (with compress: true)',
  archive: '{ backend: filesystem }',
  'archive.backend': 'filesystem',
  notify: '{ webhook_url: ${SLACK_WEBHOOK_URL}, on: [failure] }',
  'notify.webhook_url': '${SLACK_WEBHOOK_URL}',
  'notify.on': '[success, failure]',
  paused: 'false',
};

/** What a regex-checked field should be, for "… is not <label>". */
const LABELS: Record<string, string> = {
  id: 'a valid id',
  account: 'an account id',
  connected_account: 'an account id',
  platform: 'an account id',
  jitter: 'a duration',
  deadline: 'a duration',
  recheck: 'a duration',
  key_env: 'an environment variable name',
  webhook_url: 'an environment reference',
  sql: 'SQL (it is blank)',
};

/** Fields whose values may be secrets even when they do not look like keys: never echoed. */
const HIDDEN = new Set(['webhook_url']);

const TYPE_NOUNS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (fields on the lines below)',
  array: 'a list',
  record: 'a mapping',
};

const TARGET_FORMS = [
  { name: 'account', keys: ['account'], schema: TargetSchema.options[0] },
  { name: 'connected_account', keys: ['connected_account', 'platform'], schema: TargetSchema.options[1] },
  { name: 'organization', keys: ['organization'], schema: TargetSchema.options[2] },
] as const;
const TARGET_HELP = 'a target is one of: account: acct_…, connected_account: acct_… (with optional platform: acct_…), organization: concatenated|aggregated';

export function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), root);
}

const pattern = (path: Path) => path.map((p) => (typeof p === 'number' ? '*' : p)).join('.');
const last = (path: Path) => String(path.filter((p) => typeof p === 'string').at(-1) ?? '');

export function show(value: unknown, path: Path = []): string {
  if (HIDDEN.has(last(path))) return '(a literal value, not shown)';
  // JSON would show .inf and .nan as null.
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function describeValue(value: unknown, path: Path): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${show(value, path)}`;
  return `${typeof value === 'number' ? 'the number ' : ''}${show(value, path)}`;
}

function example(path: Path): string | undefined {
  return EXAMPLES[pattern(path)];
}

/** Edit distance (with transpositions), to suggest the field or option someone meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  let before = row;
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      // Swapped neighbours (monht) count as one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) next[j] = Math.min(next[j]!, before[j - 2]! + 1);
    }
    before = row;
    row = next;
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replace(/[- ]/g, '_');
  let best: [string, number] | undefined;
  for (const c of candidates) {
    const d = distance(w, c);
    if (d <= Math.max(1, Math.floor(c.length / 3)) && (!best || d < best[1])) best = [c, d];
  }
  return best?.[0];
}

type Def = { type: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown>; element?: unknown; options?: unknown[]; valueType?: unknown };
const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;

/** The object schemas a path leads to (several for a union of objects). */
function objectsAt(schema: unknown, path: Path): Record<string, unknown>[] {
  const def = defOf(schema);
  if (['optional', 'default', 'prefault', 'nullable', 'readonly'].includes(def.type)) return objectsAt(def.innerType, path);
  if (def.type === 'pipe') return objectsAt(def.in, path);
  if (def.type === 'union') return def.options!.flatMap((o) => objectsAt(o, path));
  if (path.length === 0) return def.type === 'object' ? [def.shape!] : [];
  const [head, ...rest] = path;
  if (def.type === 'object') return def.shape![String(head)] ? objectsAt(def.shape![String(head)], rest) : [];
  if (def.type === 'array') return objectsAt(def.element, rest);
  if (def.type === 'record') return objectsAt(def.valueType, rest);
  return [];
}

function knownFields(path: Path): string[] {
  return [...new Set(objectsAt(ReportConfigSchema, path).flatMap((shape) => Object.keys(shape)))].filter((k) => k !== '$schema');
}

/** Where a field name lives elsewhere in the schema: `timezone` → schedule. */
function homeOf(name: string): string | undefined {
  const search = (path: Path): string | undefined => {
    for (const key of knownFields(path)) {
      if (key === name && path.length > 0) return pattern(path).replace(/\.\*/g, '[]');
      const deeper = search([...path, key]) ?? search([...path, key, 0]);
      if (deeper) return deeper;
    }
    return undefined;
  };
  return search([]);
}

function unknownField(parent: Path, key: string): Explained {
  const here = knownFields(parent);
  const suggestion = closest(key, here);
  const home = suggestion ? undefined : homeOf(key);
  const fix = suggestion
    ? `did you mean \`${suggestion}\`?`
    : home
      ? `\`${key}\` belongs under \`${home}:\`; move it there`
      : `remove it; the fields here are ${here.join(', ')}`;
  return { path: [...parent, key], message: `unknown field "${key}"`, fix };
}

/** zod's default texts start like this; anything else in a schema message is our fix. */
const isZodDefault = (message: string) => /^(Invalid|Too (big|small))/.test(message);

function explainOne(issue: Issue, root: unknown, prefix: Path): Explained[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const value = valueAt(root, path);
  const name = last(path) || 'the file';
  const ex = example(path);
  const likeExample = ex ? `write it like \`${name}: ${ex}\`` : undefined;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownField(path, key));
    case 'invalid_type': {
      if (value === undefined) return [{ path, message: 'is missing', fix: `add \`${name}: ${ex ?? '…'}\`` }];
      const expected = TYPE_NOUNS[issue.expected] ?? issue.expected;
      let fix = likeExample;
      if (issue.expected === 'boolean' && typeof value === 'string') fix = 'write true or false, without quotes';
      if (issue.expected === 'number' && typeof value === 'string' && /^-?\d+$/.test(value.trim())) fix = 'write the number without quotes';
      if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) fix = `quote it: \`${name}: "${value}"\``;
      return [{ path, message: `expected ${expected}, got ${describeValue(value, path)}`, fix }];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      if (value === undefined) return [{ path, message: 'is missing', fix: `add \`${name}:\` with one of ${options.join(', ')}` }];
      const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
      return [
        {
          path,
          message: `${show(value, path)} is not one of ${options.join(', ')}`,
          fix: suggestion ? `did you mean ${suggestion}?` : `use one of ${options.join(', ')}`,
        },
      ];
    }
    case 'invalid_format': {
      const what = LABELS[name] ?? 'in the expected form';
      const message = HIDDEN.has(name) ? `is written out literally, not as ${what}` : `${show(value, path)} is not ${what}`;
      return [{ path, message, fix: isZodDefault(issue.message) ? likeExample : issue.message }];
    }
    case 'too_small':
    case 'too_big': {
      const fix = isZodDefault(issue.message) ? likeExample : issue.message;
      if (typeof value === 'number') {
        const bound = issue.code === 'too_big' ? `more than ${issue.maximum}` : `less than ${issue.minimum}`;
        return [{ path, message: `${value} is ${bound}`, fix }];
      }
      return [{ path, message: Array.isArray(value) ? 'is an empty list' : 'is empty', fix }];
    }
    case 'custom': {
      const fix = (issue.params as { fix?: string } | undefined)?.fix;
      return [{ path, message: issue.message.replace('{value}', show(value, path)), fix }];
    }
    case 'invalid_union': {
      if (path[0] === 'parameters') {
        const fix = typeof value === 'number' || typeof value === 'boolean' ? `quote it: \`${name}: "${value}"\`` : 'write text, or a list of texts';
        return [{ path, message: `expected text or a list of texts, got ${describeValue(value, path)}`, fix }];
      }
      if (path[1] === 'calendar') {
        return [{ path, message: `expected a number or a range like "1-5", got ${describeValue(value, path)}`, fix: `write it like \`${name}: 6\`` }];
      }
      return [{ path, message: `${show(value, path)} is not a valid ${name}`, fix: likeExample }];
    }
    default:
      return [{ path, message: `${show(value, path)}: ${issue.message}`, fix: likeExample }];
  }
}

function explainWith(schema: z.ZodType, root: unknown, at: Path): Explained[] {
  const parsed = schema.safeParse(valueAt(root, at));
  return parsed.success ? [] : parsed.error.issues.flatMap((i) => explainOne(i, root, at));
}

function explainTarget(root: unknown, at: Path): Explained[] {
  const value = valueAt(root, at);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    const fix = typeof value === 'string' && value.startsWith('acct_') ? `write \`- account: ${value}\`` : TARGET_HELP;
    return [{ path: at, message: `expected a mapping such as { account: acct_1A2b3C }, got ${describeValue(value, at)}`, fix }];
  }
  const keys = Object.keys(value);
  const forms = TARGET_FORMS.filter((f) => f.keys.some((k) => keys.includes(k)));
  if (forms.length > 1) {
    return [
      {
        path: at,
        message: `mixes the ${forms.map((f) => f.name).join(' and the ')} forms (${keys.join(', ')})`,
        fix: `make each its own list entry; ${TARGET_HELP}`,
      },
    ];
  }
  if (forms.length === 0) {
    const guesses = keys.map((k) => closest(k, TARGET_FORMS.flatMap((f) => f.keys))).filter(Boolean);
    return [
      {
        path: at,
        message: `names none of account, connected_account, organization (has ${keys.join(', ') || 'no fields'})`,
        fix: guesses.length > 0 ? `did you mean \`${guesses[0]}\`?` : TARGET_HELP,
      },
    ];
  }
  return explainWith(forms[0]!.schema, root, at);
}

function explainPeriod(root: unknown): Explained[] {
  const value = valueAt(root, ['period']);
  const units = PeriodUnitSchema.options;
  if (typeof value === 'string') {
    const suggestion = closest(value, units);
    return [
      {
        path: ['period'],
        message: `${show(value)} is not one of ${units.join(', ')}`,
        fix: suggestion ? `did you mean ${suggestion}?` : `use one of ${units.join(', ')}, or { unit: month, offset: -2 } for an earlier period`,
      },
    ];
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) return explainWith(PeriodSchema.options[1], root, ['period']);
  return [{ path: ['period'], message: `expected a unit or { unit, offset }, got ${describeValue(value, ['period'])}`, fix: `write it like \`period: month\`` }];
}

/**
 * Every issue explained once. Issues under a target or the period are replaced by a re-check of
 * that value alone, so a mixed-up target yields one clear problem rather than three.
 */
export function explainIssues(issues: readonly Issue[], root: unknown): Explained[] {
  const out: Explained[] = [];
  const done = new Set<string>();
  for (const issue of issues) {
    const [head, index] = issue.path;
    // Checks across entries (a duplicate target) say what they mean themselves.
    if (issue.code === 'custom') out.push(...explainOne(issue, root, []));
    else if (head === 'targets' && typeof index === 'number') {
      if (!done.has(`targets.${index}`)) out.push(...explainTarget(root, ['targets', index]));
      done.add(`targets.${index}`);
    } else if (head === 'period') {
      if (!done.has('period')) out.push(...explainPeriod(root));
      done.add('period');
    } else out.push(...explainOne(issue, root, []));
  }
  return out;
}
