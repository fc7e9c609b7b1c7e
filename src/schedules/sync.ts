/**
 * `reports sync`: make the Temporal Schedules match the configuration files. One schedule per
 * configuration with a cron or calendar; a changed file updates only its schedule; a removed
 * file deletes its schedule; a file that does not load leaves its schedule exactly as it is.
 * Only schedules whose memo names this project and this scope are ever updated or deleted.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import path from 'node:path';
import { formatProblem, type LoadResult } from '../config/load.js';
import { desiredSchedule, type DesiredSchedule } from './desired-schedule.js';
import type { ArchiveFor } from '../archive/stores.js';
import { needsTargetList, placeTargetsFor } from '../archive/target-list.js';
import { listManagedSchedules } from './list-managed.js';
import { currentFile, currentHash, DEFAULT_SCOPE, isManagedIn } from './managed-memo.js';
import { stateOnCreate, stateOnUpdate } from './pause-state.js';
import { scheduleIdFor } from './schedule-id.js';
import { emptySyncReport, type SyncReport } from './sync-report.js';
import { idOfUnloadableFile } from './unloadable-file.js';

export { formatSyncReport } from './format-report.js';
export { scheduleIdFor } from './schedule-id.js';
export type { SyncReport } from './sync-report.js';

export interface SyncOptions {
  taskQueue: string;
  /** Only schedules whose memo carries this scope are managed (deleted/updated) by this sync; default 'default'. Tests use a unique scope so they never touch each other's schedules. */
  scope?: string;
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Where a configuration's list of targets too long for the schedule is kept (its archive). */
  archiveFor?: ArchiveFor;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

export async function syncSchedules(client: Client, results: LoadResult[], options: SyncOptions): Promise<SyncReport> {
  const scope = options.scope ?? DEFAULT_SCOPE;
  const dryRun = options.dryRun ?? false;
  const log = options.log ?? (() => {});
  const would = dryRun ? 'would be ' : '';
  const report = emptySyncReport();

  const desired: DesiredSchedule[] = [];
  const onDemand: { id: string; file: string }[] = [];
  // Schedules that must survive this sync although no loaded file asks for them.
  const keepIds = new Set<string>();
  const keepFiles = new Set<string>();

  for (const result of results) {
    if (!result.ok) {
      const id = idOfUnloadableFile(result.file);
      const first = result.problems[0];
      const more = result.problems.length > 1 ? ` (and ${result.problems.length - 1} more)` : '';
      report.skipped.push({
        id,
        file: result.file,
        reason: `did not load: ${first ? formatProblem(first) : 'unknown problem'}${more}; its schedule, if any, is left as it is`,
      });
      keepIds.add(scheduleIdFor(id));
      keepFiles.add(path.resolve(result.file));
      continue;
    }
    try {
      const schedule = desiredSchedule(result.config, result.file, options.taskQueue, scope);
      if (schedule && needsTargetList(result.config)) {
        // Thousands of targets would not fit in the schedule's arguments: the list goes to the archive.
        if (dryRun) log(`${result.config.id}: its ${result.config.targets?.length} targets ${would}stored in its archive, the schedule names the list`);
        else schedule.action.args = [await placeTargetsFor(result.config, options.archiveFor)];
      }
      if (schedule) desired.push(schedule);
      else onDemand.push({ id: result.config.id, file: result.file });
    } catch (err) {
      // A configuration that cannot become a schedule keeps the one it had.
      report.failed.push({ id: scheduleIdFor(result.config.id), error: errorText(err) });
      keepIds.add(scheduleIdFor(result.config.id));
    }
  }

  for (const want of desired) {
    try {
      const current = await describeOrUndefined(client, want.scheduleId);
      if (!current) {
        if (!dryRun) {
          await client.schedule.create({
            scheduleId: want.scheduleId,
            spec: want.spec,
            action: want.action,
            policies: want.policies,
            memo: { ...want.memo },
            state: stateOnCreate(want.paused),
          });
        }
        report.created.push(want.scheduleId);
        log(`${would}created ${want.scheduleId}`);
      } else if (!isManagedIn(current.memo, scope)) {
        report.failed.push({
          id: want.scheduleId,
          error: `a schedule with this id exists but is not managed by reports sync in scope "${scope}"; left as it is`,
        });
      } else if (currentHash(current.memo, current.action.memo) === want.hash) {
        report.unchanged.push(want.scheduleId);
      } else {
        if (!dryRun) {
          // The callback sees the schedule as it is at update time, so a pause made a moment ago is kept.
          await client.schedule.getHandle(want.scheduleId).update((previous) => ({
            spec: want.spec,
            action: want.action,
            policies: want.policies,
            state: stateOnUpdate(previous.state, want.paused),
          }));
        }
        report.updated.push(want.scheduleId);
        log(`${would}updated ${want.scheduleId}`);
      }
    } catch (err) {
      report.failed.push({ id: want.scheduleId, error: errorText(err) });
    }
  }

  const deleteIfManaged = async (scheduleId: string): Promise<boolean> => {
    // Re-check by describe: listing lags, and a file that failed may name the schedule by file.
    const current = await describeOrUndefined(client, scheduleId);
    if (!current || !isManagedIn(current.memo, scope)) return false;
    const file = currentFile(current.memo, current.action.memo);
    if (file && keepFiles.has(path.resolve(file))) return false;
    if (!dryRun) await client.schedule.getHandle(scheduleId).delete();
    report.deleted.push(scheduleId);
    log(`${would}deleted ${scheduleId}`);
    return true;
  };

  // A configuration without cron or calendar runs on demand only: a schedule it had goes.
  for (const { id, file } of onDemand) {
    const scheduleId = scheduleIdFor(id);
    keepIds.add(scheduleId);
    try {
      if (!(await deleteIfManaged(scheduleId))) {
        report.skipped.push({ id, file, reason: 'no cron or calendar: runs on demand only (reports run)' });
      }
    } catch (err) {
      report.failed.push({ id: scheduleId, error: errorText(err) });
    }
  }

  let managed: Awaited<ReturnType<typeof listManagedSchedules>>;
  try {
    managed = await listManagedSchedules(client, scope);
  } catch (err) {
    report.failed.push({ id: '(list schedules)', error: `${errorText(err)}; no schedule was deleted` });
    return report;
  }
  const wanted = new Set(desired.map((d) => d.scheduleId));
  for (const scheduleId of managed.keys()) {
    if (wanted.has(scheduleId) || keepIds.has(scheduleId)) continue;
    try {
      await deleteIfManaged(scheduleId);
    } catch (err) {
      report.failed.push({ id: scheduleId, error: errorText(err) });
    }
  }
  return report;
}
