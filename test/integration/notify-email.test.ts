/**
 * E-mail on a real SMTP server (smtp-server with a login): the message as received — headers,
 * text, HTML, the CSV attached within the size limit and the larger one linked — and the server's
 * refusals classified for retries, without the password in any message.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { notifyEmail } from '../../src/notify/email.js';
import type { EmailFile } from '../../src/notify/email-message.js';
import { balanceSummary, formatAmount } from '../helpers/firing-summary.js';
import { filenameOf, leafParts, parseMime, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { notificationError } from '../helpers/notification-error.js';
import { closedPort } from '../helpers/webhook-sink.js';

const login = { user: 'reports', password: 'p@ss w0rd!s3cret' };
const firingUrl = 'http://localhost:8233/namespaces/default/workflows/report%2Fmonthly-balance%2F2025-10';
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink(login);
});
afterAll(async () => {
  await smtp?.close();
});

const smallCsv = 'category,currency,amount\nstarting_balance,usd,150000.00\nending_balance,usd,177038.35\n';
/** Opened (its content read) how many times, per file name. */
const opened = new Map<string, number>();

function file(filename: string, content: string, location?: string): EmailFile {
  return {
    filename,
    size: Buffer.byteLength(content),
    location,
    content: () => {
      opened.set(filename, (opened.get(filename) ?? 0) + 1);
      // Streamed in small chunks, as a file read from the archive would be.
      return Readable.from(content.match(/[\s\S]{1,16}/g) ?? []);
    },
  };
}

function send(to: string[], opts: { password?: string; url?: string; attachments?: EmailFile[] } = {}) {
  const url = opts.url ?? smtp.url(login.user, opts.password ?? login.password);
  return notifyEmail(
    { smtp_url: '${SMTP_URL}', from: 'reports@example.com', to, attach_max_bytes: 1000 },
    balanceSummary(),
    { firingUrl, format: formatAmount, attachments: opts.attachments ?? [], links: [{ filename: 'summary.md', location: 'https://archive.example.com/monthly-balance/2025-10/summary.md' }], env: { SMTP_URL: url } },
  );
}


function expectNoPassword(err: Error) {
  for (const text of [err.message, JSON.stringify(err), String(err.stack)]) {
    expect(text).not.toContain(login.password);
    expect(text).not.toContain(encodeURIComponent(login.password));
    expect(text).not.toContain('s3cret');
  }
}

