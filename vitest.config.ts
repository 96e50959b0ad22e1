import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Files in one worker share the modules they import: importing the app (the Plaid SDK, hono,
    // drizzle, pg-boss) anew for each of ~100 files cost more CPU than their tests. Files keep
    // their own databases, servers and loggers; nothing here relies on a module's fresh state.
    isolate: false,
    // Most test files wait on PostgreSQL, child processes or HTTP rather than on this CPU, so more
    // files than cores run at once (vitest's default is cores - 1, which is one file on CI).
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 4),
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'src/**/*.tsx', 'views/**/*.tsx'],
      exclude: ['src/main.ts', 'src/cli/**', 'src/simulator/cli.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 90 },
    },
  },
});
