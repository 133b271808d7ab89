import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the CLI tests run bin/zkinfer.js, i.e. the compiled dist/: build it first
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
