import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    alias: [
      // graphql 16 ships CJS (main) and ESM (module). Node, and so Apollo and graphql-tools, load
      // the CJS build; Vite would hand our sources the ESM one, and graphql refuses types that
      // come from "another module or realm". One instance, as in production.
      { find: /^graphql$/, replacement: require.resolve('graphql') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-redis.ts', 'test/global-ide.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Test files start their own servers on port 0; two workers match this 2-core machine.
    maxWorkers: 2,
  },
});
