// conv2d (shaders/conv2d.wgsl): every forward version — direct, blocked, tiled and the implicit GEMM
// on register tiles gemm4x4 / gemm4x8 / gemm8x8, whose gradients run the GEMM kernels too — on every geometry —
// stride 1/2/3, padding 0/1/2, dilation 2, groups 2, depthwise (groups = C, multiplier 1 and 2),
// 1×1 and non-square kernels, kernel as large as the image, batch 1, size 1, odd/prime sizes,
// sizes below and above the 16×16 tile, with and without bias, an MNIST-like layer. Gradients for
// input, weight and bias come from conv2d_backward_input / conv2d_backward_weight / a sum; those
// two ops are also run on their own so that their gradient rules (second order) are checked.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';
import type { Conv2dOptions, ConvVersion } from '../../src/index.js';

/** A convolution case's geometry (also kernels-test/cases/half-conv.ts's). */
export interface Geometry {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  opts: Conv2dOptions;
  atol?: number;
}

const geometries: Geometry[] = [
  { name: '3×3 [1,1,5,5]', x: [1, 1, 5, 5], w: [1, 1, 3, 3], bias: false, opts: {} },
  { name: '7×5 image, 3→5 channels, bias', x: [2, 3, 7, 5], w: [5, 3, 3, 3], bias: true, opts: {} },
  { name: 'stride 2 padding 1', x: [2, 3, 7, 5], w: [5, 3, 3, 3], bias: true, opts: { stride: 2, padding: 1 } },
  { name: 'padding 2', x: [1, 2, 6, 6], w: [3, 2, 3, 3], bias: false, opts: { padding: 2 } },
  { name: 'dilation 2 padding 2', x: [1, 2, 9, 8], w: [4, 2, 3, 3], bias: true, opts: { dilation: 2, padding: 2 } },
  { name: 'stride 3 leaves rows and columns unread', x: [1, 2, 8, 7], w: [3, 2, 3, 2], bias: true, opts: { stride: 3 } },
  { name: 'groups 2', x: [2, 4, 6, 5], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, padding: 1 } },
  { name: 'depthwise (groups = C)', x: [2, 3, 7, 7], w: [3, 1, 3, 3], bias: true, opts: { groups: 3, padding: 1 } },
  { name: 'depthwise multiplier 2', x: [1, 3, 5, 5], w: [6, 1, 3, 3], bias: false, opts: { groups: 3, stride: 2 } },
  { name: '1×1 kernel', x: [2, 5, 4, 3], w: [7, 5, 1, 1], bias: true, opts: {} },
  { name: '1×7 kernel, 20 columns (a wide sliding window)', x: [1, 2, 3, 20], w: [9, 2, 1, 7], bias: true, opts: { padding: [0, 3] }, atol: 1e-4 },
  { name: 'non-square 2×3 kernel, stride [2,1], padding [1,0]', x: [1, 3, 7, 5], w: [5, 3, 2, 3], bias: true, opts: { stride: [2, 1], padding: [1, 0] } },
  { name: 'size 1 everywhere', x: [1, 1, 1, 1], w: [1, 1, 1, 1], bias: true, opts: {} },
  { name: 'kernel as large as the image', x: [1, 2, 3, 3], w: [4, 2, 3, 3], bias: false, opts: {} },
  { name: 'above the tile: 20 filters, 27 taps, 81 positions', x: [1, 3, 9, 9], w: [20, 3, 3, 3], bias: true, opts: { padding: 1 }, atol: 1e-4 },
  { name: 'groups 3, 12 filters (two channel blocks per group, the second partial), stride 2', x: [2, 6, 9, 10], w: [30, 2, 3, 3], bias: true, opts: { groups: 3, stride: 2, padding: 1 }, atol: 1e-4 },
  { name: 'MNIST-like [2,1,28,28], 8 filters 3×3 padding 1', x: [2, 1, 28, 28], w: [8, 1, 3, 3], bias: true, opts: { padding: 1 }, atol: 1e-4 },
];

