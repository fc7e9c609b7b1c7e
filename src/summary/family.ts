/**
 * Which family a report belongs to, from its name: that decides which columns the summary reads.
 * v1 and v2 ids carry a numeric version (`balance.summary.1`), Data API names do not
 * (`balance.summary`); both are recognised. Anything else (a SQL query, a report type this project
 * does not know) is `unknown`: its rows are counted, never added up on a guess.
 */
import type { ReportFamily } from '../domain/summary.js';

const BALANCE = /^balance\.summary(\.\d+)?$/;
const ACTIVITY = /^(balance_change_from_activity\.[a-z_]+|balance\.itemized|payouts\.[a-z_]+|ending_balance_reconciliation\.[a-z_]+)(\.\d+)?$/;

export function reportFamily(api: 'v1' | 'v2' | 'data', report: string): ReportFamily {
  // A Data API query is labelled `query` or `query:<file>`: its columns are whatever the SQL says.
  if (api === 'data' && /^query(:|$)/.test(report)) return 'unknown';
  if (BALANCE.test(report)) return 'balance';
  if (ACTIVITY.test(report)) return 'activity';
  return 'unknown';
}

/** The columns a family's summary reads; a file without one of them cannot be summed. */
export const FAMILY_COLUMNS: Record<ReportFamily, readonly string[]> = {
  balance: ['category', 'net_amount', 'currency'],
  activity: ['reporting_category', 'currency', 'gross', 'fee', 'net'],
  unknown: [],
};
