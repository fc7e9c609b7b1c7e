/** How many of some ReportRuns ran at one moment, from the emulator's own create and settle times. */
import type { Emulator } from '../../src/emulator/index.js';

/**
 * The most of these runs running at one moment: the emulator's own peak also counts runs other
 * tests left running. A run still running counts until the end.
 */
export function peakOverlap(emulator: Emulator, runIds: string[]): number {
  const edges = runIds.flatMap((id) => {
    const t = emulator.runTiming(id);
    return [
      [t.createdMs, 1],
      [t.finishedMs ?? Number.POSITIVE_INFINITY, -1],
    ] as [number, number][];
  });
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]); // a run ending as another starts is not overlap
  let running = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (running += d));
  return peak;
}
