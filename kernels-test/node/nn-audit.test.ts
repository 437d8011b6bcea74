// sg.nn layers against PyTorch on option combinations the other fixtures leave out
// (kernels-test/fixtures/nn-audit/torch.json, made by make.py there with torch; this test does not need
// torch): conv2d geometry (stride, dilation, groups, per-axis padding, 'same' with even kernels, 'valid',
// no bias), pooling (ceil mode, padding, countIncludePad, default stride), batch norm (affine false,
// momentum, momentum=None (the cumulative average, also in compiled steps), [N, C] and [N, C, L], train → eval →
// train, num_batches_tracked), layer norm over several
// dims / without affine / without bias, group and instance norm layers, activations at their edges
// (0, the softplus threshold, slopes), flatten, softmax, eval dropout, embedding with repeated indices,
// linear without bias. Each case builds the shadergrad layer, checks its state_dict keys, order, shapes
// and dtypes against torch's, loads torch's state_dict and runs torch's steps: output, gradients of
// Σ y·dout (input and every parameter) and the state after each step. Then what torch's numbers cannot
// show: the default initialisation's distributions (moments over large layers) and the refusal of
// torch options that shadergrad does not implement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { pytorchModelCode } from '../../src/io/pytorch-export.js';
import { type Arr, caseOf, expectTorch, f32, i32, loadFixture } from '../torch-fixtures.js';

type Typed = Arr & { dtype: 'f32' | 'i32' };
interface Step { training: boolean; x: Typed; dout: Arr; y: Arr; grads: Record<string, Arr>; after: (Typed & { name: string })[] }
interface Case { state: (Typed & { name: string })[]; steps: Step[] }
const fixture = loadFixture<{ torch: string; cases: Record<string, Case> }>('nn-audit/torch.json');
const C = (name: string): Case => caseOf(fixture, name, 'nn-audit/make.py');
const typed = (a: Typed): Tensor => (a.dtype === 'i32' ? i32(a) : f32(a));

// f32 against torch's float64: |got − torch| ≤ 2e-5 + 1e-4·|torch|.
const TOL: [number, number] = [2e-5, 1e-4];

/** Torch's steps on the layer `build()` makes, after loading torch's state_dict with torch's keys. */
async function expectCase(name: string, build: () => sg.nn.Module): Promise<void> {
  const c = C(name);
  const m = build();
  const keys = (s: Record<string, Tensor>) => Object.entries(s).map(([n, t]) => ({ name: n, shape: t.shape, dtype: t.dtype }));
  expect(keys(m.stateDict()), `${name}: state_dict keys, order, shapes and dtypes are torch's`)
    .toEqual(c.state.map(({ name: n, shape, dtype }) => ({ name: n, shape, dtype })));
  await m.loadStateDict(Object.fromEntries(c.state.map((e) => [e.name, typed(e)])));
  for (const [i, s] of c.steps.entries()) {
    const what = `${name} step ${i + 1} (${s.training ? 'train' : 'eval'})`;
    m.train(s.training);
    const x = typed(s.x);
    const params = m.namedParameters();
    const gradNames = Object.keys(s.grads);
    expect([...(s.x.dtype === 'f32' ? ['x'] : []), ...params.map(([n]) => n)], `${what}: parameters are torch's, in its order`).toEqual(gradNames);
    const wrt = [...(s.x.dtype === 'f32' ? [x] : []), ...params.map(([, p]) => p)];
    let y: Tensor | undefined;
    const grads = sg.grad(() => {
      y = m.forward(x);
      return sg.sum(sg.mul(y, f32(s.dout)));
    }, wrt)();
    await expectTorch(y!, s.y, `${what}: y`, ...TOL);
    for (const [j, n] of gradNames.entries()) await expectTorch(grads[j], s.grads[n], `${what}: d${n}`, ...TOL);
    const after = m.stateDict();
    for (const e of s.after) await expectTorch(after[e.name], e, `${what}: ${e.name} after the step`, ...TOL);
  }
}

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

