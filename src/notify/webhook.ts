/**
 * The generic webhook: POSTs `{text, summary, result}` as JSON. `text` is Slack-compatible (a
 * Slack incoming webhook shows it as is); `summary` is the FiringSummary for programs; `result` is
 * the firing's per-target outcomes when the caller has them. Answers are classified like Slack's.
 */
import type { ReportWorkflowResult } from '../domain/outcomes.js';
import type { FiringSummary, NotificationResult } from '../domain/summary.js';
import { resolveEnvReference, type EnvSecret } from './env-ref.js';
import { postJson } from './post-json.js';
import { escape } from './slack-message.js';
import { failedLine, fitLines, headlineFigure, moreLine, statusLine, tieOutHeadline, type FormatAmount } from './summary-lines.js';

export interface WebhookPayload {
  text: string;
  summary?: FiringSummary;
  result?: ReportWorkflowResult;
}

/** Kept as short as Slack's fallback text: a webhook relaying it to chat shows it whole. */
const TEXT_MAX = 3000;

/** The plain `text` of the payload: status, the headline figure per currency, tie-out, failed targets. */
export function webhookText(summary: FiringSummary, opts: { firingUrl?: string; format: FormatAmount }): string {
  const lines = [statusLine(summary)];
  for (const c of summary.totals) {
    const figure = headlineFigure(c, opts.format);
    if (figure) lines.push(`${c.currency.toUpperCase()} ${figure}`);
  }
  const tieOut = tieOutHeadline(summary);
  if (tieOut) lines.push(tieOut);
  lines.push(...summary.failed.map((f) => `failed ${failedLine(f)}`));
  const link = opts.firingUrl ? `\n${opts.firingUrl}` : '';
  // Escaped for Slack, which reads < > & as markup: the text is Slack-compatible, `summary` is the data.
  return fitLines(lines, TEXT_MAX - link.length, escape, (n) => moreLine(n, 'lines', 'see the summary')) + link;
}

/** POSTs a payload; `sendWebhook(webhook, { text, result })` is what the firing's outcome notification sent before. */
export async function sendWebhook(webhook: EnvSecret, payload: WebhookPayload): Promise<void> {
  await postJson(webhook, payload);
}

/** One Temporal activity's work: resolves `notify.webhook_url`, builds the payload and sends it. */
export async function notifyWebhook(
  webhookUrl: string,
  summary: FiringSummary,
  opts: { firingUrl?: string; format: FormatAmount; result?: ReportWorkflowResult; env?: NodeJS.ProcessEnv },
): Promise<NotificationResult> {
  const webhook = resolveEnvReference('webhook', 'notify.webhook_url', webhookUrl, opts.env);
  await sendWebhook(webhook, { text: webhookText(summary, opts), summary, result: opts.result });
  return { destination: 'webhook', status: 'sent' };
}
