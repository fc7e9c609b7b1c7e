/**
 * POSTs a JSON body to a webhook (Slack's or a generic one) and classifies what comes back. The
 * URL is a secret (Slack's carries its token in the path): it is only handed to undici, and every
 * message is built from the destination, the variable and the cleaned answer.
 */
import { request } from 'undici';
import type { EnvSecret } from './env-ref.js';
import { errorFromAnswer, errorFromConnection, NotificationError } from './errors.js';

/** A webhook answers in a second or two; one stuck for longer is treated as down, and retried. */
const TIMEOUT_MS = 30_000;
/** Enough of an error body to show Slack's code or a server's message; the rest is not read. */
const BODY_LIMIT = 2_000;

export async function postJson(webhook: EnvSecret, body: unknown, who = 'the webhook'): Promise<void> {
  let url: URL;
  try {
    url = new URL(webhook.secret);
  } catch {
    throw new NotificationError(webhook.destination, webhook.variable, `${webhook.variable} does not hold a URL`, false);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new NotificationError(webhook.destination, webhook.variable, `${webhook.variable} holds a ${url.protocol} URL; a webhook is http(s)`, false);
  }
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch (err) {
    throw errorFromConnection(webhook, err, `could not reach ${who}`);
  }
  const text = await readSome(res.body);
  if (res.statusCode >= 200 && res.statusCode < 300) return;
  const retryAfter = res.headers['retry-after'];
  throw errorFromAnswer(webhook, { status: res.statusCode, body: text, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter }, who);
}

/** The start of a body, then the rest dropped so the connection is freed. */
async function readSome(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_LIMIT) break;
    }
  } catch {
    // A body cut off after the status line: the status decides.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8');
}
