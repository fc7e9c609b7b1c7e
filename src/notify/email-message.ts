/**
 * A firing's summary as an e-mail for finance: a subject with the headline figure, and the same
 * content as text and HTML — the figures per currency, the changes since the previous period, the
 * tie-out, the failed targets, the files (attached, or where they are archived) and a link to the
 * firing. Every text from a summary is HTML-escaped: target ids and reasons come from outside.
 */
import type { Readable } from 'node:stream';
import type { FiringSummary } from '../domain/summary.js';
import {
  changeLines,
  count,
  currencyFigures,
  failedLine,
  headlineFigure,
  moreLine,
  overviewLine,
  statusLine,
  tieOutHeadline,
  tieOutProblemLines,
  type FormatAmount,
} from './summary-lines.js';

/** An archived file that may be attached. */
export interface EmailFile {
  filename: string;
  size: number;
  /** Where the file is archived: shown instead when it is not attached. */
  location?: string;
  /** Opened only when sending (and again on a retry), so nothing is read for a file not attached. */
  content: () => Readable | Promise<Readable>;
}

/** A file only linked: where it is archived. */
export interface EmailLink {
  filename: string;
  location: string;
}

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** The files to attach, within attachMaxBytes in total. */
  attachments: EmailFile[];
}

export interface EmailMessageOptions {
  firingUrl?: string;
  format: FormatAmount;
  attachments: EmailFile[];
  links: EmailLink[];
  /** The most the attachments may weigh together; the files past it are listed with their location. */
  attachMaxBytes: number;
}

/** Mail clients handle a few dozen attachments; past that a list of locations serves better. */
const MAX_ATTACHMENTS = 50;
/** Lines of a list (failed targets, tie-out lines, files) before "… and N more". */
const MAX_LIST = 500;
/** Currencies named in the subject. */
const SUBJECT_CURRENCIES = 2;

export function emailMessage(summary: FiringSummary, opts: EmailMessageOptions): EmailMessage {
  const { attached, linked } = chooseAttachments(opts);
  const parts = messageParts(summary, opts, attached, linked);
  return { subject: subjectLine(summary, opts.format), text: renderText(parts), html: renderHtml(parts), attachments: attached };
}

/** `monthly-balance 2025-10: net 177,038.35 USD; 3 failed` */
export function subjectLine(summary: FiringSummary, format: FormatAmount): string {
  const figures = summary.totals
    .map((c) => headlineFigure(c, format))
    .filter((f): f is string => f !== undefined);
  let headline = figures.slice(0, SUBJECT_CURRENCIES).join(', ');
  if (figures.length > SUBJECT_CURRENCIES) headline += ` (+${figures.length - SUBJECT_CURRENCIES} currencies)`;
  if (!headline) headline = `${summary.files} files, ${summary.rows} rows`;
  const notes = [headline];
  if (summary.failed.length) notes.push(`${summary.failed.length} failed`);
  if (summary.tie_out && !summary.tie_out.agrees) notes.push('tie-out differs');
  return `${summary.config} ${summary.period}: ${notes.join('; ')}`;
}

/** Attached in the order given while the total stays within the budget; the rest are linked. */
function chooseAttachments(opts: EmailMessageOptions): { attached: EmailFile[]; linked: ListedFile[] } {
  const attached: EmailFile[] = [];
  const linked: ListedFile[] = [];
  let total = 0;
  for (const file of opts.attachments) {
    if (total + file.size <= opts.attachMaxBytes && attached.length < MAX_ATTACHMENTS) {
      attached.push(file);
      total += file.size;
    } else {
      const why = file.size > opts.attachMaxBytes ? `larger than ${bytes(opts.attachMaxBytes)}` : `attachments kept within ${bytes(opts.attachMaxBytes)}`;
      linked.push({ filename: file.filename, location: file.location, size: file.size, why: file.location ? why : `${why}; in the archive` });
    }
  }
  return { attached, linked: [...linked, ...opts.links] };
}

/** A file not attached: where it is, and why it is not attached. */
interface ListedFile {
  filename: string;
  location?: string;
  size?: number;
  why?: string;
}

/** What the e-mail says, as headed blocks of lines; text and HTML lay the same blocks out. */
interface Parts {
  title: string;
  overview: string[];
  currencies: Array<{ currency: string; figures: Array<{ label: string; value: string }>; changes: string[] }>;
  blocks: Array<{ heading: string; lines: string[] }>;
  files: Array<{ name: string; location?: string; note: string }>;
  firingUrl?: string;
}

