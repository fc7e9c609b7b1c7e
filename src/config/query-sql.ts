/**
 * `query:` of an `api: data` configuration: reads `file` (relative to the configuration file) when
 * the configuration loads, so the SQL travels in the configuration like every other field, and
 * checks the SQL offline (placeholders, one SELECT) so `reports validate` names the file, the line
 * and the problem before Stripe ever sees it.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkQuerySql } from '../domain/sql-query.js';
import type { ConfigProblem } from './load.js';
import type { ReportConfig } from './schema.js';

/** A query is text a person writes: far below this. A device or a huge file is refused unread. */
const MAX_SQL_BYTES = 1024 * 1024;

export interface QueryLines {
  /** The line of a field's key in the configuration file. */
  lineOf(field: (string | number)[]): number | undefined;
  /** Whether `query.sql` is a block scalar (`sql: |`), whose SQL line n is n lines below its key. */
  sqlIsBlock: boolean;
}

export function loadQuerySql(config: ReportConfig, file: string, lines: QueryLines): { config: ReportConfig; problems: ConfigProblem[] } {
  const query = config.query;
  if (!query) return { config, problems: [] };
  if (query.file) {
    const sqlFile = path.resolve(path.dirname(file), query.file);
    let sql: string;
    try {
      const stat = statSync(sqlFile);
      if (!stat.isFile()) throw new Error(stat.isDirectory() ? 'a directory' : 'not a regular file');
      if (stat.size > MAX_SQL_BYTES) throw new Error(`${stat.size} bytes, more than ${MAX_SQL_BYTES}`);
      sql = readFileSync(sqlFile, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return {
        config,
        problems: [
          {
            file,
            line: lines.lineOf(['query', 'file']),
            field: 'query.file',
            message: `cannot read the SQL file ${JSON.stringify(query.file)} (${sqlFile}): ${why}`,
            fix: 'give the path of a .sql file relative to this configuration file',
          },
        ],
      };
    }
    if (sql.trim() === '') {
      return { config, problems: [{ file, line: lines.lineOf(['query', 'file']), field: 'query.file', message: `the SQL file ${sqlFile} is empty`, fix: 'write the query in it' }] };
    }
    const checked = checkQuerySql(sql);
    if (!checked.ok) {
      // The problem's place is in the SQL file: named with its own line, so editors jump there.
      return { config, problems: [{ file: sqlFile, line: checked.line, field: 'query.file', message: `${checked.problem} (the query of ${file})`, fix: SQL_FIX }] };
    }
    return { config: { ...config, query: { sql, file: query.file } }, problems: [] };
  }
  const checked = checkQuerySql(query.sql);
  if (checked.ok) return { config, problems: [] };
  const keyLine = lines.lineOf(['query', 'sql']);
  const line = keyLine === undefined ? undefined : lines.sqlIsBlock ? keyLine + checked.line : keyLine;
  return { config, problems: [{ file, line, field: 'query.sql', message: `line ${checked.line} of the SQL: ${checked.problem}`, fix: SQL_FIX }] };
}

const SQL_FIX = 'one SELECT; name the period with {{interval_start}}, {{interval_end}} or {{period}}';
