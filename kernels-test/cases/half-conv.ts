// Half-precision storage (compile's precision: 'mixed') of the CNN ops: conv2d and its two gradient
// ops, max / avg pooling and their gradient ops (max_pool2d_gather included), batchNorm (training,
// its backward op, eval). Each case runs the op of its expression's last node with some inputs read
// from and some outputs written to f16 storage (kernels-test/harness.ts, checkHalfCase) against the
// op's reference on the f16-rounded inputs, f16 outputs compared with the reference rounded to f16.
//
// Covered: every storage combination the half rules allow (each input alone, the output alone, all
// of them; conv2d's 4 flags in 5 patterns), every conv2d version forced (direct, blocked, tiled,
// gemm4x4/4x8/8x8) on the geometries of kernels-test/cases/conv.ts that matter for word boundaries —
// odd and even output rows (an odd OW puts f16 words across rows, tiles and images: the kernels
// compute the straddling element directly), stride / padding / dilation / groups / depthwise,
// channel counts making several workgroups and channel blocks, size 1 (one element, half a word) —
// the gradient ops under the software rules (blocked kernels), the hardware rules (direct / one
// workgroup per weight, forced with setKernelRules) and the gemm versions; an f32 result past f16's
// range saturating to ±∞. Pooling: kernel / stride / padding / ceilMode / countIncludePad variants, odd
// element counts, the max backward's window kernel (KW even: f16 words) and the gather it falls back
// to (KW odd), ±∞ / NaN / 65504 passed through max pooling. batchNorm: odd L and odd N·L (the fused
// kernels write pairs of a channel's values only for an even L; odd L runs the split kernels), every
// version under both rule classes, with running statistics, the backward op's three outputs, eval.
import * as sg from '../../src/index.js';
import type { BatchNormVersion, Conv2dOptions, ConvVersion } from '../../src/index.js';
import { apply, apply1 } from '../../src/tensor/tensor.js';
import { batchNormBackwardOp, maxPool2dGatherOp } from '../../src/internals.js';
import type { Case, InputSpec } from '../harness.js';
import type { Geometry } from './conv.js';

type Half = NonNullable<Case['half']>;
const cases: Case[] = [];

/** Run a case under the hardware kernel rules (tiled / direct / workgroup-per-channel kernels). */
const hardware = { before: () => sg.setKernelRules('hardware'), after: () => sg.setKernelRules() };

const T = true;
const F = false;

// ---- conv2d forward ---------------------------------------------------------------------------------

const geometries: Geometry[] = [
  { name: '3×3 [1,1,5,5] (25 outputs: odd rows, odd count)', x: [1, 1, 5, 5], w: [1, 1, 3, 3], bias: false, opts: {} },
  { name: '7×5 image, 3→5 channels, bias (OW 5)', x: [2, 3, 7, 5], w: [5, 3, 3, 3], bias: true, opts: {} },
  { name: 'stride 2 padding 1 (OH 4, OW 3)', x: [2, 3, 7, 5], w: [5, 3, 3, 3], bias: true, opts: { stride: 2, padding: 1 } },
  { name: 'dilation 2 padding 2 (OW 8: even rows)', x: [1, 2, 9, 8], w: [4, 2, 3, 3], bias: true, opts: { dilation: 2, padding: 2 } },
  { name: 'stride 3, 3×2 kernel (OH 2, OW 2)', x: [1, 2, 8, 7], w: [3, 2, 3, 2], bias: true, opts: { stride: 3 } },
  { name: 'groups 2 padding 1 (OW 5)', x: [2, 4, 6, 5], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, padding: 1 } },
  { name: 'depthwise multiplier 2, stride 2', x: [1, 3, 5, 5], w: [6, 1, 3, 3], bias: false, opts: { groups: 3, stride: 2 } },
  { name: '1×1 kernel (OH·OW 12: even images)', x: [2, 5, 4, 3], w: [7, 5, 1, 1], bias: true, opts: {} },
  { name: 'size 1 everywhere (one element: half a word)', x: [1, 1, 1, 1], w: [1, 1, 1, 1], bias: true, opts: {} },
  { name: '20 filters, 27 taps, 9×9 (several channel blocks and tiles)', x: [1, 3, 9, 9], w: [20, 3, 3, 3], bias: true, opts: { padding: 1 }, atol: 1e-4 },
  { name: 'groups 3, 30 filters, stride 2, 9×10', x: [2, 6, 9, 10], w: [30, 2, 3, 3], bias: true, opts: { groups: 3, stride: 2, padding: 1 }, atol: 1e-4 },
  { name: 'MNIST-like [2,1,28,28], 8 filters (even rows, several workgroups)', x: [2, 1, 28, 28], w: [8, 1, 3, 3], bias: true, opts: { padding: 1 }, atol: 1e-4 },
  { name: '2nd CNN layer [2,8,14,14] → 16 filters', x: [2, 8, 14, 14], w: [16, 8, 3, 3], bias: true, opts: { padding: 1 }, atol: 1e-4 },
  { name: '[3,3,13,11] → 9 filters, 5×3 kernel (odd everything, 3 images)', x: [3, 3, 13, 11], w: [9, 3, 5, 3], bias: true, opts: { padding: [2, 1] }, atol: 1e-4 },
];

