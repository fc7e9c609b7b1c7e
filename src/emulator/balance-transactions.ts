/**
 * GET /v1/balance_transactions: the account's ledger for an interval (./ledger.ts), the same
 * entries the balance reports of that account and interval are made from, newest first and paged
 * as Stripe pages lists (`limit`, `starting_after`, `ending_before`). Plus the discrepancies a
 * test seeded (POST /_emulator/ledger/discrepancy), which are in the ledger and in no file.
 *
 * The account: `Stripe-Context` (an account, or a path such as `acct_platform/acct_connected`
 * whose last segment is the account acted on), else `Stripe-Account` (a connected account). An
 * organization key must name one with Stripe-Context: an organization has no ledger of its own.
 */
import type { IncomingMessage } from 'node:http';
import { availabilityOf } from './catalog.js';
import type { Ctx } from './ctx.js';
import { ApiError } from './http.js';
import type { ApiKey } from './keys.js';
import { discrepancyId, ledgerAccountOf, ledgerEntries, ledgerSeed, ledgerSourceId, typeOf, type LedgerEntry, type LedgerSpec } from './ledger.js';
import type { LedgerDiscrepancy } from './types.js';
import { createdMatches, listQueryOf, missing } from './v1.js';
import { checkAccessible } from './v2.js';

/** One entry as the API renders it: minor units, Unix seconds. */
type Rendered = Record<string, unknown> & { id: string; created: number };

function headerOf(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

/** Whose ledger: the account Stripe-Context or Stripe-Account names, or the key's own. */
function accountOf(ctx: Ctx, key: ApiKey, req: IncomingMessage): string {
  const context = headerOf(req, 'stripe-context');
  const account = headerOf(req, 'stripe-account');
  if (key.organization && !context) {
    throw new ApiError(
      400,
      'invalid_request_error',
      'parameter_missing',
      'An organization key must name the account with the Stripe-Context header (acct_…, or platform/connected for a connected account).',
    );
  }
  // Stripe-Context supersedes Stripe-Account (https://docs.stripe.com/context).
  const named = context ?? account;
  checkAccessible(ctx, named ? named.split('/') : []);
  return ledgerAccountOf({ context: named });
}

function render(e: LedgerEntry, seed: number, now: number): Rendered {
  const fee = e.fee
    ? [{ amount: e.fee, application: null, currency: e.currency, description: e.reporting_category === 'dispute' ? 'Dispute fee' : 'Stripe processing fees', type: 'stripe_fee' }]
    : [];
  return {
    id: e.id,
    object: 'balance_transaction',
    amount: e.amount,
    available_on: Math.floor(e.availableOnMs / 1000),
    created: Math.floor(e.createdMs / 1000),
    currency: e.currency,
    description: e.description,
    exchange_rate: null,
    fee: e.fee,
    fee_details: fee,
    net: e.net,
    reporting_category: e.reporting_category,
    source: ledgerSourceId(seed, e),
    status: e.availableOnMs <= now ? 'available' : 'pending',
    type: e.type,
  };
}

/** The seeded discrepancies that fall in this account's ledger for [startMs, endMs). */
function discrepanciesIn(list: LedgerDiscrepancy[], account: string, livemode: boolean, startMs: number, endMs: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  list.forEach((d, n) => {
    if ((d.account ?? 'self') !== account || (d.livemode !== undefined && d.livemode !== livemode)) return;
    const createdMs = d.created !== undefined ? d.created * 1000 : startMs;
    if (createdMs < startMs || createdMs >= endMs) return;
    const fee = d.fee ?? 0;
    out.push({
      // Far past any ledger index, so its source id cannot collide with a generated one.
      index: 0x7fff_0000 + n,
      id: discrepancyId(n),
      createdMs,
      availableOnMs: createdMs,
      currency: d.currency,
      amount: d.amount,
      fee,
      net: d.amount - fee,
      reporting_category: d.reporting_category,
      type: typeOf(d.reporting_category),
      description: 'Discrepancy seeded by the emulator (in no report file)',
    });
  });
  return out;
}

function sortedLedger(ctx: Ctx, account: string, livemode: boolean, startMs: number, endMs: number): Rendered[] {
  const rows = ctx.state.config.rowsPerRun;
  const discrepancies = ctx.state.ledgerDiscrepancies;
  const cacheKey = JSON.stringify([account, livemode, startMs, endMs, rows, discrepancies]);
  // The last ledger listed is kept, so paging through it does not rebuild it for every page.
  const cached = ctx.state.ledgerCache as { key: string; entries: Rendered[] } | null;
  if (cached?.key === cacheKey) return cached.entries;
  const seed = ledgerSeed(account, startMs, endMs, livemode);
  const spec: LedgerSpec = { seed, intervalStart: startMs, intervalEnd: endMs };
  const now = Date.now();
  const entries = [...ledgerEntries(spec, rows)].map((e) => render(e, seed, now));
  for (const e of discrepanciesIn(discrepancies, account, livemode, startMs, endMs)) entries.push(render(e, seed, now));
  // Newest first, as Stripe lists; the id breaks ties so pages are stable.
  entries.sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  ctx.state.ledgerCache = { key: cacheKey, entries };
  return entries;
}

export function listBalanceTransactions(ctx: Ctx, key: ApiKey, req: IncomingMessage, query: URLSearchParams) {
  const account = accountOf(ctx, key, req);
  const { limit, created } = listQueryOf(query);
  if (ctx.state.roll(ctx.state.faults.extraRateLimitRate)) {
    ctx.state.counters.rateLimited++;
    ctx.state.counters.extraRateLimited++;
    throw new ApiError(429, 'invalid_request_error', 'rate_limit', 'Too many requests hit the API too quickly (emulated fault).', undefined, { 'Retry-After': '1' });
  }
  // The ledger covers [start, end) in whole seconds: the interval the filters describe, else the
  // data available (as a report run without an interval covers).
  const itemized = ctx.state.catalog.reports.find((r) => r.generator === 'activity_itemized');
  const avail = availabilityOf(ctx.state.catalog, itemized ?? {}, ctx.state.advancedTo);
  const lower = created.eq ?? (created.gte ?? (created.gt !== undefined ? created.gt + 1 : Math.floor(avail.start.getTime() / 1000)));
  const upper = created.eq !== undefined ? created.eq + 1 : (created.lt ?? (created.lte !== undefined ? created.lte + 1 : Math.floor(avail.end.getTime() / 1000)));
  if (upper <= lower) return { object: 'list', data: [], has_more: false, url: '/v1/balance_transactions' };
  let entries = sortedLedger(ctx, account, key.livemode, lower * 1000, upper * 1000).filter((e) => createdMatches(e.created, created));

  const after = query.get('starting_after');
  const before = query.get('ending_before');
  if (after && before) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', 'Pass starting_after or ending_before, not both.', 'ending_before');
  const cursor = after ?? before;
  let hasMore: boolean;
  if (cursor) {
    const i = entries.findIndex((e) => e.id === cursor);
    if (i < 0) throw missing('balance transaction', cursor, after ? 'starting_after' : 'ending_before');
    if (after) {
      entries = entries.slice(i + 1);
      hasMore = entries.length > limit;
      entries = entries.slice(0, limit);
    } else {
      // The page just before the cursor, still newest first.
      hasMore = i > limit;
      entries = entries.slice(Math.max(0, i - limit), i);
    }
  } else {
    hasMore = entries.length > limit;
    entries = entries.slice(0, limit);
  }
  return { object: 'list', data: entries, has_more: hasMore, url: '/v1/balance_transactions' };
}