const cases: Case[] = [];
const versions: ConvVersion[] = ['direct', 'blocked', 'tiled', 'gemm4x4', 'gemm4x8', 'gemm8x8'];
for (const version of versions) {
  for (const g of geometries) {
    const opts = { ...g.opts, version };
    cases.push({
      name: `${version} ${g.name}`,
      inputs: g.bias ? [g.x, g.w, [g.w[0]]] : [g.x, g.w],
      fn: (x, w, b) => sg.conv2d(x, w, b ?? null, opts),
      atol: g.atol,
    });
  }
}

cases.push({ name: 'auto, options in place of the bias', inputs: [[2, 3, 6, 5], [16, 3, 3, 3]], fn: (x, w) => sg.conv2d(x, w, { padding: 1 }), atol: 1e-4 });
cases.push({ name: 'unbatched input [3,7,5]', inputs: [[3, 7, 5], [5, 3, 3, 3], [5]], fn: (x, w, b) => sg.conv2d(x, w, b, { padding: 1 }) });
cases.push({ name: "padding 'valid'", inputs: [[1, 2, 5, 6], [3, 2, 2, 2]], fn: (x, w) => sg.conv2d(x, w, null, { padding: 'valid' }) });
cases.push({
  name: 'conv → relu → conv (stride 2)', inputs: [[2, 2, 9, 7], [4, 2, 3, 3], [4], [3, 4, 3, 3]],
  fn: (x, w1, b1, w2) => sg.conv2d(sg.relu(sg.conv2d(x, w1, b1, { padding: 1 })), w2, null, { stride: 2 }),
  atol: 1e-4,
});

// padding 'same' (stride 1), as torch: the output keeps H×W; an odd total dilation·(K − 1) puts the
// extra zero row/column at the bottom/right (torch-checked numbers: kernels-test/node/torch-semantics.test.ts).
const same: { name: string; x: number[]; w: number[]; opts: Conv2dOptions }[] = [
  { name: '3×3 (even total)', x: [1, 2, 5, 6], w: [3, 2, 3, 3], opts: { padding: 'same' } },
  { name: '2×2 (odd total: extra row and column at the bottom/right)', x: [2, 2, 5, 6], w: [3, 2, 2, 2], opts: { padding: 'same' } },
  { name: '4×3 kernel dilation [1,2] (odd rows, even columns)', x: [1, 3, 6, 7], w: [4, 3, 4, 3], opts: { padding: 'same', dilation: [1, 2] } },
  { name: 'depthwise 2×4 (groups = C)', x: [1, 3, 5, 5], w: [3, 1, 2, 4], opts: { padding: 'same', groups: 3 } },
];
for (const version of versions) {
  for (const g of same) {
    cases.push({
      name: `${version} padding 'same' ${g.name}`, inputs: [g.x, g.w, [g.w[0]]],
      fn: (x, w, b) => sg.conv2d(x, w, b, { ...g.opts, version }), atol: 1e-4,
    });
  }
}
cases.push({ name: "padding 'same' unbatched [2,4,5], 2×3 kernel", inputs: [[2, 4, 5], [3, 2, 2, 3]], fn: (x, w) => sg.conv2d(x, w, { padding: 'same' }) });

