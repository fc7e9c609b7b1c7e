/**
 * A stateful Stripe reporting emulator: a real HTTP server speaking the contract in
 * shared/STRIPE-CONTRACT.md (Reports v2, Reporting v1, signed downloads, webhooks), with faults a
 * test can turn on to prove the client copes. Used by integration tests and by demo mode.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './http.js';
import { loadCatalog, DEFAULT_CATALOG_PATH } from './catalog.js';
import type { Ctx } from './ctx.js';
import { EventLog } from './events.js';
import { UrlSigner } from './files.js';
import { IdempotencyStore } from './idempotency.js';
import { createHandler } from './server.js';
import { State } from './state.js';
import type { Configurable, Emulator, EmulatorFaults, EmulatorOptions } from './types.js';
import * as v1 from './v1.js';
import { WebhookSender } from './webhooks.js';

export type { Emulator, EmulatorCounters, EmulatorFaults, EmulatorOptions, LedgerDiscrepancy, RunInfo } from './types.js';
export { DEFAULT_CATALOG_PATH } from './catalog.js';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const log = opts.log ?? (() => undefined);
  const state = new State(
    loadCatalog(opts.catalogPath ?? DEFAULT_CATALOG_PATH),
    {
      processingMs: opts.processingMs ?? 2000,
      runningCap: opts.runningCap ?? { live: 500, sandbox: 100 },
      downloadUrlTtlSeconds: opts.downloadUrlTtlSeconds ?? 300,
      rowsPerRun: opts.rowsPerRun ?? 50,
      bytesPerRun: opts.bytesPerRun,
      downloadBytesPerSecond: opts.downloadBytesPerSecond,
      maxFileBytes: opts.maxFileBytes,
      webhookUrl: opts.webhookUrl,
      webhookSecret: opts.webhookSecret,
    },
    opts.faults ?? {},
    opts.seed ?? 1,
    log,
  );
  const webhooks = new WebhookSender({
    target: () => ({ url: state.config.webhookUrl, secret: state.config.webhookSecret }),
    faults: () => state.faults,
    random: () => state.random(),
    onSent: () => void state.counters.webhooksSent++,
    onDropped: () => void state.counters.webhooksDropped++,
    onDuplicated: () => void state.counters.webhooksDuplicated++,
    onDelayed: () => void state.counters.webhooksDelayed++,
    log,
  });
  let baseUrl = '';
  const ctx: Ctx = {
    state,
    signer: new UrlSigner(),
    idempotency: new IdempotencyStore(),
    events: new EventLog(webhooks, (run) => v1.renderRun(ctx, run)),
    baseUrl: () => baseUrl,
  };
  state.onSettled = (run) => ctx.events.runSettled(run);

  const emu: Emulator & { resetCounters(): void } = {
    url: '',
    port: 0,
    counters: () => ({ ...state.counters }),
    setFaults: (f: EmulatorFaults) => void (state.faults = { ...f }),
    configure: (o: Configurable) => state.configure(o),
    advanceAvailability: (to: Date) => void (state.advancedTo = new Date(to.getTime())),
    fileSha256: (runId: string) => state.sha256(runId),
    runTiming: (runId: string) => {
      const run = state.runs.get(runId);
      if (!run) throw new ApiError(404, 'invalid_request_error', 'not_found', `No such report run: ${runId}`);
      return { id: run.id, status: run.status, createdMs: run.createdMs, finishedMs: run.finishedMs ?? null };
    },
    listRuns: () => state.listRuns(),
    cancelRun: (runId, detail) => {
      const id = state.cancel(runId, detail).id;
      return state.listRuns().find((r) => r.id === id)!;
    },
    addLedgerDiscrepancy: (d) => state.addLedgerDiscrepancy(d),
    clearLedgerDiscrepancies: () => void (state.ledgerDiscrepancies = []),
    resetCounters: () => state.resetCounters(),
    close: async () => {
      webhooks.close();
      state.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  const server = createServer(createHandler(ctx, emu));
  // Long downloads (5 GB) must not be cut by Node's default request timeout.
  server.requestTimeout = 0;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${shownHost}:${port}`;
  emu.url = baseUrl;
  emu.port = port;
  log(`stripe emulator listening on ${baseUrl}`);
  return emu;
}
