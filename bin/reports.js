#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// MALLOC_ARENA_MAX=2: glibc otherwise gives each thread that allocates (the workflow threads, the
// Temporal core's Rust threads) arenas of its own, up to eight per core, each keeping what it
// freed; with two, the N = 1,000 bench's worker peaked about 50 MB lower at the same speed.
// --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 48 MiB, and the report
// file's network chunks (Buffers outside the heap) wait for those rare collections to be freed;
// with it a 5 GB transfer peaks near 180 MB instead of 210 (bench/download.ts), at no cost in speed.
// The `reports` command: runs the TypeScript CLI through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
