import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ReportsError } from '../../src/domain/errors.js';
import { resolveEnvReference } from '../../src/notify/env-ref.js';
import { errorFromAnswer, errorFromSmtp, NotificationError, type SmtpFailure } from '../../src/notify/errors.js';

const slack = { destination: 'slack' as const, variable: 'SLACK_WEBHOOK_URL', secret: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX' };
const smtp = { destination: 'email' as const, variable: 'SMTP_URL', secret: 'smtp://reports:p%40ss-w0rd@mail.example.com:587' };

describe('resolveEnvReference', () => {
  it('reads the variable and shows itself only as its reference', () => {
    const secret = resolveEnvReference('slack', 'notify.slack.webhook_url', '${SLACK_WEBHOOK_URL}', { SLACK_WEBHOOK_URL: slack.secret });
    expect(secret.secret).toBe(slack.secret);
    expect(JSON.stringify({ secret })).toBe('{"secret":"${SLACK_WEBHOOK_URL}"}');
    expect(inspect(secret)).not.toContain('hooks.slack.com');
    expect(`${secret}`).toBe('${SLACK_WEBHOOK_URL}');
  });

  it('names the field and the variable when it is not set, without retrying', () => {
    const err = catching(() => resolveEnvReference('slack', 'notify.slack.webhook_url', '${SLACK_WEBHOOK_URL}', {}));
    expect(err).toBeInstanceOf(NotificationError);
    expect(err).toBeInstanceOf(ReportsError);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("slack (SLACK_WEBHOOK_URL): notify.slack.webhook_url names SLACK_WEBHOOK_URL, which is not set in this worker's environment");
    expect(catching(() => resolveEnvReference('email', 'notify.email.smtp_url', '${SMTP_URL}', { SMTP_URL: ' ' })).message).toContain('which is empty');
  });

  it('never echoes a value that is not a reference: it may be the secret itself', () => {
    const err = catching(() => resolveEnvReference('slack', 'notify.slack.webhook_url', slack.secret, {}));
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('hooks.slack.com');
    expect(err.message).toContain('${SLACK_WEBHOOK_URL}');
  });
});

describe('errorFromAnswer', () => {
  it.each([
    [404, 'no_service', false],
    [403, 'invalid_token', false],
    [410, 'channel_is_archived', false],
    [400, 'invalid_blocks', false],
    [404, 'channel_not_found', false],
    [200, 'channel_not_found', false],
    [500, 'rollup_error', true],
    [503, '', true],
    [408, '', true],
    [301, '', false],
  ])('%i %s → retryable %s', (status, body, retryable) => {
    const err = errorFromAnswer(slack, { status, body }, 'Slack');
    expect(err.retryable).toBe(retryable);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(new RegExp(`^slack \\(SLACK_WEBHOOK_URL\\): Slack answered ${status}`));
  });

  it('retries a 429 after Retry-After', () => {
    const err = errorFromAnswer(slack, { status: 429, body: 'rate_limited', retryAfter: '7' });
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
  });

  it('keeps the URL, its path and token out of a body that echoes them', () => {
    const err = errorFromAnswer(slack, { status: 404, body: `no such hook ${slack.secret} (/services/T000/B000/XXXXsecretXXXX)` });
    expect(err.message).not.toContain('XXXXsecretXXXX');
    expect(err.message).not.toContain('/services/');
  });
});

describe('errorFromSmtp', () => {
  it.each([
    [{ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed for p@ss-w0rd' }, false, 'refused the login (535)'],
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user', rejected: ['cfo@example.com'] }, false, 'refused cfo@example.com: 550 5.1.1 no such user'],
    [{ code: 'EENVELOPE', responseCode: 553, response: '553 sender not allowed', command: 'MAIL FROM' }, false, 'refused the sender'],
    [{ code: 'EENVELOPE', responseCode: 451, response: '451 try again later', rejected: ['cfo@example.com'] }, true, 'refused cfo@example.com'],
    [{ code: 'EMESSAGE', responseCode: 552, response: '552 message too large' }, false, 'answered 552 message too large'],
    [{ code: 'EMESSAGE', responseCode: 421, response: '421 busy' }, true, 'answered 421 busy'],
    [{ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:2525' }, true, 'could not reach the SMTP server'],
    [{ code: 'ETIMEDOUT', message: 'Connection timeout' }, true, 'could not reach the SMTP server'],
    [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, true, 'could not reach the SMTP server'],
    [{ code: 'ENOAUTH', message: 'Missing credentials for "PLAIN"' }, false, 'has no user and password'],
    [{ code: 'ECONFIG', message: 'bad' }, false, 'sending failed'],
  ] as Array<[SmtpFailure, boolean, string]>)('%j → retryable %s', (failure, retryable, says) => {
    const err = errorFromSmtp(smtp, Object.assign(new Error(failure.message ?? 'x'), failure));
    expect(err.retryable).toBe(retryable);
    expect(err.message).toContain(says);
    expect(err.message).toMatch(/^email \(SMTP_URL\): /);
    expect(err.message).not.toContain('p@ss-w0rd');
    expect(err.message).not.toContain('p%40ss-w0rd');
  });
});

function catching(fn: () => unknown): NotificationError {
  try {
    fn();
  } catch (err) {
    return err as NotificationError;
  }
  throw new Error('did not throw');
}
