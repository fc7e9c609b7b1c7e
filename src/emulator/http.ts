/**
 * HTTP plumbing shared by the routes: Stripe-shaped errors, body reading, form decoding, and a
 * canonical form of bodies so idempotency can compare two requests by meaning, not bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error that becomes `{ error: { type, code, message, param? } }` with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | undefined,
    message: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  body() {
    const error: Record<string, unknown> = { type: this.type, message: this.message };
    if (this.code) error.code = this.code;
    if (this.param) error.param = this.param;
    return { error };
  }
}

export const invalidFields = (param: string, message: string) =>
  new ApiError(400, 'invalid_request_error', 'invalid_fields', message, param);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Request-Id': `req_${Math.random().toString(36).slice(2, 16)}`,
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError) {
  sendJson(res, err.status, err.body(), err.headers);
}

const MAX_BODY = 1 << 20;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'invalid_request_error', 'request_too_large', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonBody(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_request_error', 'invalid_json', 'The request body is not valid JSON.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new ApiError(400, 'invalid_request_error', 'invalid_json', 'The request body must be a JSON object.');
  }
  return v as Record<string, unknown>;
}

export type FormValue = string | FormValue[] | { [k: string]: FormValue };

/**
 * Stripe's form encoding: `a[b]=1`, `a[c][]=x&a[c][]=y`, `a[c][0]=x`. Enough of it for the
 * reporting endpoints; the result mirrors what the JSON would have been.
 */
export function parseForm(text: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const m = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1], ...[...m[2].matchAll(/\[([^\]]*)\]/g)].map((x) => x[1])];
    let node: Record<string, FormValue> | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      const nextIsArray = !last && (path[i + 1] === '' || /^\d+$/.test(path[i + 1]));
      if (Array.isArray(node)) {
        if (last) node.push(value);
        else {
          const idx = seg === '' ? node.length : Number(seg);
          node[idx] ??= nextIsArray ? [] : {};
          node = node[idx] as Record<string, FormValue> | FormValue[];
        }
      } else if (last) node[seg] = value;
      else {
        const existing = node[seg];
        if (existing === undefined || typeof existing === 'string') node[seg] = nextIsArray ? [] : {};
        node = node[seg] as Record<string, FormValue> | FormValue[];
      }
    }
  }
  return root;
}

/** JSON with sorted keys: two bodies with the same meaning give the same text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
