// An audit of the losses, optimizers and LR schedules against PyTorch on option combinations the
// other fixtures leave out (kernels-test/fixtures/torch-audit/torch.json, made by make.py there with
// torch 1.13; the test does not need torch): crossEntropy with weight + ignoreIndex + labelSmoothing
// for every reduction on [N, C], [N, C, d1, d2] and [C] logits, all rows ignored, soft targets;
// BCE with logits with weight and posWeight broadcasts; mse / l1 / huber at d = 0 and |d| = δ;
// every valid option combination of SGD, Adam, AdamW, RMSprop and Adagrad over 6 eager steps (with
// clipping, parameter groups, compiled plans and a stepLR); clipGradNorm for every normType;
// stepLR, multiStepLR, exponentialLR, cosineAnnealing, linearLR, warmup (torch's SequentialLR of
// LinearLR and another) and reduceOnPlateau (with parameter groups) over 40 steps; and torch options
// shadergrad lacks (snake_case, betas, maximize for Adam, lastEpoch, ...) refused by name.
// Regressions kept here: reduceOnPlateau's eps check per parameter group, and a negative ignoreIndex
// accepted with class-probability targets, as torch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectTorch, f32, i32, loadFixture, type Entry } from '../torch-fixtures.js';

interface OptimCase {
  kind: 'sgd' | 'adam' | 'adamW' | 'rmsprop' | 'adagrad';
  options: Record<string, unknown>;
  groups: ({ params: number[] } & Record<string, unknown>)[] | null;
  stepLR: { stepSize: number; gamma: number } | null;
  /** Every parameter, flattened, after each step. */
  params: number[][][];
}
interface SchedCase {
  kind: string;
  options: Record<string, unknown>;
  base: number;
  groups: number[] | null;
  metrics: number[] | null;
  inner: { kind: string; options: Record<string, unknown> } | null;
  /** lr of every group after k = 0, 1, … scheduler steps. */
  lrs: number[][];
}
const fx = loadFixture<{
  cases: Record<string, Entry>;
  optim: {
    shapes: number[][]; init: number[][]; grads: number[][][]; cases: Record<string, OptimCase>;
    clip: Record<string, { normType: number | 'inf'; maxNorm: number; total: number; grad: number[] }>;
  };
  schedulers: Record<string, SchedCase>;
}>('torch-audit/torch.json');

const byPrefix = (prefix: string) => Object.entries(fx.cases).filter(([name]) => name.startsWith(prefix));

/** The loss and d/dx of Σ u·loss, as make.py's loss_and_grad. */
async function expectLossAndGrad(name: string, e: Entry, f: (x: Tensor) => Tensor, x: Tensor, atol = 1e-5, rtol = 1e-4): Promise<void> {
  const u = f32(e.inputs.u);
  await expectTorch(f(x), e.outputs.loss, `${name} loss`, atol, rtol);
  const [g] = sg.grad((a: Tensor) => sg.sum(sg.mul(f(a), u)))(x);
  await expectTorch(g, e.outputs.grad, `${name} grad`, atol, rtol);
}

