import { InvalidInputError } from '../domain/errors.js';

/**
 * An archived report file the summary cannot read as its report type says: a column missing from
 * the header, an amount that is not a number. Names the file's archive key, the line and the value
 * so someone can open the file and look; never retried (the bytes will not change).
 */
export class ReportFileError extends InvalidInputError {
  constructor(
    readonly key: string,
    message: string,
    readonly line?: number,
  ) {
    super(`${key}${line !== undefined ? ` line ${line}` : ''}: ${message}`);
  }
}
