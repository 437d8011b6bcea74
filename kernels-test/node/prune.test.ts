// Pruning (issue #18 item 6): sg.nn.prune with torch.nn.utils.prune's semantics and names. Masks equal
// torch's (fixtures/prune/make.py: l1Unstructured, lnStructured n = 1, 2, ±inf along dims 0 / 1 / -1,
// globalUnstructured, repeated pruning, fractions and counts, ties as torch.topk breaks them); the
// forward uses weight_orig × weight_mask and the gradient of weight_orig is masked; state-dict keys are
// torch's, sg.save / sg.load round-trip them; remove() makes the pruning permanent; compiled plans and
// fit keep pruned entries at 0; compact() drops pruned units with the same outputs and fewer parameters,
// also before zero-padded convolutions (Conv2dWithConstantMap: the CLI's CNN, stride / dilation / 'same'
// geometries, two input sizes with one output size, save / load, gradients and a compiled training step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { rng } from '../harness.js';
import { loadFixture, values, type Arr } from '../torch-fixtures.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const prune = sg.nn.prune;

interface Step { method: 'l1_unstructured' | 'ln_structured'; amount: number; amountIsInt: boolean; n?: number | string; dim?: number }
interface Case {
  weight: Arr; bias?: Arr; steps: Step[]; masks: Arr[]; param: 'weight' | 'bias'; stateDict: string[]; parameters: string[]; buffers: string[];
  x?: Arr; y?: Arr; r?: Arr; gradOrig?: Arr;
}
interface Fixture {
  torch: string;
  topk: { values: number[]; k: number; largest: boolean; indices: number[] }[];
  cases: Record<string, Case> & {
    global: { weights: Arr[]; amounts: number[]; masks: Arr[][] };
    'global after local': { weights: Arr[]; localAmount: number; amount: number; masks: Arr[] };
  };
  stateDict: { pruned: string[]; removed: string[] };
}
const fx = loadFixture<Fixture>('prune/prune.json');
const MAKER = 'prune/make.py';

const randoms = (n: number, seed: number, scale = 1) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
};
const t = (a: Arr) => sg.tensor(Float32Array.from(values(a)), a.shape);
const norm = (n: number | string | undefined) => (n === 'inf' ? Infinity : n === '-inf' ? -Infinity : Number(n));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** A Linear or Conv2d holding the fixture's weight (and the parameter being pruned, if the bias). */
async function layerFor(c: Case): Promise<sg.nn.Linear | sg.nn.Conv2d> {
  const s = c.param === 'bias' ? [c.weight.shape[0], 3] : c.weight.shape; // a bias case's 'weight' is the bias
  const m = s.length === 2 ? sg.nn.linear(s[1], s[0]) : sg.nn.conv2d(s[1], s[0], s[2]);
  if (c.param === 'bias') await sg.assign(m.bias!, t(c.weight));
  else await sg.assign(m.weight, t(c.weight));
  if (c.bias && c.param === 'weight') await sg.assign(m.bias!, t(c.bias));
  return m;
}

async function applyStep(m: sg.nn.Module, param: string, s: Step): Promise<void> {
  if (s.method === 'l1_unstructured') await prune.l1Unstructured(m, param, { amount: s.amount });
  else await prune.lnStructured(m, param, { amount: s.amount, n: norm(s.n), dim: s.dim! });
}

const maskOf = (m: sg.nn.Module, name: string) => m.stateDict()[`${name}_mask`];

describe('torch.topk\'s choice among ties', () => {
  it(`the selected indices equal torch ${fx.torch}'s on ${fx.topk.length} tie-heavy vectors (partial_sort, nth_element, depth limit)`, () => {
    for (const [i, c] of fx.topk.entries()) {
      const got = prune.topk(c.values, c.k, c.largest).sort((a, b) => a - b);
      expect(got, `topk case ${i}: n ${c.values.length}, k ${c.k}, largest ${c.largest}`).toEqual(c.indices);
    }
    // Lowest index first would not do: torch's choice differs from it in these cases.
    const lowest = fx.topk.filter((c) => {
      const order = c.values.map((v, i) => [v, i]).sort((a, b) => (c.largest ? b[0] - a[0] : a[0] - b[0]) || a[1] - b[1]);
      return JSON.stringify(order.slice(0, c.k).map(([, i]) => i).sort((a, b) => a - b)) !== JSON.stringify(c.indices);
    });
    expect(lowest.length).toBeGreaterThan(5);
  });
});

