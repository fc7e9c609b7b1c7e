/**
 * What Stripe last said about a report (v1 report type, v2 template, Data API report), per API key,
 * account context and report, for a few minutes. A target asks twice: when checking its request
 * (prepareReportRun, before the permit, always asked afresh) and again when creating the run, right
 * after its permit is granted. The second call sat on the path from a permit granted to the run
 * created, and a firing of 10,000 targets made 10,000 of them for the answer it had just had.
 *
 * Only an answer that says the data covers the period is reused: Stripe's data only ever grows
 * (data_available_end moves forward), so "covered" stays true, while "not yet" is asked again.
 * Errors are never kept.
 */
export interface CachedDefinition<T> {
  value: T;
  /** Until when Stripe has data (ms), or undefined when the report states no bound. */
  availableUntil?: number;
  fetchedAt: number;
}

export interface ReportDefinitionOptions {
  /** How long an answer is reused: the report's parameters and livemode rarely change, but may. */
  ttlMs?: number;
  /** Answers kept per API key; the oldest go first (one per connected account and report). */
  maxEntries?: number;
  now?: () => number;
}

export class ReportDefinitions {
  private readonly byClient = new WeakMap<object, Map<string, CachedDefinition<unknown>>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ReportDefinitionOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The definition for `key` under `client`: unless `ask` is set, the one kept if it is recent and
   * covers `periodEndMs`; else `fetch()`'s answer, kept for the next call.
   */
  async get<T>(
    client: object,
    key: string,
    periodEndMs: number,
    fetch: () => Promise<T>,
    availableUntil: (value: T) => number | undefined,
    ask = false,
  ): Promise<T> {
    let entries = this.byClient.get(client);
    if (!entries) this.byClient.set(client, (entries = new Map()));
    const kept = entries.get(key) as CachedDefinition<T> | undefined;
    const now = this.now();
    if (!ask && kept && now - kept.fetchedAt < this.ttlMs && (kept.availableUntil === undefined || kept.availableUntil >= periodEndMs)) return kept.value;
    const value = await fetch();
    entries.delete(key);
    entries.set(key, { value, availableUntil: availableUntil(value), fetchedAt: this.now() });
    // A Map iterates in insertion order, and a refreshed entry is inserted again: the first is the oldest.
    if (entries.size > this.maxEntries) entries.delete(entries.keys().next().value!);
    return value;
  }
}
