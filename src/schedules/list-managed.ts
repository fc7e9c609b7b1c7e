/**
 * The schedules a sync in this scope manages. ListSchedules returns each schedule's memo, so one
 * listing finds them without describing every schedule in the namespace. Listing is eventually
 * consistent: it only decides what may be deleted, and each deletion is checked by describe()
 * first; creates and updates never depend on it.
 */
import type { Client, ScheduleSummary } from '@temporalio/client';
import { isManagedIn } from './managed-memo.js';

export async function listManagedSchedules(client: Client, scope: string): Promise<Map<string, ScheduleSummary>> {
  const managed = new Map<string, ScheduleSummary>();
  for await (const schedule of client.schedule.list()) {
    if (isManagedIn(schedule.memo, scope)) managed.set(schedule.scheduleId, schedule);
  }
  return managed;
}
