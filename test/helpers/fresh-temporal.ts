/**
 * A Temporal server that has never seen this project, as a user's cluster is: `temporal server
 * start-dev` in a process of its own, on a free port, WITHOUT the project's search attributes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from '../../src/temporal/cli-binary.js';
import { freePort } from './s3-server.js';

export interface FreshTemporal {
  address: string;
  stop(): Promise<void>;
}

export async function startFreshTemporal(): Promise<FreshTemporal> {
  const cli = findTemporalCli()?.path;
  if (!cli) throw new Error('no Temporal CLI: run `npx tsx scripts/ensure-temporal.ts` first');
  const dir = mkdtempSync(path.join(tmpdir(), 'fresh-temporal-'));
  const port = await freePort();
  const child = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', path.join(dir, 'temporal.db'), '--log-level', 'error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with ${child.exitCode}: ${stderr}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`fresh Temporal server at ${address} did not answer in 60 s: ${(err as Error).message}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
