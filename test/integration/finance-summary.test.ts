/**
 * The finance summary and its messages through real workflows on the real server: after the last
 * target, the firing sums the archived files, ties them out to the ledger (the emulator's balance
 * transactions, over HTTP through the real client), saves summary.json and summary.md beside the
 * files, and sends it to Slack (a local HTTP server checking Block Kit's limits), e-mail (a real
 * SMTP server) and a generic webhook. A destination that refuses is named in the firing's result
 * and undoes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { notifyCommand } from '../../src/cli/notify-command.js';
import { readSettings } from '../../src/settings.js';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReportConfigSchema, type ReportConfig } from '../../src/config/schema.js';
import type { FiringSummary } from '../../src/domain/summary.js';
import { formatAmount } from '../../src/summary/format.js';
import { loadSummary } from '../../src/summary/summary-store.js';
import { startReport } from '../../src/temporal/start-report.js';
import { allText, blockKitProblems } from '../helpers/block-kit.js';
import { filenameOf, leafParts, parseMime, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { withOutcomes } from '../helpers/outcomes.js';

const KEY = 'sk_test_finance0key00000';
let stack: TestStack;
let smtp: SmtpSink;
let hooks: Server;
let hookUrl: string;
/** What the local Slack and webhook endpoint received, by path; and what it answers. */
const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
let slackStatus = 200;

