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
   * for a lost event: the first wait and the cap then (the factor is the same). The answer to the
   * create is the first status either way. 2 minutes: each check is a workflow task, a call to
   * Stripe and seven history events, and at 30 s every one-minute run was checked once for nothing
   * (N = 3,000 bench: 3,000 tasks and Stripe calls, 7 of a run's 40 events). Stripe redelivers an
   * event it could not deliver for days, so the net is for an event lost after the relay took it
   * (or the relay down): such a run holds its permit, and its file waits, at most about 2 minutes
   * past the run, then 3, 4.5 and 5 minutes between checks.
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
  subscribedInitialMs: 2 * 60_000,
  subscribedMaxMs: 5 * 60_000,
  deadlineMs: 24 * 60 * 60 * 1000,
  dataFirstRecheckMs: 60_000,
  transferRetryMs: 2_000,
  transferAttempts: 10,
};
