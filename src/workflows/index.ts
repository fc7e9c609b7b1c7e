/** The workflow bundle's entry: every workflow the worker runs. */
export { reportWorkflow } from './report.js';
export { reportRunWorkflow } from './report-run.js';
export { permitPoolWorkflow } from './permit-pool.js';
export { firingBatchWorkflow } from './firing-batch.js';
export { runEventsWorkflow } from './run-events.js';
