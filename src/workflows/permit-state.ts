/** Pure helpers for the permit pool, shared by the workflow and the activities that start it. */
import type { PermitPoolState } from './messages.js';

export function newPoolState(poolId: string, capacity: number): PermitPoolState {
  return { poolId, capacity, effectiveCapacity: capacity, holders: {}, waiters: [], congestedUntil: 0, grants: 0, reclaimed: 0, capHits: 0 };
}

/** `permits/<mode>/<scope>`: one pool per key by default (scope = a hash of the key), or a named one. */
export function poolIdFor(mode: 'live' | 'sandbox', scope: string): string {
  return `permits/${mode}/${scope}`;
}
