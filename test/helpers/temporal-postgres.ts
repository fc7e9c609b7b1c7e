/**
 * A real Temporal server on PostgreSQL, like a user's own fresh cluster (not the dev server):
 * a throwaway PostgreSQL cluster in a temporary folder on a free loopback port, the `temporal`
 * and `temporal_visibility` databases set up by temporal-sql-tool from the server module's
 * schema, `temporal-server` (v1.29.1, found or built by src/temporal/server-binary.ts;
 * `npx tsx scripts/ensure-temporal-server.ts` ahead of time) with a minimal config, and the
 * namespace `default` registered with the temporal CLI. No project search attributes.
 *
 * PostgreSQL comes from the machine (Debian: `apt-get install -y postgresql`); this installs
 * nothing. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/temporal/cli-binary.js';
import { ensureTemporalServerTools } from '../../src/temporal/server-binary.js';

export interface TemporalOnPostgres {
  address: string;
  namespace: string;
  /** Stops the server, then PostgreSQL, and removes the folder. */
  stop(): Promise<void>;
  /** Stops the Temporal server and starts it again on the same database and ports. */
  restart(): Promise<void>;
}

export interface TemporalOnPostgresOptions {
  log?: (line: string) => void;
  /** How long the server may take to answer after it starts; default 90 s. */
  readyTimeoutMs?: number;
}

const installHint = 'apt-get update && apt-get install -y postgresql (Debian), or set PG_BIN to the folder holding initdb and pg_ctl';

/** initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's layout), else pg_config's. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
}

/**
 * Free loopback ports below 32768: the PostgreSQL schema keeps membership ports in a smallint
 * (the server dies with `value "37569" is out of range for type smallint` otherwise), and the
 * ports the system hands out for port 0 are all above that. All held open at once, so no two
 * are the same; below Linux's ephemeral range, so no outgoing connection takes one meanwhile.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let attempt = 0; servers.length < count; attempt += 1) {
      if (attempt > 500) throw new Error('no free ports between 20000 and 32767');
      const port = 20_000 + Math.floor(Math.random() * 12_768);
      const server = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) servers.push(server);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function check(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) {
    throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${(result.stderr || result.stdout || '').trim().slice(-3000)}`);
  }
  return result.stdout;
}

function serverConfig(ports: Record<'grpc' | 'http' | 'feMember' | 'history' | 'historyMember' | 'matching' | 'matchingMember' | 'worker' | 'workerMember', number>, pgPort: number, dynamicConfigFile: string): string {
  const store = (database: string, conns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "127.0.0.1:${pgPort}"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, member: number, extra = '') => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${member}
      bindOnLocalHost: true${extra}`;
  return `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
${store('temporal', 20)}
    postgres-visibility:
${store('temporal_visibility', 10)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:
${service(ports.grpc, ports.feMember, `\n      httpPort: ${ports.http}`)}
  history:
${service(ports.history, ports.historyMember)}
  matching:
${service(ports.matching, ports.matchingMember)}
  worker:
${service(ports.worker, ports.workerMember)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.grpc}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${dynamicConfigFile}"
  pollInterval: "10s"
`;
}

/** What the dev server turns on (temporal CLI v1.5.1's defaults) that the SDK and this project use. */
const dynamicConfig = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.persistenceMaxQPS:
  - value: 10000
history.persistenceMaxQPS:
  - value: 45000
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
frontend.enableExecuteMultiOperation:
  - value: true
frontend.namespaceRPS.visibility:
  - value: 100
system.enableNexus:
  - value: false
