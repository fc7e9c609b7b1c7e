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
