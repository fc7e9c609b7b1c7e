/** A target: which account(s) one ReportRun reports on (built from a configuration by config/targets.ts). */

export interface ReportTarget {
  /** Stable name used in workflow ids and archive paths. */
  id: string;
  kind: 'self' | 'account' | 'connected_account' | 'organization';
  /** Stripe-Context header, when the call needs one. */
  context?: string;
  connectedAccount?: string;
  organization?: 'concatenated' | 'aggregated';
}
