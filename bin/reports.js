#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// MALLOC_ARENA_MAX=2: glibc otherwise gives each thread that allocates (the workflow threads, the
// Temporal core's Rust threads) arenas of its own, up to eight per core, each keeping what it
// freed; with two, the N = 1,000 bench's worker peaked about 50 MB lower at the same speed.
// --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 48 MiB, and the report
// file's network chunks (Buffers outside the heap) wait for those rare collections to be freed;
// with it a 5 GB transfer peaks near 180 MB instead of 210 (bench/download.ts), at no cost in speed.
// The `reports` command runs the compiled CLI (dist/, from `npm run build`, which `npm install`
// runs): TypeScript through tsx would cost every process tsx's loader thread (scripts/build.mjs).
// A dist/ older than src/ (a source edited since) is rebuilt first, so the command never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', '.built');
const newestSource = () => Math.max(...readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).map((f) => statSync(path.join(root, 'src', f)).mtimeMs));
if (!existsSync(built) || statSync(built).mtimeMs < newestSource()) {
  process.stderr.write('reports: dist/ is missing or older than src/: building it (npm run build)\n');
  await (await import('../scripts/build.mjs')).buildDist();
}
await import('../dist/cli.js');
