/**
 * How firings started by 0.2.0 tell people how they went: one POST of `{text, result}` to the
 * webhook the configuration names (newer firings send the finance summary instead, see
 * summary.ts). The URL is a `${ENV}` reference resolved here in the worker, so the secret URL
 * never enters workflow history; answers are classified like every destination's.
 */
import { resultCounts, resultFailed, type ReportWorkflowResult } from '../domain/outcomes.js';
import { resolveEnvReference } from '../notify/env-ref.js';
import { sendWebhook } from '../notify/webhook.js';
import { notifications } from '../observability/metrics.js';
import { activityLog } from './log-context.js';

export function summaryText(result: ReportWorkflowResult): string {
  const { archived, skipped, failed } = resultCounts(result);
  const lines = [
    `${result.config} ${result.period}: ${archived} archived, ${skipped} skipped, ${failed} failed`,
    ...resultFailed(result).map((f) => `  failed ${f.target}: ${f.reason}`),
  ];
  return lines.join('\n');
}

export function createNotifyActivities(env: NodeJS.ProcessEnv = process.env) {
  return {
    /** Counted per attempt by destination and result (reports_notifications_total). */
    async notifyOutcome(webhookRef: string, result: ReportWorkflowResult): Promise<void> {
      try {
        await sendWebhook(resolveEnvReference('webhook', 'notify.webhook_url', webhookRef, env), { text: summaryText(result), result });
        notifications.inc({ destination: 'webhook', result: 'sent' });
        activityLog().info('notification sent', { destination: 'webhook' });
      } catch (err) {
        notifications.inc({ destination: 'webhook', result: 'failed' });
        throw err;
      }
    },
  };
}
