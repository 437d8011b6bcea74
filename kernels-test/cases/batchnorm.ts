// Batch norm (shaders/batchnorm.wgsl): training forward and backward, both kernel versions (fused: one
// workgroup per channel; split: per-channel statistics + one thread per element) and 'auto', for
// [N, C] (batch 2, prime batches, C = 1, prime C, a batch above one workgroup), [N, C, L] and
// [N, C, H, W] with odd H·W (and per-channel counts above 256), weight / bias present or absent,
// the running-statistics update (each output its own case; momentum null: factor 1/numBatchesTracked), the saved mean / rstd outputs with their
// gradients, eval mode, and a gradient of a gradient through the backward op. The per-channel kernels
// run one thread per channel for M ≤ 64 values per channel, and under the software rules with ≥ 4
// channels; one workgroup per channel otherwise: shapes with M > 64 appear with C ≥ 4 ([300,4],
// [3,5,7,11]) and C < 4, and node/hardware-rules runs this table under the hardware rules.
// Bad inputs are in node/batchnorm-errors.test.ts.
import * as sg from '../../src/index.js';
import type { BatchNormVersion, Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

const cases: Case[] = [];

/** Running statistics as inputs: a mean anywhere, a variance positive; state, so no gradient. */
const runMean = (C: number): InputSpec => ({ shape: [C], noGrad: true });
const runVar = (C: number): InputSpec => ({ shape: [C], range: [0.5, 2], noGrad: true });

const affine = (w?: Tensor, b?: Tensor) => ({ ...(w ? { weight: w } : {}), ...(b ? { bias: b } : {}) });

// ---- training forward + backward, weight and bias, every version ----
const trainShapes: number[][] = [[2, 3], [7, 5], [13, 1], [3, 2, 5], [2, 3, 5, 7], [1, 3, 2, 2], [5, 1, 3, 3], [3, 2, 11, 13], [300, 2],
  [300, 4], [3, 5, 7, 11]];
for (const version of ['fused', 'split', 'auto'] as BatchNormVersion[]) {
  for (const shape of trainShapes) {
    const C = shape[1];
    cases.push({
      name: `train ${version} [${shape}] weight+bias`, inputs: [shape, [C], [C]], atol: 1e-4,
      fn: (x, w, b) => sg.batchNorm(x, { weight: w, bias: b, training: true, version }).y,
    });
  }
}

// ---- weight / bias absent ----
for (const version of ['fused', 'split'] as BatchNormVersion[]) {
  cases.push({ name: `train ${version} [11,3] no weight, no bias`, inputs: [[11, 3]], fn: (x) => sg.batchNorm(x, { training: true, version }).y, atol: 1e-4 });
  cases.push({ name: `train ${version} [20,4,5] no weight, no bias`, inputs: [[20, 4, 5]], fn: (x) => sg.batchNorm(x, { training: true, version }).y, atol: 1e-4 });
  cases.push({
    name: `train ${version} [3,2,3,3] weight only`, inputs: [[3, 2, 3, 3], [2]], atol: 1e-4,
    fn: (x, w) => sg.batchNorm(x, { weight: w, training: true, version }).y,
  });
  cases.push({
    name: `train ${version} [2,5,7] bias only`, inputs: [[2, 5, 7], [5]], atol: 1e-4,
    fn: (x, b) => sg.batchNorm(x, { bias: b, training: true, version }).y,
  });
}
cases.push({ name: 'train auto many channels [4,67] (fused path)', inputs: [[4, 67], [67], [67]], atol: 1e-4,
  fn: (x, w, b) => sg.batchNorm(x, { weight: w, bias: b, training: true }).y });
cases.push({ name: 'train auto [3,2,40,11] (M = 1320: split path)', inputs: [[3, 2, 40, 11], [2], [2]], atol: 1e-4,
  fn: (x, w, b) => sg.batchNorm(x, { weight: w, bias: b, training: true }).y });
cases.push({ name: 'train eps 0.1, shifted input [5,3,2]', inputs: [{ shape: [5, 3, 2], range: [2, 4] }, [3]], atol: 1e-4,
  fn: (x, w) => sg.batchNorm(x, { weight: w, training: true, eps: 0.1 }).y });

// ---- running statistics (each output its own case; no gradient: they are state) ----
for (const version of ['fused', 'split'] as BatchNormVersion[]) {
  for (const shape of [[2, 3], [7, 5], [3, 2, 5], [2, 3, 5, 7], [13, 1], [3, 4, 5, 7]]) {
    const C = shape[1];
    const run = (x: Tensor, rm: Tensor, rv: Tensor, w: Tensor, b: Tensor) =>
      sg.batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true, momentum: 0.1, version });
    const ins = [shape, runMean(C), runVar(C), [C], [C]];
    cases.push({ name: `running ${version} [${shape}]: y`, inputs: ins, fn: (...t) => run(t[0], t[1], t[2], t[3], t[4]).y, atol: 1e-4 });
    cases.push({
      name: `running ${version} [${shape}]: runningMean`, inputs: ins, grad: false, // state: not differentiable (torch: no_grad)
      fn: (...t) => run(t[0], t[1], t[2], t[3], t[4]).runningMean!,
    });
    cases.push({
      name: `running ${version} [${shape}]: runningVar (unbiased)`, inputs: ins, grad: false,
      fn: (...t) => run(t[0], t[1], t[2], t[3], t[4]).runningVar!,
    });
  }
}
cases.push({
  name: 'running momentum 0.3 without weight/bias [4,3,3]: runningVar', inputs: [[4, 3, 3], runMean(3), runVar(3)], grad: false,
  fn: (x, rm, rv) => sg.batchNorm(x, { runningMean: rm, runningVar: rv, training: true, momentum: 0.3 }).runningVar!,
});

