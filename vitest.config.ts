import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
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
