// Runs every case table (kernels-test/cases) against the CPU references in Node, through Dawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { runCase } from '../harness.js';
import { tables } from '../cases/index.js';

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

for (const [table, cases] of Object.entries(tables)) {
  describe(table, () => {
    for (const c of cases) {
      it(c.name, async (ctx) => {
        const r = await runCase(c);
        if (r.notRun) ctx.skip(r.notRun); // reported as skipped with its reason, never silently
        if (!r.ok) expect.fail(r.message);
      });
    }
  });
}
