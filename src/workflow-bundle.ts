/**
 * The workflow bundle (webpack, a few seconds), built in a process of its own. Bundling in the
 * worker left webpack and its module graph in the worker's heap for good: an idle worker held 322 MB
 * then, 233 MB now (bench/worker-idle.ts, medians of three), for code that never runs again.
 *
 * Run directly (`node dist/workflow-bundle.js <out.js>`, or `node --import tsx src/workflow-bundle.ts`)
 * it writes the bundle to <out.js>; from src/ the child loads tsx from this project, whatever the
 * working directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleWorkflows } from './worker.js';

const here = fileURLToPath(import.meta.url);

/** Bundles the workflows in a child process into a temporary file; returns its path. */
export async function bundleWorkflowsApart(): Promise<{ codePath: string }> {
  const codePath = path.join(mkdtempSync(path.join(tmpdir(), 'reports-bundle-')), 'workflows.js');
  try {
    // Compiled (dist/) it runs as it is; from src/ (tests, benches) through tsx.
    const loader = here.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
    await promisify(execFile)(process.execPath, [...loader, here, codePath], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`bundling the workflows failed: ${(e.stderr || e.message).trim().split('\n').slice(-5).join('\n')}`);
  }
  return { codePath };
}

if (process.argv[1] && path.resolve(process.argv[1]) === here) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: workflow-bundle.ts <out.js>');
  writeFileSync(out, (await bundleWorkflows()).code);
}
