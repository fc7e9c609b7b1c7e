/**
 * What a firing cost in Temporal history, read after it ended: every execution on the bench's task
 * queue (the firing and its runs, its children, the run mailboxes, the permit pool's runs, past
 * continue-as-new included) with its events and bytes, and the largest payload found in the
 * histories worth reading.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import proto from '@temporalio/proto';
import { inWindow } from '../src/domain/in-window.js';
import { stats } from './figures.js';
import { permitTaskQueue } from '../src/workflows/permit-state.js';

export interface Execution {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  events: number;
  /** Undefined when the server did not say (servers before 1.20). */
  bytes?: number;
}

type Log = (line: string) => void;

type Counted = Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'type' | 'status' | 'historyLength' | 'historySize'>;
const fromInfo = (info: Counted): Execution => ({
  workflowId: info.workflowId,
  runId: info.runId,
  type: info.type,
  status: info.status.name,
  events: info.historyLength,
  bytes: info.historySize,
});

/**
 * Every execution on the task queue. Visibility is eventually consistent: the listing waits until
 * the count stops moving, and a row that is still running (its counts are those of its last
 * visibility update) or lacks counts is described instead, which reads the execution itself.
 */
export async function listExecutions(client: Client, taskQueue: string, log: Log): Promise<{ executions: Execution[]; described: number }> {
  // The permit pool runs on its own queue (permitTaskQueue).
  const query = `TaskQueue="${taskQueue}" OR TaskQueue="${permitTaskQueue(taskQueue)}"`;
  for (let last = -1, waited = 0; waited < 15_000; waited += 1000) {
    const { count } = await client.workflow.count(query);
    if (count === last) break;
    last = count;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const executions: Execution[] = [];
  for await (const info of client.workflow.list({ query })) {
    executions.push(fromInfo(info));
    if (executions.length % 1000 === 0) log(`history: listed ${executions.length} executions`);
  }
  const stale = executions.filter((e) => e.status === 'RUNNING' || !e.events || e.bytes === undefined);
  let done = 0;
  await inWindow(stale, 8, async (e) => {
    Object.assign(e, fromInfo(await client.workflow.getHandle(e.workflowId, e.runId).describe()));
    if (++done % 1000 === 0) log(`history: described ${done} of ${stale.length} executions`);
  });
  log(`history: ${executions.length} executions listed, ${stale.length} described`);
  return { executions, described: stale.length };
}

const largestOf = (xs: Execution[], by: (e: Execution) => number) => xs.reduce<Execution | undefined>((best, e) => (best && by(best) >= by(e) ? best : e), undefined);
const sum = (xs: Execution[], by: (e: Execution) => number) => xs.reduce((a, e) => a + by(e), 0);
const bytesOf = (e: Execution) => e.bytes ?? 0;
const describe = (e: Execution | undefined) => e && { workflowId: e.workflowId, runId: e.runId, type: e.type, events: e.events, bytes: e.bytes ?? null };

/** Totals, per workflow type, the largest history, and the firing's own (over all its runs). */
export function historyFigures(executions: Execution[], options: { targets: number; firingId: string }) {
  const byType: Record<string, { executions: number; events: number; bytes: number; maxEvents: number; maxBytes: number }> = {};
  for (const e of executions) {
    const t = (byType[e.type] ??= { executions: 0, events: 0, bytes: 0, maxEvents: 0, maxBytes: 0 });
    t.executions++;
    t.events += e.events;
    t.bytes += bytesOf(e);
    t.maxEvents = Math.max(t.maxEvents, e.events);
    t.maxBytes = Math.max(t.maxBytes, bytesOf(e));
  }
  const totalEvents = sum(executions, (e) => e.events);
  const firing = executions.filter((e) => e.workflowId === options.firingId);
  return {
    executions: executions.length,
    totalEvents,
    totalBytes: sum(executions, bytesOf),
    eventsPerTarget: options.targets > 0 ? Math.round((totalEvents / options.targets) * 10) / 10 : null,
    largest: describe(largestOf(executions, (e) => e.events)),
    largestBySize: describe(largestOf(executions, bytesOf)),
    firing: {
      workflowId: options.firingId,
      runs: firing.length,
      events: sum(firing, (e) => e.events),
      largestEvents: Math.max(0, ...firing.map((e) => e.events)),
      largestBytes: Math.max(0, ...firing.map(bytesOf)),
    },
    byType,
  };
}

// ---- payloads --------------------------------------------------------------------------------

export interface PayloadHit {
  bytes: number;
  workflowId: string;
  type: string;
  eventId: number;
  eventType: string;
  /** Where in the event, e.g. `activityTaskScheduledEventAttributes.input.payloads[0]`. */
  path: string;
}

interface PayloadLike {
  data: Uint8Array;
  metadata: Record<string, Uint8Array>;
}
const isPayload = (v: object): v is PayloadLike => (v as PayloadLike).data instanceof Uint8Array && typeof (v as PayloadLike).metadata === 'object' && (v as PayloadLike).metadata !== null;
const payloadBytes = (p: PayloadLike) => p.data.byteLength + Object.entries(p.metadata).reduce((a, [k, v]) => a + Buffer.byteLength(k) + (v?.byteLength ?? 0), 0);

/** Calls `visit` for every Payload anywhere in `value` (any object with `data` bytes and `metadata`). */
export function eachPayload(value: unknown, visit: (bytes: number, path: string) => void, path = ''): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (isPayload(value)) return visit(payloadBytes(value), path);
  if (Array.isArray(value)) value.forEach((v, i) => eachPayload(v, visit, `${path}[${i}]`));
  else for (const [k, v] of Object.entries(value)) eachPayload(v, visit, path ? `${path}.${k}` : k);
}

