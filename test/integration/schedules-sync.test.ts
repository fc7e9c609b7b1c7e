/**
 * `reports sync` against the suite's real Temporal dev server: YAML files in a temp folder,
 * loaded as `reports sync` loads them, reconciled with real Schedules. Every test has its own
 * scope and config ids, so tests never see or touch each other's schedules.
 */
import { Client, Connection, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfigDir, type LoadResult } from '../../src/config/load.js';
import { configHash } from '../../src/schedules/config-hash.js';
import { formatSyncReport, scheduleIdFor, syncSchedules, type SyncReport } from '../../src/schedules/sync.js';
import { findTemporalCli } from '../../src/temporal/cli-binary.js';
import { ReportConfigAttribute } from '../../src/workflows/search-attributes.js';

const TASK_QUEUE = 'schedules-sync-test';

let connection: Connection;
let client: Client;
const touched = new Set<string>();

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterEach(async () => {
  for (const id of touched) {
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => {});
  }
  touched.clear();
});

afterAll(async () => {
  await connection?.close();
});

/** A fresh folder of configurations, a scope of its own and id-making for one test. */
function fixture() {
  const tag = randomBytes(4).toString('hex');
  const dir = mkdtempSync(path.join(tmpdir(), 'schedules-'));
  const scope = `test-${tag}`;
  const id = (name: string) => {
    const configId = `s${tag}-${name}`;
    touched.add(scheduleIdFor(configId));
    return configId;
  };
  const write = (configId: string, yaml: string) => writeFileSync(path.join(dir, `${configId}.yaml`), yaml);
  const remove = (configId: string) => rmSync(path.join(dir, `${configId}.yaml`));
  const load = (): LoadResult[] => loadConfigDir(dir);
  const sync = async (extra: { scope?: string; dryRun?: boolean; log?: (line: string) => void } = {}): Promise<SyncReport> =>
    syncSchedules(client, load(), { taskQueue: TASK_QUEUE, scope, ...extra });
  return { dir, scope, id, write, remove, load, sync };
}

const monthly = (extra = '') => `report: balance.summary.1
mode: sandbox
schedule:
  cron: "0 6 2 * *"
  timezone: America/New_York
  jitter: 15m
${extra}`;

const weekdays = (extra = '') => `report: balance_change_from_activity.itemized.3
api: v1
mode: sandbox
period: day
schedule:
  calendar:
    minute: "0-45/15"
    hour: 9
    day_of_week: "1-5"
    month: "1,4,7,10"
${extra}`;

const describeSchedule = (configId: string) => client.schedule.getHandle(scheduleIdFor(configId)).describe();

