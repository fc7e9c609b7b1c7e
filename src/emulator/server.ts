/**
 * The HTTP front: routes requests to the v1 (reporting and balance transactions), v2 and Data API handlers, applies the request-level faults, the
 * key check, Stripe-Version, and Idempotency-Key, and serves result files.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleControl } from './control.js';
import type { Ctx } from './ctx.js';
import { sendFile, sendStorageError } from './files.js';
import { ApiError, canonical, parseForm, parseJsonBody, readBody, sendError, sendJson } from './http.js';
import { authenticate, type ApiKey } from './keys.js';
import type { Emulator } from './types.js';
import * as balanceTransactions from './balance-transactions.js';
import * as data from './data.js';
import * as v1 from './v1.js';
import * as v2 from './v2.js';

/** One API request as a handler sees it. */
interface Call {
  req: IncomingMessage;
  /** The route pattern's captures, decoded. */
  params: string[];
  body: Record<string, unknown>;
  query: URLSearchParams;
  /** The Idempotency-Key header, recorded on the runs a request creates. */
  idempotencyKey: string | null;
}

type Handler = (ctx: Ctx, key: ApiKey, call: Call) => unknown;

interface Route {
  method: 'GET' | 'POST';
  /** v2 and data speak JSON and need Stripe-Version; v1 is form-encoded. */
  api: 'v1' | 'v2' | 'data';
  pattern: RegExp;
  handler: Handler;
}

const ROUTES: Route[] = [
  { method: 'GET', api: 'v2', pattern: /^\/v2\/reporting\/reports\/([^/]+)$/, handler: (c, k, { params }) => v2.getReport(c, k, params[0]) },
  { method: 'POST', api: 'v2', pattern: /^\/v2\/reporting\/report_runs$/, handler: (c, k, a) => v2.createRun(c, k, a.req, a.body, a.idempotencyKey) },
  { method: 'GET', api: 'v2', pattern: /^\/v2\/reporting\/report_runs\/([^/]+)$/, handler: (c, k, { params }) => v2.getRun(c, k, params[0]) },
  { method: 'GET', api: 'v2', pattern: /^\/v2\/core\/events\/([^/]+)$/, handler: (c, k, { params }) => v2.getEvent(c, k, params[0]) },
  { method: 'GET', api: 'data', pattern: /^\/v2\/data\/reports$/, handler: (c, k, { query }) => data.listReports(c, k, query) },
  { method: 'GET', api: 'data', pattern: /^\/v2\/data\/reports\/([^/]+)$/, handler: (c, k, { params, query }) => data.getReport(c, k, params[0], query) },
  { method: 'POST', api: 'data', pattern: /^\/v2\/data\/report_runs$/, handler: (c, k, a) => data.createReportRun(c, k, a.req, a.body, a.idempotencyKey) },
  { method: 'GET', api: 'data', pattern: /^\/v2\/data\/report_runs\/([^/]+)$/, handler: (c, k, { params }) => data.getReportRun(c, k, params[0]) },
  { method: 'POST', api: 'data', pattern: /^\/v2\/data\/query_runs$/, handler: (c, k, a) => data.createQueryRun(c, k, a.req, a.body, a.idempotencyKey) },
  { method: 'GET', api: 'data', pattern: /^\/v2\/data\/query_runs\/([^/]+)$/, handler: (c, k, { params }) => data.getQueryRun(c, k, params[0]) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/reporting\/report_types$/, handler: (c, k) => v1.listReportTypes(c, k) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/reporting\/report_types\/([^/]+)$/, handler: (c, k, { params }) => v1.getReportType(c, k, params[0]) },
  { method: 'POST', api: 'v1', pattern: /^\/v1\/reporting\/report_runs$/, handler: (c, k, a) => v1.createRun(c, k, a.req, a.body as never, a.idempotencyKey) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/reporting\/report_runs$/, handler: (c, k, { query }) => v1.listRuns(c, k, query) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/reporting\/report_runs\/([^/]+)$/, handler: (c, k, { params }) => v1.getRun(c, k, params[0]) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/events\/([^/]+)$/, handler: (c, k, { params }) => v1.getEvent(c, k, params[0]) },
  { method: 'GET', api: 'v1', pattern: /^\/v1\/balance_transactions$/, handler: (c, k, { req, query }) => balanceTransactions.listBalanceTransactions(c, k, req, query) },
];

export function createHandler(ctx: Ctx, emu: Emulator & { resetCounters(): void }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    res.on('finish', () =>
      ctx.state.log(`${req.method} ${url.pathname.replace(/^\/files\/.*/, '/files/…')} ${res.statusCode} ${Date.now() - started}ms`),
    );
    route(ctx, emu, req, res, url).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ApiError) return sendError(res, err);
      ctx.state.log(`internal error: ${(err as Error).stack ?? err}`);
      sendError(res, new ApiError(500, 'api_error', 'internal_error', 'An unexpected error occurred in the emulator.'));
    });
  };
}

