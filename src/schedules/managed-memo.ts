/**
 * How a schedule says "reports sync made me, in this scope". Sync manages (updates, deletes)
 * only schedules whose memo says so: a schedule created by hand, or by another deployment's sync
 * (another scope) on the same namespace, is never touched.
 *
 * Temporal never changes a schedule's memo after creation (UpdateSchedule carries none), so the
 * schedule memo's configHash and file are those it was created with. The current ones travel in
 * the action's memo, which every update rewrites (and which each scheduled run then carries, so a
 * run shows which version of its configuration started it).
 */
export const MANAGED_BY = 'stripe-reports';
export const DEFAULT_SCOPE = 'default';

export interface ScheduleMemo {
  managedBy: typeof MANAGED_BY;
  scope: string;
  configHash: string;
  file: string;
}

export interface ActionMemo {
  configHash: string;
  file: string;
}

export function isManagedIn(memo: Record<string, unknown> | undefined, scope: string): boolean {
  return memo?.managedBy === MANAGED_BY && memo.scope === scope;
}

/** The fingerprint the schedule was last written with: the action's, else the creation one. */
export function currentHash(scheduleMemo: Record<string, unknown> | undefined, actionMemo: Record<string, unknown> | undefined): string | undefined {
  const hash = actionMemo?.configHash ?? scheduleMemo?.configHash;
  return typeof hash === 'string' ? hash : undefined;
}

/** The configuration file the schedule was last written from. */
export function currentFile(scheduleMemo: Record<string, unknown> | undefined, actionMemo?: Record<string, unknown>): string | undefined {
  const file = actionMemo?.file ?? scheduleMemo?.file;
  return typeof file === 'string' ? file : undefined;
}
