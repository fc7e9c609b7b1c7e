/**
 * One webhook request, from raw bytes to a status: check the envelope, verify, route, deliver.
 * Returns what happened instead of writing the response, so the server logs exactly one line.
 */
import type { Client } from '@temporalio/client';
import type { IncomingMessage } from 'node:http';
import { deliverRunEvent, type Delivery } from '../temporal/run-mailbox.js';
import { readBody } from './body.js';
import { routeEvent } from './route.js';
import { verifyEvent } from './verify.js';

export type Outcome = 'routed' | 'ignored' | 'rejected' | 'signal_error';

export interface Handled {
  status: number;
  outcome: Outcome;
  reason?: string;
  eventId?: string;
  type?: string;
  runId?: string;
  /** Receipt to signal delivered, for routed events. */
  deliverMs?: number;
  /** Straight to the waiting workflow, or into the run's mailbox. */
  via?: Delivery;
}

export interface HandleOptions {
  client: Client;
  taskQueue: string;
  secrets: readonly string[];
  toleranceSeconds: number;
  maxBodyBytes: number;
}

export async function handleWebhook(req: IncomingMessage, o: HandleOptions, receivedAt: number): Promise<Handled> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    return { status: 415, outcome: 'rejected', reason: `content type "${contentType.slice(0, 60) || 'none'}" is not application/json` };
  }

  const body = await readBody(req, o.maxBodyBytes);
  if (!body.ok) return { status: body.reason === 'too large' ? 413 : 400, outcome: 'rejected', reason: `body ${body.reason}` };

  const header = req.headers['stripe-signature'];
  const verified = verifyEvent(body.raw, Array.isArray(header) ? header.join(',') : header, o.secrets, o.toleranceSeconds);
  if (!verified.ok) return { status: 400, outcome: 'rejected', reason: verified.reason };

  const route = routeEvent(verified.kind, verified.event);
  if (!route.relevant) {
    // Signed by Stripe but not about a run that stopped: acknowledge it, or Stripe retries for days.
    return { status: 200, outcome: 'ignored', reason: route.reason, eventId: route.eventId, type: route.type, runId: route.runId };
  }
  const { eventId, type, runId } = route;
  let via: Delivery;
  try {
    // To the subscribed workflow, else into the run's mailbox (created here if the workflow has
    // not subscribed yet); an event for a run nobody waits for is dropped when the mailbox times out.
    via = await deliverRunEvent(o.client, o.taskQueue, runId, { eventId, type, receivedAt, runId });
  } catch (err) {
    // 500 makes Stripe deliver it again later; the mailbox drops the repeat if this one got through.
    return { status: 500, outcome: 'signal_error', reason: `signal failed: ${oneLine(err)}`, eventId, type, runId };
  }
  return { status: 200, outcome: 'routed', eventId, type, runId, deliverMs: Date.now() - receivedAt, via };
}

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
