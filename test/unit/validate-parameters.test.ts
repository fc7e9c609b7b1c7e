import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import type { ReportTemplate } from '../../src/stripe/types.js';
import { validateReportParameters } from '../../src/stripe/validate-parameters.js';

const template: ReportTemplate = {
  id: 'balance_change_from_activity.itemized.3',
  object: 'v2.reporting.report',
  livemode: false,
  name: 'Itemized',
  parameters: {
    interval_start: { type: 'timestamp', required: true, timestamp_details: { min: '2020-01-01T00:00:00Z', max: '2025-11-20T00:00:00Z' } },
    interval_end: { type: 'timestamp', required: true, timestamp_details: { min: '2020-01-01T00:00:00Z', max: '2025-11-20T00:00:00Z' } },
    currency: { type: 'string', enum_details: null, array_details: false },
    columns: { type: 'array', array_details: { element_type: 'enum', enum_details: { allowed_values: ['gross', 'fee', 'net'] } } },
    granularity: { type: 'enum', enum_details: { allowed_values: ['a', 'b'] }, timestamp_details: false },
  },
};

const ok = { interval_start: '2025-10-01T00:00:00.000Z', interval_end: '2025-11-01T00:00:00.000Z' };

describe('parameters against the Report template', () => {
  it('accepts valid parameters, with *_details absent, null or false', () => {
    expect(() => validateReportParameters(template, { ...ok, currency: 'usd', columns: ['gross', 'net'], granularity: 'a' })).not.toThrow();
  });

  it.each([
    [{ ...ok, colour: 'red' }, 'parameters.colour = "red" is not accepted'],
    [{ ...ok, granularity: 'c' }, 'parameters.granularity = "c" is not one of a, b'],
    [{ ...ok, columns: ['gross', 'tax'] }, 'parameters.columns has "tax"'],
    [{ ...ok, columns: 'gross' }, 'parameters.columns = "gross" must be a list'],
    [{ interval_start: ok.interval_start }, 'parameters.interval_end is required'],
    [{ ...ok, interval_end: '2025-12-01T00:00:00.000Z' }, 'parameters.interval_end = "2025-12-01T00:00:00.000Z" is after 2025-11-20T00:00:00Z'],
    [{ ...ok, interval_start: '2019-01-01T00:00:00Z' }, 'is before 2020-01-01T00:00:00Z'],
    [{ ...ok, interval_start: 'yesterday' }, 'is not an RFC 3339 timestamp'],
  ])('%j is refused: %s', (params, message) => {
    let error: unknown;
    try {
      validateReportParameters(template, params as Record<string, string>);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).retryable).toBe(false);
    expect((error as Error).message).toContain(message);
  });
});
