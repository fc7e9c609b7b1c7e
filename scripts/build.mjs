#!/usr/bin/env node
/**
 * Compiles src/ to dist/ (one JavaScript file per TypeScript file, same folders; .mjs and .json
 * files copied), which `reports` (bin/reports.js) and `npm start` run. Plain Node (no tsx), so
 * the image and bin/reports.js can run it. Why compiled at all: a process that runs TypeScript
 * through tsx carries tsx's loader thread and its transformed sources: about 40 MB more RSS for a
 * worker (measured: the N = 1,000 bench's worker, 311 MB at t = 30 s compiled, 379 MB through tsx).
 *
 * Writes dist/.built last: bin/reports.js compares it with src/ to rebuild a stale dist/.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

export async function buildDist() {
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => !f.endsWith('.d.ts'));
  rmSync(dist, { recursive: true, force: true });
  await build({
    entryPoints: files.filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f)),
    outdir: dist,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const f of files.filter((f) => f.endsWith('.mjs') || f.endsWith('.json'))) {
    mkdirSync(path.dirname(path.join(dist, f)), { recursive: true });
    copyFileSync(path.join(src, f), path.join(dist, f));
  }
  writeFileSync(path.join(dist, '.built'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
