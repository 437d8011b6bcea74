import { defineConfig } from 'vitest/config';

// One test file at a time in one process: Dawn busy-polls a CPU core per live device, and this
// machine class has two cores. SwiftShader is slow, so timeouts are generous.
export default defineConfig({
  test: {
    include: ['kernels-test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['kernels-test/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
