/**
 * Once per test run: one real Temporal dev server (found or built by src/temporal, never a mock)
 * and one workflow bundle shared by every test file's worker.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureVersitygw } from '../src/archive/s3-server-binary.js';
import { startOrConnectTemporal } from '../src/temporal/dev-server.js';
import { bundleWorkflows } from '../src/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  // Built once before any test, so no test waits on a Go build (see scripts/ensure-s3-server.ts).
  log(`S3 test server: ${await ensureVersitygw(log)}`);
  // The processes tests start run bin/reports.js, which runs dist/: compiled once here from this
  // tree's src/, before any of them would find it stale and compile it at once with the others.
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  log('compiled src/ to dist/');
  log('starting the Temporal dev server…');
  const server = await startOrConnectTemporal({ log });
  log(`Temporal dev server at ${server.address}`);
  const bundle = await bundleWorkflows();
  const bundlePath = path.join(mkdtempSync(path.join(tmpdir(), 'reports-bundle-')), 'workflows.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
  };
}
