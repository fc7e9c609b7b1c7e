/** Durations people write in YAML (`90s`, `15m`, `6h`, `3d`), and the period spec. Pure. */
import type { PeriodUnit, ReportConfig } from './schema.js';

export const durationPattern = /^(\d+)(ms|s|m|h|d)$/;

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(text: string): number {
  const m = durationPattern.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
}

/** `period: month` and `period: { unit: month, offset: -1 }` mean the same. */
export function periodSpec(config: Pick<ReportConfig, 'period'>): { unit: PeriodUnit; offset: number } {
  return typeof config.period === 'string' ? { unit: config.period, offset: -1 } : config.period;
}