/** conv2d's storage patterns (x, w, bias; y): all f16, inputs only, output only, and two mixes. */
function convPatterns(bias: boolean, i: number): Half[] {
  const all: Half = { inputs: bias ? [T, T, T] : [T, T], outputs: [T] };
  const inputsOnly: Half = { inputs: bias ? [T, T, T] : [T, T], outputs: [F] };
  const outputOnly: Half = { inputs: bias ? [F, F, F] : [F, F], outputs: [T] };
  const mixes: Half[] = [
    { inputs: bias ? [T, F, F] : [T, F], outputs: [T] },
    { inputs: bias ? [F, T, T] : [F, T], outputs: [F] },
  ];
  return [all, inputsOnly, outputOnly, mixes[i % 2]];
}

const tag = (h: Half) => `in ${h.inputs.map((b) => (b ? 'h' : 'f')).join('')} out ${(h.outputs ?? []).map((b) => (b ? 'h' : 'f')).join('')}`;

const versions: ConvVersion[] = ['direct', 'blocked', 'tiled', 'gemm4x4', 'gemm4x8', 'gemm8x8'];
for (const version of versions) {
  geometries.forEach((g, gi) => {
    const opts = { ...g.opts, version };
    for (const half of convPatterns(g.bias, gi)) {
      cases.push({
        name: `conv2d ${version} ${g.name}, ${tag(half)}`,
        inputs: g.bias ? [g.x, g.w, [g.w[0]]] : [g.x, g.w],
        fn: (x, w, b) => sg.conv2d(x, w, b ?? null, opts),
        atol: g.atol, half,
      });
    }
  });
}
// 'auto' under both rule classes (software: blocked / direct; hardware: tiled / direct).
for (const [rules, extra] of [['software rules', {}], ['hardware rules', hardware]] as const) {
  for (const g of [geometries[1], geometries[5], geometries[12], geometries[13]]) {
    cases.push({
      name: `conv2d auto (${rules}) ${g.name}, all f16`, inputs: [g.x, g.w, [g.w[0]]],
      fn: (x, w, b) => sg.conv2d(x, w, b, g.opts), atol: g.atol, half: { inputs: [T, T, T], outputs: [T] }, ...extra,
    });
  }
}
// An f32 result past f16's range: stored as ±∞ (x in [200, 300], weights of either sign up to 30).
for (const version of ['direct', 'blocked', 'tiled', 'gemm4x8'] as const) {
  cases.push({
    name: `conv2d ${version} overflow saturates to ±∞`,
    inputs: [{ shape: [1, 3, 5, 7], range: [200, 300] }, { shape: [4, 3, 3, 3], range: [-30, 30] }],
    fn: (x, w) => sg.conv2d(x, w, null, { padding: 1, version }), half: { inputs: [T, T], outputs: [T] },
  });
}

