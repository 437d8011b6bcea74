// Optimizer parameter groups as in torch.optim (issue 14 item 7): per-group lr, weightDecay and rule
// options (momentum, Nesterov, betas, eps), in eager steps and in compiled plans, against torch's
// parameters after 3 steps of the same gradients (kernels-test/fixtures/param-groups/torch.json,
// made by make.py there with torch; the test does not need torch).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

interface TorchGroup { params: number[]; lr?: number; weight_decay?: number; momentum?: number; nesterov?: boolean; betas?: [number, number]; eps?: number }
const fx = JSON.parse(readFileSync(new URL('../fixtures/param-groups/torch.json', import.meta.url), 'utf8')) as {
  shapes: number[][]; init: number[][]; grads: number[][][]; cases: Record<string, { groups: TorchGroup[]; params: number[][] }>;
};

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const makers: Record<string, (groups: sg.optim.ParamGroup[]) => sg.optim.Optimizer> = {
  adamw: (g) => sg.optim.adamW(g as never, { lr: 1e-2, weightDecay: 0.1 }),
  sgd_momentum: (g) => sg.optim.sgd(g as never, { lr: 0.1, momentum: 0.9 }),
  adam_betas: (g) => sg.optim.adam(g as never, { lr: 3e-3 }),
};

function setup(name: string) {
  const params = fx.init.map((v, i) => sg.tensor(Float32Array.from(v), fx.shapes[i]));
  const groups = fx.cases[name].groups.map((g) => {
    const o: Record<string, unknown> = { params: g.params.map((i) => params[i]) };
    if (g.lr !== undefined) o.lr = g.lr;
    if (g.weight_decay !== undefined) o.weightDecay = g.weight_decay;
    if (g.momentum !== undefined) o.momentum = g.momentum;
    if (g.nesterov !== undefined) o.nesterov = g.nesterov;
    if (g.betas) [o.beta1, o.beta2] = g.betas;
    if (g.eps !== undefined) o.eps = g.eps;
    return o as sg.optim.ParamGroup;
  });
  return { params, opt: makers[name](groups) };
}

async function expectTorch(name: string, params: Tensor[], how: string): Promise<void> {
  const got = await sg.read(...params);
  got.forEach((v, i) => {
    const want = fx.cases[name].params[i];
    for (let j = 0; j < want.length; j++) {
      expect(Math.abs(v[j] - want[j]), `${name} ${how}: parameter ${i}[${j}]: ${v[j]} vs torch ${want[j]}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want[j]));
    }
  });
}

describe('parameter groups match torch.optim', () => {
  for (const name of Object.keys(fx.cases)) {
    it(`${name}: eager steps`, async () => {
      const { params, opt } = setup(name);
      for (const step of fx.grads) {
        const byParam = new Map(params.map((p, i) => [p, sg.tensor(Float32Array.from(step[i]), fx.shapes[i])]));
        await opt.step(opt.params.map((p) => byParam.get(p)!));
      }
      await expectTorch(name, params, 'eager');
      opt.dispose();
    });

    it(`${name}: a compiled plan (each group's lr written by the plan every step)`, async () => {
      const { params, opt } = setup(name);
      // loss = Σ_i Σ p_i ∘ g_i, so the gradient of p_i is g_i, given as an input of the step.
      const plan = await sg.compile((...g: Tensor[]) => params.map((p, i) => sg.sum(sg.mul(p, g[i]))).reduce((a, b) => sg.add(a, b)), {
        inputs: fx.shapes.map((shape) => ({ shape })), params: opt.params, optimizer: opt,
      });
      for (const step of fx.grads) plan.run(...step.map((g) => Float32Array.from(g)));
      await plan.flush();
      await expectTorch(name, params, 'compiled');
      plan.dispose();
      opt.dispose();
    });
  }
});

describe('parameter groups: checks and schedules', () => {
  it('each group is scheduled from its own lr; the plan gets lr@g', () => {
    const a = sg.tensor([1], [1]);
    const b = sg.tensor([2], [1]);
    const opt = sg.optim.adamW([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, scheduler: sg.optim.stepLR({ stepSize: 1, gamma: 0.5 }) });
    opt.setEpoch(2);
    expect(opt.hyper(1)).toEqual({ lr: 0.1 * 0.25, step: 1, 'lr@1': 0.5 * 0.25 });
    expect(opt.groupLr(1)).toBeCloseTo(0.125, 12);
  });

  it('refuses a tensor in two groups, unknown or optimizer-wide keys in a group, and mixed state', () => {
    const a = sg.tensor([1], [1]);
    const b = sg.tensor([2], [1]);
    expect(() => sg.optim.sgd([{ params: [a] }, { params: [a, b] }], { lr: 0.1 })).toThrow(/param group 1: params\[0\] .* appears in more than one group/);
    expect(() => sg.optim.adam([{ params: [a], weight_decay: 0 } as never], { lr: 0.1 })).toThrow(/param group 0: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => sg.optim.adam([{ params: [a], clipNorm: 1 } as never], { lr: 0.1 })).toThrow(/param group 0: unknown option 'clipNorm'/);
    expect(() => sg.optim.sgd([{ params: [a] }, { params: [b], momentum: 0.9 }], { lr: 0.1 })).toThrow(/parameter groups must keep the same state \(momentum on in some groups and off in others\)/);
    expect(() => sg.optim.adam([{ params: [a], beta1: 1.5 }], { lr: 0.1 })).toThrow(/optim\.adam: beta1 must be in \[0, 1\), got 1\.5/);
    expect(() => sg.optim.adam([{ params: [] }], { lr: 0.1 })).toThrow(/param group 0: params must be a non-empty list of tensors/);
  });

  it('checkpoints record the groups; resuming into other groups is refused, into the same groups continues', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const model = sg.nn.sequential(sg.nn.linear(3, 4), sg.nn.layerNorm(4), sg.nn.linear(4, 2));
    const [w1, b1, g, beta, w2, b2] = model.parameters();
    const groups = () => [{ params: [w1, w2] }, { params: [b1, g, beta, b2], weightDecay: 0 }];
    const opt = sg.optim.adamW(groups(), { lr: 1e-2, weightDecay: 0.05 });
    expect(opt.paramGroups.map((p) => [p.params.length, p.weightDecay])).toEqual([[2, 0.05], [4, 0]]);
    const x = sg.tensor([0.5, -1, 2], [1, 3]);
    const [, grads] = await sg.valueAndGrad(() => sg.sum(model.forward(x)), opt.params)(...opt.params);
    await opt.step(grads);
    const path = join(mkdtempSync(join(tmpdir(), 'sg-groups-')), 'm.safetensors');
    await sg.save(model, path, { optimizer: opt });
    expect((await sg.io.loadCheckpoint(path)).metadata.optimizer).toMatchObject({ groups: [{ params: 2, lr: 1e-2 }, { params: 4, lr: 1e-2 }] });
    const other = sg.optim.adamW([{ params: [w1, w2, b1] }, { params: [g, beta, b2], weightDecay: 0 }], { lr: 1e-2 });
    await expect(sg.load(model, path, { optimizer: other })).rejects.toThrow(/parameter groups of \[2, 4\] parameters, the optimizer's are \[3, 3\]/);
    const same = sg.optim.adamW(groups(), { lr: 1e-2, weightDecay: 0.05 });
    await sg.load(model, path, { optimizer: same });
    expect(same.steps).toBe(1);
    [opt, other, same].forEach((o) => o.dispose());
  });
});