describe('masks equal torch\'s', () => {
  const names = Object.keys(fx.cases).filter((n) => !n.startsWith('global'));
  it.each(names)('%s', async (name) => {
    const c = fx.cases[name] as Case;
    if (!c) throw new Error(`fixture ${name} missing: rerun kernels-test/fixtures/${MAKER}`);
    const m = await layerFor(c);
    for (const [i, s] of c.steps.entries()) {
      expect(Number.isInteger(s.amount), `${name} step ${i}: amount ${s.amount} is a count in torch iff an integer here`).toBe(s.amountIsInt || s.amount === 0);
      await applyStep(m, c.param, s);
      expect(Array.from(await maskOf(m, c.param).data()), `${name}: mask after step ${i} (${s.method} ${s.amount})`).toEqual(values(c.masks[i]));
    }
    expect(Object.keys(m.stateDict())).toEqual(c.stateDict);
    expect(m.namedParameters().map(([n]) => n)).toEqual(c.parameters);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(c.buffers);
    expect(prune.isPruned(m)).toBe(true);
    if (c.x) {
      // Forward with weight_orig × weight_mask; the gradient of Σ y·r reaching weight_orig is masked.
      const x = t(c.x);
      const y = m.forward(x);
      expect(maxDiff(await y.data(), values(c.y!)), `${name}: forward`).toBeLessThan(1e-5);
      const orig = m.stateDict()[`${c.param}_orig`];
      expect(m.parameters()).toContain(orig);
      const [, [g]] = await sg.valueAndGrad(() => sg.sum(sg.mul(m.forward(x), t(c.r!))), [orig])(orig);
      const grad = await g.data();
      expect(maxDiff(grad, values(c.gradOrig!)), `${name}: gradient of ${c.param}_orig`).toBeLessThan(1e-5);
      const mask = await maskOf(m, c.param).data();
      expect(Array.from(grad).every((v, i) => mask[i] === 1 || v === 0)).toBe(true);
      expect(Array.from(mask).some((v) => v === 0)).toBe(true);
    }
  });

  it('globalUnstructured over two layers, twice (the second amount counts what is still unpruned)', async () => {
    const c = fx.cases.global;
    const [a, b] = [sg.nn.linear(6, 4), sg.nn.linear(4, 3)];
    await sg.assign(a.weight, t(c.weights[0]));
    await sg.assign(b.weight, t(c.weights[1]));
    for (const [step, amount] of c.amounts.entries()) {
      await prune.globalUnstructured([[a, 'weight'], [b, 'weight']], { amount });
      expect(Array.from(await maskOf(a, 'weight').data()), `step ${step}: first layer`).toEqual(values(c.masks[step][0]));
      expect(Array.from(await maskOf(b, 'weight').data()), `step ${step}: second layer`).toEqual(values(c.masks[step][1]));
    }
    // The layers' own shares differ from a per-layer 40 %: the pruning was global.
    const zeros = (v: ArrayLike<number>) => Array.from(v).filter((x) => x === 0).length;
    expect([zeros(values(c.masks[0][0])), zeros(values(c.masks[0][1]))]).not.toEqual([10, 5]);
  });

  it('globalUnstructured after a local pruning of one layer', async () => {
    const c = fx.cases['global after local'];
    const [a, b] = [sg.nn.linear(5, 4), sg.nn.linear(4, 4)];
    await sg.assign(a.weight, t(c.weights[0]));
    await sg.assign(b.weight, t(c.weights[1]));
    await prune.l1Unstructured(a, 'weight', { amount: c.localAmount });
    await prune.globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: c.amount });
    expect(Array.from(await maskOf(a, 'weight').data())).toEqual(values(c.masks[0]));
    expect(Array.from(await maskOf(b, 'weight').data())).toEqual(values(c.masks[1]));
  });
});

/** torch's net of make.py: Conv2d(1, 2, 3), BatchNorm2d(2), ReLU, Flatten, Linear(8, 3), pruned as there. */
async function prunedNet(seed: number) {
  sg.manualSeed(seed);
  const net = sg.nn.sequential(sg.nn.conv2d(1, 2, 3), sg.nn.batchNorm2d(2), sg.nn.relu(), sg.nn.flatten(), sg.nn.linear(8, 3));
  const [conv, , , , lin] = net.layers;
  await prune.l1Unstructured(conv, 'weight', { amount: 0.5 });
  await prune.lnStructured(lin, 'weight', { amount: 1, n: 2, dim: 0 });
  await prune.l1Unstructured(lin, 'bias', { amount: 1 });
  return net;
}

