// The kernel choices 'auto' makes for hardware adapters, run on whatever adapter the tests have.
// On SwiftShader 'auto' follows the software rules (register-blocked matmul and convolutions, one
// thread per row, output or channel), so kernels.test.ts covers those there; this file forces the
// hardware rules (workgroup tiles and tree reductions) and runs the tables whose kernels they switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { runCase } from '../harness.js';
import { tables } from '../cases/index.js';
import { useSerialReduce } from '../../src/ops/reduce.js';
import { softwareRules } from '../../src/gpu/device.js';

beforeAll(async () => {
  await sg.init({ poison: true });
  sg.setKernelRules('hardware');
});
afterAll(() => {
  sg.setKernelRules();
  sg.dispose();
});

describe('kernel rules', () => {
  it('follow setKernelRules and reject an unknown class', () => {
    expect(softwareRules()).toBe(false);
    sg.setKernelRules('software');
    expect(softwareRules()).toBe(true);
    sg.setKernelRules('hardware');
    expect(() => sg.setKernelRules('gpu' as never)).toThrow(/setKernelRules: expected 'software', 'hardware' or undefined, got gpu/);
  });
  it('reduce one thread per output for short axes, and on software with enough outputs', () => {
    expect(useSerialReduce(64, 1, false)).toBe(true);
    expect(useSerialReduce(129, 1000, false)).toBe(false);
    expect(useSerialReduce(100000, 128, true)).toBe(true);
    expect(useSerialReduce(100000, 1, true)).toBe(false);
  });
});

for (const table of ['matmul', 'reduce', 'loss', 'softmax', 'layernorm', 'batchnorm', 'conv']) {
  describe(`${table} (hardware rules)`, () => {
    for (const c of tables[table as keyof typeof tables]) {
      it(c.name, async () => {
        const r = await runCase(c);
        if (!r.ok) expect.fail(r.message);
      });
    }
  });
}
