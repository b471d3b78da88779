import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit specs sit beside the code; each app's e2e lives under apps/<app>/test/;
// the cross-service e2e (real processes from dist/) lives under test/.
export default defineConfig({
  // Resolves the library's entry points (@nest-m2m-cognito/auth/*) from tsconfig.json's paths,
  // as the Nest build does.
  resolve: { tsconfigPaths: true },
  test: {
    globals: true,
    root: './',
    // One test file per core. Vitest's default for a run is one fewer (a single worker on 2
    // cores), but the e2e files mostly wait on the servers they spawn, so that left a core
    // idle: on 2 cores the suite took 6 min 34 s with 1 worker, 4 min 28-44 s with 2, and
    // 4 min 37 s with 3.
    maxWorkers: availableParallelism(),
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-output/vitest.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['apps/*/src/**/*.spec.ts', 'libs/*/src/**/*.spec.ts', 'infra/src/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/*/test/**/*.e2e-spec.ts', 'test/**/*.e2e-spec.ts'],
          // The cross-service e2e runs dist/: build first when it is missing or stale.
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