// @temporalio/proto is CommonJS: its namespaces come through the default export under ESM.
const { EventType } = proto.temporal.api.enums.v1;
const eventTypeName = (code: unknown) => (EventType[Number(code)] ?? String(code)).replace(/^EVENT_TYPE_/, '');

/** The largest payload of one history. */
export function largestPayloadIn(history: proto.temporal.api.history.v1.IHistory, execution: Pick<Execution, 'workflowId' | 'type'>): PayloadHit | undefined {
  let best: PayloadHit | undefined;
  for (const event of history.events ?? []) {
    eachPayload(event, (bytes, path) => {
      if (best && best.bytes >= bytes) return;
      best = { bytes, workflowId: execution.workflowId, type: execution.type, eventId: Number(String(event.eventId)), eventType: eventTypeName(event.eventType), path };
    });
  }
  return best;
}

/**
 * Reading 10,000 histories takes too long: read the `largest` largest by bytes, the `largest`
 * largest of each per-target type (one execution per target: the runs and their mailboxes), and
 * every execution of any other type (the firing, batches, the permit pool's runs).
 */
export async function largestPayloads(
  client: Client,
  executions: Execution[],
  log: Log,
  options: { largest?: number; perTargetTypes?: string[] } = {},
): Promise<{ largest: PayloadHit | null; byType: Record<string, PayloadHit>; historiesRead: number; eventsRead: number }> {
  const k = options.largest ?? 20;
  const perTarget = new Set(options.perTargetTypes ?? ['reportRunWorkflow', 'runEventsWorkflow']);
  const bySize = [...executions].sort((a, b) => bytesOf(b) - bytesOf(a) || b.events - a.events);
  const chosen = new Set(bySize.slice(0, k));
  for (const type of perTarget) bySize.filter((e) => e.type === type).slice(0, k).forEach((e) => chosen.add(e));
  executions.filter((e) => !perTarget.has(e.type)).forEach((e) => chosen.add(e));
  const toRead = [...chosen];
  log(`history: reading ${toRead.length} histories for their largest payload`);
  const byType: Record<string, PayloadHit> = {};
  let eventsRead = 0;
  let done = 0;
  await inWindow(toRead, 4, async (e) => {
    const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    eventsRead += history.events?.length ?? 0;
    const hit = largestPayloadIn(history, e);
    if (hit && (byType[e.type]?.bytes ?? -1) < hit.bytes) byType[e.type] = hit;
    if (++done % 100 === 0) log(`history: read ${done} of ${toRead.length} histories`);
  });
  const largest = Object.values(byType).reduce<PayloadHit | null>((best, h) => (best && best.bytes >= h.bytes ? best : h), null);
  return { largest, byType, historiesRead: toRead.length, eventsRead };
}

