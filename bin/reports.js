#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 48 MiB, and the report
// file's network chunks (Buffers outside the heap) wait for those rare collections to be freed;
// with it a 5 GB transfer peaks near 180 MB instead of 210 (bench/download.ts), at no cost in speed.
// The `reports` command: runs the TypeScript CLI through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
