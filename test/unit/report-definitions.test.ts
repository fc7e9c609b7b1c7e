/**
 * ReportDefinitions: the answer prepareReportRun just had is reused by createReportRun, but only
 * while it is recent and says the data covers the period; a check always asks Stripe.
 */
import { describe, expect, it } from 'vitest';
import { ReportDefinitions } from '../../src/activities/report-definitions.js';

const MAY = Date.parse('2025-06-01T00:00:00Z');
const JUNE = Date.parse('2025-07-01T00:00:00Z');

function stripe(answers: Array<number | undefined>) {
  const calls: number[] = [];
  return {
    calls,
    fetch: async () => {
      calls.push(calls.length);
      return { until: answers[Math.min(calls.length - 1, answers.length - 1)] };
    },
  };
}
const until = (v: { until?: number }) => v.until;

describe('ReportDefinitions', () => {
  it('reuses an answer that covers the period, within its time to live', async () => {
    let now = 0;
    const defs = new ReportDefinitions({ ttlMs: 60_000, now: () => now });
    const client = {};
    const s = stripe([JUNE]);
    await defs.get(client, 'k', JUNE, s.fetch, until, true);
    now = 59_000;
    expect(await defs.get(client, 'k', JUNE, s.fetch, until)).toEqual({ until: JUNE });
    expect(s.calls).toHaveLength(1);
    now = 61_000;
    await defs.get(client, 'k', JUNE, s.fetch, until);
    expect(s.calls).toHaveLength(2);
  });

  it('asks again when the kept answer does not cover the period, or when told to ask', async () => {
    const defs = new ReportDefinitions();
    const client = {};
    const s = stripe([MAY, JUNE]);
    expect(await defs.get(client, 'k', JUNE, s.fetch, until, true)).toEqual({ until: MAY });
    expect(await defs.get(client, 'k', JUNE, s.fetch, until)).toEqual({ until: JUNE });
    await defs.get(client, 'k', JUNE, s.fetch, until, true);
    expect(s.calls).toHaveLength(3);
  });

  it('keeps answers apart per client and key, and never keeps an error', async () => {
    const defs = new ReportDefinitions();
    const a = {};
    const b = {};
    const s = stripe([undefined]);
    await defs.get(a, 'acct_1', JUNE, s.fetch, until);
    await defs.get(a, 'acct_2', JUNE, s.fetch, until);
    await defs.get(b, 'acct_1', JUNE, s.fetch, until);
    await defs.get(a, 'acct_1', JUNE, s.fetch, until); // no bound stated: reused
    expect(s.calls).toHaveLength(3);
    const failing = async (): Promise<{ until?: number }> => {
      throw new Error('Stripe is down');
    };
    await expect(defs.get(a, 'acct_3', JUNE, failing, until)).rejects.toThrow('Stripe is down');
    await defs.get(a, 'acct_3', JUNE, s.fetch, until);
    expect(s.calls).toHaveLength(4);
  });

  it('forgets the oldest answer past its size', async () => {
    const defs = new ReportDefinitions({ maxEntries: 2 });
    const client = {};
    const s = stripe([JUNE]);
    for (const k of ['a', 'b', 'c']) await defs.get(client, k, JUNE, s.fetch, until);
    await defs.get(client, 'c', JUNE, s.fetch, until);
    await defs.get(client, 'b', JUNE, s.fetch, until);
    expect(s.calls).toHaveLength(3);
    await defs.get(client, 'a', JUNE, s.fetch, until);
    expect(s.calls).toHaveLength(4);
  });
});
