/**
 * Reads Prometheus' text exposition format just enough to say which metrics it holds: the
 * integration test checks `/metrics` with it, and the dashboard and alert checks use it to prove
 * every name they query exists. Pure: no I/O, no project imports.
 */

/** Suffixes of the series a histogram or summary writes besides its own name. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

export interface ParsedExposition {
  /** Metric family names: from `# TYPE` lines, and from samples without one. */
  names: Set<string>;
  /** Every sample as written: series name (with suffix), labels, value. */
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

export function parseExposition(text: string): ParsedExposition {
  const names = new Set<string>();
  const typed = new Map<string, string>();
  const samples: ParsedExposition['samples'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)/.exec(line);
      if (m) {
        names.add(m[1]!);
        typed.set(m[1]!, m[2]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    samples.push({ name, labels: parseLabels(m[3] ?? ''), value: Number(m[4]) });
    names.add(familyOf(name, typed));
  }
  return { names, samples };
}

/** The set of metric family names in an exposition (what dashboards and alerts query). */
export function metricNames(text: string): Set<string> {
  return parseExposition(text).names;
}

/**
 * The sum of a series' samples whose labels include `labels` (e.g. every status of
 * `reports_report_runs_finished_total`, or just `{ status: 'failed' }`); 0 when none.
 */
export function sampleSum(text: string | ParsedExposition, series: string, labels: Record<string, string> = {}): number {
  const parsed = typeof text === 'string' ? parseExposition(text) : text;
  return parsed.samples
    .filter((s) => s.name === series && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function familyOf(series: string, typed: Map<string, string>): string {
  if (typed.has(series)) return series;
  for (const suffix of SERIES_SUFFIXES) {
    if (series.endsWith(suffix) && typed.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length);
  }
  return series;
}

function parseLabels(body: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}
