/**
 * The chaos run's report configurations, written as a user writes them (YAML in `schedules/`), and
 * the target-runs they must produce: v2 and v1, per-account, connected and organization-wide
 * targets, ZIP and plain files, filesystem and S3 archives. Their sizes add up to `--runs`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { TargetSpec } from '../../src/config/schema.js';
import { targetFromSpec } from '../../src/config/targets.js';
import { businessKey } from '../../src/domain/business-key.js';
import { KEY_ENV } from './topology.js';

export const PERIOD = '2025-10';
const PLATFORM = 'acct_chaosplatform';

export interface ChaosConfiguration {
  id: string;
  api: 'v1' | 'v2';
  report: string;
  backend: 'filesystem' | 's3';
  compress: boolean;
  /** The periods it fires for (the organization-wide one fires for several months). */
  periods: string[];
  targets: TargetSpec[];
  /** Fired once and finished first, then fired again with --force while the rest runs. */
  forced?: boolean;
}

/** One (configuration, period, target): what must end archived once, or failed with Stripe's reason. */
export interface TargetRun {
  key: string;
  config: ChaosConfiguration;
  period: string;
  target: string;
  /** What Stripe sees of the target: its Stripe-Context and connected_account (none for organization-wide). */
  context?: string;
  connectedAccount?: string;
  /** The file it archives to: `<config>/<period>/<target>.<ext>`. */
  archiveKey: string;
}

const accounts = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `acct_${tag}${String(i).padStart(5, '0')}`);

/** Splits `runs` target-runs over the configurations (each gets at least a few). */
export function chaosConfigurations(runs: number): ChaosConfiguration[] {
  const orgPeriods = runs >= 500 ? ['2025-05', '2025-06', '2025-07', '2025-08', '2025-09', PERIOD] : ['2025-09', PERIOD];
  const forced = Math.max(3, Math.round(runs * 0.02));
  const rest = runs - forced - 2 * orgPeriods.length;
  if (rest < 8) throw new Error(`--runs ${runs} is too few for the chaos configurations (at least ${forced + 2 * orgPeriods.length + 8})`);
  const share = (f: number) => Math.max(2, Math.round(rest * f));
  const a = share(0.3);
  const b = share(0.25);
  const c = share(0.25);
  const d = rest - a - b - c;
  return [
    { id: 'chaos-forced', api: 'v2', report: 'balance.summary.1', backend: 'filesystem', compress: false, periods: [PERIOD], forced: true, targets: accounts('forced', forced).map((account) => ({ account })) },
    { id: 'chaos-v2-accounts-fs', api: 'v2', report: 'balance.summary.1', backend: 'filesystem', compress: false, periods: [PERIOD], targets: accounts('vtwofs', a).map((account) => ({ account })) },
    {
      id: 'chaos-v2-connected-zip-s3',
      api: 'v2',
      report: 'balance_change_from_activity.itemized.3',
      backend: 's3',
      compress: true,
      periods: [PERIOD],
      targets: accounts('vtwozip', b).map((connected_account) => ({ connected_account, platform: PLATFORM })),
    },
    { id: 'chaos-v1-accounts-s3', api: 'v1', report: 'payouts.itemized.3', backend: 's3', compress: false, periods: [PERIOD], targets: accounts('vonesthree', c).map((account) => ({ account })) },
    {
      id: 'chaos-v1-connected-fs',
      api: 'v1',
      report: 'balance_change_from_activity.itemized.3',
      backend: 'filesystem',
      compress: false,
      periods: [PERIOD],
      targets: accounts('vonefs', d).map((connected_account) => ({ connected_account, platform: PLATFORM })),
    },
    {
      id: 'chaos-v2-org-zip-s3',
      api: 'v2',
      report: 'balance.summary.1',
      backend: 's3',
      compress: true,
      periods: orgPeriods,
      targets: [{ organization: 'concatenated' }, { organization: 'aggregated' }],
    },
  ];
}

export function targetRuns(configs: ChaosConfiguration[]): TargetRun[] {
  return configs.flatMap((config) =>
    config.periods.flatMap((period) =>
      config.targets.map((spec) => {
        const { id: target, context, connectedAccount } = targetFromSpec(spec);
        return { key: businessKey(config.id, period, target), config, period, target, context, connectedAccount, archiveKey: `${config.id}/${period}/${target}.${config.compress ? 'zip' : 'csv'}` };
      }),
    ),
  );
}

/**
 * Writes `<id>.yaml` for each; the two largest lists go through `targets_from` files, as a
 * platform with thousands of accounts would keep them. A schedule that never fires during the
 * run (2 January): the harness fires each period itself, as an operator does with `reports run`.
 */
export function writeConfigurations(dir: string, configs: ChaosConfiguration[], s3: { bucket: string; endpoint: string }): void {
  for (const c of configs) {
    const doc: Record<string, unknown> = {
      description: `chaos: ${c.api} ${c.report}, ${c.backend}${c.compress ? ', ZIP' : ''}`,
      api: c.api,
      report: c.report,
      mode: 'sandbox',
      key_env: KEY_ENV,
      schedule: { cron: '0 6 2 1 *', timezone: 'UTC' },
      period: 'month',
      // The firing lists every failed target by name instead of failing as a whole.
      max_failed_targets: '100%',
    };
    if (c.targets.length > 50 && c.targets.every((t) => 'account' in t || 'connected_account' in t)) {
      const list = `${c.id}.accounts.txt`;
      const ids = c.targets.map((t) => ('account' in t ? t.account : 'connected_account' in t ? t.connected_account : ''));
      writeFileSync(path.join(dir, list), `# ${c.id}: one account per line\n${ids.join('\n')}\n`);
      const first = c.targets[0]!;
      doc.targets_from = 'connected_account' in first ? { file: list, as: 'connected_account', platform: first.platform } : { file: list };
    } else doc.targets = c.targets;
    if (c.compress) doc.result = { compress: true };
    if (c.backend === 's3') doc.archive = { backend: 's3', bucket: s3.bucket, prefix: 'chaos', endpoint: s3.endpoint };
    writeFileSync(path.join(dir, `${c.id}.yaml`), stringify(doc));
  }
}
