// One optimizer, one state: eager `opt.step(grads)` and compiled plans of the same optimizer share its
// moments and its step count, so mixing them gives torch.optim's numbers (fixture made by
// kernels-test/fixtures/make_optim_fixtures.py: 10 steps of Adam / SGD with momentum in PyTorch).
// Before, the eager path and the plans kept separate states: 5 compiled Adam steps then 5 eager ones
// were 1.7e-2 away from PyTorch, SGD with momentum eager then compiled 0.12.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(() => sg.init({ poison: true }));
afterAll(() => sg.dispose());

interface Fixture {
  x: number[]; y: number[]; w0: number[]; b0: number[]; steps: number;
  cases: Record<string, { losses: number[]; w: number[]; b: number[] }>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/optim-state.json', import.meta.url), 'utf8')) as Fixture;

const make: Record<string, (ps: Tensor[]) => sg.optim.Optimizer> = {
  adam: (ps) => sg.optim.adam(ps, { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }),
  sgd_momentum: (ps) => sg.optim.sgd(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1 }),
};

/** f32 rounding over 10 steps: |got − torch| ≤ 1e-5 · max(1, |torch|). */
function expectClose(what: string, got: ArrayLike<number>, want: number[]): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: got ${got[i]}, torch ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i])));
  }
}

/** Train the fixture's linear layer with one optimizer, each step compiled ('c') or eager ('e'). */
async function train(name: string, order: string): Promise<{ losses: number[]; w: Float32Array; b: Float32Array; steps: number }> {
  const w = sg.tensor(Float32Array.from(fx.w0), [3, 5]);
  const b = sg.tensor(Float32Array.from(fx.b0), [3]);
  const x = sg.tensor(Float32Array.from(fx.x), [4, 5]);
  const y = sg.tensor(Float32Array.from(fx.y), [4, 3]);
  const opt = make[name]([w, b]);
  const loss = () => sg.mseLoss(sg.linear(x, w, b), y);
  let plan: sg.Plan | undefined;
  const losses: number[] = [];
  try {
    for (const kind of order) {
      if (kind === 'c') {
        plan ??= await sg.compile(loss, { inputs: [], params: [w, b], optimizer: opt, label: `${name} step` });
        plan.run();
        losses.push((await plan.flush()).splice(0)[0].values.loss[0]);
      } else {
        const [value, grads] = await sg.valueAndGrad(loss, [w, b])(w, b);
        losses.push((await value.data())[0]);
        await opt.step(grads);
      }
    }
    const [wv, bv] = await sg.read(w, b);
    return { losses, w: wv as Float32Array, b: bv as Float32Array, steps: opt.steps };
  } finally {
    plan?.dispose();
    opt.dispose();
  }
}

describe('one optimizer, one state: eager and compiled steps share moments and step count', () => {
  const cases: [string, string][] = [
    ['adam', 'ccccceeeee'],
    ['adam', 'eeeeeccccc'],
    ['adam', 'ceceecccee'],
    ['sgd_momentum', 'eeeeeccccc'],
    ['sgd_momentum', 'ccccceeeee'],
  ];
  for (const [name, order] of cases) {
    it(`${name}: ${order} (c = compiled, e = eager) matches torch.optim`, async () => {
      const want = fx.cases[name];
      const got = await train(name, order);
      expect(got.steps).toBe(10);
      expectClose('loss', got.losses, want.losses);
      expectClose('weight', got.w, want.w);
      expectClose('bias', got.b, want.b);
    });
  }

  it('the state arenas are the ones the plan binds (state read through sg.save after mixed steps)', async () => {
    const w = sg.tensor(Float32Array.from(fx.w0), [3, 5]);
    const b = sg.tensor(Float32Array.from(fx.b0), [3]);
    const opt = make.adam([w, b]);
    const x = sg.tensor(Float32Array.from(fx.x), [4, 5]);
    const y = sg.tensor(Float32Array.from(fx.y), [4, 3]);
    const loss = () => sg.mseLoss(sg.linear(x, w, b), y);
    const [, grads] = await sg.valueAndGrad(loss, [w, b])(w, b);
    await opt.step(grads);
    const plan = await sg.compile(loss, { inputs: [], params: [w, b], optimizer: opt });
    // One arena per state, laid out like the parameter arena: the plan's fixed memory counts them.
    expect(opt.state.arenas().length).toBe(2);
    expect(opt.state.offsets).toEqual([0, 64]);
    plan.run();
    await plan.flush();
    expect(opt.steps).toBe(2);
    plan.dispose();
    opt.dispose();
    expect(opt.steps).toBe(0);
  });

  it('after the device is gone (sg.dispose + sg.init), the state starts afresh on the new device', async () => {
    const w = sg.tensor(Float32Array.from(fx.w0), [3, 5]);
    const opt = make.adam([w]);
    const [, grads] = await sg.valueAndGrad((p: Tensor) => sg.sum(sg.mul(p, p)))(w);
    await opt.step(grads);
    expect(opt.state.allocated).toBe(true);
    const old = opt.state.arenas()[0];
    sg.dispose();
    await sg.init({ poison: true });
    // The old arenas belonged to the lost device: not reused (Dawn would reject them), step count reset.
    expect(opt.state.allocated).toBe(false);
    const fresh = opt.state.arenas();
    expect(fresh[0]).not.toBe(old);
    expect(fresh[0].live).toBe(true);
    expect(opt.steps).toBe(0);
  });

  it('compile refuses other params than the optimizer\'s own', async () => {
    const w = sg.tensor(Float32Array.from(fx.w0), [3, 5]);
    const v = sg.tensor(Float32Array.from(fx.w0), [3, 5]);
    const opt = make.adam([w]);
    await expect(sg.compile(() => sg.sum(sg.mul(v, v)), { inputs: [], params: [v], optimizer: opt }))
      .rejects.toThrow(/the optimizer updates 1 parameters .*compile was given other `params`/);
  });
});
