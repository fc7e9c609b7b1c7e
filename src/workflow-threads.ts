/**
 * The worker's workflow threads without Node's per-call watchdog thread.
 *
 * Temporal's SDK runs workflow code in worker threads and calls into it with vm's
 * `runInContext(…, { timeout: 5 s })` several times per activation. For each call with a timeout,
 * Node starts an OS thread and joins it afterwards (nodejs/node#47739, unmerged): 63 µs per call
 * against 0.5 µs without, on the 2-core CI machine, and with the machine loaded it was the largest
 * single cost of the whole worker: 39 % of the workflow threads' CPU in the N = 1,000 bench
 * (`--cpu-prof`, self time of runInContext). With this and two smaller changes of the same release,
 * worker CPU per target there went from 0.084 s to 0.073 s (medians of three).
 *
 * So each workflow thread loads ./workflow-thread-preload.mjs, which drops that timeout. What the
 * timeout did, interrupt an activation stuck in an endless loop (the SDK's "potential deadlock"),
 * becomes a beat: each thread posts one every second between activations, and a thread silent for
 * `stuckAfterMs` is reported (the worker service then exits, so its supervisor restarts it and the
 * other workers carry on). REPORTS_SDK_ISOLATE_TIMEOUT=1 keeps the SDK's timeout instead.
 *
 * Process-wide: from the first call on, every worker thread this process starts gets the preload
 * (only Temporal's workflow threads are started here).
 */
import { createRequire } from 'node:module';
import type { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';

const PRELOAD = new URL('./workflow-thread-preload.mjs', import.meta.url).href;
const CHANNEL = 'reports:workflow-threads';

export interface StuckThread {
  threadId: number;
  silentMs: number;
}

let installed: { stop(): void } | undefined;

/**
 * Gives every worker thread started from now on the preload, and watches their beats. Idempotent:
 * the first caller's `onStuck` is the one used.
 */
export function withoutIsolateTimeout(onStuck: (stuck: StuckThread) => void, stuckAfterMs = 60_000): { stop(): void } {
  if (installed) return installed;
  // The SDK constructs `new (require('node:worker_threads').Worker)(file)`: the same object.
  const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const Original = threads.Worker;
  const lastBeat = new Map<number, number>();
  const reported = new Set<number>();
  class PreloadingWorker extends Original {
    constructor(filename: string | URL, options: WorkerOptions = {}) {
      // Only the preload: the parent's own flags (--max-semi-space-size) are refused in a worker.
      super(filename, { ...options, execArgv: [...(options.execArgv ?? []), '--import', PRELOAD] });
      const id = this.threadId;
      lastBeat.set(id, Date.now());
      this.once('exit', () => lastBeat.delete(id));
    }
  }
  threads.Worker = PreloadingWorker as unknown as typeof NodeWorker;

  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event) => {
    const id = (event as MessageEvent).data as number;
    if (lastBeat.has(id)) lastBeat.set(id, Date.now());
  };
  channel.unref();
  const check = setInterval(() => {
    const now = Date.now();
    for (const [threadId, at] of lastBeat) {
      if (now - at < stuckAfterMs || reported.has(threadId)) continue;
      reported.add(threadId);
      onStuck({ threadId, silentMs: now - at });
    }
  }, 1_000);
  check.unref();
  installed = {
    stop() {
      clearInterval(check);
      channel.close();
      threads.Worker = Original;
      installed = undefined;
    },
  };
  return installed;
}

/** The SDK's "no timeout" in debugMode: 2^32 − 1 ms, 49 days. */
const UNBOUNDED_MS = 0xffff_ffff;
/** Marks vm.Script.prototype once its runInContext is wrapped. */
const UNBOUNDED = Symbol('reports:unbounded-timeout-dropped');

/**
 * The permit pools' worker runs its workflow code on the main thread (the SDK's debugMode) with an
 * "unbounded" timeout of 49 days, for which Node still starts a watchdog thread per call (N = 3,000
 * bench profile: runInContext 11 s, 6.7 % of the main thread). A timeout that long is none: such
 * a call goes direct. Finite timeouts are kept. Idempotent.
 */
export function withoutUnboundedTimeout(): void {
  const vm = createRequire(import.meta.url)('node:vm') as typeof import('node:vm');
  const proto = vm.Script.prototype as import('node:vm').Script & { [UNBOUNDED]?: true };
  if (proto[UNBOUNDED]) return;
  const runInContext = proto.runInContext;
  proto.runInContext = function (this: import('node:vm').Script, context, options) {
    if (options?.timeout === undefined || options.timeout < UNBOUNDED_MS) return runInContext.call(this, context, options);
    const { timeout: _dropped, ...rest } = options;
    return runInContext.call(this, context, rest);
  };
  proto[UNBOUNDED] = true;
}
