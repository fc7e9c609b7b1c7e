/**
 * What `/metrics` answers: the project's registry (./metrics.ts) followed by the Temporal SDK's
 * own metrics, which core serves from its Prometheus exporter on a loopback port of its own
 * (./temporal-runtime.ts installs it). One endpoint for Prometheus to scrape; the exporter's port
 * stays private to the process.
 */
import { createServer } from 'node:net';
import { request } from 'undici';
import { registry } from './metrics.js';

/** Prometheus' text exposition format, as prom-client and core both write it. */
export const METRICS_CONTENT_TYPE = registry.contentType;

/**
 * The registry, then core's metrics when `temporalMetricsUrl` is set. If core does not answer, the
 * project's metrics still go out, with a comment saying why the SDK's are missing.
 */
export async function metricsExposition(temporalMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!temporalMetricsUrl) return own;
  try {
    const res = await request(temporalMetricsUrl, { headersTimeout: 2000, bodyTimeout: 2000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    return `${own.endsWith('\n') ? own : `${own}\n`}${text}`;
  } catch (err) {
    return `${own}# Temporal SDK metrics unavailable: ${(err as Error).message.split('\n')[0]}\n`;
  }
}

/** A port free on 127.0.0.1 right now (the OS picks it; whoever binds it next gets it). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback address with a port free a moment ago, for core's exporter (see installTemporalRuntimeWithMetrics). */
export async function freeLoopbackAddress(): Promise<string> {
  return `127.0.0.1:${await freeLoopbackPort()}`;
}
