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

/**
 * A list of targets too long to travel in a workflow input (Temporal refuses payloads over 2 MB;
 * 100,000 accounts are about 4 MB): stored once in the configuration's archive under its sha256,
 * and named here. Firings read it a batch at a time.
 */
export interface TargetListRef {
  key: string;
  sha256: string;
  count: number;
}
