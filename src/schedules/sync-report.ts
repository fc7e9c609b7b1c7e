/** What `reports sync` did, or would do with dryRun. Ids are schedule ids (`reports/<config>`) except in `skipped`. */
export interface SyncReport {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /**
   * Configurations that get no schedule from this sync, by configuration id: files that did not
   * load (their schedules, if any, are left exactly as they are) and on-demand configurations
   * (no cron or calendar) that had no schedule.
   */
  skipped: { id: string; file: string; reason?: string }[];
  failed: { id: string; error: string }[];
}

export function emptySyncReport(): SyncReport {
  return { created: [], updated: [], deleted: [], unchanged: [], skipped: [], failed: [] };
}