async function exists(scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** Listing is eventually consistent; deletions are found by listing, so wait until it shows them. */
async function waitUntilListed(scheduleIds: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listed = new Set<string>();
    for await (const s of client.schedule.list()) listed.add(s.scheduleId);
    if (scheduleIds.every((id) => listed.has(id))) return;
    if (Date.now() > deadline) throw new Error(`not listed after 15 s: ${scheduleIds.filter((id) => !listed.has(id)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const configOf = (d: ScheduleDescription) => (d.action.args?.[0] as { config: { id: string } }).config;

describe('reports sync', () => {
  it('creates one schedule per configuration (spec, action carrying the config, memo); a second sync changes nothing', async () => {
    const f = fixture();
    const a = f.id('monthly');
    const b = f.id('weekdays');
    const c = f.id('on-demand');
    f.write(a, monthly());
    f.write(b, weekdays());
    f.write(c, 'report: balance.summary.1\nmode: sandbox\n');

    const first = await f.sync();
    expect(first.failed).toEqual([]);
    expect(first.created.sort()).toEqual([scheduleIdFor(a), scheduleIdFor(b)].sort());
    expect(first.skipped).toEqual([{ id: c, file: path.join(f.dir, `${c}.yaml`), reason: expect.stringMatching(/on demand/) }]);
    expect(await exists(scheduleIdFor(c))).toBe(false);

    const loaded = Object.fromEntries(f.load().flatMap((r) => (r.ok ? [[r.config.id, r.config]] : [])));
    const da = await describeSchedule(a);
    expect(da.spec.timezone).toBe('America/New_York');
    expect(da.spec.jitter).toBe(15 * 60_000);
    // The server compiles the cron into a calendar: 06:00 on the 2nd of every month.
    expect(da.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 0, end: 0 }], hour: [{ start: 6, end: 6 }], dayOfMonth: [{ start: 2, end: 2 }] });
    expect(da.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reportWorkflow', workflowId: `report/${a}`, taskQueue: TASK_QUEUE });
    expect(da.action.args).toEqual([{ config: loaded[a] }]);
    const attributes = da.action.typedSearchAttributes;
    expect(attributes).toBeInstanceOf(TypedSearchAttributes);
    expect((attributes as TypedSearchAttributes).get(ReportConfigAttribute)).toBe(a);
    expect(da.memo).toEqual({
      managedBy: 'stripe-reports',
      scope: f.scope,
      configHash: configHash(loaded[a]!, TASK_QUEUE),
      file: path.join(f.dir, `${a}.yaml`),
    });
    expect(da.policies).toMatchObject({ overlap: 'ALLOW_ALL', catchupWindow: 7 * 86_400_000, pauseOnFailure: false });
    expect(da.state.paused).toBe(false);

    const db = await describeSchedule(b);
    expect(db.spec.timezone).toBe('UTC');
    expect(db.spec.calendars).toEqual([
      expect.objectContaining({
        minute: [{ start: 0, end: 45, step: 15 }],
        hour: [{ start: 9, end: 9, step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
        month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'].map((m) => ({ start: m, end: m, step: 1 })),
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
      }),
    ]);
    expect(db.info.nextActionTimes[0]?.getUTCHours()).toBe(9);

    const second = await f.sync();
    expect(second).toMatchObject({ created: [], updated: [], deleted: [], failed: [] });
    expect(second.unchanged.sort()).toEqual([scheduleIdFor(a), scheduleIdFor(b)].sort());
    expect(formatSyncReport(second)).toContain(`unchanged ${scheduleIdFor(a)}`);
    // No update call at all: the server's update time did not move.
    expect((await describeSchedule(a)).info.lastUpdatedAt).toEqual(da.info.lastUpdatedAt);
    expect((await describeSchedule(b)).info.lastUpdatedAt).toEqual(db.info.lastUpdatedAt);
  });

  it('dry run reports what it would do and changes nothing', async () => {
    const f = fixture();
    const a = f.id('dry');
    f.write(a, monthly());
    const lines: string[] = [];
    const report = await f.sync({ dryRun: true, log: (l) => lines.push(l) });
    expect(report.created).toEqual([scheduleIdFor(a)]);
    expect(lines).toEqual([`would be created ${scheduleIdFor(a)}`]);
    expect(await exists(scheduleIdFor(a))).toBe(false);
  });

  it('editing one file updates only its schedule', async () => {
    const f = fixture();
    const a = f.id('edited');
    const b = f.id('kept');
    f.write(a, monthly());
    f.write(b, weekdays());
    await f.sync();
    const beforeB = await describeSchedule(b);

    f.write(a, monthly().replace('"0 6 2 * *"', '"30 7 3 * *"') + 'parameters:\n  currency: usd\n');
    const report = await f.sync();
    expect(report).toMatchObject({ created: [], updated: [scheduleIdFor(a)], unchanged: [scheduleIdFor(b)], deleted: [], failed: [] });

    const da = await describeSchedule(a);
    expect(da.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 30 }], hour: [{ start: 7 }], dayOfMonth: [{ start: 3 }] });
    expect(configOf(da)).toMatchObject({ id: a, parameters: { currency: 'usd' } });
    expect(da.info.lastUpdatedAt).toBeDefined();
    expect((await describeSchedule(b)).info.lastUpdatedAt).toEqual(beforeB.info.lastUpdatedAt);

    // And the update is remembered: the next sync sees nothing to do.
    expect((await f.sync()).unchanged.sort()).toEqual([scheduleIdFor(a), scheduleIdFor(b)].sort());
  });

  it('deleting a file deletes only its schedule; hand-made schedules and other scopes survive', async () => {
    const f = fixture();
    const other = fixture();
    const gone = f.id('gone');
    const stays = f.id('stays');
    const otherScope = other.id('other-scope');
    const handMade = f.id('hand-made');
    f.write(gone, monthly());
    f.write(stays, monthly());
    other.write(otherScope, monthly());
    await f.sync();
    await other.sync();
    await client.schedule.create({
      scheduleId: scheduleIdFor(handMade),
      spec: { cronExpressions: ['0 6 2 * *'] },
      action: { type: 'startWorkflow', workflowType: 'reportWorkflow', taskQueue: TASK_QUEUE, args: [] },
    });
    await waitUntilListed([gone, stays, otherScope, handMade].map(scheduleIdFor));

    f.remove(gone);
    // A file claiming the hand-made schedule's id must not take it over.
    f.write(handMade, monthly());
    const report = await f.sync();
    expect(report.deleted).toEqual([scheduleIdFor(gone)]);
    expect(report.unchanged).toEqual([scheduleIdFor(stays)]);
    expect(report.failed).toEqual([{ id: scheduleIdFor(handMade), error: expect.stringMatching(/not managed by reports sync/) }]);
    expect(await exists(scheduleIdFor(gone))).toBe(false);
    expect(await exists(scheduleIdFor(stays))).toBe(true);
    expect(await exists(scheduleIdFor(otherScope))).toBe(true);
    const hand = await describeSchedule(handMade);
    expect(hand.memo).toBeUndefined();
    expect(hand.action.args).toEqual([]);
  });

  it("keeps an operator's pause and note across a sync that changes the file; paused: true pauses", async () => {
    const f = fixture();
    const held = f.id('held');
    const toggled = f.id('toggled');
    f.write(held, monthly());
    f.write(toggled, monthly());
    await f.sync();
    await client.schedule.getHandle(scheduleIdFor(held)).pause('held by finance: duplicate payout under review');

    f.write(held, monthly('paused: false\nparameters:\n  currency: eur\n'));
    f.write(toggled, monthly('paused: true\n'));
    const report = await f.sync();
    expect(report.updated.sort()).toEqual([scheduleIdFor(held), scheduleIdFor(toggled)].sort());

    const dh = await describeSchedule(held);
    expect(dh.state).toMatchObject({ paused: true, note: 'held by finance: duplicate payout under review' });
    expect(configOf(dh)).toMatchObject({ parameters: { currency: 'eur' } });
    expect((await describeSchedule(toggled)).state).toMatchObject({ paused: true, note: 'paused by configuration' });

    // A pause the configuration made, the configuration lifts; the operator's stays.
    f.write(held, monthly('parameters:\n  currency: gbp\n'));
    f.write(toggled, monthly('paused: false\n'));
    await f.sync();
    expect((await describeSchedule(toggled)).state.paused).toBe(false);
    expect((await describeSchedule(held)).state).toMatchObject({ paused: true, note: 'held by finance: duplicate payout under review' });
  });

  it('a file made invalid keeps its old schedule untouched', async () => {
    const f = fixture();
    const typo = f.id('typo');
    const broken = f.id('broken');
    const named = f.id('named-inside');
    f.write(typo, monthly());
    f.write(broken, monthly());
    // This file's id is in the file, not its name.
    writeFileSync(path.join(f.dir, 'close.yaml'), `id: ${named}\n${monthly()}`);
    await f.sync();
    const before = await Promise.all([typo, broken, named].map(describeSchedule));
    await waitUntilListed([typo, broken, named].map(scheduleIdFor));

    f.write(typo, monthly().replace('mode: sandbox', 'mode: sandbx'));
    f.write(broken, 'report: [unclosed\n  mode: :\n');
    writeFileSync(path.join(f.dir, 'close.yaml'), `id: ${named}\n${monthly('paused: maybe\n')}`);
    const report = await f.sync();
    expect(report).toMatchObject({ created: [], updated: [], deleted: [], unchanged: [], failed: [] });
    expect(report.skipped.map((s) => s.id).sort()).toEqual([typo, broken, named].sort());
    expect(report.skipped.find((s) => s.id === typo)?.reason).toMatch(/mode/);

    const after = await Promise.all([typo, broken, named].map(describeSchedule));
    for (const [i, d] of after.entries()) {
      expect(d.info.lastUpdatedAt).toEqual(before[i]!.info.lastUpdatedAt);
      expect(d.action.args).toEqual(before[i]!.action.args);
      expect(d.state.paused).toBe(false);
    }
  });

  // The suite's server comes from this CLI unless the SDK had to download one (no Go, no CLI).
  it('the temporal CLI lists the synced schedule', async () => {
    const cli = findTemporalCli()!;
    const f = fixture();
    const a = f.id('cli');
    f.write(a, monthly());
    await f.sync();
    const deadline = Date.now() + 15_000;
    let output = '';
    while (Date.now() < deadline) {
      output = execFileSync(cli.path, ['schedule', 'list', '--address', inject('temporalAddress')], { encoding: 'utf8' });
      if (output.includes(scheduleIdFor(a))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(output).toContain(scheduleIdFor(a));
  });
});