/** d/dy of Σ u·f(x, y) for the target y, as make.py's target_grad. */
async function expectTargetGrad(name: string, e: Entry, f: (x: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor): Promise<void> {
  const u = f32(e.inputs.u);
  const [g] = sg.grad((b: Tensor) => sg.sum(sg.mul(f(x, b), u)))(y);
  await expectTorch(g, e.outputs.grad_target, `${name} target grad`);
}

beforeAll(async () => {
  await sg.init({ poison: true, quiet: true });
});
afterAll(() => sg.dispose());

describe('losses against torch.nn.functional', () => {
  it('crossEntropy with class indices: weight × ignoreIndex × labelSmoothing × reduction, [N, C], [N, C, d1, d2], [C]', async () => {
    const names = byPrefix('ce_').filter(([n]) => !n.startsWith('ce_all_ignored'));
    expect(names.length).toBe(114);
    for (const [name, e] of names) {
      const { ignoreIndex, labelSmoothing, reduction } = e.attrs as { ignoreIndex: number | null; labelSmoothing: number; reduction: sg.Reduction };
      const opts: sg.CrossEntropyOptions = { labelSmoothing, reduction };
      if (ignoreIndex !== null) opts.ignoreIndex = ignoreIndex;
      if (e.inputs.w) opts.weight = f32(e.inputs.w);
      const y = i32(e.inputs.y);
      await expectLossAndGrad(name, e, (z) => sg.crossEntropy(z, y, opts), f32(e.inputs.z));
    }
  });

  it("crossEntropy with every target ignored: 'mean' is 0/0 = NaN as torch, the gradient 0 or NaN as torch", async () => {
    for (const [name, e] of byPrefix('ce_all_ignored')) {
      const opts: sg.CrossEntropyOptions = { labelSmoothing: e.attrs.labelSmoothing as number };
      if (e.inputs.w) opts.weight = f32(e.inputs.w);
      const y = i32(e.inputs.y);
      const z = f32(e.inputs.z);
      await expectTorch(sg.crossEntropy(z, y, opts), e.outputs.loss, `${name} loss`);
      await expectTorch(sg.grad((a: Tensor) => sg.crossEntropy(a, y, opts))(z)[0], e.outputs.grad, `${name} grad`);
    }
  });

  it('crossEntropy with class probabilities: weight × labelSmoothing × reduction, [N, C, d1, d2] and [C] (gradients for logits and target)', async () => {
    const names = byPrefix('cep_');
    expect(names.length).toBe(26);
    for (const [name, e] of names) {
      if (!e.inputs.u) continue; // cep_ignore*: the next test
      const opts: sg.CrossEntropyOptions = { labelSmoothing: e.attrs.labelSmoothing as number, reduction: e.attrs.reduction as sg.Reduction };
      if (e.inputs.w) opts.weight = f32(e.inputs.w);
      const q = f32(e.inputs.q);
      await expectLossAndGrad(name, e, (z) => sg.crossEntropy(z, q, opts), f32(e.inputs.z));
      await expectTargetGrad(name, e, (z, p) => sg.crossEntropy(z, p, opts), f32(e.inputs.z), q);
    }
  });

  it('crossEntropy with class probabilities accepts a negative ignoreIndex and ignores it (torch refuses one ≥ 0)', async () => {
    for (const ig of [-100, -1]) {
      const e = fx.cases[`cep_ignore${ig}`];
      const q = f32(e.inputs.q);
      const f = (z: Tensor) => sg.crossEntropy(z, q, { ignoreIndex: ig, labelSmoothing: 0.1 });
      await expectTorch(f(f32(e.inputs.z)), e.outputs.loss, `cep_ignore${ig} loss`);
      await expectTorch(sg.grad(f)(f32(e.inputs.z))[0], e.outputs.grad, `cep_ignore${ig} grad`);
    }
    expect(() => sg.crossEntropy(sg.tensor([1, 2], [1, 2]), sg.tensor([0.5, 0.5], [1, 2]), { ignoreIndex: 1 })).toThrow(/applies to class-index targets only/);
  });

  it('binaryCrossEntropyWithLogits: weight and posWeight broadcasts × reduction (gradients for logits and target)', async () => {
    const names = byPrefix('bce_');
    expect(names.length).toBe(15);
    for (const [name, e] of names) {
      const opts: sg.BceWithLogitsOptions = { reduction: e.attrs.reduction as sg.Reduction };
      if (e.inputs.w) opts.weight = f32(e.inputs.w);
      if (e.inputs.pw) opts.posWeight = f32(e.inputs.pw);
      const y = f32(e.inputs.y);
      await expectLossAndGrad(name, e, (x) => sg.binaryCrossEntropyWithLogits(x, y, opts), f32(e.inputs.x));
      await expectTargetGrad(name, e, (x, t) => sg.binaryCrossEntropyWithLogits(x, t, opts), f32(e.inputs.x), y);
    }
  });

  it('mseLoss, l1Loss, huberLoss (δ = 0.5, 1, 2.5) × reduction, with d = 0 and |d| = δ exactly (gradients for input and target)', async () => {
    const names = byPrefix('pw_');
    expect(names.length).toBe(15);
    for (const [name, e] of names) {
      const reduction = e.attrs.reduction as sg.Reduction;
      const b = f32(e.inputs.b);
      const f2 = name.startsWith('pw_mse') ? (a: Tensor, t: Tensor) => sg.mseLoss(a, t, { reduction })
        : name.startsWith('pw_l1') ? (a: Tensor, t: Tensor) => sg.l1Loss(a, t, { reduction })
          : (a: Tensor, t: Tensor) => sg.huberLoss(a, t, { reduction, delta: e.attrs.delta as number });
      await expectLossAndGrad(name, e, (a) => f2(a, b), f32(e.inputs.a));
      await expectTargetGrad(name, e, f2, f32(e.inputs.a), b);
    }
  });
});

type Maker = (p: unknown, o: Record<string, unknown>) => sg.optim.Optimizer;
const makers: Record<OptimCase['kind'], Maker> = {
  sgd: (p, o) => sg.optim.sgd(p as never, o as never), adam: (p, o) => sg.optim.adam(p as never, o as never),
  adamW: (p, o) => sg.optim.adamW(p as never, o as never), rmsprop: (p, o) => sg.optim.rmsprop(p as never, o as never),
  adagrad: (p, o) => sg.optim.adagrad(p as never, o as never),
};

async function runOptimizer(name: string, c: OptimCase): Promise<void> {
  const { shapes, init, grads } = fx.optim;
  const params = init.map((v, i) => sg.tensor(Float32Array.from(v), shapes[i]));
  const options: Record<string, unknown> = { ...c.options };
  if (c.stepLR) options.scheduler = sg.optim.stepLR(c.stepLR);
  const groups = c.groups?.map(({ params: idx, ...rest }) => ({ ...rest, params: idx.map((i) => params[i]) }));
  const opt = makers[c.kind](groups ?? params, options);
  try {
    for (let s = 0; s < grads.length; s++) {
      opt.setEpoch(s); // the rate after s scheduler steps, as torch's loop (step, then scheduler.step())
      const byParam = new Map(params.map((p, i) => [p, sg.tensor(Float32Array.from(grads[s][i]), shapes[i])]));
      await opt.step(opt.params.map((p) => byParam.get(p)!));
      const got = await sg.read(...params);
      got.forEach((v, i) => {
        const want = c.params[s][i];
        for (let j = 0; j < want.length; j++) {
          expect(Math.abs(v[j] - want[j]), `${name} step ${s + 1}: parameter ${i}[${j}]: ${v[j]} vs torch ${want[j]}`)
            .toBeLessThanOrEqual(2e-5 + 2e-5 * Math.abs(want[j]));
        }
      });
    }
  } finally {
    opt.dispose();
  }
}

describe('optimizers against torch.optim: 6 eager steps of given gradients', () => {
  for (const kind of ['sgd', 'adam', 'adamW', 'rmsprop', 'adagrad'] as const) {
    it(`${kind}: every valid option combination`, async () => {
      const names = Object.entries(fx.optim.cases).filter(([n, c]) => c.kind === kind && !c.groups && n.startsWith(`${kind}_`) &&
        c.options.clipNorm === undefined && c.options.clipValue === undefined);
      expect(names.length).toBeGreaterThan(7);
      for (const [name, c] of names) await runOptimizer(name, c);
    });
  }

  it('parameter groups over every rule option in a compiled plan (hyper-parameters per group written each step)', async () => {
    const { shapes, init, grads } = fx.optim;
    for (const name of ['groups_adam_amsgrad', 'groups_rmsprop', 'groups_adagrad', 'groups_sgd_dampening']) {
      const c = fx.optim.cases[name];
      const params = init.map((v, i) => sg.tensor(Float32Array.from(v), shapes[i]));
      const groups = c.groups!.map(({ params: idx, ...rest }) => ({ ...rest, params: idx.map((i) => params[i]) }));
      const opt = makers[c.kind](groups, { ...c.options });
      // loss = Σ_i Σ p_i ∘ g_i: the gradient of p_i is g_i, an input of the step.
      const plan = await sg.compile((...g: Tensor[]) => params.map((p, i) => sg.sum(sg.mul(p, g[i]))).reduce((a, b) => sg.add(a, b)), {
        inputs: shapes.map((shape) => ({ shape })), params: opt.params, optimizer: opt,
      });
      for (const step of grads) plan.run(...step.map((g) => Float32Array.from(g)));
      await plan.flush();
      const got = await sg.read(...params);
      got.forEach((v, i) => c.params[grads.length - 1][i].forEach((w, j) => {
        expect(Math.abs(v[j] - w), `${name} compiled: parameter ${i}[${j}]: ${v[j]} vs torch ${w}`).toBeLessThanOrEqual(2e-5 + 2e-5 * Math.abs(w));
      }));
      plan.dispose();
      opt.dispose();
    }
  });

  it('clipGradNorm: every normType (2, 1, 3, 0.5, Infinity), clipping and not, as torch.nn.utils.clip_grad_norm_', async () => {
    const flat = Float32Array.from(fx.optim.grads[0].flat());
    const names = Object.keys(fx.optim.clip);
    expect(names.length).toBe(10);
    for (const name of names) {
      const c = fx.optim.clip[name];
      const r = sg.clipGradNorm(sg.tensor(flat, [flat.length]), c.maxNorm, { normType: c.normType === 'inf' ? Infinity : c.normType });
      const total = await r.totalNorm.item();
      expect(Math.abs(total - c.total), `${name} total norm: ${total} vs torch ${c.total}`).toBeLessThanOrEqual(1e-5 * Math.abs(c.total));
      await expectTorch(r.grad, { shape: [flat.length], data: c.grad }, `${name} clipped gradient`, 1e-6, 1e-5);
    }
  });

  it('clipping (clip_grad_norm_ / clip_grad_value_ before the step) and parameter groups over every rule option', async () => {
    const names = Object.entries(fx.optim.cases).filter(([n]) => n.includes('clip') || n.startsWith('groups_'));
    expect(names.length).toBe(8);
    for (const [name, c] of names) await runOptimizer(name, c);
  });
});

describe('options torch has and shadergrad lacks are refused, never ignored', () => {
  it('snake_case, tuple betas, and options of other optimizers or schedulers', () => {
    const p = [sg.tensor([1, 2], [2])];
    const z = sg.tensor([0.1, 0.2, 0.3], [1, 3]);
    const y = sg.tensor([1], [1], { dtype: 'i32' });
    const refused: [string, () => unknown, RegExp][] = [
      ['adam betas', () => sg.optim.adam(p, { lr: 0.1, betas: [0.9, 0.99] } as never), /betas/],
      ['adam maximize', () => sg.optim.adam(p, { lr: 0.1, maximize: true } as never), /maximize/],
      ['adamW weight_decay', () => sg.optim.adamW(p, { lr: 0.1, weight_decay: 0.1 } as never), /weight_decay/],
      ['rmsprop maximize', () => sg.optim.rmsprop(p, { lr: 0.1, maximize: true } as never), /maximize/],
      ['sgd foreach', () => sg.optim.sgd(p, { lr: 0.1, foreach: true } as never), /foreach/],
      ['adagrad lr_decay', () => sg.optim.adagrad(p, { lr_decay: 0.1 } as never), /lr_decay/],
      ['group amsgrad', () => sg.optim.sgd([{ params: p, amsgrad: true }] as never, { lr: 0.1 }), /amsgrad/],
      ['crossEntropy ignore_index', () => sg.crossEntropy(z, y, { ignore_index: 1 } as never), /ignore_index/],
      ['crossEntropy reduce', () => sg.crossEntropy(z, y, { reduce: false } as never), /reduce/],
      ['bce pos_weight', () => sg.binaryCrossEntropyWithLogits(z, z, { pos_weight: z } as never), /pos_weight/],
      ['huber beta', () => sg.huberLoss(z, z, { beta: 2 } as never), /beta/],
      ['mse weight', () => sg.mseLoss(z, z, { weight: z } as never), /weight/],
      ['klDiv log_target', () => sg.klDiv(z, z, { log_target: true } as never), /log_target/],
      ['stepLR step_size', () => sg.optim.stepLR({ stepSize: 2, step_size: 3 } as never), /step_size/],
      ['cosineAnnealing last_epoch', () => sg.optim.cosineAnnealing({ tMax: 2, lastEpoch: 3 } as never), /lastEpoch/],
      ['linearLR total_iters', () => sg.optim.linearLR({ total_iters: 3 } as never), /total_iters/],
      ['reduceOnPlateau min_lr', () => sg.optim.reduceOnPlateau({ min_lr: 0.1 } as never), /min_lr/],
      ['reduceOnPlateau verbose', () => sg.optim.reduceOnPlateau({ verbose: true } as never), /verbose/],
    ];
    for (const [what, f, re] of refused) expect(f, what).toThrow(re);
  });
});

type Factory = (o: Record<string, unknown>) => sg.optim.Scheduler;
const schedules: Record<string, Factory> = {
  stepLR: (o) => sg.optim.stepLR(o as never), multiStepLR: (o) => sg.optim.multiStepLR(o as never),
  exponentialLR: (o) => sg.optim.exponentialLR(o as never), cosineAnnealing: (o) => sg.optim.cosineAnnealing(o as never),
  linearLR: (o) => sg.optim.linearLR(o as never), reduceOnPlateau: (o) => sg.optim.reduceOnPlateau(o as never),
};

/** Each group's rate after k = 0, 1, … steps, through an optimizer as train.fit drives it (setEpoch, observe). */
function curve(c: SchedCase): number[][] {
  const s = c.kind === 'warmup' ? sg.optim.warmup(schedules[c.inner!.kind](c.inner!.options), c.options as never) : schedules[c.kind](c.options);
  const bases = c.groups ?? [c.base];
  const params = bases.map(() => sg.tensor([0], [1]));
  const opt = sg.optim.sgd(bases.map((lr, i) => ({ params: [params[i]], lr })), { lr: c.base, scheduler: s });
  const out: number[][] = [];
  for (let k = 0; k < c.lrs.length; k++) {
    opt.setEpoch(k);
    out.push(bases.map((_, g) => opt.groupLr(g)));
    if (c.metrics) opt.observe(c.metrics[k]);
  }
  return out;
}

describe('LR schedules against torch.optim.lr_scheduler over 40 steps', () => {
  const kinds = [...new Set(Object.values(fx.schedulers).map((c) => c.kind))];
  for (const kind of kinds) {
    it(kind, () => {
      for (const [name, c] of Object.entries(fx.schedulers).filter(([, x]) => x.kind === kind)) {
        const got = curve(c);
        c.lrs.forEach((want, k) => want.forEach((w, g) => {
          expect(Math.abs(got[k][g] - w), `${name}: group ${g} after ${k} steps: ${got[k][g]} vs torch ${w}`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(w));
        }));
      }
    });
  }
});
