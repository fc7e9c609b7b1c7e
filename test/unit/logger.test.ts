import { describe, expect, it } from 'vitest';
import { logContextOf } from '../../src/activities/log-context.js';
import { scrubText } from '../../src/domain/redact.js';
import { createLineLogger, createLogger, createScrubber, logLevelFromEnv, secretValuesFromEnv } from '../../src/observability/logger.js';
import { TemporalPinoLogger } from '../../src/observability/temporal-runtime.js';

function capture(env: NodeJS.ProcessEnv = {}, level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ process: 'test', env, level, destination: { write: (l: string) => lines.push(l) } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('LOG_LEVEL', () => {
  it('is case-insensitive and defaults to info', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ LOG_LEVEL: '' })).toBe('info');
    expect(logLevelFromEnv({ LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevelFromEnv({ LOG_LEVEL: ' Warn ' })).toBe('warn');
  });

  it('a bad value names the variable and the value', () => {
    expect(() => logLevelFromEnv({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL="verbose" is not a log level; use one of trace, debug, info, warn, error/);
  });
});

describe('scrubbing', () => {
  it.each([
    ['key sk_live_abcdefghWXYZ here', 'key sk_live_…WXYZ here'],
    ['rk_org_test_abcdef1234', 'rk_org_test_…1234'],
    ['whsec_e2e_00112233aabb', 'whsec_…aabb'],
    ['Authorization: Bearer eyJhbGciOi.J9.x-y_z', 'Authorization: Bearer …'],
    ['smtp://mailer:s3cr3t@smtp.example.com:587', 'smtp://mailer:…@smtp.example.com:587'],
    ['GET https://files.stripe.com/v1/x?X-Amz-Signature=abc&exp=1 failed', 'GET https://files.stripe.com/v1/x?… failed'],
    ['no secret at https://api.stripe.com/v2/reporting/report_runs', 'no secret at https://api.stripe.com/v2/reporting/report_runs'],
  ])('%s', (text, want) => expect(scrubText(text)).toBe(want));

  it('every field of a line, nested, and the message; JSON stays valid', () => {
    const { logger, lines, parsed } = capture({ TEMPORAL_API_KEY: 'tmprl-api-key-0123456789', STRIPE_WEBHOOK_SECRETS: 'whsec_one1234567,whsec_two7654321' });
    logger.info(
      { url: 'https://h.example/f?sig="quoted"', nested: { deep: ['sk_test_abcdefgh1234', { auth: 'Bearer tok.en' }] }, err: new Error('refused tmprl-api-key-0123456789') },
      'fetch "https://h.example/f?sig=1" with whsec_two7654321',
    );
    const all = lines.join('');
    for (const secret of ['sig=', 'abcdefgh1234', 'tok.en', 'tmprl-api-key-0123456789', 'two7654321']) expect(all).not.toContain(secret);
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', process: 'test', msg: 'fetch "https://h.example/f?…" with whsec_…4321' });
    expect((line!.err as { message: string }).message).toBe('refused [TEMPORAL_API_KEY]');
  });

  it('secret values come from secret-named variables, not from paths or ids', () => {
    const names = secretValuesFromEnv({
      STRIPE_SECRET_KEY: 'sk_test_abcdefgh',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/tls/client.key',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0000',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/xyz',
      SHORT_TOKEN: 'abc',
      TEMPORAL_ADDRESS: 'localhost:7233',
    }).map((s) => s.name);
    expect(names.sort()).toEqual(['AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL', 'STRIPE_SECRET_KEY']);
    expect(createScrubber([{ value: 'https://hooks.slack.com/services/T0/B0/xyz', name: 'SLACK_WEBHOOK_URL' }])('posting to https://hooks.slack.com/services/T0/B0/xyz')).toBe(
      'posting to [SLACK_WEBHOOK_URL]',
    );
  });
});

describe('lines', () => {
  it('carry level, time, msg, process and the child context', () => {
    const { logger, parsed } = capture();
    logger.child({ configuration: 'monthly', period: '2025-10', target: 'acct_1' }).info({ reportRunId: 'reprun_1' }, 'ReportRun created');
    expect(parsed()[0]).toMatchObject({ level: 'info', time: expect.any(String), msg: 'ReportRun created', process: 'test', configuration: 'monthly', period: '2025-10', target: 'acct_1', reportRunId: 'reprun_1' });
  });

  it('the Temporal SDK logs through it: levels, metadata, errors as err, no task token', () => {
    const { logger, parsed } = capture({}, 'info');
    const sdk = new TemporalPinoLogger(logger);
    sdk.debug('Activity started', { activityType: 'x' }); // below the level
    sdk.warn('Activity failed', { activityType: 'transferReportFile', taskToken: 'AAAA', error: new Error('broke'), [Symbol('ts')]: 1n });
    sdk.info('Worker state changed', { sdkComponent: 'core', target: 'temporal_sdk_core::worker' });
    const lines = parsed();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'Activity failed', activityType: 'transferReportFile', err: { message: 'broke' } });
    expect(lines[0]).not.toHaveProperty('taskToken');
    // Core's `target` is a Rust module, not a report target.
    expect(lines[1]).toMatchObject({ sdkComponent: 'core', module: 'temporal_sdk_core::worker' });
    expect(lines[1]).not.toHaveProperty('target');
  });

  it('a line logger hands over lines without their newline', () => {
    const got: string[] = [];
    createLineLogger('relay', (l) => got.push(l)).info('x');
    expect(got).toHaveLength(1);
    expect(got[0]!.endsWith('}')).toBe(true);
  });
});

describe('activity log context', () => {
  const job = { configId: 'monthly', period: { name: '2025-10' }, target: { id: 'acct_1' } };
  it('from the job and the run id', () => {
    expect(logContextOf('transferReportFile', [job, 'reprun_9'])).toEqual({ configuration: 'monthly', period: '2025-10', target: 'acct_1', reportRunId: 'reprun_9' });
    expect(logContextOf('createReportRun', [job, 'report/monthly/2025-10/acct_1/abc'])).toEqual({ configuration: 'monthly', period: '2025-10', target: 'acct_1' });
    expect(logContextOf('subscribeToRunEvents', ['reprun_9'])).toEqual({ reportRunId: 'reprun_9' });
    expect(logContextOf('findArchivedTargets', ['monthly', '2025-10', []])).toEqual({ configuration: 'monthly', period: '2025-10' });
    expect(logContextOf('summarizeFiring', [{ id: 'monthly' }, { name: '2025-10' }, []])).toEqual({ configuration: 'monthly', period: '2025-10' });
    expect(logContextOf('notifyDestination', ['slack', { id: 'monthly' }, { config: 'monthly', period: '2025-10' }])).toEqual({ configuration: 'monthly', period: '2025-10' });
    expect(logContextOf('closedWorkflows', [['a']])).toEqual({});
  });
});
