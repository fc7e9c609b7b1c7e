/**
 * E-mail over SMTP with nodemailer: one connection per e-mail (a firing sends one), closed after.
 * The SMTP URL carries the password, so it is only handed to nodemailer, and nodemailer's errors
 * are rebuilt by errorFromSmtp: a refused login or recipient is non-retryable and named, a 4xx
 * reply or a connection that failed is retried.
 */
import type { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import type { FiringSummary, NotificationResult } from '../domain/summary.js';
import { resolveEnvReference, type EnvSecret } from './env-ref.js';
import { ReportsError } from '../domain/errors.js';
import { clean, errorFromSmtp, NotificationError } from './errors.js';
import { emailMessage, type EmailFile, type EmailLink, type EmailMessage } from './email-message.js';
import type { FormatAmount } from './summary-lines.js';

export interface EmailEnvelope {
  from: string;
  to: string[];
}

/** Long enough for a slow relay to take a message of a few MB, short enough that a dead one is retried. */
const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 120_000 };

export async function sendEmail(smtp: EnvSecret, envelope: EmailEnvelope, message: EmailMessage): Promise<void> {
  if (!/^smtps?:\/\//i.test(smtp.secret)) {
    throw new NotificationError(smtp.destination, smtp.variable, `${smtp.variable} must hold smtp://user:password@host:port or smtps://…`, false);
  }
  const streams: Readable[] = [];
  let transport: ReturnType<typeof createTransport> | undefined;
  try {
    // Opened now, not when the message was built: a retry opens them again.
    for (const file of message.attachments) streams.push(await openAttachment(smtp, file));
    transport = createTransport({ url: smtp.secret, ...TIMEOUTS, logger: false, debug: false });
    const info = await transport.sendMail({
      from: envelope.from,
      to: envelope.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments.map((file, i) => ({ filename: file.filename, content: streams[i], contentType: contentType(file.filename) })),
    });
    // Some recipients refused, the others got it: sending again would repeat it to them.
    const refused = (info.rejected ?? []).map(String);
    if (refused.length) {
      const reply = info.rejectedErrors?.[0]?.response;
      const why = reply ? ` (${clean(reply, smtp, 200)})` : '';
      throw new NotificationError(smtp.destination, smtp.variable, `the SMTP server refused ${refused.join(', ')}${why}; sent to the other ${envelope.to.length - refused.length}`, false);
    }
  } catch (err) {
    if (err instanceof NotificationError) throw err;
    throw errorFromSmtp(smtp, err);
  } finally {
    transport?.close();
    for (const s of streams) s.destroy();
  }
}

/**
 * One Temporal activity's work: resolves `notify.email.smtp_url`, renders (attaching the files
 * within attach_max_bytes, linking the rest) and sends.
 */
export async function notifyEmail(
  config: { smtp_url: string; from: string; to: string[]; attach_max_bytes: number },
  summary: FiringSummary,
  opts: { firingUrl?: string; format: FormatAmount; attachments?: EmailFile[]; links?: EmailLink[]; env?: NodeJS.ProcessEnv },
): Promise<NotificationResult> {
  const smtp = resolveEnvReference('email', 'notify.email.smtp_url', config.smtp_url, opts.env);
  const message = emailMessage(summary, {
    firingUrl: opts.firingUrl,
    format: opts.format,
    attachments: opts.attachments ?? [],
    links: opts.links ?? [],
    attachMaxBytes: config.attach_max_bytes,
  });
  await sendEmail(smtp, { from: config.from, to: config.to }, message);
  return { destination: 'email', status: 'sent' };
}

/** An archive that cannot be read is said as such, retried as the archive's error says. */
async function openAttachment(smtp: EnvSecret, file: EmailFile): Promise<Readable> {
  try {
    return await file.content();
  } catch (err) {
    const retryable = err instanceof ReportsError ? err.retryable : true;
    throw new NotificationError(smtp.destination, smtp.variable, `could not read ${file.filename} from the archive to attach it: ${clean((err as Error).message ?? String(err), smtp)}`, retryable);
  }
}

function contentType(filename: string): string {
  if (/\.csv$/i.test(filename)) return 'text/csv; charset=utf-8';
  if (/\.zip$/i.test(filename)) return 'application/zip';
  return 'application/octet-stream';
}
