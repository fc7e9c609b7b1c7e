/**
 * Sends a firing's finance summary to one destination of its configuration: the one place both the
 * worker's notification activity and `reports notify` go through, so a message sent again is the
 * message that was sent. The e-mail attaches the period's archived files (streamed from the
 * archive, within the configuration's size budget) and links the others.
 */
import type { ArchiveStore } from '../archive/store.js';
import type { ReportConfig } from '../config/schema.js';
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import type { FiringSummary, NotificationResult } from '../domain/summary.js';
export type { Destination } from './errors.js';
import { formatAmount } from '../summary/format.js';
import type { EmailFile } from './email-message.js';
import type { Destination } from './errors.js';
import { notifyEmail } from './email.js';
import { notifySlack } from './slack.js';
import { notifyWebhook } from './webhook.js';


/** The destinations a configuration names, in the order they are sent. */
export function destinationsOf(notify: ReportConfig['notify']): Destination[] {
  if (!notify) return [];
  return (['slack', 'email', 'webhook'] as const).filter((d) => (d === 'webhook' ? notify.webhook_url : notify[d]));
}

export interface SendContext {
  store: ArchiveStore;
  env?: NodeJS.ProcessEnv;
  /** The firing in the Temporal UI. */
  firingUrl?: string;
  /** The firing's result, for the generic webhook (absent when sent again from the CLI). */
  result?: ReportWorkflowResult;
}

export async function sendSummary(destination: Destination, config: ReportConfig, summary: FiringSummary, ctx: SendContext): Promise<NotificationResult> {
  const notify = config.notify;
  const base = { firingUrl: ctx.firingUrl, format: formatAmount, env: ctx.env };
  switch (destination) {
    case 'slack':
      return notifySlack(notify!.slack!, summary, base);
    case 'email':
      return notifyEmail(notify!.email!, summary, { ...base, attachments: await periodFiles(ctx.store, summary) });
    case 'webhook':
      return notifyWebhook(notify!.webhook_url!, summary, { ...base, result: ctx.result });
  }
}

/** The files the summary read, as attachments opened only when sent (a retry opens them again). */
async function periodFiles(store: ArchiveStore, summary: FiringSummary): Promise<EmailFile[]> {
  const files: EmailFile[] = [];
  for (const t of summary.targets) {
    const found = await store.find(t.key);
    if (!found) continue;
    files.push({
      filename: t.key.split('/').at(-1)!,
      size: found.size,
      location: found.location,
      content: async () => {
        const body = await store.open(t.key);
        if (!body) throw new Error(`${t.key} is no longer in the archive`);
        return body;
      },
    });
  }
  return files;
}

/** The firing's page in the Temporal UI, or undefined when no UI address is configured. */
export function firingUrl(ui: string | undefined, namespace: string | undefined, workflowId: string | undefined): string | undefined {
  if (!ui || !namespace || !workflowId) return undefined;
  return `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
