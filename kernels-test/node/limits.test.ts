// A device that offers only WebGPU's default of 8 storage buffers per shader stage (as some adapters
// do): the two updates that bind 9 in one pass (Adam with AMSGrad, centered RMSprop with momentum) run
// as a state pass and an apply pass instead, checked against the float64 references, through eager
// ops and through a compiled training step whose per-step hyper-parameters travel as uniforms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { runCase } from '../harness.js';
import { tables } from '../cases/index.js';

beforeAll(async () => {
  const info = await sg.init({ poison: true, quiet: true, limits: { maxStorageBuffersPerShaderStage: 8 } });
  expect(info.limits.maxStorageBuffersPerShaderStage).toBe(8);
});
afterAll(() => sg.dispose());

describe('optimizer updates with 8 storage buffers per stage', () => {
  const nine = tables.optim.filter((c) => /amsgrad|centered \+ momentum/.test(c.name));
  it('covers the 9-buffer updates', () => expect(nine.length).toBeGreaterThanOrEqual(8));
  for (const c of nine) {
    it(c.name, async () => {
      const r = await runCase(c);
      if (!r.ok) expect.fail(r.message);
    });
  }

  for (const [name, make, kernels] of [
    ['Adam amsgrad', (ps: sg.Tensor[]) => sg.optim.adam(ps, { lr: 0.05, amsgrad: true }), ['adam_state_amsgrad', 'adam_apply_amsgrad']],
    ['RMSprop centered + momentum', (ps: sg.Tensor[]) => sg.optim.rmsprop(ps, { lr: 0.01, momentum: 0.5, centered: true }),
      ['rmsprop_state_centered_momentum', 'rmsprop_apply_momentum']],
  ] as const) {
    it(`${name}: a compiled step runs the two passes and trains`, async () => {
      // A target the model can fit exactly: y = x·[1, −2, 0.5, 3]ᵀ + 0.3.
      const X = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i));
      const x = sg.tensor(X, [8, 4]);
      const y = sg.tensor(Float32Array.from({ length: 8 }, (_, r) => X[4 * r] - 2 * X[4 * r + 1] + 0.5 * X[4 * r + 2] + 3 * X[4 * r + 3] + 0.3), [8, 1]);
      const w = sg.tensor(new Float32Array(4).fill(0.1), [1, 4]);
      const b = sg.tensor(new Float32Array(1), [1]);
      const plan = await sg.compile(() => sg.mseLoss(sg.linear(x, w, b), y), { inputs: [], params: [w, b], optimizer: make([w, b]) });
      const used = plan.explain().map((r) => r.kernel);
      for (const k of kernels) expect(used).toContain(k);
      for (let i = 0; i < 40; i++) plan.run();
      const losses = (await plan.flush()).map((h) => h.values.loss[0]);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
      plan.dispose();
    });
  }
});
