import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporal's native bridge crashes in worker threads: run every file in a child process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // One Temporal dev server for the whole run (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: integration files each start a worker; keep them from starving each other.
    maxWorkers: 2,
  },
});
