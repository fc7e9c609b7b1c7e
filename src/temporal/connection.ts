/**
 * The one way every process and command reaches Temporal: Temporal's environment configuration
 * (`@temporalio/envconfig`: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE and temporal.toml). Temporal Cloud (API
 * key or mTLS) and a self-hosted cluster need no code change. Nothing else builds a connection.
 *
 * Every failure to connect becomes one ConnectionSettingError naming the setting and the cause,
 * never the API key.
 */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ReportsError } from '../domain/errors.js';

/** A Temporal setting that does not work: bad TLS file, unreachable address, wrong namespace, refused key. */
export class ConnectionSettingError extends ReportsError {
  constructor(message: string) {
    super(message, false);
  }
}

export interface TemporalTarget {
  /** host:port */
  address: string;
  namespace: string;
  /** Options for both the client's and the worker's connection (TLS, API key, gRPC metadata). */
  options: NativeConnectionOptions;
  /** Whether the address came from the environment or temporal.toml (else: the local default). */
  configured: boolean;
  /** For logs and errors: address, namespace, how it authenticates; never the key. */
  describe(): string;
}

/** The local address used when nothing is configured: `npm start`'s dev server. */
export const localAddress = (port = 7233) => `localhost:${port}`;

/** Keeps a secret out of a message (gRPC errors can echo metadata). */
function redact(message: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? message.split(secret).join('[redacted]') : message;
}

/**
 * Reads the environment configuration (and temporal.toml) into a target. Throws a
 * ConnectionSettingError naming the variable when a TLS file cannot be read or a profile is unknown.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env, fallbackAddress = localAddress()): TemporalTarget {
  let config: ClientConnectConfig;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    throw new ConnectionSettingError(`Temporal settings: ${explainLoadError(err as NodeJS.ErrnoException, env)}`);
  }
  const options = config.connectionOptions;
  const configured = Boolean(options.address);
  const address = options.address ?? fallbackAddress;
  const namespace = config.namespace ?? 'default';
  const auth = options.apiKey ? 'API key' : options.tls && typeof options.tls === 'object' && options.tls.clientCertPair ? 'mTLS' : options.tls ? 'TLS' : 'plaintext';
  return {
    address,
    namespace,
    options: { ...options, address },
    configured,
    describe: () => `${address} namespace ${namespace} (${auth})`,
  };
}

function explainLoadError(err: NodeJS.ErrnoException, env: NodeJS.ProcessEnv): string {
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
    const file = err.path ?? '';
    const variable = Object.entries(env).find(([k, v]) => k.startsWith('TEMPORAL_') && v === file)?.[0];
    return `cannot read ${variable ? `${variable}=` : ''}${file} (${err.code})`;
  }
  return err.message;
}

/** Connection attempts give up after this: an unreachable server is reported within seconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The server did not answer in time (as opposed to answering with an error). */
class NoAnswerError extends Error {}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new NoAnswerError(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a gRPC status from the first call means, in the user's settings. */
function explainCallError(err: unknown, target: TemporalTarget): ConnectionSettingError {
  const e = err as { code?: number; details?: string; message?: string };
  const detail = redact(e.details || e.message || String(err), target.options.apiKey as string | undefined);
  const where = `Temporal at ${target.address} (TEMPORAL_ADDRESS)`;
  switch (e.code) {
    case 5: // NOT_FOUND
      return new ConnectionSettingError(`${where} has no namespace ${target.namespace} (TEMPORAL_NAMESPACE): ${detail}`);
    case 16: // UNAUTHENTICATED
    case 7: // PERMISSION_DENIED
      return new ConnectionSettingError(
        `${where} refused the credentials for namespace ${target.namespace} (${target.options.apiKey ? 'TEMPORAL_API_KEY' : 'TEMPORAL_TLS_CLIENT_CERT_*'}): ${detail}`,
      );
    case 14: // UNAVAILABLE
    case 4: // DEADLINE_EXCEEDED
      return new ConnectionSettingError(`cannot reach ${where}: ${detail}`);
    default:
      return new ConnectionSettingError(`${where}, namespace ${target.namespace}: ${detail}`);
  }
}

/** Connects, then asks for the namespace, so a wrong namespace or a refused key fails here, not later. */
async function checked<C extends { close(): Promise<void> }>(target: TemporalTarget, connect: () => Promise<C>, describeNamespace: (c: C) => Promise<unknown>): Promise<C> {
  let connection: C;
  try {
    connection = await withTimeout(connect());
  } catch (err) {
    // The client's first call (GetSystemInfo) may already be refused: say which setting.
    const cause = (err as { cause?: { code?: number } }).cause;
    if (cause?.code === 16 || cause?.code === 7) throw explainCallError(cause, target);
    const message = redact((err as Error).message, target.options.apiKey as string | undefined);
    if (/authentication credentials|permission/i.test(message)) throw explainCallError({ code: 16, details: message }, target);
    throw new ConnectionSettingError(`cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS): ${message}`);
  }
  try {
    await withTimeout(describeNamespace(connection));
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err instanceof NoAnswerError ? new ConnectionSettingError(`cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS): ${(err as Error).message}`) : explainCallError(err, target);
  }
  return connection;
}

/** A client (and its connection, to close) for the target, after checking the namespace answers. */
export async function connectClient(target: TemporalTarget): Promise<{ client: Client; connection: Connection }> {
  const connection = await checked(
    target,
    () => Connection.connect({ ...(target.options as ConnectionOptions), connectTimeout: CONNECT_TIMEOUT_MS }),
    (c) => c.workflowService.describeNamespace({ namespace: target.namespace }),
  );
  return { client: new Client({ connection, namespace: target.namespace }), connection };
}

/** The worker's native connection for the target, after checking the namespace answers. */
export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return checked(
    target,
    () => NativeConnection.connect(target.options),
    (c) => c.workflowService.describeNamespace({ namespace: target.namespace }),
  );
}
