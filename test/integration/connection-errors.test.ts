/**
 * Bad Temporal settings, as a user gets them wrong: each long-running process (and a CLI command)
 * exits non-zero within seconds with one line naming the setting and the cause, never the key.
 * Where a real server cannot play the part (a rejected API key, a namespace that refuses search
 * attributes, as Temporal Cloud does), a small gRPC server over HTTP/2 answers as Temporal would.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { reportsCommand } from '../helpers/processes.js';
import { freePort } from '../helpers/s3-server.js';

const API_KEY = 'tk_fleet0secret0api0key0do0not0print';

/** A gRPC endpoint that answers OK (an empty message) to every call but those in `refuse` (by method suffix, `*` for all). */
async function fakeTemporal(refuse: Record<string, { status: number; message: string }>): Promise<{ address: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const method = String(headers[':path']);
    calls.push(method);
    stream.on('data', () => undefined);
    const refusal = Object.entries(refuse).find(([suffix]) => suffix === '*' || method.endsWith(suffix))?.[1];
    if (refusal) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(refusal.status), 'grpc-message': encodeURIComponent(refusal.message) }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 0])); // one uncompressed, empty message
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The settings a process gets besides the Temporal ones under test. */
const base = { REPORTS_HEALTH_PORT: '0', STRIPE_WEBHOOK_SECRETS: 'whsec_conn0test', REPORTS_RELAY_PORT: '0', LOG_LEVEL: 'ERROR' };

function expectOneLine(r: { code: number; stdout: string; stderr: string; ms: number }, ...names: RegExp[]) {
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('reports: '));
  expect(errorLines, r.stderr).toHaveLength(1);
  for (const name of names) expect(errorLines[0]).toMatch(name);
  expect(r.stdout + r.stderr).not.toContain(API_KEY);
  expect(r.ms, 'exits within seconds').toBeLessThan(25_000);
}

let unauthenticated: Awaited<ReturnType<typeof fakeTemporal>>;
let cloudLike: Awaited<ReturnType<typeof fakeTemporal>>;

beforeAll(async () => {
  unauthenticated = await fakeTemporal({ '*': { status: 16, message: `Request unauthorized (key ${API_KEY})` } });
  cloudLike = await fakeTemporal({ 'OperatorService/ListSearchAttributes': { status: 7, message: 'Request unauthorized.' } });
});

afterAll(async () => {
  await unauthenticated?.close();
  await cloudLike?.close();
});

describe('bad Temporal settings', () => {
  it.each(['worker', 'relay', 'status'])('unreachable address: `reports %s` names TEMPORAL_ADDRESS', async (command) => {
    const port = await freePort();
    const r = await reportsCommand([command], { ...base, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expectOneLine(r, /TEMPORAL_ADDRESS/, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it.each(['worker', 'relay'])('a namespace that does not exist: `reports %s` names TEMPORAL_NAMESPACE', async (command) => {
    const r = await reportsCommand([command], { ...base, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expectOneLine(r, /TEMPORAL_NAMESPACE/, /no-such-namespace/);
  });

  it('a TLS file that cannot be read names the variable and the file', async () => {
    const r = await reportsCommand(['worker'], {
      ...base,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
    });
    expectOneLine(r, /TEMPORAL_TLS_CLIENT_(CERT|KEY)_PATH=\/nonexistent\/client\.(pem|key)/, /ENOENT/);
  });

  it.each(['worker', 'relay', 'sync'])('a rejected API key: `reports %s` names TEMPORAL_API_KEY and never prints the key', async (command) => {
    const r = await reportsCommand([command], { ...base, TEMPORAL_ADDRESS: unauthenticated.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });
    expectOneLine(r, /TEMPORAL_API_KEY/, /refused/);
  });

  it('a namespace that refuses to add search attributes (Temporal Cloud): each attribute, its type and the commands to add it', async () => {
    const r = await reportsCommand(['worker'], { ...base, TEMPORAL_ADDRESS: cloudLike.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PERMISSION_DENIED');
    for (const [name, type] of [
      ['ReportConfig', 'Keyword'],
      ['ReportPeriod', 'Keyword'],
      ['ReportTarget', 'Keyword'],
      ['ReportRunSucceededAt', 'Datetime'],
    ]) {
      expect(r.stderr).toContain(`temporal operator search-attribute create --namespace default --name ${name} --type ${type}`);
      expect(r.stderr).toContain(`--search-attribute "${name}=${type}"`);
    }
    expect(r.stderr).toContain('tcld namespace search-attributes add --namespace default');
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
    expect(cloudLike.calls.some((c) => c.endsWith('PollWorkflowTaskQueue')), 'no worker polls before the attributes exist').toBe(false);
  });
});
