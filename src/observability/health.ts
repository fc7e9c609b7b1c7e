/**
 * Every long-running process answers `GET /healthz` on a port of its own (loopback by default):
 * 200 with a small JSON body while it does its job, 503 while it starts or stops. Orchestrators
 * (compose healthchecks, Kubernetes probes) and operators read it. `GET /metrics` on the same
 * port is Prometheus' text format (./metrics-endpoint.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE } from './metrics-endpoint.js';

export interface HealthState {
  ok: boolean;
  /** What the process is doing, e.g. `{ worker: 'RUNNING', taskQueue: … }`. Never a secret. */
  [detail: string]: unknown;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  process: string;
  state: () => HealthState;
  /** The `/metrics` body (Prometheus text format); without it `/metrics` is 404. */
  metrics?: () => Promise<string>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const started = Date.now();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && options.metrics) {
      options.metrics().then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try /healthz${options.metrics ? ' or /metrics' : ''}\n`);
      return;
    }
    let state: HealthState;
    try {
      state = options.state();
    } catch (err) {
      state = { ok: false, error: (err as Error).message };
    }
    const body = { process: options.process, pid: process.pid, uptimeSeconds: Math.round((Date.now() - started) / 1000), ...state };
    res.writeHead(state.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`health endpoint cannot listen on ${options.host}:${options.port} (REPORTS_HEALTH_HOST/REPORTS_HEALTH_PORT): ${err.code ?? err.message}`)),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/healthz`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
