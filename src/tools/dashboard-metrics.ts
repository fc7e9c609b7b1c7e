/**
 * The metric names deploy/grafana's dashboard and deploy/prometheus's alerts query, read out of
 * their PromQL, so a test can hold them against the catalogue (src/observability/metrics.ts) and
 * the Temporal SDK's own names: a renamed metric or label breaks the build, not the dashboard.
 *
 * The tokenizer knows enough PromQL for that: strings, comments, `{…}` matchers, `[…]` ranges,
 * numbers and durations, Grafana's `$variables`; an identifier followed by `(` is a function or
 * an aggregation, the label lists after by/without/on/ignoring/group_left/group_right are labels,
 * keywords and set operators are keywords; every other identifier is a metric name. Pure: callers
 * read and parse the files.
 */

/** One metric a query names, with the labels its matchers use. */
export interface MetricReference {
  metric: string;
  labels: string[];
}

/** An expression and where it was found, for messages (`alerts.yml: ReportsWorkerDown`). */
export interface LocatedExpression {
  where: string;
  expr: string;
}

const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

const IDENT = /[A-Za-z_:][\w:]*/y;
const SPACE = /(?:\s|#[^\n]*)*/y;

function skipSpace(s: string, i: number): number {
  SPACE.lastIndex = i;
  SPACE.exec(s);
  return SPACE.lastIndex;
}

/** The index just past a quoted string starting at i (PromQL: "…", '…' with escapes, `…` raw). */
function skipString(s: string, i: number): number {
  const quote = s[i]!;
  let j = i + 1;
  while (j < s.length && s[j] !== quote) j += quote !== '`' && s[j] === '\\' ? 2 : 1;
  return j + 1;
}

function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return literal.startsWith('`') ? body : body.replace(/\\(.)/g, '$1');
}

