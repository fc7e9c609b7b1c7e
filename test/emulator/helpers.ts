/** Small HTTP helpers for the emulator's own tests (plain fetch: the emulator is the thing under test). */
import { createHash } from 'node:crypto';

export const SK = 'sk_test_emulatorTestKey1234';
export const SK_LIVE = 'sk_live_emulatorTestKey5678';
export const VERSION = '2025-07-03.preview';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function v2(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, key = SK): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      'Stripe-Version': VERSION,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function v1(base: string, method: string, path: string, form?: Record<string, string | string[]>, key = SK, headers: Record<string, string> = {}): Promise<Reply> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form ?? {})) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body: form ? params.toString() : undefined,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export const interval = { interval_start: '2025-06-01T00:00:00Z', interval_end: '2025-06-02T00:00:00Z' };

export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a v2 run until it is no longer running. */
export async function settledV2(base: string, id: string, key = SK) {
  return waitFor(async () => {
    const r = await v2(base, 'GET', `/v2/reporting/report_runs/${id}`, undefined, {}, key);
    return r.body.status === 'running' ? undefined : r.body;
  });
}

export async function download(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
