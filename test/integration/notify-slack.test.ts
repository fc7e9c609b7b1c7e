/**
 * Slack on a real HTTP server: the Block Kit payload as received, checked against Slack's limits,
 * and Slack's answers classified for retries without the webhook URL in any message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifySlack } from '../../src/notify/slack.js';
import { allText, blockKitProblems } from '../helpers/block-kit.js';
import { balanceSummary, formatAmount, hugeSummary } from '../helpers/firing-summary.js';
import { notificationError } from '../helpers/notification-error.js';
import { closedPort, startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.js';

const config = { webhook_url: '${SLACK_WEBHOOK_URL}' };
const firingUrl = 'http://localhost:8233/namespaces/default/workflows/report%2Fmonthly-balance%2F2025-10';
let slack: WebhookSink;

beforeAll(async () => {
  slack = await startWebhookSink();
});
afterAll(async () => {
  await slack?.close();
});

const send = (summary = balanceSummary(), url = slack.url) => notifySlack(config, summary, { firingUrl, format: formatAmount, env: { SLACK_WEBHOOK_URL: url } });


function expectNoSecret(err: Error, url = slack.url) {
  expect(err.message).not.toContain(url);
  expect(err.message).not.toContain(new URL(url).pathname);
  expect(err.message).not.toContain('s3cr3tT0k3nXYZ');
  expect(JSON.stringify(err)).not.toContain('s3cr3tT0k3nXYZ');
}

describe('Slack', () => {
  it('POSTs a Block Kit message within Slack limits with the figures, failures and the link', async () => {
    slack.answer({ status: 200, body: 'ok' });
    const before = slack.received.length;
    expect(await send()).toEqual({ destination: 'slack', status: 'sent' });
    const req = slack.received[before]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    const message = JSON.parse(req.body);
    expect(blockKitProblems(message)).toEqual([]);
    const text = allText(message);
    expect(text).toContain('177,038.35 USD');
    expect(text).toContain('acct_1DDD: report run failed: data_unavailable');
    expect(text).toContain('report 182,340.12 USD, ledger 182,330.12 USD, difference 10.00 USD');
    expect(text).toContain(firingUrl);
  });

  it('sends a summary larger than Slack allows as a valid message that says what it left out', async () => {
    slack.answer({ status: 200, body: 'ok' });
    const before = slack.received.length;
    await send(hugeSummary(60, 5000));
    const message = JSON.parse(slack.received[before]!.body);
    expect(blockKitProblems(message)).toEqual([]);
    expect(allText(message)).toMatch(/… and [\d,]+ more failed targets: see/);
  });

  it.each([
    [404, 'no_service', false],
    [403, 'invalid_token', false],
    [410, 'channel_is_archived', false],
    [404, 'channel_not_found', false],
    [500, 'rollup_error', true],
    [502, '<html>Bad Gateway</html>', true],
  ])('maps %i %s to retryable %s, naming the variable and not the URL', async (status, body, retryable) => {
    slack.answer({ status, body });
    const err = await notificationError(send());
    expect(err.retryable).toBe(retryable);
    expect(err.status).toBe(status);
    expect(err.message).toContain(`slack (SLACK_WEBHOOK_URL): Slack answered ${status}`);
    expectNoSecret(err);
  });

  it('retries a 429 after Retry-After', async () => {
    slack.answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
    const err = await notificationError(send());
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
    expectNoSecret(err);
  });

  it('retries when the connection is refused or cut, without the URL in the message', async () => {
    const down = `http://127.0.0.1:${await closedPort()}/services/T0001/B0002/s3cr3tT0k3nXYZ`;
    const refused = await notificationError(send(balanceSummary(), down));
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/^slack \(SLACK_WEBHOOK_URL\): could not reach Slack: .*ECONNREFUSED/);
    expectNoSecret(refused, down);

    slack.answer('hang up');
    const cut = await notificationError(send());
    expect(cut.retryable).toBe(true);
    expectNoSecret(cut);
  });

  it('does not retry when the variable is missing', async () => {
    const err = await notificationError(notifySlack(config, balanceSummary(), { format: formatAmount, env: {} }));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('notify.slack.webhook_url names SLACK_WEBHOOK_URL');
  });
});
