/**
 * The deploy topology as processes, on this machine: a Temporal server whose database is a file
 * (so it can be stopped and started again on the same state), Stripe's stand-in (the emulator, in
 * its own process, with the faults on), S3 on versitygw, the webhook relay, and `reports worker`
 * processes, each with only its own HOME and TMPDIR besides the shared archive.
 */
import { Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EmulatorFaults } from '../../src/emulator/index.js';
import { freeLoopbackPort } from '../../src/observability/metrics-endpoint.js';
import { findTemporalCli } from '../../src/temporal/cli-binary.js';
import { bundleWorkflows } from '../../src/worker.js';
import { startS3Server, type S3TestServer } from '../../test/helpers/s3-server.js';
import { Supervised } from './processes.js';

export const TASK_QUEUE = 'chaos';
export const KEY_ENV = 'CHAOS_STRIPE_KEY';

export interface TopologyOptions {
  root: string;
  workers: number;
  cap: number;
  processingMs: number;
  urlTtlSeconds: number;
  faults: EmulatorFaults;
  seed: number;
  say: (line: string) => void;
}

export interface Secrets {
  apiKey: string;
  webhookSecret: string;
  awsSecretAccessKey: string;
}

export interface Topology {
  temporal: Supervised;
  temporalAddress: string;
  emulator: Supervised;
  emulatorUrl: string;
  relay: Supervised;
  workers: Supervised[];
  s3: S3TestServer;
  secrets: Secrets;
  archiveDir: string;
  schedulesDir: string;
  logsDir: string;
  /** Every host's own folders: nothing temporary may be left in them either. */
  hostDirs: string[];
  /** The environment an operator's shell has: where Temporal, Stripe and the archive are, and the key. */
  operatorEnv(): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startTopology(o: TopologyOptions): Promise<Topology> {
  const dir = (...p: string[]) => {
    const d = path.join(o.root, ...p);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const archiveDir = dir('archive');
  const schedulesDir = dir('schedules');
  const logsDir = dir('logs');
  const log = (name: string) => path.join(logsDir, `${name}.log`);
  // Fresh secrets each run: finding one anywhere cannot be a coincidence.
  const secrets: Secrets = {
    apiKey: `sk_org_test_chaos${randomBytes(12).toString('hex')}`,
    webhookSecret: `whsec_chaos${randomBytes(16).toString('hex')}`,
    awsSecretAccessKey: '',
  };

  // Built once: every worker start (and there are many) loads it instead of bundling again.
  o.say('bundling the workflows once for every worker start');
  const bundlePath = path.join(o.root, 'workflows.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);

  const cli = findTemporalCli()?.path;
  if (!cli) throw new Error('no Temporal CLI: run `npx tsx scripts/ensure-temporal.ts` first');
  const temporalPort = await freeLoopbackPort();
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const temporal = new Supervised(
    {
      name: 'temporal',
      command: cli,
      // A database file, so a stop and a start find every workflow, timer and schedule again.
      args: ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(temporalPort), '--db-filename', path.join(dir('temporal'), 'temporal.db'), '--log-level', 'error'],
      env: process.env,
      logFile: log('temporal'),
      probe: () => temporalAnswers(temporalAddress),
      readyTimeoutMs: 90_000,
    },
    o.say,
  );
  await temporal.start();
  o.say(`Temporal server at ${temporalAddress} (database ${path.join(o.root, 'temporal', 'temporal.db')})`);

  const s3 = await startS3Server({ dataRoot: o.root, log: o.say });
  secrets.awsSecretAccessKey = s3.secretAccessKey;

  const relayPort = await freeLoopbackPort();
  const emulatorPort = await freeLoopbackPort();
  const emulator = new Supervised(
    {
      name: 'emulator',
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        'src/emulator/main.ts',
        '--port',
        String(emulatorPort),
        '--cap',
        String(o.cap),
        '--processing-ms',
        String(o.processingMs),
        '--url-ttl-seconds',
        String(o.urlTtlSeconds),
        '--seed',
        String(o.seed),
        '--webhook-url',
        `http://127.0.0.1:${relayPort}/webhooks/stripe`,
        '--faults',
        JSON.stringify(o.faults),
      ],
      env: { ...process.env, STRIPE_WEBHOOK_SECRET: secrets.webhookSecret },
      logFile: log('emulator'),
      ready: (out) => out.includes(`http://127.0.0.1:${emulatorPort}`),
    },
    o.say,
  );
  await emulator.start();
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;

  const shared = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STRIPE_API_BASE: emulatorUrl,
    REPORTS_ARCHIVE_DIR: archiveDir,
    REPORTS_SCHEDULES_DIR: schedulesDir,
    [KEY_ENV]: secrets.apiKey,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    LOG_LEVEL: 'info',
  };
  const healthy = (out: string) => /"health":"http:\/\/[^"]+\/healthz"/.test(out);

  const relay = new Supervised(
    {
      name: 'relay',
      command: process.execPath,
      args: [path.resolve('bin/reports.js'), 'relay'],
      env: { ...shared, REPORTS_RELAY_PORT: String(relayPort), STRIPE_WEBHOOK_SECRETS: secrets.webhookSecret, REPORTS_HEALTH_PORT: '0' },
      logFile: log('relay'),
      ready: healthy,
    },
    o.say,
  );
  await relay.start();

  const hostDirs: string[] = [];
  const workers = Array.from({ length: o.workers }, (_, i) => {
    const name = `worker-${String.fromCharCode(97 + i)}`;
    const home = dir('hosts', name);
    const tmp = dir('hosts', name, 'tmp');
    hostDirs.push(home);
    return new Supervised(
      {
        name,
        command: process.execPath,
        // As bin/reports.js's shebang runs it in production.
        args: ['--max-semi-space-size=4', path.resolve('bin/reports.js'), 'worker'],
        env: {
          ...shared,
          HOME: home,
          TMPDIR: tmp,
          REPORTS_WORKFLOW_BUNDLE: bundlePath,
          REPORTS_WEBHOOKS: 'true',
          REPORTS_HEALTH_PORT: '0',
          REPORTS_PERMITS_SANDBOX: String(o.cap),
          REPORTS_PERMITS_LIVE: String(o.cap),
          // A holder whose workflow ended without releasing is found within seconds, not 30.
          REPORTS_PERMIT_RECLAIM_SECONDS: '5',
          REPORTS_SHUTDOWN_GRACE_SECONDS: '5',
        },
        logFile: log(name),
        ready: healthy,
      },
      o.say,
    );
  });
  for (const w of workers) await w.start();
  o.say(`${workers.length} workers, the relay on :${relayPort}, the emulator at ${emulatorUrl}, S3 at ${s3.endpoint}`);

  return {
    temporal,
    temporalAddress,
    emulator,
    emulatorUrl,
    relay,
    workers,
    s3,
    secrets,
    archiveDir,
    schedulesDir,
    logsDir,
    hostDirs,
    operatorEnv: () => ({ ...shared }),
    async stop() {
      await Promise.all([...workers.map((w) => w.stop(5_000)), relay.stop(5_000)]);
      await emulator.stop(5_000);
      await temporal.stop(10_000);
      await s3.stop();
      await Promise.all([temporal, emulator, relay, ...workers].map((p) => p.closeLog()));
    },
  };
}

export async function temporalAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}
