// The emulator's tests need no Temporal: this config runs them alone, without the root global
// setup (`npx vitest run --config test/emulator/vitest.config.ts`). The root config runs them too.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/emulator/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
