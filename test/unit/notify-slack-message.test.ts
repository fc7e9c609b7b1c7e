import { describe, expect, it } from 'vitest';
import { slackMessage } from '../../src/notify/slack-message.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { activitySummary, balanceSummary, formatAmount, hugeSummary } from '../helpers/firing-summary.js';

const firingUrl = 'http://localhost:8233/namespaces/default/workflows/report%2Fmonthly-balance%2F2025-10';

describe('slackMessage', () => {
  it('shows the balance per currency, the tie-out with both figures, the failed targets and the link', () => {
    const msg = slackMessage(balanceSummary(), { firingUrl, format: formatAmount });
    expect(blockKitProblems(msg)).toEqual([]);
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'monthly-balance 2025-10: 2 archived, 3 failed, tie-out differs', emoji: true } });
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain('*USD*');
    expect(json).toContain('*Ending balance*\\n177,038.35 USD');
    expect(json).toContain('*Payouts*\\n-155,301.77 USD');
    expect(json).toContain('ending balance +1,200.00 USD since 2025-09 (was 175,838.35 USD)');
    expect(json).toContain('report 182,340.12 USD, ledger 182,330.12 USD, difference 10.00 USD');
    expect(json).toContain('*3 failed targets*');
    // Slack markup in a reason stays text.
    expect(json).toContain('acct_1CCC: Stripe: account_invalid &lt;the account was closed&gt; &amp; removed');
    expect(json).toContain(`<${firingUrl}|Open the firing in the Temporal UI>`);
    expect(msg.text).toContain('USD ending balance 177,038.35 USD');
    expect(msg.text).toContain(firingUrl);
  });

  it('shows gross, fee, net and count for the activity family, and a tie-out that agrees as such', () => {
    const summary = activitySummary({ tie_out: { source: 'balance_transactions', rule: 'r', agrees: true, transactions: 1523, lines: [], errors: [] } });
    const msg = slackMessage(summary, { format: formatAmount });
    expect(blockKitProblems(msg)).toEqual([]);
    const usd = msg.blocks.find((b) => b.type === 'section' && b.text?.text === '*USD*');
    expect(usd).toMatchObject({ fields: [{ text: '*Gross*\n180,000.00 USD' }, { text: '*Fee*\n-5,301.77 USD' }, { text: '*Net*\n174,698.23 USD' }, { text: '*Count*\n1,523' }] });
    expect(JSON.stringify(msg.blocks)).toContain('Ties out to the ledger (1,523 balance transactions)');
    expect(JSON.stringify(msg.blocks)).not.toContain('failed target');
  });

  it('says plainly when the report type is not summed', () => {
    const note = 'sql is not a report type this project sums: rows and files are counted only';
    const msg = slackMessage(activitySummary({ family: 'unknown', totals: [{ currency: 'usd' }], note }), { format: formatAmount });
    expect(blockKitProblems(msg)).toEqual([]);
    expect(JSON.stringify(msg.blocks)).toContain(note);
  });

  it('fits a summary far larger than Slack allows and says what it left out', () => {
    const msg = slackMessage(hugeSummary(60, 5000), { firingUrl, format: formatAmount });
    expect(blockKitProblems(msg)).toEqual([]);
    const json = JSON.stringify(msg.blocks);
    expect(json).toMatch(/… and [\d,]+ more failed targets: see <[^|]+\|the firing>/);
    // 39 currencies in sections of their own, the other 21 on a line each.
    expect(msg.blocks.filter((b) => b.type === 'section' && b.fields)).toHaveLength(39);
    expect(json).toContain('*21 more currencies*');
    expect(json).toMatch(/… and [\d,]+ more tie-out lines: see/);
    expect(json).toMatch(/… and [\d,]+ more changes: see the summary/);
    expect(json).toContain('5,000 failed targets');
    expect(msg.blocks.at(-1)?.type).toBe('context');
  });

  it('names as many of hundreds of currencies as fit, then counts the rest', () => {
    const msg = slackMessage(hugeSummary(300, 10), { firingUrl, format: formatAmount });
    expect(blockKitProblems(msg)).toEqual([]);
    expect(JSON.stringify(msg.blocks)).toMatch(/… and [\d,]+ more currencies: see <[^|]+\|the firing>/);
  });

  it('stays valid with a config name, target or reason of any length', () => {
    const long = 'x'.repeat(5000);
    const emoji = '💶'.repeat(2000);
    const msg = slackMessage(
      balanceSummary({ config: long, failed: [{ target: emoji, reason: long }], note: emoji }),
      { firingUrl: `${firingUrl}|>`, format: formatAmount },
    );
    expect(blockKitProblems(msg)).toEqual([]);
    expect(JSON.stringify(msg.blocks)).toContain('%7C%3E|Open the firing');
  });
});