describe('state dict, checkpoints, remove()', () => {
  it('keys are torch\'s: <name>_orig after the other parameters, <name>_mask a buffer; after remove() <name> comes last', async () => {
    const net = await prunedNet(1);
    expect(Object.keys(net.stateDict())).toEqual(fx.stateDict.pruned);
    expect(net.stateDict()['4.weight_mask'].dtype).toBe('f32');
    const lin = net.layers[4] as sg.nn.Linear;
    const orig = lin.stateDict().weight_orig;
    await prune.remove(lin, 'weight');
    expect(Object.keys(net.stateDict())).toEqual(fx.stateDict.removed);
    expect(lin.weight).toBe(orig); // the same tensor: an optimizer holding it keeps it
    expect(prune.isPruned(lin)).toBe(true); // the bias still is
    await prune.remove(lin, 'bias');
    expect(prune.isPruned(lin)).toBe(false);
    expect(prune.isPruned(net)).toBe(true); // the conv still is
  });

  it('remove() writes orig × mask into the parameter; the model computes the same', async () => {
    sg.manualSeed(3);
    const lin = sg.nn.linear(7, 5);
    const w0 = await lin.weight.data();
    await prune.l1Unstructured(lin, 'weight', { amount: 0.4 });
    const x = sg.tensor(randoms(3 * 7, 4), [3, 7]);
    const before = await lin.forward(x).data();
    const mask = await maskOf(lin, 'weight').data();
    expect(Array.from(mask).filter((v) => v === 0).length).toBe(14); // round(0.4 · 35)
    await prune.remove(lin, 'weight');
    expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight']);
    expect(lin.parameters()).toContain(lin.weight);
    expect(Array.from(await lin.weight.data())).toEqual(Array.from(w0, (v, i) => v * mask[i]));
    expect(maxDiff(await lin.forward(x).data(), before)).toBe(0);
  });

  it('sg.save / sg.load round trip of a pruned model (weight_orig, weight_mask); an unpruned model refuses the file', async () => {
    const net = await prunedNet(5);
    net.eval();
    const x = sg.tensor(randoms(2 * 16, 6), [2, 1, 4, 4]);
    const want = await net.forward(x).data();
    const path = join(mkdtempSync(join(tmpdir(), 'sg-prune-')), 'pruned.safetensors');
    await sg.save(net, path);
    // A differently initialised copy, pruned with masks of ones (torch's prune.identity), then loaded.
    sg.manualSeed(99);
    const copy = sg.nn.sequential(sg.nn.conv2d(1, 2, 3), sg.nn.batchNorm2d(2), sg.nn.relu(), sg.nn.flatten(), sg.nn.linear(8, 3));
    await prune.identity(copy.layers[0], 'weight');
    await prune.identity(copy.layers[4], 'weight');
    await prune.identity(copy.layers[4], 'bias');
    expect(Object.keys(copy.stateDict())).toEqual(Object.keys(net.stateDict()));
    await sg.load(copy, path);
    copy.eval();
    expect(Array.from(await copy.forward(x).data())).toEqual(Array.from(want));
    for (const k of ['0.weight_mask', '4.weight_mask', '4.bias_mask', '4.weight_orig']) {
      expect(Array.from(await copy.stateDict()[k].data()), k).toEqual(Array.from(await net.stateDict()[k].data()));
    }
    const plain = sg.nn.sequential(sg.nn.conv2d(1, 2, 3), sg.nn.batchNorm2d(2), sg.nn.relu(), sg.nn.flatten(), sg.nn.linear(8, 3));
    await expect(sg.load(plain, path)).rejects.toThrow(/weight_orig/);
  });

  it('loadStateDict takes the torch keys, and the forward follows the loaded mask', async () => {
    sg.manualSeed(7);
    const lin = sg.nn.linear(4, 3);
    await prune.identity(lin, 'weight');
    const w = randoms(12, 8);
    const mask = Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    await lin.loadStateDict({ bias: { shape: [3], dtype: 'f32', data: new Float32Array(3) }, weight_orig: { shape: [3, 4], dtype: 'f32', data: w }, weight_mask: { shape: [3, 4], dtype: 'f32', data: mask } });
    expect(Array.from(await lin.weight.data())).toEqual(Array.from(w, (v, i) => v * mask[i]));
  });
});

