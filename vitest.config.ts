import { defineConfig } from 'vitest/config';

// The SDK's notice that later releases need Node 22: known (README, Stack), and noise in every test file.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

// Three projects so a developer can run one: `npx vitest run --project unit`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          // Property tests run hundreds of cases: bounded by count, with a timeout that holds on a loaded 2-core machine.
          testTimeout: 30_000,
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/setup/matchers.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          env,
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Each suite starts its own loopback servers (ports chosen by the OS); one at a time keeps 2 cores calm.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'infra',
          env,
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
