/**
 * `reports run <config> --dry-run`: the exact request each target would send to create its run
 * for the period (method, path, headers, body as sent), creating nothing and never showing a key.
 *
 * A v2 or Data API report's request depends on its template (whether it takes connected_account,
 * whether it offers both organization modes): with a lookup (the configuration's key is in the
 * environment) the template is read (a GET, which creates nothing) and the parameters are checked
 * against it as the worker would; without one, the request is built offline and says what it assumed.
 */
import type { Period } from '../domain/period.js';
import type { ReportJob } from '../domain/report-job.js';
import type { ReportTarget } from '../domain/target.js';
import { jobFromConfig } from '../config/report-job.js';
import type { ReportConfig } from '../config/schema.js';
import { targetsOf } from '../config/targets.js';
import { DATA_PREFIX, DEFAULT_DATA_VERSION, DEFAULT_V2_PREFIX, DEFAULT_V2_VERSION, toForm } from '../stripe/client.js';
import { buildDataReportRequest, buildQueryRequest, buildV1Request, buildV2Request, isQueryJob } from '../stripe/run-request.js';
import type { ReportTemplate } from '../stripe/types.js';
import { validateReportParameters } from '../stripe/validate-parameters.js';

type Template = Pick<ReportTemplate, 'id' | 'parameters'>;

/** Reads the template of a v2 or Data API job's report (a GET); undefined when offline. */
export type TemplateLookup = (job: ReportJob) => Promise<Template | undefined>;

export interface DryRunVersions {
  v2Prefix?: string;
  v2Version?: string;
  v1Version?: string;
  dataVersion?: string;
}

export interface PlannedRequest {
  target: string;
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What an offline request assumed about the template. */
  note?: string;
  /** Why this target would fail before any run is created. */
  error?: string;
}

/** Offline: a template that takes connected_account and offers both organization modes. */
const ASSUMED: Template = { id: '(offline)', parameters: { connected_account: { type: 'string' }, organization_report_granularity: { type: 'enum' } } };

function assumption(target: ReportTarget): string | undefined {
  if (target.kind === 'connected_account') return 'offline: assumes the report takes connected_account (the worker checks its template)';
  if (target.kind === 'organization') return 'offline: assumes the report offers both organization modes, so organization_report_granularity is set (the worker checks its template)';
  return undefined;
}

async function plannedFor(job: ReportJob, lookup: TemplateLookup | undefined, v: DryRunVersions): Promise<Omit<PlannedRequest, 'target' | 'headers'> & { version?: string; context?: string; form?: boolean }> {
  if (job.api === 'v1') {
    const { body, context } = buildV1Request(job);
    return { method: 'POST', path: '/v1/reporting/report_runs', body: toForm(body).toString(), context, version: v.v1Version, form: true };
  }
  if (isQueryJob(job)) {
    const { body, context } = buildQueryRequest(job);
    return { method: 'POST', path: `${DATA_PREFIX}/query_runs`, body: JSON.stringify(body), context, version: v.dataVersion ?? DEFAULT_DATA_VERSION };
  }
  const template = await lookup?.(job);
  const note = template ? undefined : assumption(job.target);
  if (job.api === 'data') {
    const { body, context } = buildDataReportRequest(job, template ?? ASSUMED);
    if (template) validateReportParameters(template, body.parameters, { waitForData: true });
    return { method: 'POST', path: `${DATA_PREFIX}/report_runs`, body: JSON.stringify(body), context, version: v.dataVersion ?? DEFAULT_DATA_VERSION, note };
  }
  const { body, context } = buildV2Request(job, { ...(template ?? ASSUMED), object: 'v2.reporting.report', livemode: job.mode === 'live', name: job.report });
  if (template) validateReportParameters(template, body.report_parameters, { waitForData: true });
  return { method: 'POST', path: `${v.v2Prefix ?? DEFAULT_V2_PREFIX}/report_runs`, body: JSON.stringify(body), context, version: v.v2Version ?? DEFAULT_V2_VERSION, note };
}

export async function plannedRequests(config: ReportConfig, period: Period, lookup?: TemplateLookup, versions: DryRunVersions = {}): Promise<PlannedRequest[]> {
  const planned: PlannedRequest[] = [];
  for (const target of targetsOf(config)) {
    const job = jobFromConfig(config, period, target);
    try {
      const { version, context, form, ...request } = await plannedFor(job, lookup, versions);
      const headers: Record<string, string> = {
        Authorization: `Bearer $${config.key_env} (not shown)`,
        ...(version ? { 'Stripe-Version': version } : {}),
        ...(context ? { 'Stripe-Context': context } : {}),
        'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        'Idempotency-Key': `${job.businessKey}/<the target workflow's first run id>`,
      };
      planned.push({ target: target.id, headers, ...request });
    } catch (err) {
      planned.push({ target: target.id, method: 'POST', path: '', headers: {}, body: '', error: (err as Error).message });
    }
  }
  return planned;
}

export function formatPlannedRequests(planned: PlannedRequest[], online: boolean): string {
  const lines = [online ? 'requests (templates read from Stripe; nothing created):' : 'requests (built offline; nothing sent):'];
  for (const p of planned) {
    lines.push(`target ${p.target}`);
    if (p.error) {
      lines.push(`  would fail before creating a run: ${p.error}`);
      continue;
    }
    lines.push(`  ${p.method} ${p.path}`);
    for (const [name, value] of Object.entries(p.headers)) lines.push(`  ${name}: ${value}`);
    lines.push(`  ${p.body}`);
    if (p.note) lines.push(`  (${p.note})`);
  }
  return lines.join('\n');
}
