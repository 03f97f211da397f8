import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Test files start their own servers on port 0; two workers match this 2-core machine.
    maxWorkers: 2,
  },
});
