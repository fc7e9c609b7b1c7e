/** How long a run waits between status checks, and for how long in all. Pure defaults. */
export interface PollTiming {
  /** First wait after creating the run. */
  initialMs: number;
  /** Each wait is the previous one times this. */
  factor: number;
  /** Waits never grow past this. */
  maxMs: number;
  /**
   * With the webhook relay on (the run subscribed to its events), polling is only the safety net
   * for a lost event: the first wait and the cap then (the factor is the same). The first check,
   * right after creating the run, happens either way. 30 s: each check is a workflow task, a call
   * to Stripe and six history events, and at 15 s a one-minute run was checked twice for nothing
   * (10,000 such runs: 20,000 tasks, about a fifth of a run's); a lost event holds its permit at
   * most about 30 s longer than the run.
   */
  subscribedInitialMs: number;
  subscribedMaxMs: number;
  /** A run still running after this fails the target. */
  deadlineMs: number;
  /** First recheck of data availability; doubles up to the configuration's `wait_for_data.recheck`. */
  dataFirstRecheckMs: number;
  /** First retry of a failed transfer attempt (doubles up to a minute), and how many attempts in all. */
  transferRetryMs: number;
  transferAttempts: number;
}

export const defaultPollTiming: PollTiming = {
  initialMs: 2_000,
  factor: 1.5,
  maxMs: 60_000,
  subscribedInitialMs: 30_000,
  subscribedMaxMs: 5 * 60_000,
  deadlineMs: 24 * 60 * 60 * 1000,
  dataFirstRecheckMs: 60_000,
  transferRetryMs: 2_000,
  transferAttempts: 10,
};
