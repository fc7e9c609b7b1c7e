/**
 * Which balance transactions tie out a target's report: those created in the report's period,
 * listed as the account the report covers. The account header follows Stripe's rules:
 *   self               no header (the key's own account)
 *   account            Stripe-Context: acct_… (an organization key's direct account)
 *   connected_account  with the platform (organization keys): Stripe-Context: platform/connected,
 *                      the path https://docs.stripe.com/context documents; with the platform's own
 *                      key: Stripe-Account: connected (https://docs.stripe.com/connect/authentication)
 *   organization       none: an organization-wide report has no single ledger, so it cannot tie out.
 */
import { InvalidInputError } from '../domain/errors.js';
import type { ReportTarget } from '../domain/target.js';
import type { CallOptions } from './client.js';
import type { BalanceTransactionQuery } from './types.js';

export interface BalanceTransactionsRequest {
  query: BalanceTransactionQuery;
  options: Pick<CallOptions, 'context' | 'account'>;
}

/** `period` is the report's interval (ISO 8601, start inclusive, end exclusive), sent as Unix seconds. */
export function balanceTransactionsRequest(
  target: ReportTarget,
  period: { start: string; end: string },
  organizationKey: boolean,
): BalanceTransactionsRequest {
  const seconds = (iso: string, name: string) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) throw new InvalidInputError(`the period's ${name} ${JSON.stringify(iso)} is not a timestamp`);
    return Math.floor(ms / 1000);
  };
  const query = { createdGte: seconds(period.start, 'start'), createdLt: seconds(period.end, 'end') };
  switch (target.kind) {
    case 'self':
      if (organizationKey) {
        throw new InvalidInputError(`target ${target.id}: an organization key lists balance transactions per account; name the account (targets: - account: acct_…) to tie out to its ledger`);
      }
      return { query, options: {} };
    case 'account':
      return { query, options: { context: target.context } };
    case 'connected_account': {
      const connected = target.connectedAccount!;
      if (target.context) return { query, options: { context: `${target.context}/${connected}` } };
      if (organizationKey) {
        throw new InvalidInputError(`target ${target.id}: with an organization key, a connected account's ledger is reached through its platform: add platform: acct_… to the target`);
      }
      return { query, options: { account: connected } };
    }
    case 'organization':
      throw new InvalidInputError(`target ${target.id}: an organization-wide report has no single ledger to tie out to; use one target per account`);
  }
}
