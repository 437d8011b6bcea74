// Runs case tables (kernels-test/cases) against the CPU references in Node, through Dawn: one
// describe per table, one test per case. kernels.test.ts and kernels-half.test.ts split the tables
// between them so that vitest runs them in two processes at once (vitest.config.ts); together they
// run every table of kernels-test/cases/index.ts (kernels.test.ts checks that).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { runCase } from '../harness.js';
import { tables } from '../cases/index.js';
import { syncPipelineCreation } from './sync-pipelines.js';

/** The tables kernels-half.test.ts runs (half-precision storage); kernels.test.ts runs all others. */
export const isHalfTable = (name: string): boolean => /^half[A-Z]/.test(name);

export function describeTables(names: string[]): void {
  beforeAll(async () => {
    await sg.init({ poison: true });
    syncPipelineCreation(sg.device());
  });
  afterAll(() => sg.dispose());

  for (const table of names) {
    describe(table, () => {
      for (const c of tables[table]) {
        it(c.name, async (ctx) => {
          const r = await runCase(c);
          if (r.notRun) ctx.skip(r.notRun); // reported as skipped with its reason, never silently
          if (!r.ok) expect.fail(r.message);
        });
      }
    });
  }
}
