import { defineConfig } from 'vitest/config';

// Two projects: fast unit/conformance tests, and browser end-to-end tests that need a
// built renderer and Debian's Chromium (run after `electron-vite build`).
// .ci/run sets WB_TEST_REPORT_DIR to collect JSON reports for its "N passed, N failed" line.
const reportDir = process.env.WB_TEST_REPORT_DIR;
const reporters = reportDir ? ['default', ['json', { outputFile: `${reportDir}/vitest-${process.pid}.json` }] as const] : ['default'];

export default defineConfig({
  test: {
    reporters: reporters as never,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // The 10 M-event timing run takes minutes: only with WB_PERF=1 (docs/ui.md).
          exclude: process.env.WB_PERF === '1' ? [] : ['test/e2e/perf.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
