/** Where a reportRunWorkflow is, for queries, `reports run --wait`, `reports status` and the UI. */
export type RunStage =
  | 'validating'
  | 'waiting_for_data'
  | 'waiting_for_permit'
  | 'creating'
  | 'running'
  | 'downloading'
  | 'archiving'
  | 'archived'
  | 'failed';

export interface RunProgress {
  stage: RunStage;
  runId?: string;
  polls: number;
  detail?: string;
}
