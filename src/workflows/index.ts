/** The workflow bundle's entry: every workflow the worker runs. */
export { reportWorkflow } from './report.js';
export { reportRunWorkflow } from './report-run.js';