describe('training a pruned model', () => {
  it('a compiled plan (sg.compile with an optimizer) keeps the pruned entries at 0 and leaves their weight_orig untouched', async () => {
    sg.manualSeed(11);
    const model = sg.nn.sequential(sg.nn.linear(5, 8), sg.nn.relu(), sg.nn.linear(8, 2));
    const first = model.layers[0] as sg.nn.Linear;
    const opt0 = sg.optim.sgd(model.parameters(), { lr: 0.1 }); // made before pruning: holds the same tensors
    await prune.lnStructured(first, 'weight', { amount: 3, n: 2, dim: 0 });
    await prune.l1Unstructured(first, 'weight', { amount: 0.25 });
    expect(opt0.params).toContain(first.stateDict().weight_orig);
    const orig = first.stateDict().weight_orig;
    const o0 = await orig.data();
    const mask = await maskOf(first, 'weight').data();
    const opt = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    const X = randoms(6 * 5, 12);
    const Y = randoms(6 * 2, 13);
    const plan = await sg.compile((xb, yb) => sg.mseLoss(model.forward(xb), yb), {
      inputs: [{ shape: [6, 5], name: 'x' }, { shape: [6, 2], name: 'y' }], params: model.parameters(), optimizer: opt,
    });
    for (let s = 0; s < 5; s++) plan.run(X, Y);
    const losses = (await plan.flush()).map((h) => h.values.loss[0]);
    expect(losses[4]).toBeLessThan(losses[0]);
    const o1 = await orig.data();
    const frozenWhereMasked = (before: Float32Array, after: Float32Array, m: Float32Array, what: string) => {
      let moved = 0;
      for (let i = 0; i < after.length; i++) {
        if (m[i] === 0) expect(after[i], `${what}: pruned entry ${i} of weight_orig`).toBe(before[i]);
        else if (after[i] !== before[i]) moved++;
      }
      expect(moved, `${what}: unpruned entries trained`).toBeGreaterThan(0);
    };
    frozenWhereMasked(o0 as Float32Array, o1 as Float32Array, mask as Float32Array, 'compiled steps');
    expect(Array.from(await first.weight.data()).every((v, i) => mask[i] === 1 || v === 0)).toBe(true);
    // The plan's first loss is the pruned model's loss (the forward used weight_orig × weight_mask).
    const eager = await sg.mseLoss(model.forward(sg.tensor(X, [6, 5])), sg.tensor(Y, [6, 2])).item();
    expect(eager).toBeLessThan(losses[0]);
    // Pruning again after compiling: the plan reads the new mask (written into the same buffer).
    await prune.l1Unstructured(first, 'weight', { amount: 0.5 });
    const mask2 = await maskOf(first, 'weight').data();
    expect(Array.from(mask).filter((v) => v === 0).length).toBe(3 * 5 + 6); // 3 rows, then round(0.25 · 25) entries
    expect(Array.from(mask2).filter((v) => v === 0).length).toBe(21 + 10); // round(0.5 · 19 unpruned) = 10 (half to even)
    for (let s = 0; s < 3; s++) plan.run(X, Y);
    await plan.flush();
    plan.dispose();
    frozenWhereMasked(o1 as Float32Array, (await orig.data()) as Float32Array, mask2 as Float32Array, 'after pruning again');
  });

  it('fit with Adam keeps pruned entries of weight_orig exactly (their gradient is 0) and trains the rest', async () => {
    sg.manualSeed(21);
    const model = sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, 3));
    await prune.l1Unstructured(model.layers[0], 'weight', { amount: 0.5 });
    await prune.l1Unstructured(model.layers[2], 'weight', { amount: 10 });
    const opt = sg.optim.adam(model.parameters(), { lr: 0.02 });
    const origs = [0, 2].map((i) => model.layers[i].stateDict().weight_orig);
    const masks = await sg.read(...[0, 2].map((i) => maskOf(model.layers[i], 'weight')));
    const before = await sg.read(...origs);
    const h = await sg.train.fit(model, { data: sg.data.spiral({ n: 120, noise: 0.1, seed: 3 }), loss: 'crossEntropy', optimizer: opt, epochs: 2, batchSize: 30, seed: 1 });
    expect(h.epochs.length).toBe(2);
    const after = await sg.read(...origs);
    for (const [l, m] of masks.entries()) {
      let moved = 0;
      m.forEach((v, i) => {
        if (v === 0) expect(after[l][i], `layer ${l} pruned entry ${i}`).toBe(before[l][i]);
        else if (after[l][i] !== before[l][i]) moved++;
      });
      expect(moved).toBeGreaterThan(0);
    }
  });
});

describe('randomUnstructured', () => {
  it('prunes round(amount · n) entries, reproducibly with a seed, and only among unpruned ones when repeated', async () => {
    const lin = sg.nn.linear(6, 5);
    await prune.randomUnstructured(lin, 'weight', { amount: 0.3, seed: 4 });
    const m1 = await maskOf(lin, 'weight').data();
    expect(Array.from(m1).filter((v) => v === 0).length).toBe(9);
    const again = sg.nn.linear(6, 5);
    await prune.randomUnstructured(again, 'weight', { amount: 0.3, seed: 4 });
    expect(Array.from(await maskOf(again, 'weight').data())).toEqual(Array.from(m1));
    await prune.randomUnstructured(lin, 'weight', { amount: 7, seed: 5 });
    const m2 = await maskOf(lin, 'weight').data();
    expect(Array.from(m2).filter((v) => v === 0).length).toBe(16);
    expect(Array.from(m1).every((v, i) => v === 1 || m2[i] === 0)).toBe(true);
  });
});

