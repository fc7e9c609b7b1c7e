/**
 * The relay's HTTP server: `POST <path>` for Stripe, `GET /healthz` for probes. Plain node:http,
 * because the body must stay raw bytes for the signature and the size limit must stop reading.
 */
import type { Client } from '@temporalio/client';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookEvents } from '../observability/metrics.js';
import { getLogger, type Logger } from '../observability/logger.js';
import { handleWebhook, type Handled } from './handle.js';
import { DEFAULT_RELAY_PATH } from './settings.js';

export interface RelayOptions {
  client: Client;
  taskQueue: string;
  /** 0 = any free port. */
  port?: number;
  host?: string;
  path?: string;
  /** Endpoint secrets; an event verified by any of them is accepted (secret rotation). */
  secrets: string[];
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  /** Where its lines go: one per webhook request; default the process's logger. */
  logger?: Logger;
}

export interface RelayStats {
  received: number;
  verified: number;
  rejected: number;
  routed: number;
  ignored: number;
  signalErrors: number;
}

export interface Relay {
  /** Full URL of the webhook path. */
  url: string;
  port: number;
  stats(): RelayStats;
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const secrets = options.secrets.map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0) throw new Error('the webhook relay needs at least one endpoint secret (STRIPE_WEBHOOK_SECRETS=whsec_…)');
  const path = options.path ?? DEFAULT_RELAY_PATH;
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? getLogger();
  // Stripe's thin-event parser treats 0 as "default", its snapshot parser as "no check": refuse both.
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  if (!(toleranceSeconds > 0)) throw new Error(`toleranceSeconds must be positive, not ${toleranceSeconds}`);
  const handleOptions = {
    client: options.client,
    taskQueue: options.taskQueue,
    secrets,
    toleranceSeconds,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
  };
  const stats: RelayStats = { received: 0, verified: 0, rejected: 0, routed: 0, ignored: 0, signalErrors: 0 };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return reply(res, 200, { ok: true });
    if (url.pathname !== path) {
      logger.info({ method: req.method, path: url.pathname, status: 404 }, 'not the webhook path');
      return reply(res, 404, { error: 'not found' });
    }
    if (req.method !== 'POST') {
      logger.info({ method: req.method, path: url.pathname, status: 405 }, 'webhooks are POSTed');
      res.setHeader('Allow', 'POST');
      return reply(res, 405, { error: 'method not allowed' });
    }
    stats.received++;
    const receivedAt = Date.now();
    handleWebhook(req, handleOptions, receivedAt)
      .catch((err: unknown): Handled => ({ status: 500, outcome: 'signal_error', reason: `relay error: ${(err as Error)?.message ?? err}` }))
      .then((h) => {
        count(stats, h);
        logRequest(logger, h, Date.now() - receivedAt);
        // A body we stopped reading (too large) is not drained: close the connection instead.
        if (h.status === 413) res.setHeader('Connection', 'close');
        // Refusals say why (fixed texts); a delivery error does not expose Temporal's message.
        reply(res, h.status, h.status < 300 ? { received: true } : { error: h.outcome === 'rejected' ? h.reason : 'delivery failed; retry later' });
        if (h.status === 413) res.once('finish', () => req.destroy());
      });
  });
  // A sender that trickles its body must not hold a connection forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${path}`,
    port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        // Requests in flight finish (their events reach Temporal); idle keep-alive sockets close now.
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function count(stats: RelayStats, h: Handled): void {
  if (h.outcome === 'rejected') stats.rejected++;
  else stats.verified++;
  if (h.outcome === 'routed') stats.routed++;
  if (h.outcome === 'ignored') stats.ignored++;
  if (h.outcome === 'signal_error') stats.signalErrors++;
  webhookEvents.inc(metricLabels(h));
}

/**
 * The request's `reports_webhook_events_total` labels. Reasons are the handler's fixed texts in
 * snake case (bounded), except the content type, which the sender chooses.
 */
export function metricLabels(h: Handled): { result: string; reason: string } {
  if (h.outcome === 'routed') return { result: 'routed', reason: h.via ?? 'direct' };
  if (h.outcome === 'signal_error') return { result: 'failed', reason: 'signal_failed' };
  if (h.status === 415) return { result: h.outcome, reason: 'content_type' };
  return { result: h.outcome, reason: snake(h.reason ?? 'unknown') };
}

const snake = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 60);

/** One line per request: ids, outcome and timing; never the body, the header or a secret. */
function logRequest(logger: Logger, h: Handled, totalMs: number): void {
  const fields = {
    status: h.status,
    outcome: h.outcome,
    eventId: h.eventId,
    eventType: h.type,
    reportRunId: h.runId,
    ...(h.deliverMs !== undefined ? { signalMs: h.deliverMs } : { ms: totalMs }),
    via: h.via,
    reason: h.reason,
  };
  // A refusal is worth a look (a wrong or rotated secret shows here); a delivery error more so.
  if (h.status >= 500) logger.error(fields, `webhook ${h.outcome}`);
  else if (h.outcome === 'rejected') logger.warn(fields, `webhook ${h.outcome}`);
  else logger.info(fields, `webhook ${h.outcome}`);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

