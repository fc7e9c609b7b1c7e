/**
 * Serving result files. v2 download URLs are pre-signed like S3's: the token carries the run id
 * and an expiry, signed with an HMAC of a secret that lives only in this process, so no API key is
 * needed and an expired or edited URL is refused. Both the signed URLs and v1's key-authenticated
 * /v1/files/{id}/contents share one body writer with Range support and the truncation fault.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export class UrlSigner {
  private readonly secret = randomBytes(32);

  sign(runId: string, expiresAtSec: number): string {
    const payload = Buffer.from(`${runId}.${expiresAtSec}`).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The run id, or why the token is refused. */
  verify(token: string, nowSec: number): { runId: string } | { error: 'invalid' | 'expired' } {
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return { error: 'invalid' };
    const want = Buffer.from(this.mac(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return { error: 'invalid' };
    const text = Buffer.from(payload, 'base64url').toString('utf8');
    const dot = text.lastIndexOf('.');
    const runId = text.slice(0, dot);
    const exp = Number(text.slice(dot + 1));
    if (!Number.isFinite(exp) || nowSec >= exp) return { error: 'expired' };
    return { runId };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

/** An S3-style refusal: object stores answer in XML, and clients must not expect Stripe JSON here. */
export function sendStorageError(res: ServerResponse, status: number, code: string, message: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export interface FileBody {
  size: number;
  contentType: string;
  filename: string;
  /** Bytes [start, end] inclusive. */
  open: (start: number, end: number) => Readable;
}

/**
 * Writes the file honouring `Range: bytes=N-` / `bytes=N-M`. Content-Length is always the full
 * length of what is promised. Faults: `cut` ends the body after about half of it, by closing the
 * connection ('close', a truncated body) or with a TCP reset ('reset'); `corruptAt` flips the
 * byte at that file offset (a damaged file whose length is right). `onFault` says when one really
 * happened: a body of one byte cannot be cut, and a Range may not reach the corrupt byte.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: FileBody,
  opts: {
    cut?: 'close' | 'reset';
    corruptAt?: number;
    /** Paces the body to this rate (a slow file server); unset sends as fast as the socket takes it. */
    bytesPerSecond?: number;
    onRange: () => void;
    onFault?: (kind: 'close' | 'reset' | 'corrupt') => void;
  },
): Promise<void> {
  let start = 0;
  let end = file.size - 1;
  let status = 200;
  const range = req.headers.range;
  const headers: Record<string, string | number> = {
    'Content-Type': file.contentType,
    'Content-Disposition': `attachment; filename="${file.filename}"`,
    'Accept-Ranges': 'bytes',
  };
  if (range) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
    const s = m ? Number(m[1]) : NaN;
    const e = m && m[2] ? Math.min(Number(m[2]), file.size - 1) : file.size - 1;
    if (!m || s >= file.size || s > e) {
      res.writeHead(416, { 'Content-Range': `bytes */${file.size}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    start = s;
    end = e;
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    opts.onRange();
  }
  const length = Math.max(0, end - start + 1);
  headers['Content-Length'] = length;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const cut = length > 1 ? opts.cut : undefined;
  const limit = cut ? Math.floor(length / 2) : length;
  const source = file.open(start, end);
  let sent = 0;
  let closed = false;
  const began = Date.now();
  res.on('close', () => {
    closed = true;
    source.destroy();
  });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (closed) return;
      const piece = sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk;
      const at = opts.corruptAt === undefined ? -1 : opts.corruptAt - (start + sent);
      if (at >= 0 && at < piece.length) {
        piece[at] ^= 0xff;
        opts.onFault?.('corrupt');
      }
      sent += piece.length;
      if (sent >= limit && cut) {
        // Cut the connection short of Content-Length once these bytes are on the wire.
        opts.onFault?.(cut);
        res.write(piece, () => (cut === 'reset' ? res.socket?.resetAndDestroy() : res.destroy()));
        source.destroy();
        return;
      }
      const ok = res.write(piece);
      if (sent >= limit) break;
      if (!ok) await drainOrClose(res);
      if (opts.bytesPerSecond) {
        const ahead = (sent / opts.bytesPerSecond) * 1000 - (Date.now() - began);
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
    }
  } catch {
    // A source error after the headers went out: all we can do is cut the connection.
    res.destroy();
    return;
  }
  res.end();
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
