/**
 * deploy/prometheus and deploy/grafana, checked without running either: promtool (Prometheus's
 * own checker; found or fetched by src/tools/promtool.ts, the test fails if it cannot be) on the
 * real files and a broken copy, then every metric the dashboard and the alerts name held against
 * the catalogue (src/observability/metrics.ts) and the metric names the Temporal SDK's core
 * defines in its sources (node_modules/@temporalio/core-bridge/sdk-core).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { registry } from '../../src/observability/metrics.js';
import {
  ALERT_RULES_FILE,
  DASHBOARD_FILE,
  baseMetricName,
  checkMetricReferences,
  coreMetricNamesFromSource,
  metricNames,
  metricReferences,
  observabilityExpressions,
  referencedMetricNames,
  templateQueryExpressions,
  type DeclaredMetric,
} from '../../src/tools/dashboard-metrics.js';
import { projectRoot } from '../../src/tools/go-binary.js';
import { ensurePromtool, promtoolCheck } from '../../src/tools/promtool.js';

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const prometheusDir = path.join(projectRoot, 'deploy', 'prometheus');
const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));

/** The catalogue as the checks see it: every metric of the project's registry (prom-client's default ones included). */
const declared: DeclaredMetric[] = registry.getMetricsAsArray().map((m) => ({
  name: m.name,
  type: String(m.type),
  labelNames: [...((m as unknown as { labelNames?: readonly string[] }).labelNames ?? [])],
}));
const histograms = new Set(declared.filter((d) => d.type === 'histogram').map((d) => d.name));

/** Core's instrument definitions: the worker's, the client's (requests, polls) and the shared ones. */
const coreSourceFiles = (() => {
  const bridge = path.dirname(createRequire(import.meta.url).resolve('@temporalio/core-bridge/package.json'));
  return [
    'sdk-core/crates/sdk-core/src/telemetry/metrics.rs',
    'sdk-core/crates/client/src/metrics.rs',
    'sdk-core/crates/common/src/telemetry/metrics.rs',
  ].map((f) => path.join(bridge, f));
})();
const core = coreMetricNamesFromSource(coreSourceFiles.filter(existsSync).map((f) => readFileSync(f, 'utf8')));

const expressions = observabilityExpressions(read, parseYaml);

let promtool: string;

beforeAll(async () => {
  promtool = (await ensurePromtool((line) => process.stderr.write(`[promtool] ${line}\n`))).path;
}, 900_000);

