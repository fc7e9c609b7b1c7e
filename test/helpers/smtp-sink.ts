/**
 * A real SMTP server (the `smtp-server` package) on a loopback port, for the e-mail tests: it
 * asks for a login (PLAIN or LOGIN, over plain text as a test may), keeps every message it
 * accepts with its envelope, and refuses the recipients and logins the test names. Also a
 * minimal MIME reader: enough to check headers, text, HTML and attachments without a parser
 * package.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  user?: string;
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpSink {
  port: number;
  url(user: string, password: string): string;
  received: ReceivedMail[];
  /** Recipients refused at RCPT TO, with the reply code (550 for good, 451 for later). */
  refuse: Map<string, number>;
  close(): Promise<void>;
}

export async function startSmtpSink(login: { user: string; password: string }): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const refuse = new Map<string, number>();
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === login.user && auth.password === login.password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      const code = refuse.get(address.address);
      if (!code) return callback();
      const err = Object.assign(new Error(code >= 500 ? 'no such mailbox here' : 'mailbox busy, try later'), { responseCode: code });
      return callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          user: session.user as string | undefined,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('latin1'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: (user, password) => `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    received,
    refuse,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface MimePart {
  headers: Record<string, string>;
  /** The decoded body (base64 and quoted-printable undone). */
  body: Buffer;
  parts: MimePart[];
}

/** Splits a message into its parts, recursively; header names lowercased, RFC 2047 words decoded. */
export function parseMime(raw: string): MimePart {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const rawBody = split < 0 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const boundary = /multipart\/[^;]+;.*boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    const sections = rawBody.split(`--${boundary}`).slice(1);
    const parts = sections.filter((s) => !s.startsWith('--')).map((s) => parseMime(s.replace(/^\r\n/, '')));
    return { headers, body: Buffer.alloc(0), parts };
  }
  return { headers, body: decodeBody(rawBody, headers['content-transfer-encoding']), parts: [] };
}

/** Every leaf part of a message, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length ? part.parts.flatMap(leafParts) : [part];
}

/** A part's file name from Content-Disposition or Content-Type. */
export function filenameOf(part: MimePart): string | undefined {
  return /filename="?([^";]+)"?/i.exec(part.headers['content-disposition'] ?? '')?.[1] ?? /name="?([^";]+)"?/i.exec(part.headers['content-type'] ?? '')?.[1];
}

function decodeBody(body: string, encoding = '7bit'): Buffer {
  const text = body.replace(/\r\n$/, '');
  if (/base64/i.test(encoding)) return Buffer.from(text.replace(/\s+/g, ''), 'base64');
  if (/quoted-printable/i.test(encoding)) {
    const bytes = text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1');
  }
  return Buffer.from(text, 'latin1');
}

/** `=?UTF-8?Q?…?=` and `=?UTF-8?B?…?=` words (a subject with non-ASCII text). */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=\s*/gi, (_, _charset: string, kind: string, text: string) => {
    if (kind.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}
