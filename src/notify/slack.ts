/**
 * Slack: the summary as a Block Kit message POSTed to an incoming webhook. Slack answers `ok`, or a
 * status with a code in the body (`404 no_service`, `403 invalid_token`, `410 channel_is_archived`,
 * `400 invalid_blocks`): a webhook that is gone or a message Slack refuses stays so
 * (non-retryable); a 429 waits for Retry-After, a 5xx or a failed connection is retried.
 */
import type { FiringSummary, NotificationResult } from '../domain/summary.js';
import { resolveEnvReference, type EnvSecret } from './env-ref.js';
import { postJson } from './post-json.js';
import { slackMessage, type SlackMessage } from './slack-message.js';
import type { FormatAmount } from './summary-lines.js';

export async function sendSlack(webhook: EnvSecret, message: SlackMessage): Promise<void> {
  await postJson(webhook, message, 'Slack');
}

/**
 * One Temporal activity's work: resolves `notify.slack.webhook_url` from the worker's
 * environment, renders and sends. Throws NotificationError, classified for retries.
 */
export async function notifySlack(
  config: { webhook_url: string },
  summary: FiringSummary,
  opts: { firingUrl?: string; format: FormatAmount; env?: NodeJS.ProcessEnv },
): Promise<NotificationResult> {
  const webhook = resolveEnvReference('slack', 'notify.slack.webhook_url', config.webhook_url, opts.env);
  await sendSlack(webhook, slackMessage(summary, opts));
  return { destination: 'slack', status: 'sent' };
}
