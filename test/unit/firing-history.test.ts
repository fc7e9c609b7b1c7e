/** The fan-out benchmark's history figures: totals per type, the firing over its runs, payloads found anywhere. */
import { describe, expect, it } from 'vitest';
import { historyFigures, largestPayloadIn, type Execution } from '../../bench/firing-history.js';

const payload = (data: string, encoding = 'json/plain') => ({ metadata: { encoding: Buffer.from(encoding) }, data: Buffer.from(data) });

describe('history figures of a firing', () => {
  it('sums every execution, per type, and the firing over all its runs', () => {
    const run = (workflowId: string, type: string, events: number, bytes?: number): Execution => ({ workflowId, runId: `${workflowId}#${events}`, type, status: 'COMPLETED', events, bytes });
    const f = historyFigures(
      [run('report/c/p', 'reportWorkflow', 5000, 900_000), run('report/c/p', 'reportWorkflow', 700, 100_000), run('report/c/p/a', 'reportRunWorkflow', 60, 13_000), run('permits/x', 'permitPoolWorkflow', 6000, 500_000), run('report/c/p/b', 'reportRunWorkflow', 40)],
      { targets: 2, firingId: 'report/c/p' },
    );
    expect(f).toMatchObject({ executions: 5, totalEvents: 11_800, totalBytes: 1_513_000, eventsPerTarget: 5900 });
    expect(f.largest).toMatchObject({ workflowId: 'permits/x', events: 6000 });
    expect(f.largestBySize).toMatchObject({ workflowId: 'report/c/p', bytes: 900_000 });
    expect(f.firing).toEqual({ workflowId: 'report/c/p', runs: 2, events: 5700, largestEvents: 5000, largestBytes: 900_000 });
    expect(f.byType.reportRunWorkflow).toEqual({ executions: 2, events: 100, bytes: 13_000, maxEvents: 60, maxBytes: 13_000 });
  });

  it('finds the largest payload anywhere in the events, data and metadata counted', () => {
    const history = {
      events: [
        { eventId: 1, eventType: 1, workflowExecutionStartedEventAttributes: { input: { payloads: [payload('{"a":1}')] }, header: { fields: { k: payload('x') } } } },
        { eventId: 5, eventType: 10, activityTaskScheduledEventAttributes: { input: { payloads: [payload('1'), payload('"a long argument"')] } } },
      ],
    };
    const hit = largestPayloadIn(history as never, { workflowId: 'w', type: 'reportWorkflow' });
    expect(hit).toEqual({
      bytes: 'encoding'.length + 'json/plain'.length + '"a long argument"'.length,
      workflowId: 'w',
      type: 'reportWorkflow',
      eventId: 5,
      eventType: 'ACTIVITY_TASK_SCHEDULED',
      path: 'activityTaskScheduledEventAttributes.input.payloads[1]',
    });
  });
});
