// The kernel choices 'auto' makes for hardware adapters, run on whatever adapter the tests have.
// On SwiftShader 'auto' follows the software rules (register-blocked matmul and convolutions, one
// thread per row, output or channel), so kernels.test.ts covers those there; this file forces the
// hardware rules (workgroup tiles and tree reductions) and runs the tables whose kernels they switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { runCase } from '../harness.js';
import { tables } from '../cases/index.js';
import { oneThreadPerRow } from '../../src/ops/kernel-rules.js';
import { softwareRules } from '../../src/gpu/device.js';
import { syncPipelineCreation } from './sync-pipelines.js';

beforeAll(async () => {
  await sg.init({ poison: true });
  syncPipelineCreation(sg.device());
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
  it('reduce: one thread per output for short axes, and on software with enough outputs', () => {
    expect(oneThreadPerRow('reduce', 64, 1, false)).toBe(true);
    expect(oneThreadPerRow('reduce', 129, 1000, false)).toBe(false);
    expect(oneThreadPerRow('reduce', 100000, 128, true)).toBe(true);
    expect(oneThreadPerRow('reduce', 100000, 1, true)).toBe(false);
  });
  it('rows: one thread for short rows anywhere, for long ones on software when there are enough', () => {
    expect(oneThreadPerRow('softmax', 64, 1, false)).toBe(true);
    expect(oneThreadPerRow('softmax', 65, 1000, false)).toBe(false);
    expect(oneThreadPerRow('softmax', 4096, 4, true)).toBe(true);
    expect(oneThreadPerRow('softmax', 4096, 2, true)).toBe(false);
    expect(oneThreadPerRow('crossEntropySum', 256, 1, false)).toBe(true);
    expect(oneThreadPerRow('crossEntropySum', 257, 1, false)).toBe(false);
    expect(oneThreadPerRow('crossEntropySum', 100000, 1, true)).toBe(true);
  });
});

for (const table of ['matmul', 'reduce', 'loss', 'softmax', 'attention', 'layernorm', 'norm', 'batchnorm', 'conv', 'shape']) {
  describe(`${table} (hardware rules)`, () => {
    for (const c of tables[table as keyof typeof tables]) {
      it(c.name, async () => {
        const r = await runCase(c);
        if (!r.ok) expect.fail(r.message);
      });
    }
  });
}