// ---- conv2d gradient ops ----------------------------------------------------------------------------

const backward: { name: string; x: number[]; w: number[]; opts: Conv2dOptions }[] = [
  { name: 'stride 2 padding 1 (W 5)', x: [2, 3, 7, 5], w: [5, 3, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'stride 3 (uncovered input rows)', x: [1, 2, 8, 7], w: [3, 2, 3, 2], opts: { stride: 3 } },
  { name: 'groups 2 dilation 2', x: [1, 4, 7, 6], w: [6, 2, 2, 3], opts: { groups: 2, dilation: 2, padding: [1, 2] } },
  { name: 'depthwise', x: [2, 3, 5, 5], w: [3, 1, 3, 3], opts: { groups: 3, padding: 1 } },
  { name: '9 channels (a partial second block), stride 2, W 6', x: [2, 9, 7, 6], w: [5, 9, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'groups 2 × 5 channels, dilation 2, 11 columns', x: [1, 10, 6, 11], w: [4, 5, 2, 3], opts: { groups: 2, dilation: 2, padding: [1, 2] } },
  { name: 'CNN layer 2: [2,8,14,14], 16 filters', x: [2, 8, 14, 14], w: [16, 8, 3, 3], opts: { padding: 1 } },
  { name: '[3,5,9,7], 4 filters 3×3 (odd rows and images)', x: [3, 5, 9, 7], w: [4, 5, 3, 3], opts: { padding: 1 } },
];
const outShape = (g: (typeof backward)[number]): number[] => {
  const p = (i: number) => (typeof g.opts.padding === 'number' ? g.opts.padding : (g.opts.padding as number[] | undefined)?.[i] ?? 0);
  const s = (i: number) => (typeof g.opts.stride === 'number' ? g.opts.stride : (g.opts.stride as number[] | undefined)?.[i] ?? 1);
  const d = (i: number) => (typeof g.opts.dilation === 'number' ? g.opts.dilation : (g.opts.dilation as number[] | undefined)?.[i] ?? 1);
  const o = (i: number) => Math.floor((g.x[2 + i] + 2 * p(i) - d(i) * (g.w[2 + i] - 1) - 1) / s(i)) + 1;
  return [g.x[0], g.w[0], o(0), o(1)];
};
const inputGradPatterns: Half[] = [
  { inputs: [T, T], outputs: [T] }, { inputs: [T, F], outputs: [F] }, { inputs: [F, T], outputs: [F] }, { inputs: [F, F], outputs: [T] },
];
const weightGradPatterns: Half[] = [{ inputs: [T, T], outputs: [F] }, { inputs: [T, F], outputs: [F] }, { inputs: [F, T], outputs: [F] }];
const gradRuns: { label: string; version?: ConvVersion; extra: Partial<Case> }[] = [
  { label: 'software rules', extra: {} },
  { label: 'hardware rules', extra: hardware },
  { label: 'gemm4x4', version: 'gemm4x4', extra: {} },
  { label: 'gemm8x8', version: 'gemm8x8', extra: {} },
];
for (const g of backward) {
  const dyShape = outShape(g);
  for (const run of gradRuns) {
    const opts = { ...g.opts, version: run.version };
    for (const half of inputGradPatterns) {
      cases.push({
        name: `conv2d_backward_input (${run.label}) ${g.name}, ${tag(half)}`, inputs: [dyShape, g.w],
        fn: (dy, w) => sg.conv2dBackwardInput(dy, w, g.x, opts), half, atol: 1e-4, ...run.extra,
      });
    }
    for (const half of weightGradPatterns) {
      cases.push({
        name: `conv2d_backward_weight (${run.label}) ${g.name}, ${tag(half)}`, inputs: [g.x, dyShape],
        fn: (x, dy) => sg.conv2dBackwardWeight(x, dy, g.w, opts), half, atol: 2e-4, ...run.extra,
      });
    }
  }
}
for (const version of ['gemm4x8', 'gemm8x8'] as const) {
  cases.push({
    name: `conv2d_backward_weight ${version} over 3200 positions (several slices), x and dy f16`, inputs: [[2, 2, 40, 40], [2, 6, 40, 40]],
    fn: (x, dy) => sg.conv2dBackwardWeight(x, dy, [6, 2, 3, 3], { padding: 1, version }), atol: 2e-3, half: { inputs: [T, T], outputs: [F] },
  });
  cases.push({
    name: `conv2d_backward_input ${version} 70 filters, 147 taps, stride 2 (several tiles), all f16`, inputs: [[2, 70, 9, 9], [70, 3, 7, 7]],
    fn: (dy, w) => sg.conv2dBackwardInput(dy, w, [2, 3, 17, 17], { stride: 2, padding: 3, version }), atol: 5e-4,
    half: { inputs: [T, T], outputs: [T] },
  });
}

// ---- pooling ----------------------------------------------------------------------------------------

interface PoolGeometry {
  name: string;
  x: number[];
  opts: sg.AvgPool2dOptions;
}
const pools: PoolGeometry[] = [
  { name: '2×2 [2,3,8,8]', x: [2, 3, 8, 8], opts: { kernelSize: 2 } },
  { name: '2×2, odd 7×5 image (OW 2, 3 outputs per plane)', x: [1, 3, 7, 5], opts: { kernelSize: 2 } },
  { name: '3×3 stride 2 padding 1, 7×7 (odd count 2·3·16)', x: [2, 3, 7, 7], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '3×3 stride 1 padding 1 (overlapping), 6×5', x: [1, 3, 6, 5], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: '2×3 stride [1,2] padding [1,1], 7×9', x: [1, 1, 7, 9], opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1] } },
  { name: 'size 1', x: [1, 1, 1, 1], opts: { kernelSize: 1 } },
  { name: '3×3 stride 2 padding 1 ceilMode, 8×8', x: [2, 3, 8, 8], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: '2×2 ceilMode, 5×7', x: [1, 3, 5, 7], opts: { kernelSize: 2, ceilMode: true } },
  { name: 'MNIST-like [2,8,28,28] 2×2 (several workgroups)', x: [2, 8, 28, 28], opts: { kernelSize: 2 } },
  { name: '[3,5,11,13] 3×3 stride 3 ceilMode (odd count)', x: [3, 5, 11, 13], opts: { kernelSize: 3, ceilMode: true } },
];
const onePatterns: Half[] = [{ inputs: [T], outputs: [T] }, { inputs: [T], outputs: [F] }, { inputs: [F], outputs: [T] }];
const maxPatterns: Half[] = [{ inputs: [T], outputs: [T, F] }, { inputs: [T], outputs: [F, F] }, { inputs: [F], outputs: [T, F] }];
for (const p of pools) {
  const { countIncludePad: _avgOnly, ...maxOpts } = p.opts;
  for (const half of maxPatterns) {
    cases.push({ name: `max_pool2d ${p.name}, ${tag(half)}`, inputs: [p.x], fn: (x) => sg.maxPool2d(x, maxOpts), half });
  }
  for (const half of onePatterns) {
    cases.push({ name: `avg_pool2d ${p.name}, ${tag(half)}`, inputs: [p.x], fn: (x) => sg.avgPool2d(x, p.opts), half });
  }
  if (p.opts.padding) {
    const opts = { ...p.opts, countIncludePad: false };
    cases.push({ name: `avg_pool2d countIncludePad false ${p.name}, all f16`, inputs: [p.x], fn: (x) => sg.avgPool2d(x, opts), half: onePatterns[0] });
  }
}
// ±∞, NaN, 65504 and values rounding past it read from f16 storage and passed through.
const specials = [65504, -65504, Infinity, -Infinity, NaN, 1e5, -7e4, 6e-8, 0.5, -0.25, 3, -2];
const specialValues = Array.from({ length: 2 * 6 * 6 }, (_, i) => specials[(i * 7) % specials.length] * (i % 5 === 0 ? 1 : 0.5));
cases.push({
  name: 'max_pool2d passes ±∞, NaN and 65504 through, all f16', inputs: [{ shape: [1, 2, 6, 6], values: specialValues }],
  fn: (x) => sg.maxPool2d(x, { kernelSize: 2 }), half: { inputs: [T], outputs: [T, F] },
});
cases.push({
  name: 'avg_pool2d of ±∞ and 65504 (sums past 65504 in f32, a mean back in range), all f16',
  inputs: [{ shape: [1, 2, 6, 6], values: specialValues.map((v) => (Number.isNaN(v) ? 65504 : v)) }],
  fn: (x) => sg.avgPool2d(x, { kernelSize: 3, stride: 1 }), half: { inputs: [T], outputs: [T] },
});

