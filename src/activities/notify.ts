/**
 * Tells people how a firing went: POSTs a JSON summary to the webhook the configuration names
 * (Slack-compatible `text`, plus the structured result). The URL is a `${ENV}` reference resolved
 * here in the worker, so the secret URL never enters workflow history.
 */
import { request } from 'undici';
import { InvalidInputError } from '../domain/errors.js';
import { notifications } from '../observability/metrics.js';
import { StripeApiError } from '../stripe/errors.js';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import { activityLog } from './log-context.js';

export function summaryText(result: ReportWorkflowResult): string {
  const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
  const lines = [
    `${result.config} ${result.period}: ${count('archived')} archived, ${count('skipped')} skipped, ${count('failed')} failed`,
    ...result.outcomes.filter((o) => o.status === 'failed').map((o) => `  failed ${o.target}: ${o.status === 'failed' ? o.reason : ''}`),
  ];
  return lines.join('\n');
}

export function createNotifyActivities(env: NodeJS.ProcessEnv = process.env) {
  return {
    /** Counted per attempt by destination and result (reports_notifications_total). */
    async notifyOutcome(webhookRef: string, result: ReportWorkflowResult): Promise<void> {
      try {
        await post(webhookRef, result);
        notifications.inc({ destination: 'webhook', result: 'sent' });
      } catch (err) {
        notifications.inc({ destination: 'webhook', result: 'failed' });
        throw err;
      }
    },
  };

  async function post(webhookRef: string, result: ReportWorkflowResult): Promise<void> {
    const name = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(webhookRef)?.[1];
    const url = name ? env[name] : undefined;
    if (!url) throw new InvalidInputError(`notify.webhook_url: environment variable ${name ?? webhookRef} is not set`);
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: summaryText(result), result }),
    });
    await res.body.dump();
    // Never the URL: a webhook URL is a secret (Slack's carry their token in the path).
    if (res.statusCode >= 300) {
      activityLog().warn('notification failed', { variable: name, status: res.statusCode });
      throw new StripeApiError(`notification webhook answered ${res.statusCode}`);
    }
    activityLog().info('notification sent', { variable: name, status: res.statusCode });
  }
}
