/**
 * Long target lists (`targets_from` with thousands of accounts) kept in the archive instead of in
 * the workflow input. `reports sync` and `reports run` store the list under its sha256 in a
 * hidden folder (`.targets/<config>/<sha256>.json`, never rewritten: a changed list is a new
 * file) and the firing carries only the reference; each batch reads its slice. Lists up to
 * INLINE_TARGETS_MAX_BYTES travel inline as before.
 */
import { createHash } from 'node:crypto';
import type { ReportConfig, TargetSpec } from '../config/schema.js';
import { targetFromSpec } from '../config/targets.js';
import { InvalidInputError, ReportsError } from '../domain/errors.js';
import type { ReportTarget, TargetListRef } from '../domain/target.js';
import type { ArchiveStore } from './store.js';
import type { ArchiveFor } from './stores.js';

/** About 7,000 accounts: well under Temporal's 2 MB per payload, with room for the rest of the input. */
export const INLINE_TARGETS_MAX_BYTES = 256 * 1024;

/** The list, one target per line (diffable, greppable). */
function renderTargetList(targets: TargetSpec[]): string {
  return `[\n${targets.map((t) => JSON.stringify(t)).join(',\n')}\n]\n`;
}

export function needsTargetList(config: Pick<ReportConfig, 'targets'>): boolean {
  return JSON.stringify(config.targets ?? []).length > INLINE_TARGETS_MAX_BYTES;
}

/**
 * The configuration as it travels in a workflow input: unchanged when its targets are few, else
 * without them and with a reference to the list stored in `store`.
 */
export async function placeTargets(store: ArchiveStore, config: ReportConfig): Promise<{ config: ReportConfig; targetList?: TargetListRef }> {
  return needsTargetList(config) ? storeTargetList(store, config) : { config };
}

/** Stores the configuration's targets in the archive and returns it without them, with the list's reference. */
export async function storeTargetList(store: ArchiveStore, config: ReportConfig): Promise<{ config: ReportConfig; targetList: TargetListRef }> {
  const targets = config.targets ?? [];
  const body = renderTargetList(targets);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = `.targets/${config.id}/${sha256}.json`;
  // Content-addressed: the same list is written once, and a file already there is this list.
  if ((await store.readDocument(key)) === undefined) await store.writeDocument(key, body, 'application/json');
  return { config: { ...config, targets: undefined, targets_from: undefined }, targetList: { key, sha256, count: targets.length } };
}

const cache = new Map<string, ReportTarget[]>();
const CACHED_LISTS = 4;

/** Targets `offset` to `offset + count` of a stored list; the list is checked against its sha256 and kept in memory for the next batch. */
export async function readTargetSlice(store: ArchiveStore, ref: TargetListRef, offset: number, count: number): Promise<ReportTarget[]> {
  let targets = cache.get(ref.sha256);
  if (!targets) {
    const body = await store.readDocument(ref.key);
    if (body === undefined) throw new ReportsError(`the list of ${ref.count} targets ${ref.key} is missing from ${store.describe()}; run reports sync again`, false);
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (sha256 !== ref.sha256) throw new ReportsError(`the list of targets ${ref.key} in ${store.describe()} has sha256 ${sha256}, not ${ref.sha256}: it was changed; run reports sync again`, false);
    targets = (JSON.parse(body) as TargetSpec[]).map(targetFromSpec);
    cache.set(ref.sha256, targets);
    if (cache.size > CACHED_LISTS) cache.delete(cache.keys().next().value!);
  }
  return targets.slice(offset, offset + count);
}

/** The configuration as the firing gets it: a long list of targets goes to the archive, and the firing gets its reference. */
export async function placeTargetsFor(config: ReportConfig, archiveFor: ArchiveFor | undefined): Promise<{ config: ReportConfig; targetList?: TargetListRef }> {
  if (!needsTargetList(config)) return { config };
  if (!archiveFor) throw new InvalidInputError(`${config.id}: ${config.targets?.length} targets are too many to travel in the workflow input, and no archive was given to keep the list in`);
  return placeTargets(archiveFor(config.archive), config);
}