const poolBack: { name: string; x: number[]; y: number[]; opts: sg.AvgPool2dOptions }[] = [
  { name: '3×3 stride 2 padding 1', x: [2, 2, 7, 7], y: [2, 2, 4, 4], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '3×3 stride 1 padding 1, 5×6', x: [1, 3, 5, 6], y: [1, 3, 5, 6], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: '2×2 windows tiling [2,3,6,8] (the window kernel, KW even)', x: [2, 3, 6, 8], y: [2, 3, 3, 4], opts: { kernelSize: 2 } },
  { name: '3×3 windows tiling [1,3,9,9] (KW odd: the gather for f16 dx)', x: [1, 3, 9, 9], y: [1, 3, 3, 3], opts: { kernelSize: 3 } },
  { name: '2×4 windows tiling [3,1,6,12] (KW 4)', x: [3, 1, 6, 12], y: [3, 1, 3, 3], opts: { kernelSize: [2, 4] } },
  { name: '2×2 ceilMode 5×7, no pad count', x: [1, 2, 5, 7], y: [1, 2, 3, 4], opts: { kernelSize: 2, ceilMode: true, countIncludePad: false } },
  { name: 'MNIST-like [2,8,28,28] 2×2', x: [2, 8, 28, 28], y: [2, 8, 14, 14], opts: { kernelSize: 2 } },
];
for (const b of poolBack) {
  const { countIncludePad: _avgOnly, ...maxOpts } = b.opts;
  const geom = { kernel: pairOf(b.opts.kernelSize), stride: pairOf(b.opts.stride ?? b.opts.kernelSize), padding: pairOf(b.opts.padding ?? 0),
    countIncludePad: true, ceilMode: b.opts.ceilMode ?? false };
  for (const half of [{ inputs: [T, F], outputs: [T] }, { inputs: [T, F], outputs: [F] }, { inputs: [F, F], outputs: [T] }]) {
    cases.push({
      name: `max_pool2d_backward ${b.name}, ${tag(half)}`, inputs: [{ shape: b.x, noGrad: true }, b.y],
      fn: (x, dy) => sg.maxPool2dBackward(dy, sg.maxPool2dWithIndices(x, maxOpts)[1], b.x, maxOpts), half,
    });
    cases.push({
      name: `max_pool2d_gather ${b.name}, ${tag(half)}`, inputs: [{ shape: b.x, noGrad: true }, b.x],
      fn: (x, g) => apply1(maxPool2dGatherOp, [g, sg.maxPool2dWithIndices(x, maxOpts)[1]], geom), half,
    });
  }
  for (const half of onePatterns) {
    cases.push({ name: `avg_pool2d_backward ${b.name}, ${tag(half)}`, inputs: [b.y], fn: (dy) => sg.avgPool2dBackward(dy, b.x, b.opts), half });
  }
}

