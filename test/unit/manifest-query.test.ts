/** The manifest of a query's file keeps the SQL exactly as sent and its sha256; other manifests are unchanged. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manifestFor } from '../../src/activities/archive.js';
import { renderQuerySql } from '../../src/domain/sql-query.js';
import { dataJob, period } from '../helpers/data-job.js';

const job = dataJob({
  configId: 'revenue',
  report: 'query:revenue.sql',
  mode: 'live',
  query: { sql: 'SELECT id FROM charges WHERE created >= {{interval_start}}', file: 'revenue.sql' },
});
const origin = { sourceHost: 'files.example', livemode: true, downloadedAt: '2026-11-02T00:00:00.000Z' };
const file = { size: 10, sha256: 'ab', contentType: 'csv' as const };

describe('manifest of a query', () => {
  it('records the SQL as sent, its sha256 and its file', () => {
    const sent = renderQuerySql(job.query!.sql, { intervalStart: period.start, intervalEnd: period.end, period: period.name });
    const m = manifestFor(job, 'qrun_1', origin, file, undefined);
    expect(m).toMatchObject({ api: 'data', report: 'query:revenue.sql', run_id: 'qrun_1' });
    expect(m.query).toEqual({ sql: sent, sha256: createHash('sha256').update(sent).digest('hex'), file: 'revenue.sql' });
  });

  it('a report has no query field', () => {
    const { query: _, ...report } = job;
    expect('query' in manifestFor({ ...report, report: 'balance.summary' }, 'rrun_1', origin, file, undefined)).toBe(false);
  });
});
