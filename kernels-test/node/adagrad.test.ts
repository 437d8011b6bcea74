// sg.optim.adagrad against torch.optim.Adagrad (kernels-test/fixtures/adagrad/adagrad.json, made by
// make.py there with torch; the test does not need torch): a linear layer with MSE loss trained for 5
// steps with defaults, lr_decay, weight_decay, initial_accumulator_value, maximize, two parameter groups
// and a StepLR schedule — eager steps, a compiled plan and the two mixed; the losses, the parameters and
// the saved state (optimizer.state.<i>.sum, step) equal torch's. A run saved after 2 steps and resumed
// equals an uninterrupted one; fit and the CLI's --optimizer adagrad train; bad options are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import { makeOptimizer } from '../../src/cli/setup.js';

beforeAll(() => sg.init({ poison: true }));
afterAll(() => sg.dispose());

type TorchOptions = { lr?: number; lr_decay?: number; weight_decay?: number; initial_accumulator_value?: number; eps?: number; maximize?: boolean };
interface Case {
  options: TorchOptions;
  groups: ({ params: number[] } & TorchOptions)[] | null;
  losses: number[]; w: number[]; b: number[];
  state: { sum: number[]; step: number }[];
  /** torch's StepLR, stepped after every optimizer step (so here: setEpoch(k) before the (k + 1)-th step). */
  scheduler: { step_size: number; gamma: number } | null;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/adagrad/adagrad.json', import.meta.url), 'utf8')) as {
  x: number[]; y: number[]; w0: number[]; b0: number[]; steps: number; cases: Record<string, Case>;
};

/** torch's option names → ours. */
function ours(o: TorchOptions): sg.optim.AdagradArgs {
  const r: sg.optim.AdagradArgs = {};
  if (o.lr !== undefined) r.lr = o.lr;
  if (o.lr_decay !== undefined) r.lrDecay = o.lr_decay;
  if (o.weight_decay !== undefined) r.weightDecay = o.weight_decay;
  if (o.initial_accumulator_value !== undefined) r.initialAccumulatorValue = o.initial_accumulator_value;
  if (o.eps !== undefined) r.eps = o.eps;
  if (o.maximize !== undefined) r.maximize = o.maximize;
  return r;
}

/** The fixture's linear layer as a model (PyTorch names 0.weight [3, 5], 0.bias [3]) and case `name`'s optimizer. */
async function setup(name: string) {
  const c = fx.cases[name];
  const model = sg.nn.sequential(sg.nn.linear(5, 3));
  const [w, b] = model.parameters();
  await sg.assign(w, sg.tensor(Float32Array.from(fx.w0), [3, 5]));
  await sg.assign(b, sg.tensor(Float32Array.from(fx.b0), [3]));
  const options = ours(c.options);
  if (c.scheduler) options.scheduler = sg.optim.stepLR({ stepSize: c.scheduler.step_size, gamma: c.scheduler.gamma });
  const ps = [w, b];
  const opt = c.groups
    ? sg.optim.adagrad(c.groups.map((g) => ({ params: g.params.map((i) => ps[i]), ...ours(g) })), options)
    : sg.optim.adagrad(ps, options);
  const x = sg.tensor(Float32Array.from(fx.x), [4, 5]);
  const y = sg.tensor(Float32Array.from(fx.y), [4, 3]);
  const loss = () => sg.mseLoss(model.forward(x), y);
  return { model, w, b, opt, loss };
}

/** f32 rounding over 5 steps: |got − torch| ≤ 1e-5 · max(1, |torch|). */
function expectClose(what: string, got: ArrayLike<number>, want: number[]): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: got ${got[i]}, torch ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i])));
  }
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Steps `from`… of `order`, each compiled ('c') or eager ('e'); the loss before each step. */
async function steps(s: Setup, order: string, from = 0): Promise<number[]> {
  const { w, b, opt, loss } = s;
  let plan: sg.Plan | undefined;
  const losses: number[] = [];
  try {
    for (let k = 0; k < order.length; k++) {
      opt.setEpoch(from + k);
      if (order[k] === 'c') {
        plan ??= await sg.compile(loss, { inputs: [], params: [w, b], optimizer: opt, label: 'adagrad step' });
        plan.run();
        losses.push((await plan.flush()).splice(0)[0].values.loss[0]);
      } else {
        const [value, grads] = await sg.valueAndGrad(loss, [w, b])(w, b);
        losses.push((await value.data())[0]);
        await opt.step(grads);
      }
    }
  } finally {
    plan?.dispose();
  }
  return losses;
}

