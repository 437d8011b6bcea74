// Pooling (shaders/pool.wgsl): max and average pooling — 2×2 stride 2, 3×3 stride 2 padding 1,
// overlapping windows (stride 1), non-square kernels/strides/padding, odd and prime sizes, size 1,
// a kernel as large as the image, countIncludePad true and false, unbatched inputs; the argmax
// indices themselves; negative inputs with padding (padding must act as −∞, not 0); global average
// pooling; ceilMode (partial last windows, torch's rule and divisor); the gradient ops on their own
// (their gradient rules: second and third order).
// Inputs are random, so tied maxima (where max pooling is not differentiable) are improbable.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';
import type { AvgPool2dOptions, MaxPool2dOptions } from '../../src/index.js';

interface Geometry {
  name: string;
  x: number[];
  opts: MaxPool2dOptions;
}

const geometries: Geometry[] = [
  { name: '2×2 stride 2 [2,3,8,8]', x: [2, 3, 8, 8], opts: { kernelSize: 2 } },
  { name: '2×2 stride 2, odd 7×5 image', x: [1, 2, 7, 5], opts: { kernelSize: 2, stride: 2 } },
  { name: '3×3 stride 2 padding 1', x: [2, 3, 7, 7], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '3×3 stride 1 padding 1 (overlapping windows)', x: [1, 2, 6, 5], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: 'non-square 2×3 kernel, stride [1,2], padding [1,1]', x: [1, 2, 7, 9], opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1] } },
  { name: '3×2 kernel stride [2,1] padding [1,0], 11×13 image', x: [1, 3, 11, 13], opts: { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] } },
  { name: 'size 1', x: [1, 1, 1, 1], opts: { kernelSize: 1 } },
  { name: 'kernel as large as the image', x: [2, 3, 5, 5], opts: { kernelSize: 5 } },
  { name: 'MNIST-like [2,8,28,28] 2×2', x: [2, 8, 28, 28], opts: { kernelSize: 2 } },
  // ceilMode (torch's ceil_mode): a last partial window; the average's divisor stops at the padded edge.
  { name: '2×2 stride 2 ceilMode, odd 7×5 image', x: [1, 2, 7, 5], opts: { kernelSize: 2, ceilMode: true } },
  { name: '3×3 stride 2 padding 1 ceilMode, 8×8 (last window past the padded edge)', x: [2, 2, 8, 8], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: '2×2 stride 2 padding 1 ceilMode, 5×5 (a window only in the right padding is dropped)', x: [1, 2, 5, 5], opts: { kernelSize: 2, padding: 1, ceilMode: true } },
  { name: '3×3 stride 3 ceilMode, 10×11', x: [1, 3, 10, 11], opts: { kernelSize: 3, ceilMode: true } },
  { name: '3×2 stride [2,3] padding [1,0] ceilMode, 6×7', x: [1, 2, 6, 7], opts: { kernelSize: [3, 2], stride: [2, 3], padding: [1, 0], ceilMode: true } },
];

const cases: Case[] = [];
for (const g of geometries) {
  cases.push({ name: `max ${g.name}`, inputs: [g.x], fn: (x) => sg.maxPool2d(x, g.opts) });
  cases.push({ name: `max indices ${g.name}`, inputs: [g.x], fn: (x) => sg.maxPool2dWithIndices(x, g.opts)[1], grad: false });
  cases.push({ name: `avg ${g.name}`, inputs: [g.x], fn: (x) => sg.avgPool2d(x, g.opts) });
  if (g.opts.padding) {
    const opts: AvgPool2dOptions = { ...g.opts, countIncludePad: false };
    cases.push({ name: `avg countIncludePad false ${g.name}`, inputs: [g.x], fn: (x) => sg.avgPool2d(x, opts) });
  }
}

cases.push({
  name: 'max of negative values with padding (padding is −∞)', inputs: [{ shape: [1, 2, 5, 6], range: [-3, -1] }],
  fn: (x) => sg.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
});
cases.push({ name: 'max shorthand maxPool2d(x, 2)', inputs: [[2, 2, 4, 6]], fn: (x) => sg.maxPool2d(x, 2) });
cases.push({ name: 'max unbatched [3,7,5]', inputs: [[3, 7, 5]], fn: (x) => sg.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }) });
cases.push({ name: 'avg unbatched [3,7,5]', inputs: [[3, 7, 5]], fn: (x) => sg.avgPool2d(x, { kernelSize: 2 }) });
cases.push({ name: 'global avg [2,3,7,5]', inputs: [[2, 3, 7, 5]], fn: (x) => sg.globalAvgPool2d(x) });
cases.push({ name: 'global avg [1,1,1,1]', inputs: [[1, 1, 1, 1]], fn: (x) => sg.globalAvgPool2d(x) });
cases.push({ name: 'global avg unbatched [3,4,4]', inputs: [[3, 4, 4]], fn: (x) => sg.globalAvgPool2d(x) });
cases.push({
  name: 'conv → relu → max pool 2×2 → global avg', inputs: [[2, 1, 8, 8], [4, 1, 3, 3], [4]],
  fn: (x, w, b) => sg.globalAvgPool2d(sg.maxPool2d(sg.relu(sg.conv2d(x, w, b, { padding: 1 })), 2)),
});

// The gradient ops on their own, so that their gradient rules are checked too.
const back: { name: string; x: number[]; y: number[]; opts: AvgPool2dOptions }[] = [
  { name: '3×3 stride 2 padding 1', x: [2, 2, 7, 7], y: [2, 2, 4, 4], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '3×3 stride 1 padding 1', x: [1, 3, 5, 6], y: [1, 3, 5, 6], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { name: '2×3 stride [2,1] padding [1,0], no pad count', x: [1, 2, 7, 5], y: [1, 2, 4, 3], opts: { kernelSize: [2, 3], stride: [2, 1], padding: [1, 0], countIncludePad: false } },
  { name: '2×2 stride 2 (the windows tile the input)', x: [2, 3, 6, 8], y: [2, 3, 3, 4], opts: { kernelSize: 2 } },
  { name: '3×3 stride 2 padding 1 ceilMode', x: [1, 2, 8, 8], y: [1, 2, 5, 5], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: '2×2 stride 2 ceilMode, 5×7 (partial windows)', x: [1, 2, 5, 7], y: [1, 2, 3, 4], opts: { kernelSize: 2, ceilMode: true, countIncludePad: false } },
];
for (const b of back) {
  const { countIncludePad: _avgOnly, ...maxOpts } = b.opts; // max pooling takes no countIncludePad (as torch)
  cases.push({
    name: `max backward op ${b.name}`, inputs: [{ shape: b.x, noGrad: true }, b.y],
    fn: (x, dy) => sg.maxPool2dBackward(dy, sg.maxPool2dWithIndices(x, maxOpts)[1], b.x, maxOpts),
  });
  // d/dg of Σ r · gather(g, indices): exercises max_pool2d_gather and its gradient rule.
  cases.push({
    name: `max gather (gradient of the backward) ${b.name}`, inputs: [{ shape: b.x, noGrad: true }, { shape: b.y, noGrad: true }, b.x],
    fn: (x, dy, g) => {
      const idx = sg.maxPool2dWithIndices(x, maxOpts)[1];
      return sg.grad((d: sg.Tensor) => sg.sum(sg.mul(sg.maxPool2dBackward(d, idx, b.x, maxOpts), g)), [dy])(dy)[0];
    },
  });
  cases.push({ name: `avg backward op ${b.name}`, inputs: [b.y], fn: (dy) => sg.avgPool2dBackward(dy, b.x, b.opts) });
}

export { cases };
