import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'src/**/*.tsx', 'views/**/*.tsx'],
      exclude: ['src/main.ts', 'src/cli/**', 'src/simulator/cli.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 85 },
    },
  },
});
