/**
 * A real HTTP server standing in for Slack or a generic webhook: it keeps every request and
 * answers as the test says (status, body, headers), or hangs up without answering.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang up';

export interface WebhookSink {
  /** A URL with a secret-looking path, the way Slack's carry their token. */
  url: string;
  received: ReceivedRequest[];
  /** The answer to the next requests (default: 200 ok). */
  answer(next: Answer): void;
  close(): Promise<void>;
}

export async function startWebhookSink(path = '/services/T0001/B0002/s3cr3tT0k3nXYZ'): Promise<WebhookSink> {
  const received: ReceivedRequest[] = [];
  let next: Answer = { status: 200, body: 'ok' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (next === 'hang up') {
        req.socket.destroy();
        return;
      }
      res.writeHead(next.status, { 'content-type': 'text/plain', ...next.headers }).end(next.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    answer: (a) => (next = a),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens: a server started and closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
