/**
 * The metrics catalogue's pure parts: reading an exposition back (names, sums), and permit pool
 * gauges that a process stops exporting when the pool has not reported for a while.
 */
import { describe, expect, it } from 'vitest';
import { metricNames, parseExposition, sampleSum } from '../../src/observability/metric-names.js';
import { POOL_REPORT_TTL_MS, recordPermitPool, registry, statusClass } from '../../src/observability/metrics.js';

const sample = `# HELP reports_targets_total Targets.
# TYPE reports_targets_total counter
reports_targets_total{configuration="a",outcome="archived"} 3
reports_targets_total{configuration="b",outcome="archived"} 2
reports_targets_total{configuration="a",outcome="failed"} 1
# TYPE reports_stage_duration_seconds histogram
reports_stage_duration_seconds_bucket{le="0.1",stage="transfer"} 0
reports_stage_duration_seconds_bucket{le="+Inf",stage="transfer"} 4
reports_stage_duration_seconds_sum{stage="transfer"} 1.5
reports_stage_duration_seconds_count{stage="transfer"} 4
# HELP temporal_request Temporal requests
# TYPE temporal_request counter
temporal_request{namespace="default",operation="PollWorkflowTaskQueue",service_name="temporal-core-sdk"} 7
temporal_num_pollers{poller_type="workflow_task"} 2
`;

describe('metric names', () => {
  it('reads families from TYPE lines and bare samples, histograms without their suffixes', () => {
    expect([...metricNames(sample)].sort()).toEqual(['reports_stage_duration_seconds', 'reports_targets_total', 'temporal_num_pollers', 'temporal_request']);
  });

  it('sums samples by series and labels', () => {
    const parsed = parseExposition(sample);
    expect(sampleSum(parsed, 'reports_targets_total')).toBe(6);
    expect(sampleSum(parsed, 'reports_targets_total', { outcome: 'archived' })).toBe(5);
    expect(sampleSum(parsed, 'reports_targets_total', { configuration: 'a', outcome: 'failed' })).toBe(1);
    expect(sampleSum(parsed, 'reports_stage_duration_seconds_count', { stage: 'transfer' })).toBe(4);
    expect(sampleSum(parsed, 'temporal_request', { operation: 'PollWorkflowTaskQueue' })).toBe(7);
    expect(sampleSum(parsed, 'reports_targets_total', { outcome: 'skipped' })).toBe(0);
  });

  it("reads the project's own registry", async () => {
    const names = metricNames(await registry.metrics());
    for (const name of ['reports_report_runs_created_total', 'reports_stage_duration_seconds', 'reports_permit_pool_held', 'process_cpu_seconds_total']) {
      expect(names.has(name), name).toBe(true);
    }
  });
});

describe('permit pool gauges', () => {
  const report = { capacity: 5, effectiveCapacity: 4, held: 3, waiting: 2, oldestWaitSeconds: 10, granted: 3 };

  it('exports what a pool reported, its waiters growing older between reports', async () => {
    recordPermitPool({ pool: 'permits/sandbox/fresh', ...report }, Date.now() - 5000);
    const parsed = parseExposition(await registry.metrics());
    const pool = { pool: 'permits/sandbox/fresh' };
    expect(sampleSum(parsed, 'reports_permit_pool_capacity', pool)).toBe(5);
    expect(sampleSum(parsed, 'reports_permit_pool_effective_capacity', pool)).toBe(4);
    expect(sampleSum(parsed, 'reports_permit_pool_held', pool)).toBe(3);
    expect(sampleSum(parsed, 'reports_permit_pool_waiting', pool)).toBe(2);
    expect(sampleSum(parsed, 'reports_permit_pool_oldest_wait_seconds', pool)).toBeGreaterThanOrEqual(15);
    expect(sampleSum(parsed, 'reports_permits_granted_total', pool)).toBe(3);
  });

  it('drops a pool not heard of for a while (its workflow moved to another host)', async () => {
    recordPermitPool({ pool: 'permits/sandbox/moved', ...report }, Date.now() - POOL_REPORT_TTL_MS - 1000);
    const text = await registry.metrics();
    expect(text).not.toMatch(/reports_permit_pool_\w+\{pool="permits\/sandbox\/moved"\}/);
    expect(text).toMatch(/reports_permit_pool_held\{pool="permits\/sandbox\/fresh"\} 3/);
  });
});

it('status classes', () => {
  expect([200, 404, 429, 503, undefined].map(statusClass)).toEqual(['2xx', '4xx', '4xx', '5xx', 'network']);
});