// The gradient ops on their own: forward kernels vs references, and their gradient rules (which
// are conv2d and the other gradient op) vs the reference backward — i.e. second-order gradients.
const backward: { name: string; x: number[]; w: number[]; opts: Conv2dOptions }[] = [
  { name: 'stride 2 padding 1', x: [2, 3, 7, 5], w: [5, 3, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'stride 3 (uncovered input rows)', x: [1, 2, 8, 7], w: [3, 2, 3, 2], opts: { stride: 3 } },
  { name: 'groups 2 dilation 2', x: [1, 4, 7, 6], w: [6, 2, 2, 3], opts: { groups: 2, dilation: 2, padding: [1, 2] } },
  { name: 'depthwise', x: [2, 3, 5, 5], w: [3, 1, 3, 3], opts: { groups: 3, padding: 1 } },
  // 4+ channels per group: the register-blocked input gradient on software adapters.
  { name: '9 channels (a partial second block), stride 2 padding 1', x: [2, 9, 7, 6], w: [5, 9, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'groups 2 × 5 channels, dilation 2, 11 columns', x: [1, 10, 6, 11], w: [4, 5, 2, 3], opts: { groups: 2, dilation: 2, padding: [1, 2] } },
  { name: '8 channels, stride [1,3], 3×3 padding 1', x: [2, 8, 5, 10], w: [6, 8, 3, 3], opts: { stride: [1, 3], padding: 1 } },
];
for (const g of backward) {
  const [N, , H, W] = g.x;
  const OH = Math.floor((H + 2 * pad(g.opts, 0) - dil(g.opts, 0) * (g.w[2] - 1) - 1) / str(g.opts, 0)) + 1;
  const OW = Math.floor((W + 2 * pad(g.opts, 1) - dil(g.opts, 1) * (g.w[3] - 1) - 1) / str(g.opts, 1)) + 1;
  const dyShape = [N, g.w[0], OH, OW];   // conv2d's output shape
  // The rule's kernels, and the implicit GEMM ones (a gemm version also runs them for the gradients).
  for (const version of [undefined, 'gemm4x4', 'gemm8x8'] as const) {
    const opts = { ...g.opts, version };
    const tag = version ? ` (${version})` : '';
    cases.push({
      name: `backward-input op${tag}, ${g.name}`, inputs: [dyShape, g.w],
      fn: (dy, w) => sg.conv2dBackwardInput(dy, w, g.x, opts),
    });
    cases.push({
      name: `backward-weight op${tag}, ${g.name}`, inputs: [g.x, dyShape],
      fn: (x, dy) => sg.conv2dBackwardWeight(x, dy, g.w, opts), atol: 1e-4,
    });
  }
}
// Above the GEMM tiles: 70 output channels (two 64-channel blocks), 147 taps (9 slices of 16), 2·9·9
// positions; a long inner dimension for the weight gradient (2·40·40 = 3200 positions, several slices).
for (const version of ['gemm4x4', 'gemm4x8', 'gemm8x8'] as const) {
  cases.push({
    name: `${version} above the tiles: 70 filters, 147 taps, stride 2`, inputs: [[2, 3, 17, 17], [70, 3, 7, 7], [70]],
    fn: (x, w, b) => sg.conv2d(x, w, b, { stride: 2, padding: 3, version }), atol: 2e-4,
  });
  cases.push({
    name: `${version} weight gradient over 3200 positions`, inputs: [[2, 2, 40, 40], [2, 6, 40, 40]],
    fn: (x, dy) => sg.conv2dBackwardWeight(x, dy, [6, 2, 3, 3], { padding: 1, version }), atol: 5e-4,
  });
}
cases.push({
  name: 'second order: d/dw of Σ (∂ Σ conv(x,w)² / ∂x)²', inputs: [[1, 2, 5, 6], [3, 2, 3, 3]],
  fn: (x, w) => {
    const [dx] = sg.grad((xx: sg.Tensor) => sg.sum(sg.square(sg.conv2d(xx, w, null, { padding: 1 }))), [x])(x);
    return sg.square(dx);
  },
  atol: 1e-4,
});

function at(v: number | [number, number] | 'valid' | 'same' | undefined, i: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === 'valid') return 0;
  if (v === 'same') throw new Error("padding 'same' has no per-side amount");
  return typeof v === 'number' ? v : v[i];
}
function pad(o: Conv2dOptions, i: number) { return at(o.padding, i, 0); }
function dil(o: Conv2dOptions, i: number) { return at(o.dilation, i, 1); }
function str(o: Conv2dOptions, i: number) { return at(o.stride, i, 1); }

export { cases };
