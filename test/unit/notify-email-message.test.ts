import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { emailMessage, subjectLine, type EmailFile } from '../../src/notify/email-message.js';
import { activitySummary, balanceSummary, formatAmount, hugeSummary } from '../helpers/firing-summary.js';

const file = (filename: string, size: number, location?: string): EmailFile => ({ filename, size, location, content: () => Readable.from([]) });
const base = { format: formatAmount, attachments: [], links: [], attachMaxBytes: 10_000_000 };

describe('subjectLine', () => {
  it('says the headline figure, the failures and a tie-out that differs', () => {
    expect(subjectLine(activitySummary(), formatAmount)).toBe('daily-activity 2025-10: net 174,698.23 USD');
    expect(subjectLine(activitySummary({ failed: [{ target: 'acct_1', reason: 'x' }] }), formatAmount)).toBe('daily-activity 2025-10: net 174,698.23 USD; 1 failed');
    expect(subjectLine(hugeSummary(5, 3), formatAmount)).toMatch(/^daily-activity 2025-10: net [^,]+, net [^;]+ \(\+3 currencies\); 3 failed; tie-out differs$/);
    expect(subjectLine(activitySummary({ family: 'unknown', totals: [], files: 4, rows: 120 }), formatAmount)).toBe('daily-activity 2025-10: 4 files, 120 rows');
  });
});

describe('emailMessage', () => {
  it('attaches files while their total stays within the limit and lists the rest with their location', () => {
    const msg = emailMessage(balanceSummary(), {
      ...base,
      attachMaxBytes: 1000,
      attachments: [file('a.csv', 600), file('b.csv', 600, '/archive/b.csv'), file('c.csv', 300), file('d.csv', 2000)],
    });
    expect(msg.attachments.map((a) => a.filename)).toEqual(['a.csv', 'c.csv']);
    expect(msg.text).toContain('b.csv (600 B, attachments kept within 1.0 KB): /archive/b.csv');
    expect(msg.text).toContain('d.csv (2.0 KB, larger than 1.0 KB; in the archive)');
  });

  it('escapes HTML and never makes a link of a location that is not http(s)', () => {
    const msg = emailMessage(balanceSummary({ failed: [{ target: '<script>x</script>', reason: `"quoted" & 'single'` }] }), {
      ...base,
      firingUrl: 'javascript:alert(1)',
      links: [{ filename: 'x.csv', location: 'javascript:alert(2)' }],
    });
    expect(msg.html).not.toContain('<script>');
    expect(msg.html).toContain('&lt;script&gt;x&lt;/script&gt;: &quot;quoted&quot; &amp; &#39;single&#39;');
    expect(msg.html).not.toContain('href="javascript');
  });

  it('lists at most 500 failed targets and says how many more', () => {
    const msg = emailMessage(hugeSummary(3, 5000), base);
    expect(msg.text).toContain('5,000 failed targets');
    expect(msg.text).toContain('… and 4,500 more failed targets: see the summary in the archive');
    expect(msg.html.match(/<li>acct_\d{16}:/g)).toHaveLength(500);
  });
});