/** The index just past the bracket that closes the one at i (strings inside skipped). */
function skipBalanced(s: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"' || c === "'" || c === '`') j = skipString(s, j) - 1;
    else if (c === open) depth += 1;
    else if (c === close && --depth === 0) return j + 1;
  }
  return s.length;
}

/** `{a="x", b=~"y"}` → label names, and the metric a `__name__="…"` matcher names. */
function parseMatchers(body: string): { labels: string[]; name?: string } {
  const labels: string[] = [];
  let name: string | undefined;
  const matcher = /\s*([A-Za-z_]\w*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/gy;
  let m: RegExpExecArray | null;
  // A bare quoted name (`{"metric.name", a="x"}`) is the metric in Prometheus 3's UTF-8 syntax.
  const bare = body.match(/^\s*("(?:[^"\\]|\\.)*")\s*(,|$)/);
  if (bare) {
    name = unquote(bare[1]!);
    matcher.lastIndex = bare[0].length;
  }
  while ((m = matcher.exec(body)) !== null) {
    const label = m[1]!.startsWith('"') ? unquote(m[1]!) : m[1]!;
    if (label === '__name__' && m[2] === '=') name = unquote(m[3]!);
    else if (label !== '__name__') labels.push(label);
    if (matcher.lastIndex >= body.length) break;
  }
  return { labels, name };
}

/** Every metric an expression names, in order of appearance (a name used twice appears twice). */
export function metricReferences(expr: string): MetricReference[] {
  const refs: MetricReference[] = [];
  const s = expr;
  let i = 0;
  while (i < s.length) {
    i = skipSpace(s, i);
    if (i >= s.length) break;
    const c = s[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(s, i);
    } else if (c === '[') {
      i = skipBalanced(s, i, '[', ']'); // a range or subquery: durations and Grafana's $__rate_interval
    } else if (c === '{') {
      // A selector without a metric name before it: `{__name__="x", …}`.
      const end = skipBalanced(s, i, '{', '}');
      const { labels, name } = parseMatchers(s.slice(i + 1, end - 1));
      if (name) refs.push({ metric: name, labels });
      i = end;
    } else if (c === '$') {
      // Grafana's variables: $name, ${name}, ${name:format}.
      i = s[i + 1] === '{' ? skipBalanced(s, i + 1, '{', '}') : i + 1 + (/^\w*/.exec(s.slice(i + 1))?.[0].length ?? 0);
    } else if (/[0-9.]/.test(c)) {
      i += /^[\w.]+/.exec(s.slice(i))?.[0].length ?? 1; // a number or a duration: 0.95, 1e9, 0x1f, 5m, 1h30m
    } else if (/[A-Za-z_:]/.test(c)) {
      IDENT.lastIndex = i;
      const word = IDENT.exec(s)![0];
      i += word.length;
      const next = skipSpace(s, i);
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        if (s[next] === '(') i = skipBalanced(s, next, '(', ')');
      } else if (AGGREGATIONS.has(lower) || KEYWORDS.has(lower) || s[next] === '(') {
        // an aggregation, a keyword, or a function call: not a metric
      } else {
        const ref: MetricReference = { metric: word, labels: [] };
        if (s[next] === '{') {
          const end = skipBalanced(s, next, '{', '}');
          ref.labels = parseMatchers(s.slice(next + 1, end - 1)).labels;
          i = end;
        }
        refs.push(ref);
      }
    } else {
      i += 1; // operators, commas, parentheses
    }
  }
  return refs;
}

/** The distinct metric names an expression names. */
export function metricNames(expr: string): string[] {
  return [...new Set(metricReferences(expr).map((r) => r.metric))];
}

/** The PromQL inside a Grafana template variable's query (label_values(selector, label) → selector). */
export function templateQueryExpressions(query: string): string[] {
  const q = query.trim();
  const labelValues = q.match(/^label_values\(\s*([\s\S]*?)\s*,\s*[A-Za-z_]\w*\s*\)$/);
  if (labelValues) return [labelValues[1]!];
  if (/^label_values\(\s*[A-Za-z_]\w*\s*\)$/.test(q) || /^label_names\(/.test(q) || /^metrics\(/.test(q)) return [];
  const result = q.match(/^query_result\(([\s\S]*)\)$/);
  return [result ? result[1]! : q];
}

interface DashboardLike {
  panels?: PanelLike[];
  templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: string }[] };
  annotations?: { list?: { name?: string; expr?: string }[] };
}
interface PanelLike {
  id?: number;
  title?: string;
  panels?: PanelLike[];
  targets?: { expr?: string; refId?: string }[];
}

/** Every PromQL expression of a Grafana dashboard: panels (inside rows too), variables, annotations. */
export function dashboardExpressions(dashboard: DashboardLike): LocatedExpression[] {
  const out: LocatedExpression[] = [];
  const walk = (panels: PanelLike[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) {
        if (t.expr) out.push({ where: `panel "${p.title ?? p.id}" ${t.refId ?? ''}`.trim(), expr: t.expr });
      }
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? v.definition ?? '');
    for (const expr of templateQueryExpressions(query)) out.push({ where: `variable $${v.name}`, expr });
  }
  for (const a of dashboard.annotations?.list ?? []) {
    if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  }
  return out;
}

interface RuleFileLike {
  groups?: { name?: string; rules?: { alert?: string; record?: string; expr?: string }[] }[];
}

/** Every expression of a Prometheus rule file (parsed YAML), named by its alert or record. */
export function ruleExpressions(rules: RuleFileLike): LocatedExpression[] {
  return (rules.groups ?? []).flatMap((g) =>
    (g.rules ?? []).filter((r) => r.expr).map((r) => ({ where: `${g.name}: ${r.alert ?? r.record}`, expr: String(r.expr) })),
  );
}

/** A declared metric: its exposed name, type and label names. */
export interface DeclaredMetric {
  name: string;
  type: string;
  labelNames: string[];
}

/** Suffixes a histogram (and a summary's _sum/_count) is exposed under. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** A histogram's series name → the histogram's name, when `histograms` declares it; else the name. */
export function baseMetricName(name: string, histograms: ReadonlySet<string>): string {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (name.endsWith(suffix) && histograms.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  }
  return name;
}

/** Names every Prometheus target exposes, and the prefixes of prom-client's default metrics. */
const STANDARD_NAMES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
const STANDARD_PREFIXES = ['process_', 'nodejs_'];
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['job', 'instance']);

export interface NameCheckOptions {
  /** The catalogue: the project's registry, with prom-client's default metrics. */
  declared: DeclaredMetric[];
  /** Core's metric names without the temporal_ prefix (histograms by their base name); unset: any temporal_ name passes. */
  coreNames?: ReadonlySet<string>;
  /** Core's histogram names without the prefix, for their _bucket/_sum/_count. */
  coreHistograms?: ReadonlySet<string>;
}

/** Problems, one line each: a metric nobody declares, or a matcher on a label the metric lacks. */
export function checkMetricReferences(expressions: LocatedExpression[], options: NameCheckOptions): string[] {
  const declared = new Map(options.declared.map((d) => [d.name, d]));
  const histograms = new Set(options.declared.filter((d) => d.type === 'histogram').map((d) => d.name));
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    for (const ref of metricReferences(expr)) {
      const name = ref.metric;
      if (STANDARD_NAMES.has(name) || (STANDARD_PREFIXES.some((p) => name.startsWith(p)) && !declared.has(name))) continue;
      if (name.startsWith('temporal_')) {
        if (!options.coreNames) continue;
        const core = baseMetricName(name.slice('temporal_'.length), options.coreHistograms ?? new Set());
        if (!options.coreNames.has(core)) problems.push(`${where}: ${name} is not a metric the Temporal SDK's core defines`);
        continue;
      }
      const base = baseMetricName(name, histograms);
      const metric = declared.get(base);
      if (!metric) {
        problems.push(`${where}: ${name} is not declared in src/observability/metrics.ts`);
        continue;
      }
      const allowed = new Set([...metric.labelNames, ...TARGET_LABELS, ...(name.endsWith('_bucket') ? ['le'] : [])]);
      for (const label of ref.labels) {
        if (!allowed.has(label)) problems.push(`${where}: ${name} has no label ${label} (it has: ${metric.labelNames.join(', ') || 'none'})`);
      }
    }
  }
  return problems;
}

