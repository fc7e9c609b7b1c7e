/**
 * Small deterministic number generators. Faults draw from a seeded PRNG so a failing test can be
 * replayed with the same seed; file contents hash their inputs so the same parameters always give
 * the same bytes.
 */
import { createHash } from 'node:crypto';

/** mulberry32: tiny, fast, good enough for fault dice. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's finaliser: a bijection on 32-bit integers, so distinct inputs stay distinct. */
export function fmix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit value that depends on (seed, row, field): rows are generated independently, in any order. */
export function mix(seed: number, row: number, field: number): number {
  return fmix32(seed ^ fmix32(row ^ Math.imul(field + 1, 0x9e3779b1)));
}

/** 32-bit seed from any text (e.g. the canonical parameters of a run). */
export function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// Two characters per lookup: ids are built for every row of multi-gigabyte files.
const PAIRS: string[] = [];
for (let i = 0; i < 62 * 62; i++) PAIRS.push(B62[i % 62] + B62[Math.floor(i / 62)]);

/** `len` base-62 characters derived from a 32-bit value (re-mixed every 4 characters so none are constant). */
export function base62(v: number, len: number): string {
  let s = '';
  let x = v >>> 0;
  for (let i = 0; i < len; i += 2) {
    if (i > 0 && i % 4 === 0) x = fmix32(x + i);
    const p = PAIRS[x % 3844];
    x = Math.floor(x / 3844);
    s += i + 1 < len ? p : p[0];
  }
  return s;
}
