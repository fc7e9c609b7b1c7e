/**
 * The notification destinations of a firing. Each is one function — notifySlack, notifyEmail,
 * notifyWebhook — that resolves its secret from the worker's environment, renders the summary and
 * sends it, throwing a NotificationError classified for retries, so each can be its own Temporal
 * activity and one destination failing never holds back another.
 */
export { NotificationError, type Destination } from './errors.js';
export { EnvSecret, resolveEnvReference } from './env-ref.js';
export type { FormatAmount } from './summary-lines.js';
export { slackMessage, SLACK_LIMITS, type SlackBlock, type SlackMessage, type SlackMessageOptions } from './slack-message.js';
export { notifySlack, sendSlack } from './slack.js';
export { emailMessage, subjectLine, type EmailFile, type EmailLink, type EmailMessage, type EmailMessageOptions } from './email-message.js';
export { notifyEmail, sendEmail, type EmailEnvelope } from './email.js';
export { notifyWebhook, sendWebhook, webhookText, type WebhookPayload } from './webhook.js';
