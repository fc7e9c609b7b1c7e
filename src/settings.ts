/**
 * Settings read from the environment, in one place, with their defaults. README "Configuration"
 * lists the same names.
 */
import path from 'node:path';
import { projectRoot } from './temporal/cli-binary.js';
import { STRIPE_RUNNING_CAP } from './workflows/permit-state.js';

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`environment variable ${name}=${raw} must be a whole number`);
  return n;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`environment variable ${name}=${process.env[name]} must be true or false`);
}

export function readSettings() {
  return {
    // The Temporal connection itself (address, namespace, TLS, API key) is read by
    // temporal/connection.ts from Temporal's environment configuration.
    /** Port of the embedded dev server of `npm start`, and the CLI's address when none is configured. */
    temporalPort: int('TEMPORAL_PORT', 7233),
    temporalUiPort: int('TEMPORAL_UI_PORT', 8233),
    /** The Temporal UI that notifications link to (a firing's page); `npm start` sets its own. Unset: no link. */
    temporalUiUrl: process.env.REPORTS_TEMPORAL_UI_URL || undefined,
    temporalDbFile: path.resolve(projectRoot, process.env.TEMPORAL_DB_FILE ?? '.data/temporal.db'),
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'stripe-reports',
    /** Unset = demo mode against the built-in emulator. */
    demo: !process.env.STRIPE_SECRET_KEY,
    stripeApiBase: process.env.STRIPE_API_BASE,
    stripeV2Prefix: process.env.STRIPE_V2_PREFIX,
    stripeV2Version: process.env.STRIPE_V2_VERSION,
    stripeV1Version: process.env.STRIPE_V1_VERSION,
    /** `Stripe-Version` of the Data API (`/v2/data`); unset = the client's default, 2026-10-28.preview. */
    stripeDataVersion: process.env.STRIPE_DATA_VERSION,
    emulatorPort: int('STRIPE_EMULATOR_PORT', 12111),
    /** Running ReportRuns allowed per permit pool when a configuration sets no capacity (Stripe's cap). */
    permitCapacity: { live: int('REPORTS_PERMITS_LIVE', STRIPE_RUNNING_CAP.live), sandbox: int('REPORTS_PERMITS_SANDBOX', STRIPE_RUNNING_CAP.sandbox) },
    schedulesDir: path.resolve(projectRoot, process.env.REPORTS_SCHEDULES_DIR ?? 'schedules'),
    archiveDir: path.resolve(projectRoot, process.env.REPORTS_ARCHIVE_DIR ?? 'archive'),
    /** Threads running workflow tasks; 0 = the worker's default (2–4 by CPU count). */
    workflowThreads: int('REPORTS_WORKFLOW_THREADS', 0),
    /** Keep the SDK's 5 s timeout on each call into workflow code (src/workflow-threads.ts). */
    sdkIsolateTimeout: bool('REPORTS_SDK_ISOLATE_TIMEOUT', false),
    /** Workflows the worker keeps in memory between tasks; 0 = the worker's default (500). */
    maxCachedWorkflows: int('REPORTS_MAX_CACHED_WORKFLOWS', 0),
    /** How far (percent) the worker's heap grows past its live size before V8 collects; 0 = V8's own. */
    heapGrowthPercent: int('REPORTS_HEAP_GROWTH_PERCENT', 20),
    /** A prebuilt workflow bundle (an image can build it once); unset = bundle at start (a few seconds). */
    workflowBundle: process.env.REPORTS_WORKFLOW_BUNDLE || undefined,
    /** Runs subscribe to their Stripe events because a relay forwards them (default: when secrets are set). */
    webhooks: bool('REPORTS_WEBHOOKS', Boolean(process.env.STRIPE_WEBHOOK_SECRETS)),
    /** `/healthz` of a long-running process; the port defaults per process (worker 9464, relay 9465). */
    healthHost: process.env.REPORTS_HEALTH_HOST || '127.0.0.1',
    healthPort: (fallback: number) => int('REPORTS_HEALTH_PORT', fallback),
    /** On SIGTERM, how long in-flight activities may finish before they are cancelled and hand back. */
    shutdownGraceMs: int('REPORTS_SHUTDOWN_GRACE_SECONDS', 30) * 1000,
    /** How often a permit pool looks for holders that are gone. */
    permitReclaimMs: int('REPORTS_PERMIT_RECLAIM_SECONDS', 30) * 1000,
  };
}

export type Settings = ReturnType<typeof readSettings>;