const nn = sg.nn;
const TABLE: Record<string, () => sg.nn.Module> = {
  'conv stride (2,1) dilation (1,2) groups 2 padding (1,2) bias=False': () =>
    nn.conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2, bias: false }),
  "conv padding 'same', even kernel 4": () => nn.conv2d(2, 3, 4, { padding: 'same' }),
  "conv padding 'same', kernel (2,3) dilation (3,1), depthwise groups 4": () => nn.conv2d(4, 4, [2, 3], { padding: 'same', dilation: [3, 1], groups: 4 }),
  "conv padding 'valid' stride 3 (unread rows and columns)": () => nn.conv2d(3, 2, 3, { stride: 3, padding: 'valid' }),
  'conv 1x1 stride 2 padding 1': () => nn.conv2d(3, 5, 1, { stride: 2, padding: 1 }),
  'conv dilation 2 padding 2, kernel span 5 over a 3x4 input, groups 2 with bias': () => nn.conv2d(2, 4, 3, { dilation: 2, padding: 2, groups: 2 }),
  'conv kernel (1,3) stride (1,2) padding (0,1) groups 3, 6 out': () => nn.conv2d(3, 6, [1, 3], { stride: [1, 2], padding: [0, 1], groups: 3 }),
  'maxPool k (3,2) stride (2,1) padding (1,0) ceil': () => nn.maxPool2d([3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true }),
  'maxPool k 2 stride 2 padding 1 ceil, 5x5 (last window would start in the padding)': () => nn.maxPool2d(2, { stride: 2, padding: 1, ceilMode: true }),
  'maxPool k 3 default stride, 7x8 floor': () => nn.maxPool2d(3),
  'avgPool k 3 stride 2 padding 1 ceil countIncludePad=False': () => nn.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  'avgPool k (2,3) stride (3,2) padding (1,1) ceil countIncludePad=True': () => nn.avgPool2d([2, 3], { stride: [3, 2], padding: [1, 1], ceilMode: true }),
  'avgPool k 3 stride 2 padding 1 ceil countIncludePad=True, 6x6 (window over the right padding)': () => nn.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  'avgPool k 2 padding 1 countIncludePad=False floor': () => nn.avgPool2d(2, { padding: 1, countIncludePad: false }),
  'maxPool k 2 stride 3 ceil, 7x8 (partial last window, stride > kernel)': () => nn.maxPool2d(2, { stride: 3, ceilMode: true }),
  'avgPool k 2 stride 3 ceil countIncludePad=True, 7x8 (partial last window, no padding)': () => nn.avgPool2d(2, { stride: 3, ceilMode: true }),
  'maxPool k 3 stride 1 padding 1, tied maxima in overlapping windows': () => nn.maxPool2d(3, { stride: 1, padding: 1 }),
  'adaptiveAvgPool2d(1)': () => nn.globalAvgPool2d(),
  'batchNorm1d affine=False momentum 0.3 [N, C, L]: train, train, eval': () => nn.batchNorm1d(3, { affine: false, momentum: 0.3 }),
  'batchNorm2d eps 1e-3: train, eval, train': () => nn.batchNorm2d(2, { eps: 1e-3 }),
  'batchNorm1d [N, C], N 2: train, eval': () => nn.batchNorm1d(4),
  'batchNorm1d momentum=None (cumulative average): train x3, eval': () => nn.batchNorm1d(2, { momentum: null }),
  'batchNorm2d momentum=None affine=False: train x3, eval': () => nn.batchNorm2d(2, { momentum: null, affine: false }),
  'layerNorm over [3, 4] affine': () => nn.layerNorm([3, 4]),
  'layerNorm 4 elementwise_affine=False, eps 1e-2': () => nn.layerNorm(4, { affine: false, eps: 1e-2 }),
  'layerNorm over [2, 3] bias=False': () => nn.layerNorm([2, 3], { bias: false }),
  'groupNorm 2 groups of 3 channels, [N, C, L], eps 1e-3': () => nn.groupNorm(2, 6, { eps: 1e-3 }),
  'groupNorm on [N, C] (one position per channel)': () => nn.groupNorm(2, 4),
  'groupNorm affine=False [N, C, H, W]': () => nn.groupNorm(4, 4, { affine: false }),
  'instanceNorm1d trackRunningStats momentum 0.4: train, train unbatched, eval': () => nn.instanceNorm1d(3, { trackRunningStats: true, momentum: 0.4 }),
  'instanceNorm2d default (no stats, no affine): eval uses input statistics': () => nn.instanceNorm2d(2),
  'leakyReLU 0.2': () => nn.leakyRelu(0.2),
  'leakyReLU 1.5 (slope above 1)': () => nn.leakyRelu(1.5),
  'ELU alpha 0.5': () => nn.elu(0.5),
  "GELU approximate 'tanh'": () => nn.gelu({ approximate: 'tanh' }),
  'GELU exact': () => nn.gelu(),
  'Softplus beta 2 threshold 5 (βx = threshold at x = 2.5)': () => nn.softplus({ beta: 2, threshold: 5 }),
  'Softplus beta 0.5 threshold 1': () => nn.softplus({ beta: 0.5, threshold: 1 }),
  'Softplus default': () => nn.softplus(),
  SiLU: () => nn.silu(),
  ReLU: () => nn.relu(),
  Sigmoid: () => nn.sigmoid(),
  Tanh: () => nn.tanh(),
  'Softmax dim 1 of [2, 3, 4]': () => nn.softmax(1),
  'LogSoftmax dim 0 of [3, 4]': () => nn.logSoftmax(0),
  'Flatten(0, -2) of [2, 3, 2, 2]': () => nn.flatten(0, -2),
  'Flatten(1, 2) of [2, 3, 2, 2]': () => nn.flatten(1, 2),
  'Flatten() of [2, 3, 2]': () => nn.flatten(),
  'Dropout(0.5) in eval is the identity': () => nn.dropout(0.5),
  'embedding repeated indices accumulate': () => nn.embedding(7, 3),
  'embedding 0-d index': () => nn.embedding(5, 2),
  'linear 1-D input': () => nn.linear(4, 3),
  'linear bias=False, [2, 3, 5] input': () => nn.linear(5, 3, { bias: false }),
  'Softplus beta -1 threshold 2 (negative beta)': () => nn.softplus({ beta: -1, threshold: 2 }),
  'TransformerEncoderLayer dropout 0.1 in eval, gelu, normFirst, batchFirst': () =>
    nn.transformerEncoderLayer(6, 2, { dimFeedforward: 8, dropout: 0.1, activation: 'gelu', normFirst: true, batchFirst: true }),
};

