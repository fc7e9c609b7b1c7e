/** Finds or fetches promtool (src/tools/promtool.ts) ahead of the tests that check deploy/prometheus, and says which one is used. */
import { spawnSync } from 'node:child_process';
import { ensurePromtool } from '../src/tools/promtool.js';

const tool = await ensurePromtool((line) => console.log(line));
const version = spawnSync(tool.path, ['--version'], { encoding: 'utf8' }).stdout.match(/version (\S+)/)?.[1];
console.log(`promtool: ${tool.path} (${tool.source}; ${version ?? '?'})`);