`;

export async function startTemporalOnPostgres(options: TemporalOnPostgresOptions = {}): Promise<TemporalOnPostgres> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[temporal on postgres] ${line}\n`));
  const pgBin = postgresBinDir();
  if (!pgBin) throw new Error(`PostgreSQL is not installed (no initdb/pg_ctl in /usr/lib/postgresql/*/bin): ${installHint}`);
  const tools = await ensureTemporalServerTools(log);
  const cli = await ensureTemporalCli(log);
  if (!cli) throw new Error('no temporal CLI to register the namespace with (see scripts/ensure-temporal.ts)');

  const root = mkdtempSync(path.join(tmpdir(), 'reports-temporal-pg-'));
  const pgData = path.join(root, 'pgdata');
  const socketDir = path.join(root, 'socket');
  mkdirSync(socketDir);
  // As root, PostgreSQL runs as `postgres`, which must own its folders.
  const asRoot = userInfo().uid === 0;
  let pgUser: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const id = (flag: string) => Number(check(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }), 'id postgres').trim());
    pgUser = { uid: id('-u'), gid: id('-g') };
    chownSync(root, pgUser.uid, pgUser.gid);
    chownSync(socketDir, pgUser.uid, pgUser.gid);
  }
  const pg = (tool: string, args: string[]) => {
    const command = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(pgBin, tool), ...args]] as const : [path.join(pgBin, tool), args] as const;
    return spawnSync(command[0], [...command[1]], { encoding: 'utf8', cwd: root, timeout: 120_000 });
  };

  let pgStarted = false;
  let server: ChildProcess | undefined;
  const serverLog = path.join(root, 'temporal-server.log');
  const stopServer = async () => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const cleanup = async () => {
    await stopServer();
    if (pgStarted) {
      const stopped = pg('pg_ctl', ['-D', pgData, '-m', 'fast', '-w', 'stop']);
      if (stopped.status !== 0) log(`pg_ctl stop: ${stopped.stderr.trim()}`);
      pgStarted = false;
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const started = Date.now();
    const [pgPort, grpc, http, feMember, history, historyMember, matching, matchingMember, worker, workerMember] = await freePorts(10);
    check(pg('initdb', ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']), 'initdb');
    // A throwaway cluster: no durability needed, loopback TCP only, socket in our folder.
    const settings = [`-p ${pgPort}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${socketDir}`, '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200'];
    check(pg('pg_ctl', ['-D', pgData, '-l', path.join(root, 'postgres.log'), '-o', settings.join(' '), '-w', '-t', '60', 'start']), 'pg_ctl start');
    pgStarted = true;
    log(`PostgreSQL (${pgBin}) on 127.0.0.1:${pgPort} in ${Date.now() - started} ms`);

    const sql = (database: string, args: string[]) =>
      check(
        spawnSync(tools.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '--port', String(pgPort), '--user', 'postgres', '--password', '', '--db', database, ...args], {
          encoding: 'utf8',
          timeout: 120_000,
        }),
        `temporal-sql-tool --db ${database} ${args[0]}`,
      );
    for (const [database, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      sql(database, ['create-database']);
      sql(database, ['setup-schema', '-v', '0.0']);
      sql(database, ['update-schema', '-d', path.join(tools.postgresSchemaDir, schema, 'versioned')]);
    }
    log(`schemas set up from ${tools.postgresSchemaDir} (${Date.now() - started} ms)`);

    const configDir = path.join(root, 'config');
    mkdirSync(configDir);
    const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, dynamicConfig);
    const ports = { grpc, http, feMember, history, historyMember, matching, matchingMember, worker, workerMember };
    writeFileSync(path.join(configDir, 'development.yaml'), serverConfig(ports, pgPort, dynamicConfigFile));
    const address = `127.0.0.1:${grpc}`;
    const namespace = 'default';

    const startServer = async () => {
      const out = openSync(serverLog, 'a');
      const child = spawn(tools.server, ['--root', root, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
        stdio: ['ignore', out, out],
      });
      closeSync(out);
      server = child;
      const serverStarted = Date.now();
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`temporal-server exited (${child.exitCode}):\n${readFileSync(serverLog, 'utf8').slice(-3000)}`);
          const connection = await Connection.connect({ address, connectTimeout: 2_000 });
          try {
            await connection.workflowService.getSystemInfo({});
            return true;
          } finally {
            await connection.close();
          }
        },
        options.readyTimeoutMs ?? 90_000,
        () => `temporal-server did not answer on ${address}:\n${readFileSync(serverLog, 'utf8').slice(-3000)}`,
      );
      log(`temporal-server on ${address} answered after ${Date.now() - serverStarted} ms`);
    };
    await startServer();

    check(
      spawnSync(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', '24h'], { encoding: 'utf8', timeout: 60_000 }),
      'temporal operator namespace create',
    );
    // A new namespace is usable once the frontend's namespace cache has it (refreshed every 10 s).
    const waitForNamespace = () =>
      waitUntil(
        async () => {
          const connection = await Connection.connect({ address, connectTimeout: 2_000 });
          try {
            await connection.workflowService.describeNamespace({ namespace });
            await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
            return true;
          } finally {
            await connection.close();
          }
        },
        60_000,
        () => `namespace ${namespace} did not become usable on ${address}`,
      );
    await waitForNamespace();
    log(`namespace ${namespace} ready, ${Date.now() - started} ms after starting`);

    return {
      address,
      namespace,
      stop: cleanup,
      async restart() {
        await stopServer();
        await startServer();
        await waitForNamespace();
      },
    };
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
      if (error instanceof Error && error.message.startsWith('temporal-server exited')) throw error;
    }
    if (Date.now() > deadline) throw new Error(`${describe()}\nlast error: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
