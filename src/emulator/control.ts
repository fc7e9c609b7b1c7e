/**
 * /_emulator/*: the same controls as the in-process API, over HTTP, so a test can drive an
 * emulator running in another process. No key needed: this is a test fixture, not Stripe.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, parseJsonBody, readBody, sendJson } from './http.js';
import type { Configurable, Emulator, EmulatorFaults, LedgerDiscrepancy } from './types.js';

const bad = (msg: string, param?: string) => new ApiError(400, 'invalid_request_error', 'invalid_control', msg, param);

const RATES = [
  'serverErrorRate',
  'lostResponseRate',
  'failRunRate',
  'dropWebhookRate',
  'duplicateWebhookRate',
  'truncateDownloadRate',
  'resetDownloadRate',
  'corruptDownloadRate',
  'delayWebhookRate',
  'extraRateLimitRate',
  'expireDownloadUrlRate',
] as const;
const LISTS = ['failReports', 'inaccessibleAccounts'] as const;

export function checkFaults(f: Record<string, unknown>): EmulatorFaults {
  for (const [k, v] of Object.entries(f)) {
    if ((RATES as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(`${k} must be a number in [0, 1]`, k);
    } else if ((LISTS as readonly string[]).includes(k)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${k} must be an array of strings`, k);
    } else if (k === 'sizeSkewBytes') {
      if (!Number.isInteger(v)) throw bad('sizeSkewBytes must be an integer', k);
    } else if (k === 'webhookDelayMs' || k === 'postAnswerDelayMs') {
      if (typeof v !== 'number' || !(v >= 0)) throw bad(`${k} must be a number >= 0`, k);
    } else throw bad(`unknown fault ${k}`, k);
  }
  // A share of events delayed by nothing would be a silent no-op: most likely a mistake.
  if (f.delayWebhookRate !== undefined && f.webhookDelayMs === undefined) throw bad('delayWebhookRate needs webhookDelayMs', 'webhookDelayMs');
  return f as EmulatorFaults;
}

const CONFIG_KEYS = ['processingMs', 'runningCap', 'downloadUrlTtlSeconds', 'rowsPerRun', 'bytesPerRun', 'downloadBytesPerSecond', 'maxFileBytes', 'webhookUrl', 'webhookSecret'];

export function checkConfig(o: Record<string, unknown>): Configurable {
  for (const [k, v] of Object.entries(o)) {
    if (!CONFIG_KEYS.includes(k)) throw bad(`unknown setting ${k}`);
    if (k === 'runningCap') {
      const c = v as { live?: unknown; sandbox?: unknown };
      if (!c || typeof c.live !== 'number' || typeof c.sandbox !== 'number') throw bad('runningCap must be { live: number, sandbox: number }');
    } else if (k === 'webhookUrl' || k === 'webhookSecret') {
      if (v !== null && typeof v !== 'string') throw bad(`${k} must be a string`);
    } else if ((k === 'bytesPerRun' || k === 'downloadBytesPerSecond' || k === 'maxFileBytes') && v === null) {
      // null clears an optional setting.
    } else if (typeof v !== 'number' || v < 0) throw bad(`${k} must be a number >= 0`);
  }
  return o as Configurable;
}

/** A LedgerDiscrepancy as POST /_emulator/ledger/discrepancy takes it; every field checked, nothing changed on a bad one. */
export function checkDiscrepancy(o: Record<string, unknown>): LedgerDiscrepancy {
  const known = ['account', 'currency', 'reporting_category', 'amount', 'fee', 'created', 'livemode'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw bad(`unknown field ${k}; a discrepancy has ${known.join(', ')}`, k);
  if (o.account !== undefined && (typeof o.account !== 'string' || !/^acct_[A-Za-z0-9]+$/.test(o.account))) throw bad('account must be an account id (acct_…)', 'account');
  if (typeof o.currency !== 'string' || !/^[A-Za-z]{3}$/.test(o.currency)) throw bad('currency must be a three-letter ISO code', 'currency');
  if (typeof o.reporting_category !== 'string' || !/^[a-z_]+$/.test(o.reporting_category)) throw bad('reporting_category must be a reporting category such as charge', 'reporting_category');
  for (const k of ['amount', 'fee', 'created'] as const) {
    if ((k === 'amount' || o[k] !== undefined) && !Number.isSafeInteger(o[k])) throw bad(`${k} must be an integer${k === 'created' ? ' (Unix seconds)' : ' in minor units'}`, k);
  }
  if (o.livemode !== undefined && typeof o.livemode !== 'boolean') throw bad('livemode must be true or false', 'livemode');
  return { ...(o as unknown as LedgerDiscrepancy), currency: (o.currency as string).toLowerCase() };
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, emu: Emulator & { resetCounters(): void }) {
  const method = req.method ?? 'GET';
  const body = method === 'POST' ? parseJsonBody(await readBody(req)) : {};
  const sha = /^\/_emulator\/runs\/([^/]+)\/sha256$/.exec(path);
  if (method === 'GET' && path === '/_emulator/counters') return sendJson(res, 200, emu.counters());
  if (method === 'GET' && path === '/_emulator/runs') return sendJson(res, 200, { runs: emu.listRuns() });
  if (method === 'GET' && path === '/_emulator/health') return sendJson(res, 200, { ok: true, url: emu.url });
  if (method === 'POST' && path === '/_emulator/faults') {
    emu.setFaults(checkFaults(body));
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && path === '/_emulator/configure') {
    emu.configure(checkConfig(body));
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && path === '/_emulator/availability') {
    const to = typeof body.to === 'string' ? new Date(body.to) : null;
    if (!to || Number.isNaN(to.getTime())) throw bad('body must be { "to": "<RFC 3339>" }');
    emu.advanceAvailability(to);
    return sendJson(res, 200, { ok: true, to: to.toISOString() });
  }
  if (method === 'POST' && path === '/_emulator/reset') {
    emu.resetCounters();
    return sendJson(res, 200, emu.counters());
  }
  if (method === 'POST' && path === '/_emulator/ledger/discrepancy') return sendJson(res, 200, { ok: true, ...emu.addLedgerDiscrepancy(checkDiscrepancy(body)) });
  if (method === 'DELETE' && path === '/_emulator/ledger/discrepancies') {
    emu.clearLedgerDiscrepancies();
    return sendJson(res, 200, { ok: true });
  }
  const cancel = /^\/_emulator\/runs\/([^/]+)\/cancel$/.exec(path);
  if (method === 'POST' && cancel) {
    const detail: { code?: string; message?: string } = {};
    for (const k of ['code', 'message'] as const) {
      if (body[k] === undefined) continue;
      if (typeof body[k] !== 'string') throw bad(`${k} must be a string`, k);
      detail[k] = body[k];
    }
    return sendJson(res, 200, emu.cancelRun(decodeURIComponent(cancel[1]), detail));
  }
  const timing = /^\/_emulator\/runs\/([^/]+)$/.exec(path);
  if (method === 'GET' && timing) return sendJson(res, 200, emu.runTiming(decodeURIComponent(timing[1])));
  if (method === 'GET' && sha) {
    const id = decodeURIComponent(sha[1]);
    return sendJson(res, 200, { id, sha256: await emu.fileSha256(id) });
  }
  throw new ApiError(404, 'invalid_request_error', 'not_found', `Unknown control ${method} ${path}`);
}
