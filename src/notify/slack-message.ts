/**
 * A firing's summary as a Slack Block Kit message: a header, the overview, one section per currency
 * with its figures (and what moved since the previous period), the tie-out, the failed targets with
 * their reasons, and a link to the firing in the Temporal UI.
 *
 * Slack refuses a whole message that breaks one of its limits (invalid_blocks), so every piece is
 * cut to fit and a summary of any size — 60 currencies, 5,000 failed targets — yields a valid
 * message that says what it left out.
 */
import type { FiringSummary } from '../domain/summary.js';
import {
  changeLines,
  count,
  currencyFigures,
  failedLine,
  fitLines,
  headlineFigure,
  moreLine,
  overviewLine,
  shorten,
  statusLine,
  tieOutHeadline,
  tieOutProblemLines,
  type FormatAmount,
} from './summary-lines.js';

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Slack cuts `text` at 40,000; the fallback is for notifications and screen readers, keep it short. */
  fallbackText: 3000,
} as const;

/** Currency sections shown before the rest are summed up in one: leaves room for the other blocks. */
const MAX_CURRENCY_SECTIONS = 40;
/** Changes since the previous period shown per currency: the largest story, not the whole ledger. */
const CHANGES_PER_CURRENCY = 5;
/** Currencies named in the fallback text. */
const FALLBACK_CURRENCIES = 5;

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export interface SlackMessageOptions {
  /** The firing in the Temporal UI. */
  firingUrl?: string;
  format: FormatAmount;
}

export function slackMessage(summary: FiringSummary, opts: SlackMessageOptions): SlackMessage {
  const { format } = opts;
  const seeFiring = opts.firingUrl ? `see <${linkTarget(opts.firingUrl)}|the firing>` : 'see the firing';
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: shorten(statusLine(summary), SLACK_LIMITS.headerText), emoji: true } },
    section([overviewLine(summary), summary.note ?? ''].filter(Boolean).map(escape).join('\n')),
  ];

  const shown = summary.totals.length > MAX_CURRENCY_SECTIONS ? summary.totals.slice(0, MAX_CURRENCY_SECTIONS - 1) : summary.totals;
  for (const c of shown) {
    const all = changeLines(summary, c.currency, format);
    const changes = all.slice(0, CHANGES_PER_CURRENCY);
    if (all.length > changes.length) changes.push(moreLine(all.length - changes.length, 'changes', 'see the summary'));
    const text = [`*${escape(c.currency.toUpperCase())}*`, ...changes.map((l) => escape(shorten(l, 500)))].join('\n');
    const block: SlackBlock = { type: 'section', text: mrkdwn(shorten(text, SLACK_LIMITS.sectionText)) };
    const fields = currencyFigures(c, format).slice(0, SLACK_LIMITS.fields);
    // Slack refuses an empty `fields`: a currency with no figures (unknown family) has none.
    if (fields.length) block.fields = fields.map((f) => mrkdwn(shorten(`*${escape(f.label)}*\n${escape(f.value)}`, SLACK_LIMITS.fieldText)));
    blocks.push(block);
  }
  const hidden = summary.totals.slice(shown.length);
  if (hidden.length) {
    const head = `*${count(hidden.length, 'more currency', 'more currencies')}*`;
    const lines = hidden.map((c) => `${c.currency.toUpperCase()} ${headlineFigure(c, format) ?? ''}`.trim());
    blocks.push(section(`${head}\n${fitLines(lines, SLACK_LIMITS.sectionText - head.length - 1, escape, (n) => `${escape(moreLine(n, 'currencies', ''))}${seeFiring}`)}`));
  }

  const tieOut = tieOutHeadline(summary);
  if (tieOut) {
    const problems = tieOutProblemLines(summary, format);
    const head = `*${escape(tieOut)}*`;
    const body = fitLines(problems, SLACK_LIMITS.sectionText - head.length - 1, (l) => `• ${escape(l)}`, (n) => `${escape(moreLine(n, 'tie-out lines', ''))}${seeFiring}`);
    blocks.push(section(body ? `${head}\n${body}` : head));
  }

  if (summary.failed.length) {
    const head = `*${count(summary.failed.length, 'failed target', 'failed targets')}*`;
    const body = fitLines(summary.failed.map(failedLine), SLACK_LIMITS.sectionText - head.length - 1, (l) => `• ${escape(l)}`, (n) => `${escape(moreLine(n, 'failed targets', ''))}${seeFiring}`);
    blocks.push(section(`${head}\n${body}`));
  }

  const context = [`Generated ${escape(summary.generated_at)}`];
  if (opts.firingUrl) context.unshift(`<${linkTarget(opts.firingUrl)}|Open the firing in the Temporal UI>`);
  blocks.push({ type: 'context', elements: context.map((t) => mrkdwn(shorten(t, SLACK_LIMITS.fieldText))) });

  return { text: fallbackText(summary, opts), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

/** The plain text Slack shows in notifications: the status, the first currencies, the link. */
function fallbackText(summary: FiringSummary, opts: SlackMessageOptions): string {
  const lines = [statusLine(summary)];
  for (const c of summary.totals.slice(0, FALLBACK_CURRENCIES)) {
    const figure = headlineFigure(c, opts.format);
    if (figure) lines.push(`${c.currency.toUpperCase()} ${figure}`);
  }
  if (summary.totals.length > FALLBACK_CURRENCIES) lines.push(moreLine(summary.totals.length - FALLBACK_CURRENCIES, 'currencies'));
  if (opts.firingUrl) lines.push(opts.firingUrl);
  return shorten(lines.map(escape).join('\n'), SLACK_LIMITS.fallbackText);
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(shorten(text, SLACK_LIMITS.sectionText)) };
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

/** A URL inside `<…|…>`: the characters that would end the link are percent-encoded. */
function linkTarget(url: string): string {
  return url.replace(/[<>|\s]/g, (ch) => encodeURIComponent(ch));
}

/** Slack reads `<`, `>` and `&` as markup: a reason quoting HTML or a link must stay text. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