/**
 * Core's metric names from its Rust sources (crates/**): `name: "…".into()` in the instrument
 * definitions and the `…_NAME: &str = "…"` constants; histograms are the ones made with
 * histogram_duration/histogram or named by a `…_HISTOGRAM_NAME` constant.
 */
export function coreMetricNamesFromSource(sources: string[]): { names: Set<string>; histograms: Set<string> } {
  const names = new Set<string>();
  const histograms = new Set<string>();
  const constants = new Map<string, string>();
  for (const src of sources) {
    for (const m of src.matchAll(/\b([A-Z][A-Z0-9_]*_NAME)\s*:\s*&(?:'static\s+)?str\s*=\s*"([a-z][a-z0-9_]*)"/g)) {
      constants.set(m[1]!, m[2]!);
      names.add(m[2]!);
      if (m[1]!.endsWith('HISTOGRAM_NAME')) histograms.add(m[2]!);
    }
  }
  for (const src of sources) {
    // meter.<kind>(MetricParameters { name: "x".into() | CONST.into(), … })
    for (const m of src.matchAll(/\.(counter|gauge|gauge_f64|histogram|histogram_f64|histogram_duration|up_down_counter)\w*\(\s*MetricParameters\s*\{\s*name:\s*(?:"([a-z][a-z0-9_]*)"|([A-Z][A-Z0-9_]*))\.into\(\)/g)) {
      const name = m[2] ?? constants.get(m[3]!);
      if (!name) continue;
      names.add(name);
      if (m[1]!.startsWith('histogram')) histograms.add(name);
    }
    // counter_with_in_mem(MetricParameters { name: … }) and the like: the kind is in the helper's name.
    for (const m of src.matchAll(/\b(counter|gauge|histogram)_with_in_mem\(\s*MetricParameters\s*\{\s*name:\s*(?:"([a-z][a-z0-9_]*)"|([A-Z][A-Z0-9_]*))\.into\(\)/g)) {
      const name = m[2] ?? constants.get(m[3]!);
      if (!name) continue;
      names.add(name);
      if (m[1] === 'histogram') histograms.add(name);
    }
  }
  return { names, histograms };
}

/** Where the dashboard and the alert rules live in the repository. */
export const DASHBOARD_FILE = 'deploy/grafana/dashboards/reports.json';
export const ALERT_RULES_FILE = 'deploy/prometheus/alerts.yml';

/**
 * Every expression of the dashboard and the alert rules, given the files' texts (`read` returns
 * a repository file's text) and a YAML parser: what the checks and a live /metrics assertion run on.
 */
export function observabilityExpressions(read: (file: string) => string, parseYaml: (text: string) => unknown): LocatedExpression[] {
  return [
    ...dashboardExpressions(JSON.parse(read(DASHBOARD_FILE)) as DashboardLike).map((e) => ({ ...e, where: `${DASHBOARD_FILE}: ${e.where}` })),
    ...ruleExpressions(parseYaml(read(ALERT_RULES_FILE)) as RuleFileLike).map((e) => ({ ...e, where: `${ALERT_RULES_FILE}: ${e.where}` })),
  ];
}

/**
 * The metric names the expressions need on a live /metrics, sorted: histograms by their base name
 * (the names `histograms` lists, plus any name seen only with _bucket), standard target metrics
 * (up, scrape_*) left out since no process exposes them.
 */
export function referencedMetricNames(expressions: LocatedExpression[], histograms: ReadonlySet<string> = new Set()): string[] {
  const names = new Set<string>();
  for (const { expr } of expressions) {
    for (const name of metricNames(expr)) {
      if (STANDARD_NAMES.has(name)) continue;
      const bucketBase = name.endsWith('_bucket') ? name.slice(0, -'_bucket'.length) : undefined;
      names.add(bucketBase ?? baseMetricName(name, histograms));
    }
  }
  return [...names].sort();
}