beforeAll(async () => {
  smtp = await startSmtpSink({ user: 'reports', password: 'smtp-secret-pw' });
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      const status = req.url?.startsWith('/slack') ? slackStatus : 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no_service');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', () => resolve()));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  stack = await startStack({
    name: 'finance',
    emulator: { processingMs: 200 },
    keys: { KEY },
    worker: {
      env: { SLACK_URL: `${hookUrl}/slack/T000/B000/secret-token`, SMTP_URL: smtp.url('reports', 'smtp-secret-pw'), HOOK_URL: `${hookUrl}/hook` },
      temporalUiUrl: 'http://temporal-ui.example:8233',
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await smtp?.close();
  await new Promise((resolve) => hooks?.close(resolve));
});

beforeEach(() => {
  slackStatus = 200;
  posts.length = 0;
  smtp.received.length = 0;
});

let seq = 0;
function config(fields: Record<string, unknown> = {}): ReportConfig {
  return ReportConfigSchema.parse({
    id: `finance-${Date.now().toString(36)}-${++seq}`,
    api: 'v1',
    report: 'balance_change_from_activity.summary.1',
    mode: 'sandbox',
    key_env: 'KEY',
    reconcile: 'balance_transactions',
    notify: {
      on: ['success', 'failure'],
      slack: { webhook_url: '${SLACK_URL}' },
      email: { smtp_url: '${SMTP_URL}', from: 'reports@example.com', to: ['finance@example.com'] },
      webhook_url: '${HOOK_URL}',
    },
    ...fields,
  });
}

async function fire(cfg: ReportConfig, period = '2025-10') {
  const handle = await startReport(stack.client, cfg, period, { taskQueue: stack.temporal.taskQueue, timing: { initialMs: 200 } });
  return withOutcomes(await handle.result(), stack.archiveFor(cfg.archive));
}

describe('a firing tells finance the numbers', () => {
  it('sums the files, ties them out to the ledger, saves the summary and sends it to Slack, e-mail and the webhook', async () => {
    const cfg = config();
    const result = await fire(cfg);
    expect(result.outcomes.map((o) => o.status)).toEqual(['archived']);
    expect(result.summaryError).toBeUndefined();
    expect(result.summary).toMatchObject({ key: `${cfg.id}/2025-10/summary.json`, family: 'activity', files: 1, tie_out: { agrees: true, differences: 0 } });
    expect(result.notifications).toEqual([
      { destination: 'slack', status: 'sent' },
      { destination: 'email', status: 'sent' },
      { destination: 'webhook', status: 'sent' },
    ]);

    const summary = (await loadSummary(stack.archiveFor(cfg.archive), cfg.id, '2025-10')) as FiringSummary;
    expect(summary.tie_out).toMatchObject({ source: 'balance_transactions', agrees: true, lines: [], errors: [] });
    expect(summary.tie_out!.transactions).toBeGreaterThan(0);
    expect(summary.totals.length).toBeGreaterThan(0);

    const slack = posts.find((p) => p.path.startsWith('/slack'))!.body as { text: string; blocks: unknown[] };
    expect(blockKitProblems(slack)).toEqual([]);
    const usd = summary.totals.find((t) => t.currency === 'usd');
    expect(usd?.net).toBeDefined();
    expect(allText(slack)).toContain(formatAmount('usd', usd!.net!));
    expect(allText(slack)).toContain(`http://temporal-ui.example:8233/namespaces/default/workflows/${encodeURIComponent(`report/${cfg.id}/2025-10`)}`);

    expect(smtp.received).toHaveLength(1);
    const mail = parseMime(smtp.received[0]!.raw);
    expect(smtp.received[0]!.to).toEqual(['finance@example.com']);
    expect(leafParts(mail).map(filenameOf)).toContain('self.csv');

    const hook = posts.find((p) => p.path === '/hook')!.body as { summary: FiringSummary; text: string };
    expect(hook.summary.config).toBe(cfg.id);
    expect(JSON.stringify(posts.map((p) => p.body))).not.toContain('secret-token');
  });

  it('a seeded discrepancy in the ledger is reported with both figures, in the summary and in Slack', async () => {
    const cfg = config({ notify: { on: ['success', 'failure'], slack: { webhook_url: '${SLACK_URL}' } } });
    stack.emulator.addLedgerDiscrepancy({ currency: 'usd', reporting_category: 'charge', amount: 1234 });
    try {
      const result = await fire(cfg);
      expect(result.summary?.tie_out).toEqual({ agrees: false, differences: 1 });
      const summary = (await loadSummary(stack.archiveFor(cfg.archive), cfg.id, '2025-10')) as FiringSummary;
      const line = summary.tie_out!.lines[0]!;
      expect(line).toMatchObject({ target: 'self', currency: 'usd', reporting_category: 'charge', difference: '-12.34' });
      const slack = allText(posts.find((p) => p.path.startsWith('/slack'))!.body as { text: string; blocks: unknown[] });
      expect(slack).toContain('12.34');
    } finally {
      stack.emulator.clearLedgerDiscrepancies();
    }
  });

  it('Slack answering 404 is named in the firing\'s result, not retried, and undoes nothing; the other destinations are sent', async () => {
    slackStatus = 404;
    const cfg = config();
    const result = await fire(cfg);
    expect(result.outcomes.map((o) => o.status)).toEqual(['archived']);
    expect(result.notifications?.[0]).toMatchObject({ destination: 'slack', status: 'failed', reason: expect.stringContaining('404') });
    expect(result.notifications?.[0]?.reason).not.toContain('secret-token');
    expect(result.notifications?.slice(1).map((n) => n.status)).toEqual(['sent', 'sent']);
    expect(posts.filter((p) => p.path.startsWith('/slack'))).toHaveLength(1);
    expect(await stack.archiveFor(cfg.archive).find(`${cfg.id}/2025-10/self.csv`)).toBeDefined();
  });

  it('`reports notify <config> --period P` sends the saved summary again; a period without one is named', async () => {
    const cfg = config({ notify: { on: ['failure'], webhook_url: '${HOOK_URL}' } });
    const result = await fire(cfg);
    expect(result.notifications).toBeUndefined(); // on: [failure], and nothing failed
    const dir = mkdtempSync(path.join(tmpdir(), 'notify-cli-'));
    writeFileSync(path.join(dir, `${cfg.id}.yaml`), stringify({ api: 'v1', report: cfg.report, mode: 'sandbox', key_env: 'KEY', notify: { on: ['failure'], webhook_url: '${HOOK_URL}' } }));
    const settings = { ...readSettings(), schedulesDir: dir, archiveDir: stack.archiveDir };
    process.env.HOOK_URL = `${hookUrl}/hook`;
    const lines: string[] = [];
    expect(await notifyCommand(settings, cfg.id, { period: '2025-10' }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['sent     webhook']);
    const hook = posts.find((p) => p.path === '/hook')!.body as { summary: FiringSummary };
    expect(hook.summary).toMatchObject({ config: cfg.id, period: '2025-10', family: 'activity' });
    lines.length = 0;
    expect(await notifyCommand(settings, cfg.id, { period: '2025-09' }, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain(`${cfg.id} 2025-09: no summary`);
  });
});