async function expectTorch(name: string, s: Setup, losses: number[]): Promise<void> {
  const want = fx.cases[name];
  const [wv, bv] = await sg.read(s.w, s.b);
  expect(s.opt.steps).toBe(fx.steps);
  expectClose('loss', losses, want.losses);
  expectClose('weight', wv, want.w);
  expectClose('bias', bv, want.b);
}

describe('torch.optim.Adagrad: 5 steps of a linear layer', () => {
  for (const name of Object.keys(fx.cases)) {
    for (const order of ['eeeee', 'ccccc', 'cceec']) {
      it(`${name}: ${order} (c = compiled, e = eager)`, async () => {
        const s = await setup(name);
        await expectTorch(name, s, await steps(s, order));
        s.opt.dispose();
      });
    }
  }

  it('the state dict: optimizer.state.<i>.sum equals torch\'s state[i][\'sum\'], the step count torch\'s step', async () => {
    for (const name of ['lr_decay', 'initial_accumulator_value', 'groups']) {
      const want = fx.cases[name];
      const s = await setup(name);
      await steps(s, 'ccece');
      const path = join(mkdtempSync(join(tmpdir(), 'sg-adagrad-')), 'm.safetensors');
      await sg.save(s.model, path, { optimizer: s.opt });
      const ck = await sg.io.loadCheckpoint(path);
      expect(ck.metadata.optimizer, name).toMatchObject({ name: 'adagrad', step: want.state[0].step, state: ['sum'], params: 2 });
      expect(ck.tensors['optimizer.state.0.sum'].shape).toEqual([3, 5]);
      expectClose(`${name} sum 0`, ck.tensors['optimizer.state.0.sum'].data, want.state[0].sum);
      expectClose(`${name} sum 1`, ck.tensors['optimizer.state.1.sum'].data, want.state[1].sum);
      s.opt.dispose();
    }
  });
});

describe('checkpoints: sg.save / sg.load carry the sum and the step count', () => {
  it('2 steps, save, load into a new model and optimizer, 3 more == 5 uninterrupted == torch (lr_decay: the step count matters)', async () => {
    for (const name of ['lr_decay', 'initial_accumulator_value', 'step_lr']) {
      const whole = await setup(name);
      const wholeLosses = await steps(whole, 'ccccc');
      const [ww, wb] = await sg.read(whole.w, whole.b);

      const first = await setup(name);
      await steps(first, 'cc');
      const path = join(mkdtempSync(join(tmpdir(), 'sg-adagrad-')), 'run.safetensors');
      await sg.save(first.model, path, { optimizer: first.opt });

      // A fresh model and optimizer (other initial weights): load, then compiled steps 3–5.
      const next = await setup(name);
      await sg.assign(next.w, sg.full([3, 5], 0.5));
      await sg.load(next.model, path, { optimizer: next.opt });
      expect(next.opt.steps).toBe(2);
      const losses = await steps(next, 'ccc', 2);
      expect(next.opt.steps).toBe(5);
      const [nw, nb] = await sg.read(next.w, next.b);
      expect(Array.from(nw), `${name} weight`).toEqual(Array.from(ww));
      expect(Array.from(nb), `${name} bias`).toEqual(Array.from(wb));
      expect(losses, `${name} losses 3–5`).toEqual(wholeLosses.slice(2));
      expectClose(`${name} weight vs torch`, nw, fx.cases[name].w);
      [whole, first, next].forEach((s) => s.opt.dispose());
    }
  });

  it('saved before the first step: loading puts back the sum at initialAccumulatorValue (torch fills it in __init__)', async () => {
    const name = 'initial_accumulator_value';
    const fresh = await setup(name);
    const path = join(mkdtempSync(join(tmpdir(), 'sg-adagrad-')), 'fresh.safetensors');
    await sg.save(fresh.model, path, { optimizer: fresh.opt });
    const s = await setup(name);
    await steps(s, 'ee'); // steps before the load: the load must put the initial state (and weights) back
    await sg.load(s.model, path, { optimizer: s.opt });
    expect(s.opt.steps).toBe(0);
    await expectTorch(name, s, await steps(s, 'eeeee'));
    [fresh, s].forEach((x) => x.opt.dispose());
  });
});

describe('fit and the CLI', () => {
  it('sg.train.fit with adagrad trains a small classifier; the CLI\'s --optimizer adagrad makes one', async () => {
    sg.manualSeed(1);
    const model = sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, 3));
    const optimizer = sg.optim.adagrad(model.parameters(), { lr: 0.1 });
    const h = await sg.train.fit(model, { data: sg.data.spiral({ n: 200, noise: 0.1, seed: 3 }), loss: 'crossEntropy', batchSize: 20, seed: 1, optimizer, epochs: 4 });
    expect(optimizer.steps).toBe(40);
    expect(h.epochs[3].trainLoss).toBeLessThan(h.epochs[0].trainLoss);
    optimizer.dispose();
    const cli = makeOptimizer('adagrad', model.parameters(), { lr: 0.05 });
    expect(cli).toBeInstanceOf(sg.optim.Adagrad);
    expect(cli.paramGroups[0]).toMatchObject({ lr: 0.05 });
  });
});

