/**
 * The webhook relay: verifies Stripe's report-run events and turns them into signals to the run's
 * event mailbox (src/workflows/run-events.ts), which wakes the waiting reportRunWorkflow.
 */
export { startRelay, type Relay, type RelayOptions, type RelayStats } from './server.js';
export { relaySettingsFromEnv, DEFAULT_RELAY_PATH, DEFAULT_RELAY_PORT, type RelaySettings } from './settings.js';