describe(`sg.nn layers against PyTorch (torch ${fixture.torch})`, () => {
  it('every fixture case has a layer here and every layer a case', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(fixture.cases).sort());
  });
  for (const [name, build] of Object.entries(TABLE)) it(name, () => expectCase(name, build));
});

/** Mean, variance and the fraction of |v − mean| below `within` of a layer's values. */
async function moments(t: Tensor, within: number): Promise<{ n: number; mean: number; variance: number; inner: number; min: number; max: number }> {
  const v = Array.from(await t.data());
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { n, mean, variance, inner: v.filter((x) => Math.abs(x - mean) < within).length / n, min: Math.min(...v), max: Math.max(...v) };
}

/**
 * A U(±bound) sample: within the bounds, mean 0 and variance bound²/3 within 6 standard errors, half of
 * it within bound/2 (a normal of the same variance has 62%).
 */
async function expectUniform(t: Tensor, bound: number, what: string): Promise<void> {
  const m = await moments(t, bound / 2);
  expect(m.min, `${what}: min`).toBeGreaterThanOrEqual(-bound);
  expect(m.max, `${what}: max`).toBeLessThanOrEqual(bound);
  expect(m.max, `${what}: fills its range`).toBeGreaterThan(0.98 * bound);
  const variance = bound ** 2 / 3;
  expect(Math.abs(m.mean), `${what}: mean`).toBeLessThan(6 * Math.sqrt(variance / m.n));
  // var of (x − μ)² for U(±b) is b⁴/5 − b⁴/9 = 4b⁴/45.
  expect(Math.abs(m.variance - variance), `${what}: variance ${m.variance} vs ${variance}`).toBeLessThan(6 * Math.sqrt((4 * bound ** 4) / 45 / m.n));
  expect(Math.abs(m.inner - 0.5), `${what}: fraction within bound/2`).toBeLessThan(6 * Math.sqrt(0.25 / m.n));
}

