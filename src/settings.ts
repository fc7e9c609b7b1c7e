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

export function readSettings() {
  return {
    temporalAddress: process.env.TEMPORAL_ADDRESS,
    temporalNamespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    temporalPort: int('TEMPORAL_PORT', 7233),
    temporalUiPort: int('TEMPORAL_UI_PORT', 8233),
    temporalDbFile: path.resolve(projectRoot, process.env.TEMPORAL_DB_FILE ?? '.data/temporal.db'),
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'stripe-reports',
    /** Unset = demo mode against the built-in emulator. */
    demo: !process.env.STRIPE_SECRET_KEY,
    stripeApiBase: process.env.STRIPE_API_BASE,
    stripeV2Prefix: process.env.STRIPE_V2_PREFIX,
    stripeV2Version: process.env.STRIPE_V2_VERSION,
    stripeV1Version: process.env.STRIPE_V1_VERSION,
    emulatorPort: int('STRIPE_EMULATOR_PORT', 12111),
    /** Running ReportRuns allowed per permit pool when a configuration sets no capacity (Stripe's cap). */
    permitCapacity: { live: int('REPORTS_PERMITS_LIVE', STRIPE_RUNNING_CAP.live), sandbox: int('REPORTS_PERMITS_SANDBOX', STRIPE_RUNNING_CAP.sandbox) },
    schedulesDir: path.resolve(projectRoot, process.env.REPORTS_SCHEDULES_DIR ?? 'schedules'),
    archiveDir: path.resolve(projectRoot, process.env.REPORTS_ARCHIVE_DIR ?? 'archive'),
    stagingDir: path.resolve(projectRoot, process.env.REPORTS_STAGING_DIR ?? '.data/staging'),
    /** Threads running workflow tasks; 0 = the worker's default (2–4 by CPU count). */
    workflowThreads: int('REPORTS_WORKFLOW_THREADS', 0),
  };
}

export type Settings = ReturnType<typeof readSettings>;
