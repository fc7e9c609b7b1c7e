/** The generic webhook on a real HTTP server: `{text, summary, result}` as JSON, answers classified. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportWorkflowResult } from '../../src/domain/outcomes.js';
import { resolveEnvReference } from '../../src/notify/env-ref.js';
import { notifyWebhook, sendWebhook } from '../../src/notify/webhook.js';
import { balanceSummary, formatAmount } from '../helpers/firing-summary.js';
import { notificationError } from '../helpers/notification-error.js';
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.js';

let hook: WebhookSink;
beforeAll(async () => {
  hook = await startWebhookSink('/hooks/abc?token=s3cr3tT0k3nXYZ');
});
afterAll(async () => {
  await hook?.close();
});

const result = {
  config: 'monthly-balance',
  period: '2025-10',
  interval: { start: '2025-10-01T00:00:00Z', end: '2025-11-01T00:00:00Z' },
  outcomes: [],
} as ReportWorkflowResult;

describe('generic webhook', () => {
  it('receives the text, the whole summary and the result as JSON', async () => {
    hook.answer({ status: 204 });
    const summary = balanceSummary();
    const sent = await notifyWebhook('${REPORTS_WEBHOOK_URL}', summary, { format: formatAmount, result, firingUrl: 'http://ui/firing', env: { REPORTS_WEBHOOK_URL: hook.url } });
    expect(sent).toEqual({ destination: 'webhook', status: 'sent' });
    const req = hook.received.at(-1)!;
    expect(req.path).toBe('/hooks/abc?token=s3cr3tT0k3nXYZ');
    const body = JSON.parse(req.body);
    expect(body.summary).toEqual(summary);
    expect(body.result).toEqual(result);
    expect(body.text).toContain('monthly-balance 2025-10: 2 archived, 3 failed, tie-out differs');
    expect(body.text).toContain('USD ending balance 177,038.35 USD');
    expect(body.text).toContain('failed acct_1CCC: Stripe: account_invalid &lt;the account was closed&gt; &amp; removed');
    expect(body.text).toContain('http://ui/firing');
  });

  it('sends the firing outcome the way the outcome notification did ({text, result})', async () => {
    hook.answer({ status: 200, body: 'ok' });
    await sendWebhook(resolveEnvReference('webhook', 'notify.webhook_url', '${HOOK}', { HOOK: hook.url }), { text: 'monthly-balance 2025-10: 0 archived', result });
    expect(JSON.parse(hook.received.at(-1)!.body)).toEqual({ text: 'monthly-balance 2025-10: 0 archived', result });
  });

  it('maps a 500 to retryable and a 401 to not, without the URL or its token', async () => {
    for (const [status, retryable] of [[500, true], [401, false]] as const) {
      hook.answer({ status, body: `denied for ${hook.url}` });
      const err = await notificationError(notifyWebhook('${HOOK}', balanceSummary(), { format: formatAmount, env: { HOOK: hook.url } }));
      expect(err.retryable).toBe(retryable);
      expect(err.message).toContain(`webhook (HOOK): the webhook answered ${status}`);
      expect(err.message).not.toContain('s3cr3tT0k3nXYZ');
      expect(err.message).not.toContain('/hooks/abc');
    }
  });
});
