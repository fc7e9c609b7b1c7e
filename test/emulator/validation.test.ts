import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { interval, SK, v1, v2 } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingMs: 100 });
});
afterAll(() => emu.close());

const createWith = (report: string, report_parameters: unknown, headers: Record<string, string> = {}, key = SK) =>
  v2(emu.url, 'POST', '/v2/reporting/report_runs', { report, report_parameters }, headers, key);

describe('keys and headers', () => {
  it('refuses missing, malformed and revoked keys with 401 showing only the last 4 characters', async () => {
    const none = await fetch(`${emu.url}/v2/reporting/reports/balance.summary.1`, { headers: { 'Stripe-Version': 'x' } });
    expect(none.status).toBe(401);
    for (const key of ['pk_test_abcdefgh1234', 'sk_test_', 'sk_test_bad key', 'sk_test_revokedabcd_revoked_wxyz']) {
      const r = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1', undefined, {}, key);
      expect(r.status, key).toBe(401);
      expect(r.body.error.type).toBe('invalid_request_error');
      expect(r.body.error.message).toMatch(/^Invalid API Key provided: /);
      if (key.length > 12) expect(r.body.error.message).not.toContain(key.slice(8, -4));
    }
    const r = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1', undefined, {}, 'sk_test_xyz_revoked_abcd');
    expect(r.body.error.message).toBe('Invalid API Key provided: sk_test_****abcd');
  });

  it('derives the mode from the prefix', async () => {
    for (const [key, live] of [
      ['sk_test_a1', false], ['rk_test_a1', false], ['sk_live_a1', true], ['rk_live_a1', true],
      ['sk_org_test_a1', false], ['sk_org_live_a1', true], ['sk_org_a1', true],
    ] as const) {
      const r = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1', undefined, {}, key);
      expect(r.status, key).toBe(200);
      expect(r.body.livemode, key).toBe(live);
    }
  });

  it('a _readonly key may read but not create (needs reporting_write)', async () => {
    const key = 'rk_test_readonly_abcd';
    expect((await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1', undefined, {}, key)).status).toBe(200);
    const r = await createWith('balance.summary.1', interval, {}, key);
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('reporting_write');
    const r1 = await v1(emu.url, 'POST', '/v1/reporting/report_runs', { report_type: 'balance.summary.1' }, key);
    expect(r1.status).toBe(403);
  });

  it('requires Stripe-Version on v2', async () => {
    const res = await fetch(`${emu.url}/v2/reporting/reports/balance.summary.1`, { headers: { Authorization: `Bearer ${SK}` } });
    expect(res.status).toBe(400);
  });

  it('answers unknown routes, reports and runs with 404', async () => {
    const r = await v2(emu.url, 'GET', '/v2/reporting/nothing');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    expect((await v2(emu.url, 'GET', '/v2/reporting/reports/nope.1')).body.error.code).toBe('not_found');
    expect((await v2(emu.url, 'GET', '/v2/reporting/report_runs/reprun_nope')).status).toBe(404);
    expect((await createWith('nope.1', interval)).status).toBe(404);
    expect((await v1(emu.url, 'GET', '/v1/reporting/report_runs/frr_nope')).status).toBe(404);
    // A run is invisible to a key of the other mode.
    const run = await createWith('balance.summary.1', interval);
    expect((await v2(emu.url, 'GET', `/v2/reporting/report_runs/${run.body.id}`, undefined, {}, 'sk_live_other1')).status).toBe(404);
  });
});

describe('v2 parameter validation', () => {
  const expectInvalid = async (p: Promise<{ status: number; body: any }>, param: string, mention?: string) => {
    const r = await p;
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_fields');
    expect(r.body.error.param).toBe(param);
    expect(r.body.error.message).toContain(mention ?? param.replace('report_parameters.', ''));
  };

  it('names the parameter and the value for every kind of violation', async () => {
    const R = 'balance_change_from_activity.itemized.3';
    await expectInvalid(createWith(R, { interval_start: interval.interval_start }), 'report_parameters.interval_end');
    await expectInvalid(createWith(R, { ...interval, nope: 'x' }), 'report_parameters.nope');
    await expectInvalid(createWith(R, { ...interval, interval_start: '2025-06-01' }), 'report_parameters.interval_start', '2025-06-01');
    await expectInvalid(createWith(R, { ...interval, interval_start: '2019-12-31T00:00:00Z' }), 'report_parameters.interval_start', '2019-12-31T00:00:00Z');
    await expectInvalid(createWith(R, { ...interval, interval_end: '2999-01-01T00:00:00Z' }), 'report_parameters.interval_end', '2999-01-01');
    await expectInvalid(createWith(R, { interval_start: interval.interval_end, interval_end: interval.interval_start }), 'report_parameters.interval_end');
    await expectInvalid(createWith(R, { ...interval, columns: 'net' }), 'report_parameters.columns');
    await expectInvalid(createWith(R, { ...interval, columns: ['net', 'bogus'] }), 'report_parameters.columns', 'bogus');
    await expectInvalid(createWith(R, { ...interval, currency: 'dollars' }), 'report_parameters.currency', 'dollars');
    await expectInvalid(createWith(R, { ...interval, connected_account: 'bob' }), 'report_parameters.connected_account', 'bob');
    await expectInvalid(createWith('balance.summary.1', { ...interval, organization_report_granularity: 'weekly' }), 'report_parameters.organization_report_granularity', 'weekly');
    // connected_account only on templates that have it.
    await expectInvalid(createWith('balance.summary.1', { ...interval, connected_account: 'acct_1' }), 'report_parameters.connected_account');
    await expectInvalid(v2(emu.url, 'POST', '/v2/reporting/report_runs', { report_parameters: interval }), 'report', 'report');
    await expectInvalid(v2(emu.url, 'POST', '/v2/reporting/report_runs', { report: R, report_parameters: interval, result_options: { compress_file: 'yes' } }), 'result_options.compress_file', 'compress_file');
    // Fractional seconds of any length and offsets are RFC 3339 too.
    expect((await createWith(R, { interval_start: '2025-06-01T00:00:00.123456789Z', interval_end: '2025-06-02T02:00:00+02:00' })).status).toBe(200);
  });

  it('applies the organization rules of contract section 1.4', async () => {
    const org = 'sk_org_test_orgKey1234';
    // Organization-wide: an aggregatable report must say how.
    await expectInvalid(createWith('balance.summary.1', interval, {}, org), 'report_parameters.organization_report_granularity');
    const agg = await createWith('balance.summary.1', { ...interval, organization_report_granularity: 'aggregated_report' }, {}, org);
    expect(agg.status).toBe(200);
    // Concatenated-only reports take no granularity, and need none.
    expect((await createWith('payouts.itemized.3', interval, {}, org)).status).toBe(200);
    // One account of the organization: Stripe-Context.
    const one = await createWith('balance.summary.1', interval, { 'Stripe-Context': 'acct_direct1' }, org);
    expect(one.status).toBe(200);
    // A connected account with an org key needs the platform as Stripe-Context.
    await expectInvalid(createWith('payouts.itemized.3', { ...interval, connected_account: 'acct_conn1' }, {}, org), 'report_parameters.connected_account');
    expect((await createWith('payouts.itemized.3', { ...interval, connected_account: 'acct_conn1' }, { 'Stripe-Context': 'acct_platform1' }, org)).status).toBe(200);
  });
});

describe('data availability', () => {
  it('defaults to 3 days before now at midnight UTC and moves with advanceAvailability', async () => {
    const t = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1');
    const max = new Date(t.body.parameters.interval_end.timestamp_details.max);
    const expected = new Date(Date.now() - 3 * 86_400_000);
    expected.setUTCHours(0, 0, 0, 0);
    expect(max.toISOString()).toBe(expected.toISOString());
    expect(t.body.parameters.interval_start.timestamp_details.min).toBe('2020-01-01T00:00:00.000Z');
    expect(t.body.parameters.organization_report_granularity.enum_details.allowed_values).toEqual(['concatenated_report', 'aggregated_report']);

    const later = new Date(max.getTime() + 2 * 86_400_000);
    const params = { interval_start: max.toISOString(), interval_end: later.toISOString() };
    expect((await createWith('balance.summary.1', params)).status).toBe(400);
    const v1start = Math.floor(max.getTime() / 1000);
    const v1form = { report_type: 'balance.summary.1', 'parameters[interval_start]': String(v1start), 'parameters[interval_end]': String(v1start + 2 * 86400) };
    expect((await v1(emu.url, 'POST', '/v1/reporting/report_runs', v1form)).status).toBe(400);

    emu.advanceAvailability(later);
    const t2 = await v2(emu.url, 'GET', '/v2/reporting/reports/balance.summary.1');
    expect(t2.body.parameters.interval_end.timestamp_details.max).toBe(later.toISOString());
    const rt = await v1(emu.url, 'GET', '/v1/reporting/report_types/payouts.itemized.3');
    expect(rt.body.data_available_end).toBe(Math.floor(later.getTime() / 1000));
    expect((await createWith('balance.summary.1', params)).status).toBe(200);
    expect((await v1(emu.url, 'POST', '/v1/reporting/report_runs', v1form)).status).toBe(200);

    const further = new Date(later.getTime() + 86_400_000);
    const res = await fetch(`${emu.url}/_emulator/availability`, { method: 'POST', body: JSON.stringify({ to: further.toISOString() }) });
    expect(res.status).toBe(200);
    const t3 = await v2(emu.url, 'GET', '/v2/reporting/reports/payouts.itemized.3');
    expect(t3.body.parameters.interval_start.timestamp_details.max).toBe(further.toISOString());
  });
});
