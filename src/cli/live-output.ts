import { clockTime } from './progress-format.js';

/**
 * Progress output for a terminal and for a pipe. Changes are lines either way. The current
 * summary is one line redrawn in place on a terminal; in a pipe or a log (no carriage returns,
 * no escape codes) it is printed as a line of its own, only when it changed and at most every
 * few seconds, so a log of a long backfill stays readable.
 */
export interface LiveOutput {
  /** A change: its own line. */
  line(text: string): void;
  /** The current summary; call it as often as you like. */
  status(text: string): void;
  /** Clears the live summary (terminal) before whatever comes next. */
  done(): void;
}

export interface LiveStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const CLEAR_LINE = '\r\x1b[2K';

export interface LiveOptions {
  /** In a pipe, a summary line at most this often (and only when it changed). */
  summaryEveryMs?: number;
  now?: () => number;
  /** Put before a summary as it is printed (a time), not part of what counts as a change. */
  stamp?: () => string;
}

export function liveOutput(stream: LiveStream, options: LiveOptions = {}): LiveOutput {
  const { summaryEveryMs = 5000, now = () => Date.now(), stamp = () => '' } = options;
  if (!stream.isTTY) {
    let printed: string | undefined;
    let printedAt = Number.NEGATIVE_INFINITY;
    return {
      line: (text) => stream.write(`${text}\n`),
      status(text) {
        if (text === printed || now() - printedAt < summaryEveryMs) return;
        printed = text;
        printedAt = now();
        stream.write(`${stamp()}${text}\n`);
      },
      done() {},
    };
  }
  let shown = '';
  // One screen row, or the terminal would scroll a copy of it on every redraw.
  const fit = (text: string) => (stream.columns && text.length >= stream.columns ? `${text.slice(0, stream.columns - 2)}…` : text);
  return {
    line(text) {
      stream.write(`${shown ? CLEAR_LINE : ''}${text}\n${shown}`);
    },
    status(text) {
      const next = fit(`${stamp()}${text}`);
      if (next === shown) return;
      shown = next;
      stream.write(`${CLEAR_LINE}${shown}`);
    },
    done() {
      if (shown) stream.write(CLEAR_LINE);
      shown = '';
    },
  };
}

/** Lines through `out` only (tests, and commands called without a stream). */
export function linesOnly(out: (line: string) => void, options: LiveOptions = {}): LiveOutput {
  return liveOutput({ isTTY: false, write: (text) => out(text.replace(/\n$/, '')) }, options);
}

/** The command line's: stdout, a terminal or not, summaries stamped with the time like change lines. */
export function stdoutLive(): LiveOutput {
  return liveOutput(process.stdout, { stamp: () => `${clockTime(Date.now())}  ` });
}
