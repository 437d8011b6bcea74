import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The files that run the kernel case tables: most of the suite's time, nearly all of it SwiftShader
// compiling pipelines, which they do synchronously on their one JS thread
// (kernels-test/node/sync-pipelines.ts). They start first, longest first, one per worker; a worker
// that finishes one takes the next file in this order, then the other files (longest first).
const TABLE_FILES = [
  'kernels-test/node/kernels-half.test.ts', 'kernels-test/node/kernels.test.ts', 'kernels-test/node/hardware-rules.test.ts',
];

class TablesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = TABLE_FILES.findIndex((t) => f.moduleId.endsWith(t));
      return i < 0 ? TABLE_FILES.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

// Two test files at a time, each in its own process. Dawn busy-polls a CPU core per live device while
// any GPU work or async pipeline creation is pending, and this machine class has two cores: the table
// files create pipelines synchronously, so they spin only while waiting for a case's results, and
// leave the second core to the other worker. SwiftShader is slow, so timeouts are generous.
export default defineConfig({
  test: {
    include: ['kernels-test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['kernels-test/global-setup.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    sequence: { sequencer: TablesFirst },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