function pairOf(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

// ---- batchNorm --------------------------------------------------------------------------------------

const runMean = (C: number): InputSpec => ({ shape: [C], noGrad: true });
const runVar = (C: number): InputSpec => ({ shape: [C], range: [0.5, 2], noGrad: true });
// L even (fused kernels write word pairs), L odd with N·L odd, L = 1, many channels, M above 1024.
const bnShapes: number[][] = [[2, 3, 4, 6], [3, 5, 7, 11], [5, 3, 3, 3], [300, 4], [7, 5], [4, 67], [2, 8, 28, 28], [3, 2, 40, 11], [3, 4, 5]];
const bnPatterns = (nIn: number, nOut: number): Half[] => [
  { inputs: [T, ...Array(nIn - 1).fill(F)], outputs: [T, ...Array(nOut - 1).fill(F)] },
  { inputs: [T, ...Array(nIn - 1).fill(F)], outputs: Array(nOut).fill(F) },
  { inputs: Array(nIn).fill(F), outputs: [T, ...Array(nOut - 1).fill(F)] },
];
for (const [rules, extra] of [['software rules', {}], ['hardware rules', hardware]] as const) {
  for (const version of ['fused', 'split', 'auto'] as BatchNormVersion[]) {
    for (const shape of bnShapes) {
      const C = shape[1];
      for (const half of bnPatterns(3, 3)) {
        cases.push({
          name: `batchNorm train ${version} (${rules}) [${shape}], ${tag(half)}`, inputs: [shape, [C], [C]], atol: 1e-4, half, ...extra,
          fn: (x, w, b) => sg.batchNorm(x, { weight: w, bias: b, training: true, version }).y,
        });
      }
      // The backward op: [dy, x, mean, rstd, weight] → [dx, Σ dy·x̂, Σ dy].
      for (const half of [{ inputs: [T, T, F, F, F], outputs: [T, F, F] }, { inputs: [T, F, F, F, F], outputs: [F, F, F] },
        { inputs: [F, T, F, F, F], outputs: [T, F, F] }, { inputs: [F, F, F, F, F], outputs: [T, F, F] }]) {
        cases.push({
          name: `batchNormBackward ${version} (${rules}) [${shape}], ${tag(half)}`, inputs: [shape, [C], shape], atol: 1e-4, half, ...extra,
          fn: (x, w, dy) => {
            const r = sg.batchNorm(x, { weight: w, training: true, version });
            return apply(batchNormBackwardOp, [dy, x, r.mean!, r.rstd!, w], { hasWeight: true, version })[0];
          },
        });
      }
    }
  }
}
for (const version of ['fused', 'split'] as BatchNormVersion[]) {
  for (const shape of [[3, 4, 5, 7], [2, 3, 4, 4]]) {
    const C = shape[1];
    cases.push({
      name: `batchNorm train ${version} with running statistics [${shape}], x and y f16`,
      inputs: [shape, [C], [C], runMean(C), runVar(C)], atol: 1e-4, half: { inputs: [T, F, F, F, F], outputs: [T, F, F, F, F] },
      fn: (x, w, b, rm, rv) => sg.batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true, version }).y,
    });
  }
  cases.push({
    name: `batchNorm train ${version} without weight and bias [20,4,5], all f16`, inputs: [[20, 4, 5]], atol: 1e-4,
    half: { inputs: [T], outputs: [T, F, F] }, fn: (x) => sg.batchNorm(x, { training: true, version }).y,
  });
  cases.push({
    name: `batchNormBackward ${version} without weight [4,3,6], all f16`, inputs: [[4, 3, 6], [4, 3, 6]], atol: 1e-4,
    half: { inputs: [T, T, F, F], outputs: [T, F, F] },
    fn: (x, dy) => {
      const r = sg.batchNorm(x, { training: true, version });
      return apply(batchNormBackwardOp, [dy, x, r.mean!, r.rstd!], { hasWeight: false, version })[0];
    },
  });
}
for (const shape of [[2, 3], [7, 5], [2, 3, 5, 7], [2, 4, 6, 6], [1, 1, 3, 3]]) {
  const C = shape[1];
  for (const half of bnPatterns(5, 1)) {
    cases.push({
      name: `batchNormEval [${shape}], ${tag(half)}`, inputs: [shape, runMean(C), runVar(C), [C], [C]], half,
      fn: (x, rm, rv, w, b) => sg.batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv }).y,
    });
  }
}

export { cases };
