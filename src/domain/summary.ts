/**
 * The finance summary of one firing: what the archived files say, per currency, per target and for
 * the whole firing. Stored in the archive beside the files (`<config>/<period>/summary.json`, and a
 * readable `summary.md`) and sent to the notification destinations.
 *
 * Amounts are decimal strings in the currency's major unit exactly as the report writes them
 * ("182340.12", "-5301.77", "1500" for JPY); they are added with exact decimal arithmetic, never
 * floats, and never across currencies.
 */

/** What a report's rows mean, by report type (`balance.summary.1`, `balance_change_from_activity.itemized.3`, …). */
export type ReportFamily =
  /** `balance.summary.*`, Data API `balance.summary`: one row per category (starting_balance, activity, payouts, ending_balance) per currency. */
  | 'balance'
  /** `balance_change_from_activity.*`, `balance.itemized.*`, `payouts.*`, `ending_balance_reconciliation.*`: rows with gross, fee, net (and count in summaries) per reporting_category. */
  | 'activity'
  /** Anything else (queries, report types this project does not know): rows and files are counted, nothing is added up. */
  | 'unknown';

export interface BalanceFigures {
  starting_balance: string;
  activity: string;
  payouts: string;
  ending_balance: string;
}

export interface CategoryFigures {
  reporting_category: string;
  /** Rows (itemized) or the `count` column (summaries). */
  count: number;
  gross: string;
  fee: string;
  net: string;
}

/** One currency's figures: `balance` for the balance family, gross/fee/net and categories for the activity family. */
export interface CurrencyFigures {
  /** Lowercase ISO code as Stripe writes it (`usd`). */
  currency: string;
  balance?: BalanceFigures;
  count?: number;
  gross?: string;
  fee?: string;
  net?: string;
  /** Sorted by reporting_category. */
  categories?: CategoryFigures[];
}

/** One archived file, summed. */
export interface TargetSummary {
  target: string;
  /** The archive key of the file that was read (`<config>/<period>/<target>.csv` or `.zip`). */
  key: string;
  sha256: string;
  rows: number;
  /** Sorted by currency. */
  currencies: CurrencyFigures[];
}

/** A figure that moved since the previous period (same configuration, same currency). */
export interface FigureChange {
  currency: string;
  /** `net`, `gross`, `fee`, `count`, or a balance field such as `ending_balance`. */
  figure: string;
  previous: string;
  current: string;
  /** current − previous, exact. */
  change: string;
}

/** One comparison of the report with the ledger (GET /v1/balance_transactions for the period). */
export interface TieOutLine {
  target: string;
  currency: string;
  /** The figure compared: `net` of a reporting_category, or the balance family's `activity`. */
  figure: string;
  reporting_category?: string;
  report: string;
  ledger: string;
  /** report − ledger; "0" when they agree. */
  difference: string;
}

export interface TieOut {
  source: 'balance_transactions';
  /** The rule followed, in words, with the Stripe documentation page it comes from. */
  rule: string;
  agrees: boolean;
  /** Balance transactions read, over every target. */
  transactions: number;
  /** Only the lines that differ (every line when there are few). */
  lines: TieOutLine[];
  /** Targets whose ledger could not be read, with why. */
  errors: Array<{ target: string; reason: string }>;
}

export interface FiringSummary {
  summary_version: 1;
  config: string;
  period: string;
  interval: { start: string; end: string };
  api: 'v1' | 'v2' | 'data';
  report: string;
  family: ReportFamily;
  /** Said plainly for the unknown family: "… is not a report type this project sums: rows and files are counted only". */
  note?: string;
  generated_at: string;
  files: number;
  rows: number;
  /** The whole firing, per currency (sorted by currency). */
  totals: CurrencyFigures[];
  /** Sorted by target id. */
  targets: TargetSummary[];
  /** Targets that did not archive this firing, with Stripe's or the project's reason. */
  failed: Array<{ target: string; reason: string }>;
  /** Targets archived by an earlier firing and read again here. */
  skipped: number;
  previous?: { period: string; changes: FigureChange[] };
  tie_out?: TieOut;
}

/** What the workflow keeps of a summary (small: it enters history and the firing's result). */
export interface SummaryDigest {
  key: string;
  family: ReportFamily;
  files: number;
  rows: number;
  /** Per currency, one line each: "usd net 177,038.35" — at most 20, then "… and N more". */
  headline: string[];
  tie_out?: { agrees: boolean; differences: number };
}

/** How one destination went: the firing's result shows it, a failure never undoes an archive. */
export interface NotificationResult {
  destination: 'slack' | 'email' | 'webhook';
  status: 'sent' | 'failed';
  /** For a failure: why, without the secret URL or password. */
  reason?: string;
}