async function route(ctx: Ctx, emu: Emulator & { resetCounters(): void }, req: IncomingMessage, res: ServerResponse, url: URL) {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path.startsWith('/_emulator/')) return handleControl(req, res, path, emu);
  if ((method === 'GET' || method === 'HEAD') && path.startsWith('/files/')) return downloadSigned(ctx, req, res, path.slice(7));
  const file = /^\/v1\/files\/([^/]+)\/contents$/.exec(path);
  if (file && (method === 'GET' || method === 'HEAD')) {
    const key = authenticate(req, true);
    return download(ctx, req, res, v1.fileRun(ctx, key, decodeURIComponent(file[1])));
  }

  let match: { route: Route; params: string[] } | undefined;
  for (const r of ROUTES) {
    const m = r.method === method ? r.pattern.exec(path) : null;
    if (m) match = { route: r, params: m.slice(1).map(decodeURIComponent) };
  }
  if (!match) throw new ApiError(404, 'invalid_request_error', 'not_found', `Unrecognized request URL (${method}: ${path}).`);
  const { route: r, params } = match;

  if (ctx.state.roll(ctx.state.faults.serverErrorRate)) {
    ctx.state.counters.serverErrors++;
    throw new ApiError(500, 'api_error', 'internal_error', 'An unknown error occurred (emulated fault).', undefined, { 'Stripe-Should-Retry': 'true' });
  }
  const key = authenticate(req, r.api === 'v1');
  if (r.api !== 'v1' && !req.headers['stripe-version']) {
    const example = r.api === 'data' ? '2026-10-28.preview' : '2025-07-03.preview';
    throw new ApiError(400, 'invalid_request_error', 'missing_stripe_version', `The Stripe-Version header is required for /v2 endpoints, e.g. Stripe-Version: ${example}.`);
  }

  const header = req.headers['idempotency-key'];
  const idemKey = method === 'POST' && typeof header === 'string' && header ? header : null;
  const call: Call = { req, params, body: {}, query: url.searchParams, idempotencyKey: idemKey };
  if (method === 'POST') {
    const text = await readBody(req);
    call.body = r.api === 'v1' ? parseForm(text) : parseJsonBody(text);
    if (idemKey) {
      const fingerprint = `${method} ${path} ${canonical(call.body)} ${canonical({ ctx: v2.contextOf(req), acct: req.headers['stripe-account'] ?? null })}`;
      const seen = ctx.idempotency.lookup(key.id, idemKey, fingerprint);
      if (seen.kind === 'replay') {
        ctx.state.counters.idempotentReplays++;
        return sendJson(res, seen.saved.status, seen.saved.body, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': idemKey });
      }
      if (seen.kind === 'conflict') {
        throw new ApiError(
          409,
          'idempotency_error',
          'idempotency_key_in_use',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
          undefined,
          { 'Stripe-Should-Retry': 'false' },
        );
      }
      const out = r.handler(ctx, key, call);
      ctx.idempotency.save(key.id, idemKey, fingerprint, { status: 200, body: out });
      await answerDelayed(ctx);
      if (answerLost(ctx, res)) return;
      return sendJson(res, 200, out, { 'Idempotency-Key': idemKey });
    }
  }
  const out = r.handler(ctx, key, call);
  if (method === 'POST') await answerDelayed(ctx);
  if (method === 'POST' && answerLost(ctx, res)) return;
  sendJson(res, 200, out);
}

/** The postAnswerDelayMs fault: the POST is carried out now, its answer sent later. */
async function answerDelayed(ctx: Ctx): Promise<void> {
  const ms = ctx.state.faults.postAnswerDelayMs ?? 0;
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/**
 * The lostResponseRate fault: the POST was carried out (a run exists) but its answer never
 * arrives, the connection reset as when the network fails after Stripe committed. Only the
 * Idempotency-Key makes the client's retry find that run instead of creating another.
 */
function answerLost(ctx: Ctx, res: ServerResponse): boolean {
  if (!ctx.state.roll(ctx.state.faults.lostResponseRate)) return false;
  ctx.state.counters.responsesLost++;
  res.socket?.resetAndDestroy();
  return true;
}

async function downloadSigned(ctx: Ctx, req: IncomingMessage, res: ServerResponse, token: string) {
  const v = ctx.signer.verify(decodeURIComponent(token), Math.floor(Date.now() / 1000));
  if ('error' in v && v.error === 'invalid') {
    return sendStorageError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  // The fault refuses a valid URL exactly as a lapsed one, as if it had expired on the way.
  if ('error' in v || (req.method === 'GET' && ctx.state.roll(ctx.state.faults.expireDownloadUrlRate))) {
    ctx.state.counters.urlsExpired++;
    return sendStorageError(res, 403, 'AccessDenied', 'Request has expired');
  }
  const run = ctx.state.runs.get(v.runId);
  if (!run || run.status !== 'succeeded') return sendStorageError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  return download(ctx, req, res, run);
}

async function download(ctx: Ctx, req: IncomingMessage, res: ServerResponse, run: import('./state.js').Run) {
  if (req.method === 'GET') ctx.state.counters.downloads++;
  const f = ctx.state.faults;
  // Looked up when counting: /_emulator/reset swaps the counters object mid-download.
  const c = () => ctx.state.counters;
  const get = req.method === 'GET';
  const body = ctx.state.fileBody(run);
  await sendFile(req, res, body, {
    cut: get && ctx.state.roll(f.truncateDownloadRate) ? 'close' : get && ctx.state.roll(f.resetDownloadRate) ? 'reset' : undefined,
    corruptAt: get && ctx.state.roll(f.corruptDownloadRate) ? Math.floor(body.size / 2) : undefined,
    bytesPerSecond: ctx.state.config.downloadBytesPerSecond,
    onRange: () => void c().rangeRequests++,
    // Counted when the fault really hits the bytes sent, not when drawn (a Range may miss it).
    onFault: (kind) => void (kind === 'close' ? c().downloadsTruncated++ : kind === 'reset' ? c().downloadsReset++ : c().downloadsCorrupted++),
  });
}
