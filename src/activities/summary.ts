/**
 * The finance summary of a firing and its notifications, as activities. The summary reads every
 * archived file of the period (streamed), ties it out to the ledger when the configuration asks,
 * and is saved beside the files; the workflow keeps only its digest. Each destination is its own
 * activity call, so one that is down is retried without sending the others twice.
 */
import { Context } from '@temporalio/activity';
import type { ArchiveFor } from '../archive/stores.js';
import type { ArchiveStore } from '../archive/store.js';
import { previousPeriod } from '../config/period.js';
import { jobFromConfig } from '../config/report-job.js';
import type { ReportConfig } from '../config/schema.js';
import { targetsOf } from '../config/targets.js';
import { resultCounts, resultFailed, type FiringOutcomes, type ReportWorkflowResult } from '../domain/outcomes.js';
import { readJsonDocument } from '../archive/store.js';
import { ReportsError } from '../domain/errors.js';
import type { Period } from '../domain/period.js';
import type { FiringSummary, NotificationResult, SummaryDigest, TieOut } from '../domain/summary.js';
import { firingUrl, sendSummary, type Destination } from '../notify/send-summary.js';
import { notifications } from '../observability/metrics.js';
import { balanceTransactionsRequest } from '../stripe/balance-transactions-request.js';
import { summaryDigest } from '../summary/format.js';
import { summarizeFiring } from '../summary/summarize-firing.js';
import { loadSummary, saveSummary } from '../summary/summary-store.js';
import { buildTieOut, tieOutRuleFor, tieOutTarget, type TargetTieOut } from '../summary/tie-out.js';
import { activityLog } from './log-context.js';
import { readTargetSlice } from '../archive/target-list.js';
import type { ReportTarget, TargetListRef } from '../domain/target.js';
import type { StripeClientFor } from './stripe-clients.js';

export interface SummaryDeps {
  archiveFor: ArchiveFor;
  clientFor: StripeClientFor;
  env?: NodeJS.ProcessEnv;
  /** The Temporal UI (e.g. http://localhost:8233): messages link to the firing there. */
  temporalUiUrl?: string;
}

export function createSummaryActivities(deps: SummaryDeps) {
  return {
    /** Undefined when no file of the period is in the archive (every target failed): nothing to sum, and no folder is made. */
    async summarizeFiring(config: ReportConfig, period: Period, outcomesFile: string, targetList?: TargetListRef): Promise<SummaryDigest | undefined> {
      const store = deps.archiveFor(config.archive);
      const firing = await readJsonDocument<FiringOutcomes>(store, outcomesFile);
      if (!firing) throw new ReportsError(`the firing's outcome file ${outcomesFile} is missing from ${store.describe()}`, true);
      const outcomes = firing.outcomes;
      const targets = outcomes.flatMap((o) =>
        o.status === 'archived' ? [{ target: o.target }] : o.status === 'skipped' && o.reason.startsWith('already archived') ? [{ target: o.target, skipped: true }] : [],
      );
      if (targets.length === 0) return undefined;
      const summary = await summarizeFiring(store, {
        config: config.id,
        period: period.name,
        interval: { start: period.start, end: period.end },
        api: config.api,
        report: config.report ?? 'query',
        targets,
        failed: outcomes.flatMap((o) => (o.status === 'failed' ? [{ target: o.target, reason: o.reason }] : [])),
        previousPeriod: previousPeriod(period.unit, period.start, period.timezone).name,
        // Under its 2-minute heartbeat timeout however many files (the SDK throttles the calls).
        onFile: (summed) => Context.current().heartbeat({ summed }),
      });
      if (config.reconcile === 'balance_transactions') {
        const targets = targetList ? await readTargetSlice(store, targetList, 0, targetList.count) : targetsOf(config);
        summary.tie_out = await tieOutFiring(config, period, summary, targets);
      }
      const key = await saveSummary(store, summary);
      activityLog().info('summary saved', { key, files: summary.files, rows: summary.rows, tieOut: summary.tie_out?.agrees });
      return summaryDigest(summary, key);
    },

    /** Counted per attempt by destination and result (reports_notifications_total). */
    async notifyDestination(destination: Destination, config: ReportConfig, result: ReportWorkflowResult): Promise<NotificationResult> {
      const store = deps.archiveFor(config.archive);
      const summary = (result.summary && (await loadSummary(store, config.id, result.period))) || bareSummary(config, result);
      const info = Context.current().info;
      try {
        const sent = await sendSummary(destination, config, summary, { store, env: deps.env, result, firingUrl: firingUrl(deps.temporalUiUrl, info.workflowNamespace, info.workflowExecution?.workflowId) });
        notifications.inc({ destination, result: 'sent' });
        activityLog().info('notification sent', { destination });
        return sent;
      } catch (err) {
        notifications.inc({ destination, result: 'failed' });
        throw err;
      }
    },
  };

  /** Each target's ledger for the period, listed as the account its report covers, against its file's figures. */
  async function tieOutFiring(config: ReportConfig, period: Period, summary: FiringSummary, targets: ReportTarget[]): Promise<TieOut | undefined> {
    const rule = tieOutRuleFor(config.report ?? '');
    if (!rule) return undefined;
    const results: TargetTieOut[] = [];
    const errors: Array<{ target: string; reason: string }> = [];
    const byId = new Map(targets.map((t) => [t.id, t]));
    for (const t of summary.targets) {
      const target = byId.get(t.target);
      if (!target) continue;
      try {
        const client = deps.clientFor(jobFromConfig(config, period, target));
        const req = balanceTransactionsRequest(target, period, client.organizationKey);
        results.push(await tieOutTarget({ summary: t, rule, transactions: client.listBalanceTransactions(req.query, req.options), scope: scopeOf(config) }));
        Context.current().heartbeat({ tiedOut: results.length });
      } catch (err) {
        errors.push({ target: t.target, reason: (err as Error).message });
      }
    }
    return buildTieOut(rule, results, errors);
  }
}

/** A report's own filters narrow the ledger it is compared with (a v1 `currency` parameter). */
function scopeOf(config: ReportConfig): { currency?: string } {
  const currency = config.parameters.currency;
  return typeof currency === 'string' ? { currency } : {};
}


/** When no summary could be computed, the message still says which targets archived and which failed. */
function bareSummary(config: ReportConfig, result: ReportWorkflowResult): FiringSummary {
  return {
    summary_version: 1,
    config: config.id,
    period: result.period,
    interval: result.interval,
    api: config.api,
    report: config.report ?? 'query',
    family: 'unknown',
    note: `no finance summary: ${result.summaryError ?? 'no file of this period is in the archive'}`,
    generated_at: new Date().toISOString(),
    files: resultCounts(result).archived,
    rows: 0,
    totals: [],
    targets: [],
    failed: resultFailed(result),
    skipped: resultCounts(result).skipped,
  };
}
