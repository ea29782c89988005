import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds web/ into web/dist/ when the sources changed (the portal tests serve the build).
    globalSetup: ['test/support/webBuild.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel across forks, but not more than the machine has.
    pool: 'forks',
    maxWorkers: 2,
  },
});
