/**
 * The relay's routing of verified events: which run an event is about and whether it is worth a
 * status check. Data API report runs and query runs (`v2.data.*`) go to their run's mailbox like
 * v2 report runs; unknown types and mismatched objects are acknowledged and dropped.
 */
import { describe, expect, it } from 'vitest';
import { routeEvent } from '../../src/webhook/route.js';

const thin = (type: string, related: unknown) => ({ id: 'evt_1', object: 'v2.core.event', type, created: '2026-11-02T06:00:00.000Z', livemode: false, related_object: related });
const about = (type: string, id: string, url = `/x/${id}`) => ({ id, type, url });

describe('routeEvent', () => {
  it.each([
    ['v2.reporting.report_run.succeeded', about('v2.reporting.report_run', 'reprun_1'), 'reprun_1'],
    ['v2.reporting.report_run.failed', about('v2.reporting.report_run', 'reprun_1'), 'reprun_1'],
    ['v2.data.report_run.succeeded', about('v2.data.report_run', 'rrun_1', '/v2/data/report_runs/rrun_1'), 'rrun_1'],
    ['v2.data.report_run.failed', about('v2.data.report_run', 'rrun_1'), 'rrun_1'],
    ['v2.data.report_run.updated', about('v2.data.report_run', 'rrun_1'), 'rrun_1'],
    ['v2.data.query_run.succeeded', about('v2.data.query_run', 'qrun_1', '/v2/data/query_runs/qrun_1'), 'qrun_1'],
    ['v2.data.query_run.failed', about('v2.data.query_run', 'qrun_1'), 'qrun_1'],
    ['v2.data.query_run.updated', about('v2.data.query_run', 'qrun_1'), 'qrun_1'],
  ])('%s goes to the mailbox of its run', (type, related, runId) => {
    expect(routeEvent('thin', thin(type, related))).toEqual({ relevant: true, eventId: 'evt_1', type, runId });
  });

  it.each([
    ['v2.data.report_run.created', about('v2.data.report_run', 'rrun_1'), 'event type not relevant'],
    ['v2.data.query_run.created', about('v2.data.query_run', 'qrun_1'), 'event type not relevant'],
    ['v2.reporting.report_run.updated', about('v2.reporting.report_run', 'reprun_1'), 'event type not relevant'],
    ['v2.data.query_run.paused', about('v2.data.query_run', 'qrun_1'), 'event type not relevant'],
    ['v2.data.report.updated', about('v2.data.report', 'rpt_1'), 'event type not relevant'],
    ['v2.core.account.updated', about('v2.core.account', 'acct_1'), 'event type not relevant'],
    ['v2.data.query_run.succeeded', about('v2.data.report_run', 'rrun_1'), 'no v2.data.query_run in related_object'],
    ['v2.data.report_run.failed', 'rrun_1', 'no v2.data.report_run in related_object'],
    ['v2.data.report_run.failed', { id: 7, type: 'v2.data.report_run' }, 'no v2.data.report_run in related_object'],
    ['v2.reporting.report_run.succeeded', about('v2.data.report_run', 'rrun_1'), 'no v2.reporting.report_run in related_object'],
    ['succeeded', about('v2.data.report_run', 'rrun_1'), 'event type not relevant'],
  ])('%s about %j is ignored: %s', (type, related, reason) => {
    expect(routeEvent('thin', thin(type, related))).toMatchObject({ relevant: false, reason });
  });

  it('v1 snapshot events route as before', () => {
    const event = { id: 'evt_2', object: 'event', type: 'reporting.report_run.succeeded', data: { object: { id: 'frr_1', object: 'reporting.report_run' } } };
    expect(routeEvent('snapshot', event)).toEqual({ relevant: true, eventId: 'evt_2', type: 'reporting.report_run.succeeded', runId: 'frr_1' });
    expect(routeEvent('snapshot', { ...event, type: 'v2.data.query_run.succeeded' })).toMatchObject({ relevant: false, reason: 'event type not relevant' });
  });
});