describe("default initialisation is torch's (moments over large layers)", () => {
  it('Linear: weight and bias U(±1/√inFeatures) (kaiming_uniform with a = √5)', async () => {
    const l = nn.linear(300, 200, { seed: 1 });
    await expectUniform(l.weight, 1 / Math.sqrt(300), 'Linear(300, 200).weight');
    const b = nn.linear(4000, 3000, { seed: 2 }).bias!;
    await expectUniform(b, 1 / Math.sqrt(4000), 'Linear(4000, 3000).bias');
  });

  it('Conv2d: weight and bias U(±1/√fanIn), fanIn = inChannels/groups · kh · kw', async () => {
    const c = nn.conv2d(16, 64, [3, 5], { groups: 4, seed: 3 });
    const fanIn = (16 / 4) * 3 * 5;
    await expectUniform(c.weight, 1 / Math.sqrt(fanIn), 'Conv2d(16, 64, [3, 5], groups 4).weight');
    const wide = nn.conv2d(2, 3000, 1, { seed: 4 });
    await expectUniform(wide.bias!, 1 / Math.sqrt(2), 'Conv2d(2, 3000, 1).bias');
  });

  it('MultiheadAttention: in_proj xavier-uniform over [3E, E], zero biases; out_proj weight U(±1/√E)', async () => {
    const E = 96;
    const m = nn.multiheadAttention(E, 4, { seed: 5 });
    const sd = m.stateDict();
    await expectUniform(sd.in_proj_weight, Math.sqrt(6 / (E + 3 * E)), 'in_proj_weight');
    await expectUniform(sd['out_proj.weight'], 1 / Math.sqrt(E), 'out_proj.weight');
    expect(Array.from(await sd.in_proj_bias.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await sd['out_proj.bias'].data()).every((v) => v === 0)).toBe(true);
  });

  it('Embedding: N(0, 1); norms: weight 1, bias 0, running_var 1, running_mean 0, num_batches_tracked 0', async () => {
    const e = nn.embedding(500, 64, { seed: 6 });
    const m = await moments(e.weight, 1);
    expect(Math.abs(m.mean)).toBeLessThan(6 / Math.sqrt(m.n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(6 * Math.sqrt(2 / m.n));
    expect(Math.abs(m.inner - 0.6827)).toBeLessThan(6 * Math.sqrt(0.25 / m.n)); // P(|z| < 1), not a uniform's
    const want: Record<string, number> = { weight: 1, bias: 0, running_mean: 0, running_var: 1, num_batches_tracked: 0 };
    for (const layer of [nn.batchNorm2d(3), nn.layerNorm([2, 3]), nn.groupNorm(1, 3), nn.instanceNorm1d(3, { affine: true, trackRunningStats: true }), nn.rmsNorm(3)]) {
      for (const [k, t] of Object.entries(layer.stateDict())) {
        expect(Array.from(await t.data()).every((v) => v === want[k]), `${layer.kind}.${k}`).toBe(true);
      }
    }
  });
});

describe('torch options shadergrad does not implement are refused, not ignored', () => {
  const refused: [string, () => unknown, RegExp][] = [
    ['MaxPool2d dilation', () => nn.maxPool2d(2, { dilation: 2 } as never), /unknown option 'dilation'/],
    ['MaxPool2d return_indices', () => nn.maxPool2d(2, { returnIndices: true } as never), /unknown option 'returnIndices'/],
    ['AvgPool2d divisor_override', () => nn.avgPool2d(2, { divisorOverride: 3 } as never), /unknown option 'divisorOverride'/],
    ['Conv2d padding_mode', () => nn.conv2d(1, 1, 3, { paddingMode: 'reflect' } as never), /unknown option 'paddingMode'/],
    ["Conv2d padding 'same' with stride 2", () => nn.conv2d(1, 1, 3, { padding: 'same', stride: 2 }).forward(sg.ones([1, 1, 5, 5])), /same/],
    ['BatchNorm track_running_stats', () => nn.batchNorm2d(2, { trackRunningStats: false } as never), /unknown option 'trackRunningStats'/],
    ['Embedding padding_idx', () => nn.embedding(4, 2, { paddingIdx: 0 } as never), /unknown option 'paddingIdx'/],
    ['Embedding max_norm', () => nn.embedding(4, 2, { maxNorm: 1 } as never), /unknown option 'maxNorm'/],
    ['LayerNorm elementwise_affine (named affine here)', () => nn.layerNorm(2, { elementwise_affine: false } as never), /unknown option 'elementwise_affine' \(did you mean 'affine'\?\)/],
    ['GroupNorm bias', () => nn.groupNorm(1, 2, { bias: false } as never), /unknown option 'bias'/],
    ['Softplus approximate', () => nn.softplus({ approximate: 'tanh' } as never), /unknown option 'approximate'/],
    ['GELU approximate other than none or tanh', () => nn.gelu({ approximate: 'sigmoid' } as never).forward(sg.ones([2])), /approximate/],
    // torch's momentum=None is a cumulative moving average (momentum 1/num_batches_tracked): nn.BatchNorm
    // does it (the cases above); the op needs the count for it, and InstanceNorm refuses it as torch does.
    ['BatchNorm momentum NaN', () => nn.batchNorm1d(2, { momentum: NaN }), /BatchNorm1d: momentum must be a finite number or null, got NaN/],
    ['batchNorm (the op) momentum null without numBatchesTracked',
      () => sg.batchNorm(sg.ones([2, 2]), { training: true, momentum: null, runningMean: sg.zeros([2]), runningVar: sg.ones([2]) }), /momentum=None.*needs numBatchesTracked, an i32 \[\] tensor.*got undefined/],
    ['batchNorm (the op) numBatchesTracked of the wrong dtype',
      () => sg.batchNorm(sg.ones([2, 2]), { training: true, momentum: null, runningMean: sg.zeros([2]), runningVar: sg.ones([2]), numBatchesTracked: sg.ones([]) }),
      /needs numBatchesTracked, an i32 \[\] tensor.*got .*\[\] f32/],
    ['batchNorm (the op) numBatchesTracked with a numeric momentum',
      () => sg.batchNorm(sg.ones([2, 2]), { training: true, momentum: 0.1, numBatchesTracked: sg.tensor(Int32Array.from([1]), [], { dtype: 'i32' }) }),
      /numBatchesTracked is read only with momentum null/],
    ['instanceNorm (the op) momentum null', () => sg.instanceNorm(sg.ones([1, 2, 3]), { momentum: null } as never), /momentum=None/],
    ['InstanceNorm momentum null', () => nn.instanceNorm1d(2, { momentum: null, trackRunningStats: true } as never), /momentum/],
    // torch.flatten: "flatten() has invalid args: start_dim cannot come after end_dim".
    ['Flatten with startDim after endDim', () => nn.flatten(2, 1).forward(sg.ones([2, 3, 4])), /startDim.*endDim/],
    ['flatten (the op) with startDim after endDim', () => sg.flatten(sg.ones([2, 3, 4]), -1, 0), /startDim.*endDim/],
    // torch's nn.Softmax() without dim picks dim 0 for 3-D input and 1 for 4-D (deprecated): spelled out here instead.
    ['nn.softmax() without an axis on 3-D input', () => nn.softmax().forward(sg.ones([2, 3, 4])), /no axis given .*dim 0.*pass it/],
    ['nn.logSoftmax() without an axis on 4-D input', () => nn.logSoftmax().forward(sg.ones([1, 2, 3, 4])), /no axis given .*dim 1/],
  ];
  for (const [what, f, message] of refused) it(what, () => expect(f).toThrow(message));
});

describe("BatchNorm momentum null (torch's momentum=None, a cumulative moving average)", () => {
  const xs = [0, 1, 2].map((s) => Float32Array.from({ length: 8 }, (_, i) => Math.cos(3 * i + s) * (s + 1) + s));
  const data = async (t: Tensor) => Array.from(await t.data());

  it('compiled steps update running_mean, running_var and num_batches_tracked as eager steps do', async () => {
    const eager = nn.batchNorm1d(2, { momentum: null });
    for (const x of xs) eager.forward(sg.tensor(x, [4, 2]));
    const model = nn.sequential(nn.batchNorm1d(2, { momentum: null }), nn.linear(2, 2, { seed: 1 }));
    const plan = await sg.compile((xb, yb) => sg.crossEntropy(model.forward(xb), yb), {
      inputs: [{ shape: [4, 2] }, { shape: [4], dtype: 'i32' }], params: model.parameters(),
      optimizer: { stateCount: 0, update: (p, g) => ({ param: sg.sub(p, sg.scale(g, 0.01)), states: [] }), hyper: () => ({}) },
    });
    for (const x of xs) plan.run(x, Int32Array.from([0, 1, 1, 0]));
    await plan.flush();
    plan.dispose();
    const got = model.stateDict();
    const want = eager.stateDict();
    expect(await data(got['0.num_batches_tracked'])).toEqual([3]);
    expect(await data(want.num_batches_tracked)).toEqual([3]);
    // After three batches the running mean is the plain average of the three batch means (1/1, 1/2, 1/3).
    const mean = [0, 1].map((c) => xs.reduce((a, x) => a + [0, 1, 2, 3].reduce((b, n) => b + x[2 * n + c], 0) / 4, 0) / 3);
    for (const [k, v] of (await data(want.running_mean)).entries()) expect(v).toBeCloseTo(mean[k], 5);
    for (const k of ['running_mean', 'running_var']) {
      for (const [i, v] of (await data(got[`0.${k}`])).entries()) expect(v, `${k}[${i}]`).toBeCloseTo((await data(want[k]))[i], 6);
    }
  });

  it('the op with numBatchesTracked k moves the running statistics by 1/k', async () => {
    const x = sg.tensor(xs[0], [4, 2]);
    const run = { runningMean: sg.tensor([0.5, -1], [2]), runningVar: sg.tensor([2, 0.5], [2]) };
    const k = sg.tensor(Int32Array.from([4]), [], { dtype: 'i32' });
    const cumulative = sg.batchNorm(x, { training: true, momentum: null, numBatchesTracked: k, ...run });
    const fixed = sg.batchNorm(x, { training: true, momentum: 0.25, ...run });
    for (const key of ['runningMean', 'runningVar'] as const) {
      const [a, b] = [await data(cumulative[key]!), await data(fixed[key]!)];
      for (const [i, v] of a.entries()) expect(v, `${key}[${i}]`).toBeCloseTo(b[i], 6);
    }
  });

  it('exportPytorch writes momentum=None', () => {
    expect(pytorchModelCode(nn.sequential(nn.batchNorm1d(3, { momentum: null, eps: 1e-3 }), nn.batchNorm2d(2, { momentum: 0.2 }))))
      .toContain('nn.BatchNorm1d(3, eps=0.001, momentum=None),\n        nn.BatchNorm2d(2, momentum=0.2),');
  });
});

describe('NaN inputs: activations and their gradients as in PyTorch', () => {
  // torch 1.13, f(x).backward(ones) at x = [NaN, 1]: every forward gives NaN (WGSL's min / max would
  // otherwise make ELU 0 and softplus +∞); leaky ReLU's and ELU's backward formulas take the branch their
  // comparison leaves for NaN (α and 1), the others give NaN. (ReLU's backward gives 0 here, torch 1: the
  // loss is NaN either way.)
  const cases: [string, (x: Tensor) => Tensor, number][] = [
    ['leakyRelu 0.2', (x) => sg.leakyRelu(x, 0.2), 0.2],
    ['elu 0.5', (x) => sg.elu(x, 0.5), 1],
    ['gelu', (x) => sg.gelu(x), NaN],
    ['softplus', (x) => sg.softplus(x), NaN],
    ['silu', (x) => sg.silu(x), NaN],
    ['sigmoid', (x) => sg.sigmoid(x), NaN],
    ['tanh', (x) => sg.tanh(x), NaN],
    ['relu (forward)', (x) => sg.relu(x), 0],
  ];
  for (const [name, f, dNaN] of cases) {
    it(name, async () => {
      const x = sg.tensor([NaN, 1], [2]);
      const [y, [g]] = await sg.valueAndGrad((t: Tensor) => sg.sum(f(t)))(x);
      expect(Number.isNaN((await y.data())[0])).toBe(true);
      const out = await f(x).data();
      expect(Number.isNaN(out[0])).toBe(true);
      expect(Number.isFinite(out[1])).toBe(true);
      const gv = (await g.data())[0];
      if (Number.isNaN(dNaN)) expect(Number.isNaN(gv)).toBe(true);
      else expect(gv).toBeCloseTo(dNaN, 6);
    });
  }
});

describe('nn.softmax() / nn.logSoftmax() without an axis', () => {
  it('take the last axis of 1-D and 2-D inputs, as torch\'s implicit choice does', async () => {
    const x = sg.tensor([0.5, -1, 2, 0, 1, 3], [2, 3]);
    expect(Array.from(await nn.softmax().forward(x).data())).toEqual(Array.from(await sg.softmax(x, 1).data()));
    expect(Array.from(await nn.logSoftmax().forward(sg.tensor([1, 2, 3], [3])).data())).toEqual(Array.from(await sg.logSoftmax(sg.tensor([1, 2, 3], [3]), 0).data()));
  });
});
