/** Bounded concurrency, pure and deterministic: the firing's fan-out, and the CLI asking many runs. */

/** Maps items with at most `window` calls in flight; results keep the items' order. */
export async function inWindow<T, R>(items: T[], window: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  return results;
}
