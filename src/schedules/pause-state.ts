/**
 * Who paused a schedule decides who may unpause it. `paused: true` in a file pauses with the note
 * "paused by configuration"; only such a pause is lifted when the file says `paused: false` again.
 * A pause an operator made in the UI or CLI (any other note) survives every sync, note included:
 * a file edit must not restart a report someone stopped on purpose.
 */
import type { ScheduleDescription } from '@temporalio/client';
import { PAUSED_BY_CONFIGURATION } from './desired-schedule.js';

export interface ScheduleState {
  paused: boolean;
  note?: string;
  remainingActions?: number;
}

export function stateOnCreate(paused: boolean): ScheduleState {
  return paused ? { paused: true, note: PAUSED_BY_CONFIGURATION } : { paused: false };
}

export function stateOnUpdate(current: ScheduleDescription['state'], paused: boolean): ScheduleState {
  // UpdateSchedule replaces the whole schedule, state included: carry over what we do not own.
  const kept = current.remainingActions === undefined ? {} : { remainingActions: current.remainingActions };
  if (current.paused) {
    const pausedByUs = current.note === PAUSED_BY_CONFIGURATION;
    if (pausedByUs && !paused) return { ...kept, paused: false, note: '' };
    return { ...kept, paused: true, note: current.note };
  }
  return { ...kept, ...stateOnCreate(paused) };
}