describe('compact', () => {
  async function trainStats(model: sg.nn.Module, x: Tensor) {
    model.train();
    for (let i = 0; i < 3; i++) await model.forward(x).data(); // batch norm running statistics move off 0 / 1
    model.eval();
  }

  it('conv-bn-relu-pool-flatten-linear: drops the pruned channels, same outputs (eval), fewer parameters', async () => {
    sg.manualSeed(31);
    const model = sg.nn.sequential(
      sg.nn.conv2d(2, 6, 3), sg.nn.batchNorm2d(6), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(6, 5, 1), sg.nn.batchNorm2d(5), sg.nn.relu(), sg.nn.flatten(), sg.nn.dropout(0.2), sg.nn.linear(5 * 3 * 3, 4),
    );
    const x = sg.tensor(randoms(3 * 2 * 8 * 8, 32), [3, 2, 8, 8]);
    await trainStats(model, x);
    await prune.lnStructured(model.layers[0], 'weight', { amount: 0.5, n: 2, dim: 0 });
    await prune.lnStructured(model.layers[4], 'weight', { amount: 2, n: 1, dim: 0 });
    await prune.l1Unstructured(model.layers[9], 'weight', { amount: 0.2 });
    const want = await model.forward(x).data();
    const r = await prune.compact(model);
    expect(r.layers.map((l) => [l.index, l.kind, l.before, l.after])).toEqual([
      [0, 'Conv2d', [6, 2, 3, 3], [3, 2, 3, 3]], [1, 'BatchNorm2d', [6], [3]],
      [4, 'Conv2d', [5, 6, 1, 1], [3, 3, 1, 1]], [5, 'BatchNorm2d', [5], [3]], [9, 'Linear', [4, 45], [4, 27]],
    ]);
    const before = 6 * 2 * 9 + 6 + 12 + 5 * 6 + 5 + 10 + 4 * 45 + 4;
    const after = 3 * 2 * 9 + 3 + 6 + 3 * 3 + 3 + 6 + 4 * 27 + 4;
    expect([r.parametersBefore, r.parametersAfter]).toEqual([before, after]);
    expect(r.model.training).toBe(false);
    expect(prune.isPruned(r.model)).toBe(false);
    const got = await r.model.forward(x).data();
    expect(maxDiff(got, want)).toBeLessThan(1e-4);
    expect(prune.isPruned(model)).toBe(true); // the original is unchanged
    expect(maxDiff(await model.forward(x).data(), want)).toBe(0);
  });

  it('an MLP: a dropped unit\'s bias, through a sigmoid, is folded into the next layer\'s bias', async () => {
    sg.manualSeed(41);
    const model = sg.nn.sequential(sg.nn.linear(6, 8), sg.nn.sigmoid(), sg.nn.linear(8, 7), sg.nn.relu(), sg.nn.linear(7, 3));
    await prune.lnStructured(model.layers[0], 'weight', { amount: 3, n: Infinity, dim: 0 });
    await prune.lnStructured(model.layers[2], 'weight', { amount: 0.3, n: 2, dim: 0 });
    await prune.lnStructured(model.layers[4], 'weight', { amount: 1, n: 2, dim: 0 }); // the last layer keeps its outputs
    const x = sg.tensor(randoms(5 * 6, 42), [5, 6]);
    const want = await model.forward(x).data();
    const r = await prune.compact(model);
    expect(r.layers.map((l) => l.after)).toEqual([[5, 6], [5, 5], [3, 5]]);
    expect(r.parametersAfter).toBe(5 * 6 + 5 + 5 * 5 + 5 + 3 * 5 + 3);
    expect(r.parametersBefore).toBe(8 * 6 + 8 + 7 * 8 + 7 + 3 * 7 + 3);
    expect(maxDiff(await r.model.forward(x).data(), want)).toBeLessThan(1e-5);
  });

  it('refuses, naming the layer, what it cannot shrink', async () => {
    // A compacted model's Conv2dWithConstantMap cannot drop an output channel whose map is not zero.
    const padded = sg.nn.sequential(sg.nn.conv2d(1, 4, 3), sg.nn.relu(), sg.nn.conv2d(4, 3, 3, { padding: 1 }), sg.nn.relu(), sg.nn.conv2d(3, 2, 1));
    await sg.assign((padded.layers[0] as sg.nn.Conv2d).bias!, sg.tensor([0.5, 0.5, 0.5, 0.5], [4]));
    await prune.lnStructured(padded.layers[0], 'weight', { amount: 2, n: 1, dim: 0 });
    const once = (await prune.compact(padded)).model;
    expect(once.layers[2]).toBeInstanceOf(prune.Conv2dWithConstantMap);
    await prune.lnStructured(once.layers[2], 'weight', { amount: 1, n: 1, dim: 0 });
    await expect(prune.compact(once)).rejects.toThrow(/prune\.compact: layer 2 \(Conv2dWithConstantMap\): output channel \d is pruned, but it carries the constant map of dropped input channels/);
    const norm = sg.nn.sequential(sg.nn.linear(4, 4), sg.nn.layerNorm(4), sg.nn.linear(4, 2));
    await prune.lnStructured(norm.layers[0], 'weight', { amount: 1, n: 1, dim: 0 });
    await expect(prune.compact(norm)).rejects.toThrow(/prune\.compact: layer 1 \(LayerNorm\): compact handles Linear, Conv2d/);
    const soft = sg.nn.sequential(sg.nn.linear(4, 4), sg.nn.softmax(), sg.nn.linear(4, 2));
    await prune.lnStructured(soft.layers[0], 'weight', { amount: 1, n: 1, dim: 0 });
    await expect(prune.compact(soft)).rejects.toThrow(/layer 1 \(Softmax\): cannot carry dropped units through a Softmax/);
    await expect(prune.compact(sg.nn.linear(2, 2))).rejects.toThrow(/prune\.compact: expected a Sequential, got Linear/);
  });
});