function messageParts(summary: FiringSummary, opts: EmailMessageOptions, attached: EmailFile[], linked: ListedFile[]): Parts {
  const blocks: Parts['blocks'] = [];
  const tieOut = tieOutHeadline(summary);
  if (tieOut) blocks.push({ heading: tieOut, lines: capped(tieOutProblemLines(summary, opts.format), 'tie-out lines') });
  if (summary.failed.length) {
    blocks.push({ heading: count(summary.failed.length, 'failed target', 'failed targets'), lines: capped(summary.failed.map(failedLine), 'failed targets') });
  }
  const files: Parts['files'] = [
    ...attached.map((f) => ({ name: f.filename, note: `attached, ${bytes(f.size)}` })),
    ...linked.map((l) => ({ name: l.filename, location: l.location, note: [l.size === undefined ? '' : bytes(l.size), l.why ?? ''].filter(Boolean).join(', ') })),
  ];
  const shownFiles = files.slice(0, MAX_LIST);
  if (files.length > shownFiles.length) shownFiles.push({ name: moreLine(files.length - shownFiles.length, 'files', 'see the archive'), note: '' });
  return {
    title: statusLine(summary),
    overview: [overviewLine(summary), ...(summary.note ? [summary.note] : [])],
    currencies: summary.totals.map((c) => ({ currency: c.currency.toUpperCase(), figures: currencyFigures(c, opts.format), changes: changeLines(summary, c.currency, opts.format) })),
    blocks,
    files: shownFiles,
    firingUrl: opts.firingUrl,
  };
}

function capped(lines: string[], noun: string): string[] {
  return lines.length <= MAX_LIST ? lines : [...lines.slice(0, MAX_LIST), moreLine(lines.length - MAX_LIST, noun, 'see the summary in the archive')];
}

function renderText(p: Parts): string {
  const out = [p.title, ...p.overview, ''];
  for (const c of p.currencies) {
    out.push(c.currency);
    const width = Math.max(0, ...c.figures.map((f) => f.label.length));
    out.push(...c.figures.map((f) => `  ${f.label.padEnd(width)}  ${f.value}`));
    out.push(...c.changes.map((l) => `  ${l}`), '');
  }
  for (const b of p.blocks) out.push(b.heading, ...b.lines.map((l) => `  ${l}`), '');
  if (p.files.length) out.push('Files', ...p.files.map((f) => `  ${f.name}${f.note ? ` (${f.note})` : ''}${f.location ? `: ${f.location}` : ''}`), '');
  if (p.firingUrl) out.push(`The firing in the Temporal UI: ${p.firingUrl}`);
  return out.join('\n').trimEnd() + '\n';
}

function renderHtml(p: Parts): string {
  const cell = 'style="padding:2px 12px 2px 0;text-align:left"';
  const num = 'style="padding:2px 12px 2px 0;text-align:right;font-variant-numeric:tabular-nums"';
  const out = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${html(p.title)}</h2>`,
    ...p.overview.map((l) => `<p>${html(l)}</p>`),
  ];
  for (const c of p.currencies) {
    out.push(`<h3>${html(c.currency)}</h3>`);
    if (c.figures.length) out.push(`<table>${c.figures.map((f) => `<tr><th ${cell}>${html(f.label)}</th><td ${num}>${html(f.value)}</td></tr>`).join('')}</table>`);
    if (c.changes.length) out.push(list(c.changes));
  }
  for (const b of p.blocks) out.push(`<h3>${html(b.heading)}</h3>`, list(b.lines));
  if (p.files.length) {
    out.push('<h3>Files</h3>', `<ul>${p.files.map((f) => `<li>${html(f.name)}${f.note ? ` (${html(f.note)})` : ''}${f.location ? `: ${locationHtml(f.location)}` : ''}</li>`).join('')}</ul>`);
  }
  if (p.firingUrl) out.push(`<p>The firing in the Temporal UI: ${locationHtml(p.firingUrl)}</p>`);
  out.push('</body></html>');
  return out.join('\n');
}

function list(lines: string[]): string {
  return lines.length ? `<ul>${lines.map((l) => `<li>${html(l)}</li>`).join('')}</ul>` : '';
}

/** An http(s) location is a link; any other (s3://, a path) is shown as text, never an href. */
function locationHtml(location: string): string {
  return /^https?:\/\//i.test(location) ? `<a href="${html(location)}">${html(location)}</a>` : `<code>${html(location)}</code>`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
