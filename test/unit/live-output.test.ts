/** Progress on a terminal (a summary redrawn in place) and through a pipe (plain lines). */
import { describe, expect, it } from 'vitest';
import { liveOutput } from '../../src/cli/live-output.js';

const T0 = Date.parse('2025-11-02T06:00:00Z');

describe('live output', () => {
  const capture = (isTTY: boolean) => {
    let text = '';
    let now = T0;
    const live = liveOutput({ isTTY, columns: 40, write: (s) => (text += s) }, { now: () => now, summaryEveryMs: 5000, stamp: () => '[t] ' });
    return { live, text: () => text, advance: (ms: number) => (now += ms) };
  };

  it('in a pipe: plain lines, a summary only when it changed and at most every 5 s', () => {
    const c = capture(false);
    c.live.status('running 1');
    c.live.line('acct_1 running');
    c.live.status('running 1'); // unchanged
    c.advance(1000);
    c.live.status('running 2'); // changed, too soon
    c.advance(4000);
    c.live.status('running 2');
    c.live.done();
    expect(c.text()).toBe('[t] running 1\nacct_1 running\n[t] running 2\n');
    expect(c.text()).not.toMatch(/\r|\x1b/);
  });

  it('on a terminal: the summary is one row redrawn in place under the change lines', () => {
    const c = capture(true);
    c.live.status('running 1');
    c.live.line('acct_1 archived');
    c.live.status('x'.repeat(60));
    c.live.done();
    expect(c.text()).toBe(`\r\x1b[2K[t] running 1\r\x1b[2Kacct_1 archived\n[t] running 1\r\x1b[2K[t] ${'x'.repeat(34)}…\r\x1b[2K`);
  });
});