// momentum null (torch's momentum=None): the factor is 1/numBatchesTracked, an i32 [] read on the GPU.
for (const [shape, count] of [[[4, 3, 3], 3], [[5, 2], 1], [[2, 3, 2, 2], 7]] as [number[], number][]) {
  const C = shape[1];
  const nbt: InputSpec = { shape: [], dtype: 'i32', values: [count], noGrad: true };
  for (const key of ['runningMean', 'runningVar'] as const) {
    cases.push({
      name: `running momentum null, numBatchesTracked ${count} [${shape}]: ${key}`, inputs: [shape, runMean(C), runVar(C), nbt], grad: false,
      fn: (x, rm, rv, k) => sg.batchNorm(x, { runningMean: rm, runningVar: rv, training: true, momentum: null, numBatchesTracked: k })[key]!,
    });
  }
}

// ---- the saved statistics as outputs (their gradients flow back into x) ----
for (const version of ['fused', 'split'] as BatchNormVersion[]) {
  cases.push({ name: `saved mean ${version} [5,3,2]`, inputs: [[5, 3, 2]], fn: (x) => sg.batchNorm(x, { training: true, version }).mean! });
  cases.push({ name: `saved rstd ${version} [5,3,2]`, inputs: [[5, 3, 2]], fn: (x) => sg.batchNorm(x, { training: true, version }).rstd!, atol: 1e-4 });
  cases.push({
    name: `y + mean·rstd ${version} [4,3] (all three outputs reach the loss)`, inputs: [[4, 3], [3], [3]], atol: 1e-4,
    fn: (x, w, b) => {
      const r = sg.batchNorm(x, { weight: w, bias: b, training: true, version });
      return sg.add(r.y, sg.mul(r.mean!, r.rstd!));
    },
  });
}

// ---- eval: running statistics, a per-channel affine map ----
for (const shape of [[2, 3], [7, 5], [1, 4], [3, 2, 5], [2, 3, 5, 7], [1, 1, 3, 3]]) {
  const C = shape[1];
  cases.push({
    name: `eval [${shape}] weight+bias`, inputs: [shape, runMean(C), runVar(C), [C], [C]],
    fn: (x, rm, rv, w, b) => sg.batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false }).y,
  });
}
cases.push({
  name: 'eval [3,4,5] no weight, no bias', inputs: [[3, 4, 5], runMean(4), runVar(4)],
  fn: (x, rm, rv) => sg.batchNorm(x, { runningMean: rm, runningVar: rv }).y,
});
cases.push({
  name: 'eval [2,3,3] bias only', inputs: [[2, 3, 3], runMean(3), runVar(3), [3]],
  fn: (x, rm, rv, b) => sg.batchNorm(x, { bias: b, runningMean: rm, runningVar: rv }).y,
});

// ---- gradients of gradients: the backward op's gradient (in ops) against its reference ----
for (const version of ['fused', 'split'] as BatchNormVersion[]) {
  cases.push({
    name: `second order ${version} [5,3]: d/dx of Σ(dx·r) with weight`, inputs: [[5, 3], [3], [5, 3]], atol: 1e-4,
    fn: (x, w, r) => sg.grad((xx, ww) => sg.sum(sg.mul(sg.batchNorm(xx, { weight: ww, training: true, version }).y, r)))(x, w)[0],
  });
  cases.push({
    name: `second order ${version} [3,2,2,3]: dweight and dbias as outputs`, inputs: [[3, 2, 2, 3], [2], [2], [3, 2, 2, 3]], atol: 1e-4,
    fn: (x, w, b, r) => {
      const [, gw, gb] = sg.grad((xx, ww, bb) =>
        sg.sum(sg.mul(sg.batchNorm(xx, { weight: ww, bias: bb, training: true, version }).y, r)))(x, w, b);
      return sg.add(sg.mul(gw, gw), gb);
    },
  });
  cases.push({
    name: `second order ${version} [4,2,3] without weight`, inputs: [[4, 2, 3], [4, 2, 3]], atol: 1e-4,
    fn: (x, r) => sg.grad((xx) => sg.sum(sg.mul(sg.batchNorm(xx, { training: true, version }).y, r)))(x)[0],
  });
  cases.push({
    name: `second order ${version} [2,4,7,6] (M = 84)`, inputs: [[2, 4, 7, 6], [4], [2, 4, 7, 6]], atol: 1e-4,
    fn: (x, w, r) => sg.grad((xx) => sg.sum(sg.mul(sg.batchNorm(xx, { weight: w, training: true, version }).y, r)))(x)[0],
  });
}

export { cases };
