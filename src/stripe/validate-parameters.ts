/**
 * Checks report parameters against a v2 Report template before any ReportRun is created, so a
 * typo fails fast and permanently instead of spending a run (contract section 1, "Report template").
 */
import { InvalidInputError } from '../domain/errors.js';
import type { ReportParameters, ReportTemplate } from './types.js';

/** What validation reads of a template: a v2 Report template or a Data API report. */
type Template = Pick<ReportTemplate, 'id' | 'parameters'> & { name?: string };

/** Stripe answers `*_details` as an object, absent, null or false: only an object counts. */
function details<T>(value: T | null | false | undefined): T | undefined {
  return value && typeof value === 'object' ? value : undefined;
}

/**
 * `waitForData`: a timestamp past the template's `max` is not an error but a wait (Stripe has
 * not processed the period yet); the caller compares with `dataAvailableUntil` instead.
 */
export function validateReportParameters(template: Template, params: ReportParameters, opts: { waitForData?: boolean } = {}): void {
  const problems: string[] = [];
  let firstParam: string | undefined;
  const show = (v: unknown) => JSON.stringify(v);
  // Named as the configuration names it (parameters.<name>), and the template by its name when it has one.
  const report = template.name ? `${template.name} (${template.id})` : template.id;
  for (const [name, value] of Object.entries(params)) {
    const spec = template.parameters[name];
    if (!spec) {
      const accepted = Object.keys(template.parameters).join(', ');
      problems.push(`parameters.${name} = ${show(value)} is not accepted by ${report} (it accepts: ${accepted})`);
      continue;
    }
    if (spec.type === 'array') {
      if (!Array.isArray(value)) {
        problems.push(`parameters.${name} = ${show(value)} must be a list`);
        continue;
      }
      const allowed = details(details(spec.array_details)?.enum_details)?.allowed_values;
      for (const item of value) {
        if (allowed && !allowed.includes(item)) problems.push(`parameters.${name} has ${show(item)}, not one of ${allowed.join(', ')}`);
      }
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`parameters.${name} = ${show(value)} must be a single ${spec.type}`);
      continue;
    }
    if (spec.type === 'enum') {
      const allowed = details(spec.enum_details)?.allowed_values;
      if (allowed && !allowed.includes(value)) problems.push(`parameters.${name} = ${show(value)} is not one of ${allowed.join(', ')}`);
    } else if (spec.type === 'timestamp') {
      const at = Date.parse(value);
      if (Number.isNaN(at)) {
        problems.push(`parameters.${name} = ${show(value)} is not an RFC 3339 timestamp`);
        continue;
      }
      const bounds = details(spec.timestamp_details);
      if (bounds?.min && at < Date.parse(bounds.min)) problems.push(`parameters.${name} = ${show(value)} is before ${bounds.min}, where ${report} data starts`);
      if (bounds?.max && at > Date.parse(bounds.max) && !opts.waitForData) problems.push(`parameters.${name} = ${show(value)} is after ${bounds.max}, the end of the data ${report} has so far`);
    }
  }
  for (const [name, spec] of Object.entries(template.parameters)) {
    if (spec.required && !(name in params)) problems.push(`parameters.${name} is required by ${report} and missing`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { param: /^parameters\.(\w+)/.exec(problems[0]!)?.[1] });
}

/** The end of the data a template has for its interval: the earliest `max` among its timestamps. */
export function dataAvailableUntil(template: Template): string | undefined {
  const maxes = Object.values(template.parameters)
    .filter((p) => p.type === 'timestamp')
    .map((p) => details(p.timestamp_details)?.max)
    .filter((m): m is string => Boolean(m));
  return maxes.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}
