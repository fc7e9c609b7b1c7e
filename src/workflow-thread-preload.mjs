// Loaded (node --import) into each of the worker's workflow threads by src/workflow-threads.ts,
// which says why. Plain JavaScript: the threads run without tsx.
import vm from 'node:vm';
import { isMainThread, threadId } from 'node:worker_threads';

if (!isMainThread) {
  // Temporal's threads call runInContext with a timeout several times per activation; Node starts
  // and joins an OS thread for every such call. Without the timeout the call is direct.
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (context, options) {
    if (options?.timeout === undefined) return runInContext.call(this, context, options);
    const { timeout: _dropped, ...rest } = options;
    return runInContext.call(this, context, rest);
  };
  // What replaces the timeout: a beat every second, which a thread stuck in one activation misses.
  const channel = new BroadcastChannel('reports:workflow-threads');
  channel.unref();
  setInterval(() => channel.postMessage(threadId), 1000).unref();
}
