/**
 * The report catalog: which reports exist, what parameters they take, which columns they can
 * write, and how far their data is available. Loaded from a JSON file so users can add reports
 * without touching code; availability is computed per request because its default moves with
 * the clock.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `query_result` makes a Data API query's rows; it is not for catalog entries. */
export type GeneratorKind = 'balance_summary' | 'activity_itemized' | 'activity_summary' | 'payouts_itemized' | 'query_result';
const GENERATORS: GeneratorKind[] = ['balance_summary', 'activity_itemized', 'activity_summary', 'payouts_itemized'];

export interface ParameterSpec {
  type: 'timestamp' | 'enum' | 'array' | 'string';
  description?: string;
  required?: boolean;
  enum_details?: { allowed_values: string[] } | null | false;
  array_details?: { element_type: string; enum_details?: { allowed_values: string[] } | null | false } | null | false;
}

export interface Availability {
  start: string;
  /** null: `endLagDays` before now, at midnight UTC (Stripe lags behind real time). */
  end?: string | null;
  endLagDays?: number;
}

export interface CatalogReport {
  id: string;
  name: string;
  generator: GeneratorKind;
  columns: string[];
  default_columns: string[];
  parameters: Record<string, ParameterSpec>;
  availability?: Availability;
  /** Optional file quirks Stripe allows (section 4): a UTF-8 BOM, CRLF line ends. */
  format?: { bom?: boolean; crlf?: boolean };
  /** false hides the report from the v1 API. */
  v1?: boolean;
}

export interface Catalog {
  availability: Availability;
  reports: CatalogReport[];
}

export const DEFAULT_CATALOG_PATH = fileURLToPath(new URL('./catalog.json', import.meta.url));

export function loadCatalog(path: string = DEFAULT_CATALOG_PATH): Catalog {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<Catalog>;
  if (!raw || !Array.isArray(raw.reports)) throw new Error(`catalog ${path}: "reports" must be an array`);
  const availability = raw.availability ?? { start: '2020-01-01T00:00:00Z', end: null, endLagDays: 3 };
  for (const r of raw.reports) {
    // Fail at start-up, not on the first run, when the file is edited wrongly.
    if (!r.id || !r.name) throw new Error(`catalog ${path}: every report needs id and name`);
    if (!GENERATORS.includes(r.generator)) throw new Error(`catalog ${path}: ${r.id}: unknown generator ${r.generator}`);
    if (!Array.isArray(r.columns) || r.columns.length === 0) throw new Error(`catalog ${path}: ${r.id}: columns missing`);
    r.default_columns ??= r.columns;
    r.parameters ??= {};
  }
  return { availability, reports: raw.reports };
}

/** Midnight UTC `lagDays` before `now`. */
export function defaultAvailabilityEnd(now: Date, lagDays = 3): Date {
  const d = new Date(now.getTime() - lagDays * 86_400_000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** [start, end] of the data a report can cover right now; `advancedTo` (advanceAvailability) wins. */
export function availabilityOf(catalog: Catalog, report: Pick<CatalogReport, 'availability'>, advancedTo: Date | null, now = new Date()) {
  const a = { ...catalog.availability, ...(report.availability ?? {}) };
  const start = new Date(a.start ?? '2020-01-01T00:00:00Z');
  const end = advancedTo ?? (a.end ? new Date(a.end) : defaultAvailabilityEnd(now, a.endLagDays ?? 3));
  return { start, end };
}

/** The v2 template as Stripe returns it, with timestamp bounds filled in. */
export function v2Template(report: CatalogReport, livemode: boolean, avail: { start: Date; end: Date }) {
  const parameters: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(report.parameters)) {
    parameters[name] = {
      type: p.type,
      description: p.description ?? '',
      required: p.required === true,
      // Stripe sends unused *_details as null (sometimes absent or false); clients must cope with all.
      enum_details: p.type === 'enum' ? p.enum_details ?? null : null,
      array_details: p.type === 'array' ? p.array_details ?? null : null,
      timestamp_details:
        p.type === 'timestamp' ? { min: avail.start.toISOString(), max: avail.end.toISOString() } : null,
    };
  }
  return { id: report.id, object: 'v2.reporting.report', livemode, name: report.name, parameters };
}

/** The v1 report type for the same catalog entry (times in Unix seconds). */
export function v1ReportType(report: CatalogReport, livemode: boolean, avail: { start: Date; end: Date }) {
  const end = Math.floor(avail.end.getTime() / 1000);
  return {
    id: report.id,
    object: 'reporting.report_type',
    data_available_start: Math.floor(avail.start.getTime() / 1000),
    data_available_end: end,
    default_columns: report.default_columns,
    livemode,
    name: report.name,
    updated: end,
    version: Number(report.id.split('.').pop()) || 1,
  };
}