describe('options', () => {
  const params = () => [sg.tensor([1, 2], [2], { name: 'p' })];

  it('torch\'s defaults: lr 0.01, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10', () => {
    const opt = sg.optim.adagrad(params());
    expect(opt.lr).toBe(0.01);
    expect(opt.stateNames).toEqual(['sum']);
    expect(opt.stateInit).toEqual([0]);
    expect(sg.optim.adagrad(params(), { initialAccumulatorValue: 0.3 }).stateInit).toEqual([0.3]);
  });

  it('negative or non-finite values and unknown options are refused by name', () => {
    expect(() => sg.optim.adagrad(params(), { lr: -0.1 })).toThrow(/optim\.adagrad: lr must be a finite number ≥ 0, got -0\.1/);
    expect(() => sg.optim.adagrad(params(), { lrDecay: -1 })).toThrow(/optim\.adagrad: lrDecay must be a finite number ≥ 0, got -1/);
    expect(() => sg.optim.adagrad(params(), { eps: -1e-10 })).toThrow(/optim\.adagrad: eps must be a finite number ≥ 0, got -1e-10/);
    expect(() => sg.optim.adagrad(params(), { initialAccumulatorValue: -0.5 })).toThrow(/optim\.adagrad: initialAccumulatorValue must be a finite number ≥ 0, got -0\.5/);
    expect(() => sg.optim.adagrad(params(), { weightDecay: -1 })).toThrow(/optim\.adagrad: weightDecay must be ≥ 0, got -1/);
    expect(() => sg.optim.adagrad(params(), { lr_decay: 0.1 } as never)).toThrow(/optim\.adagrad: unknown option 'lr_decay' \(did you mean 'lrDecay'\?\)/);
    expect(() => sg.optim.adagrad(params(), { momentum: 0.9 } as never)).toThrow(/optim\.adagrad: unknown option 'momentum'/);
  });

  it('parameter groups: own lr / lrDecay / eps checked per group; one initialAccumulatorValue for all', () => {
    const [a, b] = [sg.tensor([1], [1]), sg.tensor([2], [1])];
    expect(() => sg.optim.adagrad([{ params: [a] }, { params: [b], lrDecay: -0.1 }])).toThrow(/optim\.adagrad: param group 1: lrDecay must be a finite number ≥ 0, got -0\.1/);
    expect(() => sg.optim.adagrad([{ params: [a] }, { params: [b], lr_decay: 0.1 } as never])).toThrow(/param group 1: unknown option 'lr_decay' \(did you mean 'lrDecay'\?\)/);
    expect(() => sg.optim.adagrad([{ params: [a] }, { params: [b], initialAccumulatorValue: 0.1 }])).toThrow(
      /optim\.adagrad: parameter groups must keep the same state \(initialAccumulatorValue differs between groups\)/);
    const opt = sg.optim.adagrad([{ params: [a] }, { params: [b], lr: 0.5 }], { lrDecay: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.lrDecay])).toEqual([[0.01, 0.1], [0.5, 0.1]]);
  });

  it('the update op: lr, lrDecay, eps, step and the sum\'s shape', () => {
    const t = (shape: number[], name?: string) => sg.tensor(new Array(shape.reduce((x, y) => x * y, 1)).fill(1), shape, { name });
    expect(() => sg.adagradUpdate(t([3]), t([3]), t([3]), { lr: -1, step: 1 })).toThrow(/adagradUpdate: lr must be a finite number ≥ 0, got -1/);
    expect(() => sg.adagradUpdate(t([3]), t([3]), t([3]), { lr: 0.1, lrDecay: -0.1, step: 1 })).toThrow(/adagradUpdate: lrDecay must be a finite number ≥ 0, got -0\.1/);
    expect(() => sg.adagradUpdate(t([3]), t([3]), t([3]), { lr: 0.1, eps: -1, step: 1 })).toThrow(/adagradUpdate: eps must be a finite number ≥ 0, got -1/);
    expect(() => sg.adagradUpdate(t([3]), t([3]), t([3]), { lr: 0.1, step: 0 })).toThrow(/adagradUpdate: step must be an integer ≥ 1 \(the 1-based step number\), got 0/);
    expect(() => sg.adagradUpdate(t([3], 'p'), t([3]), t([2], 's'), { lr: 0.1, step: 1 })).toThrow(
      /adagradUpdate: sum tensor 's' \[2\] f32 must have the shape of param tensor 'p' \[3\] f32/);
  });
});