describe('promtool on deploy/prometheus', () => {
  it('the alert rules pass `promtool check rules`', () => {
    const result = promtoolCheck(promtool, 'rules', path.join(prometheusDir, 'alerts.yml'));
    expect(result, result.output).toMatchObject({ ok: true });
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('the configuration passes `promtool check config`, rule files included', () => {
    const result = promtoolCheck(promtool, 'config', path.join(prometheusDir, 'prometheus.yml'));
    expect(result, result.output).toMatchObject({ ok: true });
    expect(result.output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it('a broken rule and a broken configuration fail, named', () => {
    const rules = path.join(dir, 'alerts.yml');
    writeFileSync(rules, read(ALERT_RULES_FILE).replace('expr: up{job="reports-worker"} == 0', 'expr: up{job="reports-worker"} == '));
    const broken = promtoolCheck(promtool, 'rules', rules);
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(/parse error|unexpected/);
    const config = path.join(dir, 'prometheus.yml');
    writeFileSync(config, read('deploy/prometheus/prometheus.yml').replace('type: A', 'type: AAAAX'));
    const badConfig = promtoolCheck(promtool, 'config', config);
    expect(badConfig.ok).toBe(false);
    expect(badConfig.output).toMatch(/AAAAX/);
  });
});

describe('alert rules', () => {
  const groups = (parseYaml(read(ALERT_RULES_FILE)) as { groups: { rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }).groups;
  const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert);

  it('cover the failures finance and operators care about', () => {
    const names = alerts.map((a) => a.alert);
    for (const name of [
      'ReportsFiringWithFailures',
      'ReportsDataDeadlinePassed',
      'ReportsPermitPoolStarved',
      'ReportsWebhookRejections',
      'ReportsWebhookForwardingFailing',
      'ReportsWorkerDown',
      'ReportsWorkerNotPollingActivities',
      'ReportsStripeServerErrors',
      'ReportsStripeRateLimited',
      'ReportsNotificationsFailing',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('each has a severity, a summary and a description that says what to do', () => {
    for (const a of alerts) {
      expect(a.labels?.severity, a.alert).toMatch(/^(critical|warning|info)$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description?.length ?? 0, a.alert).toBeGreaterThan(80);
    }
  });
});

describe('the dashboard', () => {
  const dashboard = JSON.parse(read(DASHBOARD_FILE)) as {
    uid: string;
    panels: { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: { expr: string }[] }[];
    templating: { list: { name: string; type: string }[] };
  };

  it('has unique panel ids, and every query panel reads the data source variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThan(15);
    for (const p of queried) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'configuration', 'pool']));
  });

  it('the provisioned data source is the one the variable defaults to', () => {
    const provisioned = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string }[] };
    const variable = (JSON.parse(read(DASHBOARD_FILE)) as { templating: { list: { name: string; current?: { value?: string } }[] } }).templating.list.find(
      (v) => v.name === 'datasource',
    );
    expect(provisioned.datasources.find((d) => d.type === 'prometheus')?.uid).toBe(variable?.current?.value);
  });
});

describe('metric names in the dashboard and the alerts', () => {
  it("core's sources are readable, and list the names the worker panels and alerts rely on", () => {
    expect(coreSourceFiles.filter(existsSync)).toEqual(coreSourceFiles);
    for (const name of ['num_pollers', 'worker_task_slots_available', 'worker_task_slots_used', 'long_request_failure', 'activity_execution_latency']) {
      expect(core.names, name).toContain(name);
    }
    expect(core.histograms).toContain('activity_execution_latency');
    expect(core.histograms).not.toContain('num_pollers');
  });

  it('every name is in the catalogue (src/observability/metrics.ts) or defined by the SDK, with labels it has', () => {
    expect(expressions.length).toBeGreaterThan(40);
    expect(checkMetricReferences(expressions, { declared, coreNames: core.names, coreHistograms: core.histograms })).toEqual([]);
  });

  it('the names a live /metrics must show, for the record', () => {
    const names = referencedMetricNames(expressions, histograms);
    expect(names).toEqual(expect.arrayContaining(['reports_firings_total', 'reports_stage_duration_seconds', 'reports_permit_pool_waiting', 'temporal_num_pollers']));
    expect(names).not.toContain('reports_stage_duration_seconds_bucket');
    expect(names).not.toContain('up');
    // Every project metric of the catalogue is on the dashboard or in an alert.
    const projectMetrics = declared.filter((d) => d.name.startsWith('reports_')).map((d) => d.name);
    expect(projectMetrics.filter((n) => !names.includes(n))).toEqual([]);
  });
});

describe('the PromQL tokenizer', () => {
  it('names metrics, not functions, aggregations, keywords, labels, durations or variables', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, stage) (rate(reports_stage_duration_seconds_bucket{stage=~"$stage"}[$__rate_interval])))',
      ),
    ).toEqual(['reports_stage_duration_seconds_bucket']);
    expect(metricNames('sum(a offset 5m) by (job) / on (instance) group_left(pool) b * ignoring (x) c and bool d unless e or 1e9 + 0x1F + Inf')).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(metricNames('absent(up{job="reports-worker"} == 1) # a comment naming not_a_metric')).toEqual(['up']);
    expect(metricNames('label_replace(foo{a="b}\\"c"}, "dst", "$1", "src", "(.*)") @ start()')).toEqual(['foo']);
    expect(metricNames('count_values("version", build_info) and topk(3, x[1h:5m])')).toEqual(['build_info', 'x']);
    expect(metricNames('rate(x[${__range}]) > ${threshold:raw}')).toEqual(['x']);
  });

  it('reads matcher labels and __name__ selectors', () => {
    expect(metricReferences('{__name__="temporal_num_pollers", poller_type="activity_task"}')).toEqual([
      { metric: 'temporal_num_pollers', labels: ['poller_type'] },
    ]);
    expect(metricReferences('x{a="1", b!~"2",}')).toEqual([{ metric: 'x', labels: ['a', 'b'] }]);
  });

  it('reads the selector out of a label_values() variable', () => {
    expect(templateQueryExpressions('label_values(reports_targets_total{outcome="failed"}, configuration)')).toEqual(['reports_targets_total{outcome="failed"}']);
    expect(templateQueryExpressions('label_values(configuration)')).toEqual([]);
    expect(templateQueryExpressions('query_result(topk(5, x))')).toEqual(['topk(5, x)']);
  });

  it('strips a histogram suffix only for declared histograms', () => {
    const h = new Set(['reports_stage_duration_seconds']);
    expect(baseMetricName('reports_stage_duration_seconds_bucket', h)).toBe('reports_stage_duration_seconds');
    expect(baseMetricName('reports_stage_duration_seconds_count', h)).toBe('reports_stage_duration_seconds');
    expect(baseMetricName('reports_firings_count', h)).toBe('reports_firings_count');
  });

  it('names an undeclared metric, a label the metric lacks and a name core does not define', () => {
    const problems = checkMetricReferences(
      [
        { where: 'a', expr: 'sum(rate(reports_firing_total[5m]))' },
        { where: 'b', expr: 'reports_targets_total{result="failed"} + reports_stage_duration_seconds_bucket{le="1", stage="transfer"}' },
        { where: 'c', expr: 'temporal_num_poller + temporal_activity_execution_latency_bucket + up + process_cpu_seconds_total' },
      ],
      { declared, coreNames: core.names, coreHistograms: core.histograms },
    );
    expect(problems).toEqual([
      'a: reports_firing_total is not declared in src/observability/metrics.ts',
      'b: reports_targets_total has no label result (it has: configuration, outcome)',
      "c: temporal_num_poller is not a metric the Temporal SDK's core defines",
    ]);
  });
});
