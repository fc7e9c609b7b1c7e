/** Signal and query definitions shared by workflows, the worker, the relay and the CLI. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunProgress } from './types.js';

/**
 * A Stripe event about this workflow's ReportRun arrived. It only makes the workflow check the
 * run now instead of at the next poll: a forged or stale event cannot complete anything.
 */
export const reportRunEventSignal = defineSignal<[{ eventId: string; type: string }]>('reportRunEvent');

export const progressQuery = defineQuery<RunProgress>('progress');
