/**
 * Targets: which account(s) one firing of a configuration reports on. Pure, so workflows use it.
 *   self               the key's own account (no Stripe-Context)
 *   account            a direct account of an organization (Stripe-Context: acct_…)
 *   connected_account  report parameter connected_account, Stripe-Context: the platform
 *   organization       organization-wide, concatenated or aggregated (no Stripe-Context)
 */
import type { ReportTarget } from '../domain/target.js';
import type { ReportConfig, TargetSpec } from './schema.js';

export function targetFromSpec(spec: TargetSpec): ReportTarget {
  if ('account' in spec) return { id: spec.account, kind: 'account', context: spec.account };
  if ('connected_account' in spec) {
    return {
      id: spec.connected_account,
      kind: 'connected_account',
      context: spec.platform,
      connectedAccount: spec.connected_account,
    };
  }
  return { id: `organization-${spec.organization}`, kind: 'organization', organization: spec.organization };
}

export function targetsOf(config: Pick<ReportConfig, 'targets'>): ReportTarget[] {
  if (!config.targets || config.targets.length === 0) return [{ id: 'self', kind: 'self' }];
  return config.targets.map(targetFromSpec);
}
