/** Shapes of the Stripe reporting objects this project reads (see shared/STRIPE-CONTRACT.md). */

export type ParameterValue = string | string[];
export type ReportParameters = Record<string, ParameterValue>;

/** `*_details` may be absent, null or even false in Stripe's answers. */
type Details<T> = T | null | false | undefined;

export interface ReportParameterSpec {
  type: 'timestamp' | 'enum' | 'array' | 'string' | string;
  description?: string;
  required?: boolean;
  enum_details?: Details<{ allowed_values: string[] }>;
  array_details?: Details<{ element_type: string; enum_details?: Details<{ allowed_values: string[] }> }>;
  timestamp_details?: Details<{ min?: string | null; max?: string | null }>;
}

/** A v2 Report template. */
export interface ReportTemplate {
  id: string;
  object: 'v2.reporting.report';
  livemode: boolean;
  name: string;
  parameters: Record<string, ReportParameterSpec>;
}

export interface ReportRunV2 {
  id: string;
  object: 'v2.reporting.report_run';
  created: string;
  livemode: boolean;
  report: string;
  report_name?: string;
  report_parameters: ReportParameters;
  result_options?: { compress_file?: boolean };
  status: 'running' | 'succeeded' | 'failed';
  status_details: { failed?: { error_code: string; error_message: string } } | Record<string, never>;
  result: null | {
    type: 'file';
    file: {
      content_type: 'csv' | 'zip';
      size: string;
      download_url: { url: string; expires_at: string };
    };
  };
}

export interface CreateReportRunV2 {
  report: string;
  report_parameters: ReportParameters;
  result_options?: { compress_file?: boolean };
}

/** A v1 report type (times in Unix seconds). */
export interface ReportTypeV1 {
  id: string;
  object: 'reporting.report_type';
  data_available_start: number;
  data_available_end: number;
  default_columns?: string[];
  livemode: boolean;
  name: string;
  updated: number;
  version: number;
}

export interface ReportRunV1 {
  id: string;
  object: 'reporting.report_run';
  created: number;
  livemode: boolean;
  parameters: Record<string, unknown>;
  report_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  error: string | null;
  result: null | { id: string; object: 'file'; size: number; type: string; url: string; expires_at?: number | null };
  succeeded_at: number | null;
}

export interface CreateReportRunV1 {
  report_type: string;
  parameters: {
    interval_start?: number;
    interval_end?: number;
    timezone?: string;
    columns?: string[];
    connected_account?: string;
    currency?: string;
    payout?: string;
    reporting_category?: string;
  };
}

// ---- Balance transactions (`/v1/balance_transactions`, contract section 7) --------------------

/**
 * A balance transaction, with the fields the ledger tie-out reads (Stripe sends more; they are
 * ignored). Amounts are integers in the currency's minor unit (cents; yen for jpy).
 */
export interface BalanceTransaction {
  id: string;
  amount: number;
  fee: number;
  net: number;
  /** Lowercase ISO code. */
  currency: string;
  reporting_category: string;
  /** Unix seconds. */
  created: number;
  type?: string;
}

/** One page of `GET /v1/balance_transactions`. */
export interface BalanceTransactionPage {
  data: BalanceTransaction[];
  has_more: boolean;
}

/** Which balance transactions to list: those created in [createdGte, createdLt), Unix seconds. */
export interface BalanceTransactionQuery {
  createdGte: number;
  createdLt: number;
}

// ---- Data API (`/v2/data`, contract section 6) ----------------------------------------------

/** A Data API report (`v2.data.report`). Names have no version suffix (`balance.summary`). */
export interface DataReport {
  id: string;
  object: 'v2.data.report';
  name: string;
  description?: string;
  livemode: boolean;
  default_sql?: string;
  /** Present when asked for with `include[]=parameters` (this client always asks). */
  parameters: Record<string, ReportParameterSpec>;
}

/** Stripe documents an open enum: the client refuses a status it does not know rather than guess. */
export type DataRunStatus = 'running' | 'succeeded' | 'failed' | 'canceled';

/** The SDK has `compress_file`, the docs' example `compression: "none"`: both are accepted. */
export interface DataResultOptions {
  compress_file?: boolean;
  compression?: string;
}

/** Why a run failed or was cancelled. */
export interface DataStatusDetails {
  code?: 'file_size_above_limit' | 'internal_error' | 'query_run_invalid_sql' | string;
  message?: string;
  canceled_at?: string;
}

/** What a report run and a query run share. Counts and the size are int64 in JSON strings. */
export interface DataRun {
  id: string;
  object: string;
  created: string;
  livemode: boolean;
  status: DataRunStatus;
  status_details?: DataStatusDetails | null;
  result?: null | {
    col_count?: string;
    row_count?: string;
    file?: {
      columns?: { name: string; type: string }[];
      content_type: 'csv' | 'zip';
      size: string;
      download_url: { url: string; expires_at: string };
    } | null;
    inline?: unknown;
  };
  result_options?: DataResultOptions | null;
}

export interface DataReportRun extends DataRun {
  object: 'v2.data.report_run';
  name?: string;
  report?: string;
  parameters?: ReportParameters;
  refreshed_at?: string;
}

export interface DataQueryRun extends DataRun {
  object: 'v2.data.query_run';
  dataset?: string;
  format?: string;
  query?: { sql: string };
}

export interface CreateDataReportRun {
  report: { id: string } | { name: string };
  parameters: ReportParameters;
  format: 'csv';
  result_options?: { compress_file: boolean };
}

export interface CreateQueryRun {
  dataset: 'analytical';
  format: 'csv';
  query: { sql: string };
  result_options?: { compress_file: boolean };
}