/**
 * Where a target's permit-to-run time goes, read from a sample of reportRunWorkflow histories
 * (event times are the server's): from the permit's grant (the `permitGranted` signal) to the
 * createReportRun activity being scheduled (the holder's workflow task), from scheduled to started
 * (waiting in the task queue behind other activities), and from started to completed (the call to
 * Stripe). A create run as a local activity has only its marker: grant to created is then grant to
 * the end of the workflow task that created the run and subscribed to its events.
 */
export async function handoffFigures(client: Client, executions: Execution[], sample = 200) {
  const runs = executions.filter((e) => e.type === 'reportRunWorkflow' && e.status === 'COMPLETED');
  const step = Math.max(1, Math.floor(runs.length / sample));
  const chosen = runs.filter((_, i) => i % step === 0).slice(0, sample);
  const spans = { grantToScheduledMs: [] as number[], scheduledToStartedMs: [] as number[], startedToCompletedMs: [] as number[], grantToCreatedMs: [] as number[] };
  const T = proto.temporal.api.enums.v1.EventType;
  const ms = (t: proto.google.protobuf.ITimestamp | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  await inWindow(chosen, 4, async (e) => {
    const events = (await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()).events ?? [];
    const grant = events.find((ev) => ev.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && ev.workflowExecutionSignaledEventAttributes?.signalName === 'permitGranted');
    if (!grant) return;
    const scheduled = events.find((ev) => ev.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && ev.activityTaskScheduledEventAttributes?.activityType?.name === 'createReportRun');
    if (!scheduled) {
      // A local activity: recorded when the task that ran it completed (startReportRun: created and subscribed).
      const marker = events.find((ev) => Number(ev.eventId) > Number(grant.eventId) && ['createReportRun', 'startReportRun'].includes(localActivityMarkerData(ev)?.activityType ?? ''));
      if (marker) spans.grantToCreatedMs.push(ms(marker.eventTime) - ms(grant.eventTime));
      return;
    }
    const started = events.find((ev) => ev.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(ev.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
    const completed = events.find((ev) => ev.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && Number(ev.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
    if (!started || !completed) return;
    spans.grantToScheduledMs.push(ms(scheduled.eventTime) - ms(grant.eventTime));
    spans.scheduledToStartedMs.push(ms(started.eventTime) - ms(scheduled.eventTime));
    spans.startedToCompletedMs.push(ms(completed.eventTime) - ms(started.eventTime));
    spans.grantToCreatedMs.push(ms(completed.eventTime) - ms(grant.eventTime));
  });
  return { ...Object.fromEntries(Object.entries(spans).map(([k, xs]) => [k, stats(xs)])), sampled: spans.grantToCreatedMs.length };
}

const decoder = new TextDecoder();
/** What a local activity's marker records in its `data` detail (JSON): the type and the attempt. */
export function localActivityMarkerData(ev: proto.temporal.api.history.v1.IHistoryEvent): { activityType?: string; attempt?: number } | undefined {
  const m = ev.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return undefined;
  const data = m.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const d = JSON.parse(decoder.decode(data)) as { activityType?: string; activity_type?: string; attempt?: number };
  return { activityType: d.activityType ?? d.activity_type, attempt: d.attempt };
}

/**
 * Where the end of a firing goes, from its last run's history and its last batch's (server times):
 * the last batch's last child to the batch closing (its outcome file), then in the firing the last
 * batch closing to the outcome file written, the summary, and the firing's end.
 */
export async function tailFigures(client: Client, firingId: string, executions: Execution[]) {
  const T = proto.temporal.api.enums.v1.EventType;
  type Event = proto.temporal.api.history.v1.IHistoryEvent;
  const findLast = (evs: Event[], test: (ev: Event) => boolean) => [...evs].reverse().find(test);
  const ms = (t: proto.google.protobuf.ITimestamp | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const events = async (workflowId: string) => (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const activity = (evs: Event[], name: string) => {
    const scheduled = findLast(evs, (ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name === name);
    const completed = scheduled && evs.find((ev) => Number(ev.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
    return scheduled && completed ? { scheduled: ms(scheduled.eventTime), completed: ms(completed.eventTime) } : undefined;
  };
  const firing = await events(firingId);
  const end = ms(firing.at(-1)?.eventTime);
  const lastChild = findLast(firing, (ev) => ev.eventType === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  const outcomes = activity(firing, 'writeFiringOutcomes');
  const summary = activity(firing, 'summarizeFiring');
  const batchId = lastChild?.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId;
  let lastBatch: Record<string, number> | undefined;
  if (batchId && executions.some((e) => e.workflowId === batchId)) {
    const batch = await events(batchId);
    const lastRun = findLast(batch, (ev) => ev.eventType === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
    const saved = activity(batch, 'saveBatchOutcomes');
    if (lastRun && saved) lastBatch = { lastRunToSaveScheduledMs: saved.scheduled - ms(lastRun.eventTime), saveMs: saved.completed - saved.scheduled, savedToBatchClosedMs: ms(batch.at(-1)?.eventTime) - saved.completed };
  }
  return {
    lastBatch,
    lastBatchToOutcomesScheduledMs: lastChild && outcomes ? outcomes.scheduled - ms(lastChild.eventTime) : null,
    writeOutcomesMs: outcomes ? outcomes.completed - outcomes.scheduled : null,
    summaryMs: summary ? summary.completed - summary.scheduled : null,
    summaryToEndMs: summary ? end - summary.completed : null,
  };
}

/**
 * Where the start of a firing goes (server times, from the firing's start): its first batch
 * started, that batch's archive check, its first child started, and in that child (the first
 * target) each step to its run created: the data check, the permit asked for, granted, the run
 * created and subscribed (local activities: their markers, at the end of their workflow task).
 */
export async function startFigures(client: Client, firingId: string, firstTarget: string, poolId: string) {
  const T = proto.temporal.api.enums.v1.EventType;
  const ms = (t: proto.google.protobuf.ITimestamp | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const history = async (workflowId: string) => (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const firing = await history(firingId);
  const t0 = ms(firing[0]?.eventTime);
  const at = (ev: proto.temporal.api.history.v1.IHistoryEvent | undefined) => (ev ? ms(ev.eventTime) - t0 : null);
  const batch = await history(`${firingId}/batch-0`);
  const check = batch.find((ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name === 'findArchivedTargets');
  const checked = check && batch.find((ev) => Number(ev.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(check.eventId));
  const run = await history(`${firingId}/${firstTarget}`);
  const marker = (type: string) => run.find((ev) => localActivityMarkerData(ev)?.activityType === type);
  // The pool's first run (back along its continue-as-new chain): its first workflow tasks, and its first grant sent.
  let firstPoolRun = (await client.workflow.getHandle(poolId).fetchHistory()).events ?? [];
  for (let previous = firstPoolRun[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId; previous; previous = firstPoolRun[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId) {
    firstPoolRun = (await client.workflow.getHandle(poolId, previous).fetchHistory()).events ?? [];
  }
  const tasks = (type: number) => firstPoolRun.filter((ev) => ev.eventType === type).slice(0, 3).map(at);
  return {
    pool: {
      startedMs: at(firstPoolRun[0]),
      taskScheduledMs: tasks(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
      taskStartedMs: tasks(T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
      taskCompletedMs: tasks(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      firstGrantMs: at(firstPoolRun.find((ev) => ev.eventType === T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)),
    },
    batchStartedMs: at(firing.find((ev) => ev.eventType === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)),
    archiveCheckScheduledMs: at(check),
    archiveCheckedMs: at(checked),
    firstChildStartedMs: at(batch.find((ev) => ev.eventType === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)),
    firstTarget: {
      startedMs: at(run[0]),
      firstTaskStartedMs: at(run.find((ev) => ev.eventType === T.EVENT_TYPE_WORKFLOW_TASK_STARTED)),
      dataCheckedMs: at(marker('prepareReportRun')),
      permitAskedMs: at(marker('requestPermit')),
      permitGrantedMs: at(run.find((ev) => ev.workflowExecutionSignaledEventAttributes?.signalName === 'permitGranted')),
      createdMs: at(marker('startReportRun') ?? marker('createReportRun')),
    },
  };
}

/**
 * Every completed run's steps, in server times (ms since the epoch): its Stripe event signalled,
 * the permit released (the local activity's marker), the permit granted and the run created. For
 * BENCH_TIMES_FILE: where a wave's turnaround went (bench/run.ts joins Stripe's settle times).
 */
export async function runTimelines(client: Client, executions: Execution[]) {
  const T = proto.temporal.api.enums.v1.EventType;
  const ms = (t: proto.google.protobuf.ITimestamp | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const runs = executions.filter((e) => e.type === 'reportRunWorkflow' && e.status === 'COMPLETED');
  const out: { workflowId: string; started?: number; asked?: number; granted?: number; created?: number; signalled?: number; released?: number }[] = [];
  await inWindow(runs, 8, async (e) => {
    const events = (await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()).events ?? [];
    const at = (test: (ev: proto.temporal.api.history.v1.IHistoryEvent) => boolean) => {
      const ev = events.find(test);
      return ev ? ms(ev.eventTime) : undefined;
    };
    const signalled = (name: string) => (ev: proto.temporal.api.history.v1.IHistoryEvent) => ev.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && ev.workflowExecutionSignaledEventAttributes?.signalName === name;
    const marker = (type: string) => (ev: proto.temporal.api.history.v1.IHistoryEvent) => localActivityMarkerData(ev)?.activityType === type;
    out.push({ workflowId: e.workflowId, started: at(() => true), asked: at(marker('requestPermit')), granted: at(signalled('permitGranted')), created: at(marker('startReportRun')), signalled: at(signalled('reportRunEvent')), released: at(marker('releasePermit')) });
  });
  return out;
}

/** The permit pool's events (all its runs, first to last): [ms since the epoch, event type, signal name]. For BENCH_TIMES_FILE. */
export async function poolTimeline(client: Client, poolId: string): Promise<[number, string, string?][]> {
  const ms = (t: proto.google.protobuf.ITimestamp | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const T = proto.temporal.api.enums.v1.EventType;
  const chain: proto.temporal.api.history.v1.IHistoryEvent[][] = [];
  let events = (await client.workflow.getHandle(poolId).fetchHistory()).events ?? [];
  chain.unshift(events);
  for (let previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId; previous; previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId) {
    events = (await client.workflow.getHandle(poolId, previous).fetchHistory()).events ?? [];
    chain.unshift(events);
  }
  return chain.flat().map((ev) => [ms(ev.eventTime), T[ev.eventType ?? 0]!.replace('EVENT_TYPE_', ''), ev.workflowExecutionSignaledEventAttributes?.signalName ?? undefined]);
}