describe('compact: zero-padded convolutions (Conv2dWithConstantMap)', () => {
  /** Outputs equal to 1e-5 of the largest |want| (f32 sums in another order). */
  function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
    const scale = Math.max(...Array.from(want, Math.abs));
    expect(scale, `${what}: the reference is not all zero`).toBeGreaterThan(0);
    expect(maxDiff(got, want) / scale, `${what}: max |compacted − masked| / max |masked|`).toBeLessThan(1e-5);
  }
  const convOf = (m: sg.nn.Module) => m as sg.nn.Conv2d;

  /** The CLI's CNN (src/cli/setup.ts buildModel), batch norm statistics moved off 0 / 1. */
  async function cliCnn(seed: number, positive: boolean) {
    sg.manualSeed(seed);
    const model = sg.nn.sequential(
      sg.nn.conv2d(1, 8, 3, { padding: 1 }), sg.nn.batchNorm2d(8), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(8, 16, 3, { padding: 1 }), sg.nn.batchNorm2d(16), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.flatten(), sg.nn.linear(16 * 3 * 3, 4),
    );
    if (positive) {
      // Positive conv biases and batch-norm shifts: the dropped channels' constants survive the ReLU.
      for (const [c, bn, n] of [[0, 1, 8], [4, 5, 16]]) {
        await sg.assign(convOf(model.layers[c]).bias!, sg.tensor(Float32Array.from({ length: n }, (_, i) => 0.2 + 0.05 * i), [n]));
        await sg.assign(model.layers[bn].stateDict().bias, sg.tensor(Float32Array.from({ length: n }, (_, i) => 0.3 + 0.02 * i), [n]));
      }
    }
    model.train();
    for (let i = 0; i < 2; i++) await model.forward(sg.tensor(randoms(4 * 144, seed + i), [4, 1, 12, 12])).data();
    model.eval();
    return model;
  }

  for (const [amount, positive] of [[0.25, true], [0.5, true], [0.75, true], [0.5, false]] as const) {
    it(`the CLI's CNN, amount ${amount}${positive ? ', dropped channels carry nonzero constants' : ', initial biases'}: same outputs as the masked model`, async () => {
      const model = await cliCnn(50 + amount * 8, positive);
      await prune.lnStructured(model.layers[0], 'weight', { amount, n: 2, dim: 0 });
      await prune.lnStructured(model.layers[4], 'weight', { amount, n: 2, dim: 0 });
      const x = sg.tensor(randoms(3 * 144, 60), [3, 1, 12, 12]);
      const want = await model.forward(x).data();
      const r = await prune.compact(model);
      const k1 = 8 - Math.round(8 * amount);
      const k2 = 16 - Math.round(16 * amount);
      expect(r.layers.map((l) => [l.index, l.after])).toEqual([[0, [k1, 1, 3, 3]], [1, [k1]], [4, [k2, k1, 3, 3]], [5, [k2]], [9, [4, k2 * 9]]]);
      if (positive) {
        expect(r.layers[2].constantMap).toBe(true);
        expect(r.model.layers[4]).toBeInstanceOf(prune.Conv2dWithConstantMap);
        expect(r.model.layers[4].kind).toBe('Conv2dWithConstantMap');
        expect(r.model.layers[4].stateDict().constant_weight.shape).toEqual([k2, 1, 3, 3]);
      }
      // Parameters: the conv's weight and bias (constant_weight is a buffer).
      expect(r.parametersAfter).toBe(k1 * 9 + k1 + 2 * k1 + k2 * k1 * 9 + k2 + 2 * k2 + 4 * k2 * 9 + 4);
      expectClose(await r.model.forward(x).data(), want, `amount ${amount}`);
    });
  }

  const geometries: [string, sg.nn.Conv2dLayerOptions, [number, number], [number, number][]][] = [
    ['stride 2, padding 1 (inputs 7×7 and 8×8 both give 4×4 outputs, not the same map)', { stride: 2, padding: 1 }, [3, 3], [[9, 11], [7, 7], [8, 8]]],
    ['asymmetric padding [2, 1], dilation 2', { padding: [2, 1], dilation: [2, 1] }, [3, 3], [[9, 8]]],
    ["'same', an even kernel (extra bottom/right row)", { padding: 'same' }, [4, 2], [[7, 9]]],
    ['stride [1, 2], padding [0, 2], kernel 1×3', { stride: [1, 2], padding: [0, 2] }, [1, 3], [[6, 9]]],
  ];
  for (const [name, opts, kernel, sizes] of geometries) {
    it(`${name}: the map follows the conv's geometry, computed for each input size it sees (${sizes.map((s) => s.join('×')).join(', ')})`, async () => {
      sg.manualSeed(70);
      const model = sg.nn.sequential(sg.nn.conv2d(2, 6, 3), sg.nn.relu(), sg.nn.conv2d(6, 4, kernel, opts), sg.nn.relu(), sg.nn.conv2d(4, 3, 1));
      await sg.assign(convOf(model.layers[0]).bias!, sg.tensor(Float32Array.from({ length: 6 }, (_, i) => 0.4 + 0.1 * i), [6]));
      await prune.lnStructured(model.layers[0], 'weight', { amount: 3, n: 1, dim: 0 });
      const r = await prune.compact(model);
      const conv = r.model.layers[2] as InstanceType<typeof prune.Conv2dWithConstantMap>;
      expect(conv).toBeInstanceOf(prune.Conv2dWithConstantMap);
      expect(conv.weight.shape).toEqual([4, 3, ...kernel]);
      for (const [h, w] of sizes) { // the unpadded 3×3 conv before it takes (h + 2)×(w + 2)
        const x = sg.tensor(randoms(2 * 2 * (h + 2) * (w + 2), h * 31 + w), [2, 2, h + 2, w + 2]);
        expectClose(await r.model.forward(x).data(), await model.forward(x).data(), `padded conv input ${h}×${w}`);
      }
    });
  }

  it('compacting a compacted model again: more dropped inputs join constant_weight; torch export refuses the layer', async () => {
    sg.manualSeed(75);
    const model = sg.nn.sequential(sg.nn.conv2d(2, 6, 3), sg.nn.relu(), sg.nn.conv2d(6, 4, 3, { padding: 1 }), sg.nn.relu(), sg.nn.conv2d(4, 3, 1));
    await sg.assign(convOf(model.layers[0]).bias!, sg.tensor(Float32Array.from({ length: 6 }, (_, i) => 0.3 + 0.1 * i), [6]));
    await prune.lnStructured(model.layers[0], 'weight', { amount: 2, n: 1, dim: 0 });
    const once = (await prune.compact(model)).model;
    await prune.lnStructured(once.layers[0], 'weight', { amount: 2, n: 1, dim: 0 });
    const x = sg.tensor(randoms(2 * 2 * 9 * 10, 76), [2, 2, 9, 10]);
    const want = await once.forward(x).data();
    const twice = await prune.compact(once);
    expect(twice.layers.map((l) => [l.after, l.constantMap ?? false])).toEqual([[[2, 2, 3, 3], false], [[4, 2, 3, 3], true], [[3, 4, 1, 1], false]]);
    expectClose(await twice.model.forward(x).data(), want, 'compacted twice');
    expect(String(twice.model)).toContain('Conv2dWithConstantMap(2, 4, kernel 3×3, constant map)');
    expect(() => sg.io.pytorchModelCode(twice.model)).toThrow(/module '2' \(Conv2dWithConstantMap\) has no torch\.nn equivalent/);
  });

  it('sg.save / sg.load round trip: constant_weight is a buffer in the file, loaded with the weights', async () => {
    const model = await cliCnn(80, true);
    await prune.lnStructured(model.layers[0], 'weight', { amount: 0.5, n: 2, dim: 0 });
    const x = sg.tensor(randoms(2 * 144, 81), [2, 1, 12, 12]);
    const { model: small } = await prune.compact(model);
    // Change the weights (as training would) so that the file differs from a fresh compaction.
    await sg.assign(convOf(small.layers[4]).weight, sg.mul(convOf(small.layers[4]).weight, 1.5));
    const want = await small.forward(x).data();
    expect(Object.keys(small.stateDict()).filter((k) => k.startsWith('4.'))).toEqual(['4.weight', '4.bias', '4.constant_weight']);
    const path = join(mkdtempSync(join(tmpdir(), 'sg-compact-')), 'compact.safetensors');
    await sg.save(small, path);
    const { model: copy } = await prune.compact(model);
    const cw = copy.layers[4].stateDict().constant_weight;
    const cw0 = await cw.data();
    await sg.assign(cw, sg.tensor(new Float32Array(cw.size), cw.shape)); // the file must bring it back
    await sg.load(copy, path);
    expect(Array.from(await cw.data())).toEqual(Array.from(cw0));
    expect(Array.from(await copy.forward(x).data())).toEqual(Array.from(want));
    // A plain CNN of the compacted shapes has no constant_weight: the file does not load into it.
    const plain = sg.nn.sequential(sg.nn.conv2d(1, 4, 3, { padding: 1 }), sg.nn.batchNorm2d(4), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(4, 16, 3, { padding: 1 }), sg.nn.batchNorm2d(16), sg.nn.relu(), sg.nn.maxPool2d(2), sg.nn.flatten(), sg.nn.linear(144, 4));
    await expect(sg.load(plain, path)).rejects.toThrow(/4\.constant_weight/);
  });

  it('trains: the gradients are the masked model\'s; a compiled step updates weight and bias, constant_weight stays', async () => {
    const model = await cliCnn(90, true);
    await prune.lnStructured(model.layers[0], 'weight', { amount: 0.5, n: 2, dim: 0 });
    const { model: small } = await prune.compact(model);
    const conv = small.layers[4] as InstanceType<typeof prune.Conv2dWithConstantMap>;
    expect(conv.parameters()).toEqual([conv.weight, conv.bias]);
    expect(small.parameters()).not.toContain(conv.stateDict().constant_weight);
    const cw0 = await conv.stateDict().constant_weight.data();
    const w0 = await conv.weight.data();
    const X = randoms(4 * 144, 91);
    const Y = randoms(4 * 4, 92);
    const loss = (m: sg.nn.Module) => () => sg.mseLoss(m.forward(sg.tensor(X, [4, 1, 12, 12])), sg.tensor(Y, [4, 4]));
    // Eager gradients of layer 4 (eval mode): the compacted conv's equal the masked model's on the kept inputs.
    const big = convOf(model.layers[4]);
    const [l1, [gw1, gb1]] = await sg.valueAndGrad(loss(model), [big.weight, big.bias!])();
    const [l2, [gw2, gb2]] = await sg.valueAndGrad(loss(small), [conv.weight, conv.bias!])();
    const eager = await l2.item();
    expect(eager).toBeCloseTo(await l1.item(), 6);
    const kept = Array.from(await maskOf(model.layers[0], 'weight').data()).flatMap((v, i) => (i % 9 === 0 && v !== 0 ? [i / 9] : []));
    expect(kept.length).toBe(4);
    const g1 = await gw1.data();
    const keptGrad = Float32Array.from({ length: 16 * 4 * 9 }, (_, i) => g1[(Math.floor(i / 36) * 8 + kept[Math.floor(i / 9) % 4]) * 9 + (i % 9)]);
    expectClose(await gw2.data(), keptGrad, 'd loss / d weight of layer 4');
    expectClose(await gb2.data(), await gb1.data(), 'd loss / d bias of layer 4');
    const opt = sg.optim.sgd(small.parameters(), { lr: 0.01 });
    const plan = await sg.compile((xb, yb) => sg.mseLoss(small.forward(xb), yb), {
      inputs: [{ shape: [4, 1, 12, 12], name: 'x' }, { shape: [4, 4], name: 'y' }], params: small.parameters(), optimizer: opt,
    });
    for (let s = 0; s < 3; s++) plan.run(X, Y);
    const losses = (await plan.flush()).map((h) => h.values.loss[0]);
    plan.dispose();
    expect(losses[0]).toBeCloseTo(eager, 5);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(maxDiff(await conv.weight.data(), w0)).toBeGreaterThan(0);
    expect(Array.from(await conv.stateDict().constant_weight.data())).toEqual(Array.from(cw0));
  });
});

