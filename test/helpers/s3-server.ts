/**
 * A real S3-compatible server for tests: Versity's versitygw (posix backend) on a free loopback
 * port, over a temporary folder, with known root credentials and one bucket. Found or built by
 * src/archive/s3-server-binary.ts (`npx tsx scripts/ensure-s3-server.ts` ahead of time). Never a mock:
 * when it cannot start, this throws and the test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureVersitygw } from '../../src/archive/s3-server-binary.js';
import { freeLoopbackPort } from '../../src/observability/metrics-endpoint.js';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
  /** The server's data folder (buckets are folders in it). */
  dataDir: string;
  /** A client with the server's credentials. */
  client(): S3Client;
  stop(): Promise<void>;
  /** Stops the server process, keeping its data and port (an outage). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers. */
  resume(): Promise<void>;
}

/** A free loopback port (the same finder the processes use for their own exporters). */
export const freePort = freeLoopbackPort;

export async function startS3Server(
  options: {
    bucket?: string;
    log?: (line: string) => void;
    readyTimeoutMs?: number;
    /** Where the server keeps its objects (default the system's temporary folder). */
    dataRoot?: string;
  } = {},
): Promise<S3TestServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[s3 server] ${line}\n`));
  const binary = await ensureVersitygw(log);
  const root = mkdtempSync(path.join(options.dataRoot ?? tmpdir(), 'reports-s3-'));
  const dataDir = path.join(root, 'data');
  const sidecar = path.join(root, 'meta');
  mkdirSync(dataDir);
  mkdirSync(sidecar);
  const accessKeyId = 'reports-test-access';
  const secretAccessKey = 'reports-test-secret-0123456789';
  const region = 'us-east-1';
  const bucket = options.bucket ?? 'reports-archive';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;

  const client = () =>
    new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });

  let running: RunningServer | undefined;
  const launch = async () => {
    running = spawnServer(binary, { port, region, sidecar, dataDir, accessKeyId, secretAccessKey });
    await untilReady(running, client, endpoint, readyTimeoutMs);
  };
  const halt = async () => {
    await running?.kill();
    running = undefined;
  };
  const stop = async () => {
    await halt();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await launch();
    const probe = client();
    await probe.send(new CreateBucketCommand({ Bucket: bucket })).finally(() => probe.destroy());
  } catch (err) {
    await stop();
    throw err;
  }
  log(`versitygw at ${endpoint}, bucket ${bucket}, data in ${dataDir}`);
  return { endpoint, accessKeyId, secretAccessKey, bucket, region, dataDir, client, stop, halt, resume: launch };
}

interface RunningServer {
  describe(): string;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  spawnError(): Error | undefined;
  kill(): Promise<void>;
}

function spawnServer(
  binary: string,
  o: { port: number; region: string; sidecar: string; dataDir: string; accessKeyId: string; secretAccessKey: string },
): RunningServer {
  // Metadata in a sidecar folder: works on filesystems without user xattrs (tmpfs, overlay).
  const child: ChildProcess = spawn(binary, ['--port', `127.0.0.1:${o.port}`, '--region', o.region, '--quiet', 'posix', '--sidecar', o.sidecar, o.dataDir], {
    env: { ...process.env, ROOT_ACCESS_KEY_ID: o.accessKeyId, ROOT_SECRET_ACCESS_KEY: o.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  return {
    describe: () => `${binary}: ${output}`,
    exited: () => exited,
    spawnError: () => spawnError,
    async kill() {
      if (exited || spawnError) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function untilReady(server: RunningServer, client: () => S3Client, endpoint: string, timeoutMs: number): Promise<void> {
  const probe = client();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const spawnError = server.spawnError();
      if (spawnError) throw new Error(`could not start versitygw: ${spawnError.message}`);
      const exited = server.exited();
      if (exited) throw new Error(`versitygw exited (code ${exited.code}, signal ${exited.signal}) before it was ready:\n${server.describe()}`);
      try {
        await probe.send(new ListBucketsCommand({}));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`versitygw on ${endpoint} not ready after ${timeoutMs} ms (${String(err)}):\n${server.describe()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    probe.destroy();
  }
}
