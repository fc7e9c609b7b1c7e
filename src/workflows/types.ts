/** The firing's input. Shared types of jobs and outcomes live in src/domain/. */
import type { ReportConfig } from '../config/schema.js';
import type { PollTiming } from './timing.js';

export interface ReportWorkflowInput {
  config: ReportConfig;
  /** A named period (`2025-10`); omitted = the period before the scheduled (or start) time. */
  period?: string;
  /** Run targets again even when their file is already archived. */
  force?: boolean;
  /** Test and demo knobs for how often to check; production uses the defaults. */
  timing?: Partial<PollTiming>;
}