describe('errors', () => {
  it('amount out of range, unknown parameter, bad n / dim, structured on a vector, remove on an unpruned module', async () => {
    const lin = sg.nn.linear(3, 2);
    await expect(prune.l1Unstructured(lin, 'weight', { amount: 1.5 })).rejects.toThrow(/prune\.l1Unstructured: amount=1\.5 should either be a fraction in \[0, 1\] or a non-negative integer count/);
    await expect(prune.l1Unstructured(lin, 'weight', { amount: -2 })).rejects.toThrow(/amount=-2 should either be/);
    await expect(prune.l1Unstructured(lin, 'weight', { amount: 7 })).rejects.toThrow(/amount=7 should be at most the number of unpruned entries of Linear\.weight \[2, 3\] to prune, 6/);
    await expect(prune.l1Unstructured(lin, 'wieght', { amount: 0.5 })).rejects.toThrow(/prune\.l1Unstructured: Linear has no parameter 'wieght' \(its parameters: weight \[2, 3\], bias \[2\]\)/);
    await expect(prune.l1Unstructured(lin, 'weight', { amount: 0.5, amout: 1 } as never)).rejects.toThrow(/unknown option 'amout'/);
    await expect(prune.lnStructured(lin, 'weight', { amount: 1, n: 0, dim: 0 })).rejects.toThrow(/n must be a norm order p > 0, Infinity or -Infinity/);
    await expect(prune.lnStructured(lin, 'weight', { amount: 1, n: 2, dim: 2 })).rejects.toThrow(/dim must be an integer in \[-2, 1\] for Linear\.weight \[2, 3\], got 2/);
    await expect(prune.lnStructured(lin, 'bias', { amount: 1, n: 2, dim: 0 })).rejects.toThrow(/Linear\.bias .* has 1 dimension\(s\); structured pruning needs at least 2/);
    await expect(prune.lnStructured(lin, 'weight', { amount: 3, n: 2, dim: 0 })).rejects.toThrow(/amount=3 should be at most the number of slices along dim 0 to prune, 2/);
    await expect(prune.remove(lin, 'weight')).rejects.toThrow(/prune\.remove: parameter 'weight' of Linear is not pruned/);
    await expect(prune.globalUnstructured([[lin, 'weight'], [lin, 'weight']], { amount: 0.5 })).rejects.toThrow(/params\[0\] and params\[1\] are the same parameter/);
    // Nothing changed by the refused calls.
    expect(prune.isPruned(lin)).toBe(false);
    expect(Object.keys(lin.stateDict())).toEqual(['weight', 'bias']);
  });
});