describe('e-mail over SMTP', () => {
  it('delivers text and HTML, attaches the CSV within the limit and links the larger one', async () => {
    const big = 'x'.repeat(5000);
    const before = smtp.received.length;
    const sent = await send(['finance@example.com', 'cfo@example.com'], {
      attachments: [file('acct_1AAA.csv', smallCsv), file('acct_1BBB.csv', big, 's3://reports/monthly-balance/2025-10/acct_1BBB.csv')],
    });
    expect(sent).toEqual({ destination: 'email', status: 'sent' });

    const mail = smtp.received[before]!;
    expect(mail.user).toBe('reports');
    expect(mail.from).toBe('reports@example.com');
    expect(mail.to).toEqual(['finance@example.com', 'cfo@example.com']);
    const message = parseMime(mail.raw);
    expect(message.headers.subject).toBe('monthly-balance 2025-10: ending balance 1,250.50 EUR, ending balance 177,038.35 USD; 3 failed; tie-out differs');
    expect(message.headers.from).toBe('reports@example.com');
    expect(message.headers.to).toBe('finance@example.com, cfo@example.com');

    const leaves = leafParts(message);
    const text = leaves.find((p) => p.headers['content-type']?.startsWith('text/plain') && !filenameOf(p))!.body.toString('utf8');
    const html = leaves.find((p) => p.headers['content-type']?.startsWith('text/html'))!.body.toString('utf8');
    expect(text).toContain('Ending balance    177,038.35 USD');
    expect(text).toContain('acct_1CCC: Stripe: account_invalid <the account was closed> & removed');
    expect(text).toContain('acct_1AAA.csv (attached, 85 B)');
    expect(text).toContain('acct_1BBB.csv (5.0 KB, larger than 1.0 KB): s3://reports/monthly-balance/2025-10/acct_1BBB.csv');
    expect(text).toContain(`The firing in the Temporal UI: ${firingUrl}`);
    expect(text).toContain('2025-10-01T00:00:00Z – 2025-11-01T00:00:00Z');
    // Escaped in HTML: a reason is text, never markup.
    expect(html).toContain('acct_1CCC: Stripe: account_invalid &lt;the account was closed&gt; &amp; removed');
    expect(html).toContain('<td style="padding:2px 12px 2px 0;text-align:right;font-variant-numeric:tabular-nums">177,038.35 USD</td>');
    expect(html).toContain('<a href="https://archive.example.com/monthly-balance/2025-10/summary.md">');
    expect(html).toContain('<code>s3://reports/monthly-balance/2025-10/acct_1BBB.csv</code>');

    const attachments = leaves.filter((p) => filenameOf(p));
    expect(attachments.map(filenameOf)).toEqual(['acct_1AAA.csv']);
    expect(attachments[0]!.headers['content-type']).toMatch(/^text\/csv/);
    expect(attachments[0]!.body.toString('utf8')).toBe(smallCsv);
    // The linked file is never read.
    expect(opened.get('acct_1BBB.csv')).toBeUndefined();
  });

  it('refuses for good a recipient the server refuses (550), naming the recipient', async () => {
    smtp.refuse.set('nobody@example.com', 550);
    const err = await notificationError(send(['nobody@example.com']));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^email \(SMTP_URL\): the SMTP server refused nobody@example\.com: 550/);
    expectNoPassword(err);
  });

  it('does not send twice when only some recipients are refused', async () => {
    smtp.refuse.set('nobody@example.com', 550);
    const before = smtp.received.length;
    const err = await notificationError(send(['finance@example.com', 'nobody@example.com']));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('refused nobody@example.com (550 no such mailbox here); sent to the other 1');
    expect(smtp.received.slice(before).map((m) => m.to)).toEqual([['finance@example.com']]);
  });

  it('retries a recipient deferred with a 4xx', async () => {
    smtp.refuse.set('busy@example.com', 451);
    const err = await notificationError(send(['busy@example.com']));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('refused busy@example.com: 451');
  });

  it('does not retry a refused login, and never shows the password', async () => {
    const err = await notificationError(send(['finance@example.com'], { password: 'wrong-s3cret-password' }));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('email (SMTP_URL): the SMTP server refused the login (535): check the user and password in SMTP_URL');
    expect(err.message).not.toContain('wrong-s3cret-password');
    expectNoPassword(err);
  });

  it('retries when the server is down', async () => {
    const down = `smtp://reports:${encodeURIComponent(login.password)}@127.0.0.1:${await closedPort()}`;
    const err = await notificationError(send(['finance@example.com'], { url: down }));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^email \(SMTP_URL\): could not reach the SMTP server: .*ECONNREFUSED/);
    expectNoPassword(err);
  });

  it('says which file could not be read from the archive, retrying as the archive says', async () => {
    const unreadable: EmailFile = { filename: 'acct_gone.csv', size: 10, content: () => Promise.reject(new InvalidInputError('archive: monthly-balance/2025-10/acct_gone.csv does not exist')) };
    const err = await notificationError(send(['finance@example.com'], { attachments: [unreadable] }));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('email (SMTP_URL): could not read acct_gone.csv from the archive to attach it: archive: monthly-balance/2025-10/acct_gone.csv does not exist');
  });

  it('opens the attachments again on a retry', async () => {
    const attachments = [file('acct_retry.csv', smallCsv)];
    await notificationError(send(['nobody@example.com'], { attachments }));
    const before = smtp.received.length;
    await send(['finance@example.com'], { attachments });
    expect(opened.get('acct_retry.csv')).toBe(2);
    const retried = leafParts(parseMime(smtp.received[before]!.raw)).find((p) => filenameOf(p) === 'acct_retry.csv');
    expect(retried?.body.toString('utf8')).toBe(smallCsv);
  });
});
