// rmsNorm, groupNorm and instanceNorm (shaders/norm.wgsl): forward and backward dx (one workgroup per
// row, or one thread per row: rows of ≤ 64 on any adapter, on software adapters with ≥ 4 rows) and
// dweight/dbias (one workgroup per channel, or one thread per channel: ≤ 64 values per channel, or
// software adapters with ≥ 4 channels), with and without weight/bias, odd and prime sizes, N = 1,
// group counts 1 and C, eps, the saved statistics as outputs, instance norm's running statistics and
// its eval path, and gradients of gradients. Rows and channels longer than 64 appear with ≥ 4 and with
// fewer of them; node/hardware-rules runs this table under the hardware rules. Bad inputs are in
// node/norms.test.ts, with the values against PyTorch.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

/** Running statistics as inputs: a mean anywhere, a variance positive; state, so no gradient. */
const runMean = (C: number): InputSpec => ({ shape: [C], noGrad: true });
const runVar = (C: number): InputSpec => ({ shape: [C], range: [0.5, 2], noGrad: true });

/** The input gradient of Σ(norm(x)·r) as the output, so the harness checks its gradient too. */
const secondOrderDx = (norm: (x: Tensor, w: Tensor, b: Tensor) => Tensor) => (x: Tensor, w: Tensor, b: Tensor, r: Tensor) =>
  sg.grad((t: Tensor) => sg.sum(sg.mul(norm(t, w, b), r)))(x)[0];

const rms: Case[] = [
  { name: 'rmsNorm [4,7] with weight', inputs: [[4, 7], [7]], fn: (x, w) => sg.rmsNorm(x, [7], w) },
  { name: 'rmsNorm [5,3] no weight', inputs: [[5, 3]], fn: (x) => sg.rmsNorm(x, [3]) },
  { name: 'rmsNorm one row [1,13]', inputs: [[1, 13], [13]], fn: (x, w) => sg.rmsNorm(x, [13], w) },
  { name: 'rmsNorm row of 1 [4,1]', inputs: [[4, 1], [1]], fn: (x, w) => sg.rmsNorm(x, [1], w) },
  { name: 'rmsNorm 2-D normalizedShape [2,3,4]', inputs: [[2, 3, 4], [3, 4]], fn: (x, w) => sg.rmsNorm(x, [3, 4], w) },
  { name: 'rmsNorm whole tensor [9]', inputs: [[9], [9]], fn: (x, w) => sg.rmsNorm(x, [9], w) },
  { name: 'rmsNorm eps 0.1 [3,5]', inputs: [[3, 5], [5]], fn: (x, w) => sg.rmsNorm(x, [5], w, 0.1) },
  {
    // mean(x²) ≈ 3e-7 here, so the default eps (2⁻²³ ≈ 1.2e-7, torch.finfo(float32).eps) changes the result.
    name: 'rmsNorm default eps on tiny values [3,6]', inputs: [{ shape: [3, 6], range: [-1e-3, 1e-3] }, [6]],
    fn: (x, w) => sg.rmsNorm(x, [6], w), atol: 1e-4, rtol: 1e-3, finiteDifferences: { skip: 'x is O(1e-3): a step of 1e-6 is too coarse' },
  },
  { name: 'rmsNorm rows longer than a workgroup [3,300]', inputs: [[3, 300], [300]], fn: (x, w) => sg.rmsNorm(x, [300], w), atol: 3e-5 },
  { name: 'rmsNorm 5 rows of 257 [5,257]', inputs: [[5, 257], [257]], fn: (x, w) => sg.rmsNorm(x, [257], w), atol: 3e-5 },
  { name: 'rmsNorm many rows, 3 columns for dweight [67,3]', inputs: [[67, 3], [3]], fn: (x, w) => sg.rmsNorm(x, [3], w) },
  { name: 'rmsNorm many rows, 5 columns [70,5]', inputs: [[70, 5], [5]], fn: (x, w) => sg.rmsNorm(x, [5], w), atol: 3e-5 },
  { name: 'second order: dx of rmsNorm with weight [3,5]', inputs: [[3, 5], [5], [5], [3, 5]], fn: secondOrderDx((x, w) => sg.rmsNorm(x, [5], w)) },
  { name: 'second order: dx of rmsNorm plain, rows of 70 [4,70]', inputs: [[4, 70], [70], [70], [4, 70]], fn: secondOrderDx((x) => sg.rmsNorm(x, [70])), atol: 3e-5 },
  {
    name: 'second order: dweight of rmsNorm [4,3]', inputs: [[4, 3], [3], [4, 3]],
    fn: (x, w, r) => sg.grad((ww: Tensor) => sg.sum(sg.mul(sg.rmsNorm(x, [3], ww), r)))(w)[0],
  },
];

const group: Case[] = [
  { name: 'groupNorm [2,6,5] 3 groups, weight and bias', inputs: [[2, 6, 5], [6], [6]], fn: (x, w, b) => sg.groupNorm(x, 3, w, b) },
  { name: 'groupNorm [3,4,7] 1 group', inputs: [[3, 4, 7], [4], [4]], fn: (x, w, b) => sg.groupNorm(x, 1, w, b) },
  { name: 'groupNorm [2,5,3] C groups', inputs: [[2, 5, 3], [5], [5]], fn: (x, w, b) => sg.groupNorm(x, 5, w, b) },
  { name: 'groupNorm N = 1 [1,6,4] 2 groups', inputs: [[1, 6, 4], [6], [6]], fn: (x, w, b) => sg.groupNorm(x, 2, w, b) },
  { name: 'groupNorm rank 2 [3,4] 2 groups', inputs: [[3, 4], [4], [4]], fn: (x, w, b) => sg.groupNorm(x, 2, w, b) },
  { name: 'groupNorm 4-D [2,6,3,5] 3 groups, no affine', inputs: [[2, 6, 3, 5]], fn: (x) => sg.groupNorm(x, 3) },
  { name: 'groupNorm odd [3,9,5] 3 groups, weight only', inputs: [[3, 9, 5], [9]], fn: (x, w) => sg.groupNorm(x, 3, w) },
  { name: 'groupNorm [2,4,3] 2 groups, bias only', inputs: [[2, 4, 3], [4]], fn: (x, b) => sg.groupNorm(x, 2, null, b) },
  { name: 'groupNorm eps 0.1 [2,4,3]', inputs: [[2, 4, 3], [4], [4]], fn: (x, w, b) => sg.groupNorm(x, 2, w, b, 0.1) },
  {
    name: 'groupNorm rows of 200 [2,4,100] 2 groups', inputs: [[2, 4, 100], [4], [4]],
    fn: (x, w, b) => sg.groupNorm(x, 2, w, b), atol: 3e-5,
  },
  {
    name: 'groupNorm one row of 600 [1,2,300] 1 group', inputs: [[1, 2, 300], [2], [2]],
    fn: (x, w, b) => sg.groupNorm(x, 1, w, b), atol: 3e-5,
  },
  {
    name: 'groupNorm channels of 90 values, 4 channels [3,4,30]', inputs: [[3, 4, 30], [4], [4]],
    fn: (x, w, b) => sg.groupNorm(x, 2, w, b), atol: 3e-5,
  },
  {
    name: 'groupNorm channels of 80 values, 3 channels [2,3,40]', inputs: [[2, 3, 40], [3], [3]],
    fn: (x, w, b) => sg.groupNorm(x, 3, w, b), atol: 3e-5,
  },
  {
    name: 'groupNorm large offset [2,4,6]', inputs: [{ shape: [2, 4, 6], range: [90, 110] }, [4], [4]],
    fn: (x, w, b) => sg.groupNorm(x, 2, w, b), atol: 1e-4,
  },
  {
    name: 'groupNorm constant group: var 0, eps only [1,2,3]', inputs: [{ shape: [1, 2, 3], values: [3, 3, 3, 1, 2, 4] }, [2], [2]],
    fn: (x, w, b) => sg.groupNorm(x, 2, w, b), atol: 1e-4, rtol: 1e-3,
  },
  { name: 'second order: dx of groupNorm, affine [2,6,3]', inputs: [[2, 6, 3], [6], [6], [2, 6, 3]], fn: secondOrderDx((x, w, b) => sg.groupNorm(x, 3, w, b)) },
  { name: 'second order: dx of groupNorm, plain [2,4,5]', inputs: [[2, 4, 5], [4], [4], [2, 4, 5]], fn: secondOrderDx((x) => sg.groupNorm(x, 2)) },
  {
    name: 'second order: dweight and dbias of groupNorm [3,4,2]', inputs: [[3, 4, 2], [4], [4], [3, 4, 2]],
    fn: (x, w, b, r) => {
      const [gw, gb] = sg.grad((ww: Tensor, bb: Tensor) => sg.sum(sg.mul(sg.groupNorm(x, 2, ww, bb), r)))(w, b);
      return sg.add(sg.mul(gw, gw), gb);
    },
  },
  {
    name: 'second order: dbias of groupNorm alone [2,4,3]', inputs: [[2, 4, 3], [4], [4], [2, 4, 3]],
    fn: (x, w, b, r) => sg.grad((bb: Tensor) => sg.sum(sg.mul(sg.groupNorm(x, 2, w, bb), r)))(b)[0],
  },
];

/** instanceNorm with running statistics, training: its y, mean, rstd and updated statistics. */
const withRunning = (x: Tensor, rm: Tensor, rv: Tensor, w: Tensor, b: Tensor, momentum = 0.1) =>
  sg.instanceNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, momentum });

const instance: Case[] = [
  { name: 'instanceNorm [2,3,5] weight and bias', inputs: [[2, 3, 5], [3], [3]], fn: (x, w, b) => sg.instanceNorm(x, { weight: w, bias: b }).y },
  { name: 'instanceNorm N = 1, 2-D [1,4,3,3] no affine', inputs: [[1, 4, 3, 3]], fn: (x) => sg.instanceNorm(x).y },
  { name: 'instanceNorm [3,2,7] weight only', inputs: [[3, 2, 7], [2]], fn: (x, w) => sg.instanceNorm(x, { weight: w }).y },
  { name: 'instanceNorm eps 0.1 [2,3,4]', inputs: [[2, 3, 4], [3], [3]], fn: (x, w, b) => sg.instanceNorm(x, { weight: w, bias: b, eps: 0.1 }).y },
  { name: 'instanceNorm positions of 100 [2,3,100]', inputs: [[2, 3, 100], [3], [3]], fn: (x, w, b) => sg.instanceNorm(x, { weight: w, bias: b }).y, atol: 3e-5 },
  {
    name: 'instanceNorm 5 channels of 2·70 values [2,5,70]', inputs: [[2, 5, 70], [5], [5]],
    fn: (x, w, b) => sg.instanceNorm(x, { weight: w, bias: b }).y, atol: 3e-5,
  },
  { name: 'instanceNorm saved mean [3,2,5]', inputs: [[3, 2, 5]], fn: (x) => sg.instanceNorm(x).mean! },
  { name: 'instanceNorm saved rstd [3,2,5]', inputs: [[3, 2, 5]], fn: (x) => sg.instanceNorm(x).rstd!, atol: 1e-4 },
  {
    name: 'instanceNorm y + mean·rstd [2,3,4] (all three outputs reach the loss)', inputs: [[2, 3, 4], [3], [3]], atol: 1e-4,
    fn: (x, w, b) => {
      const r = sg.instanceNorm(x, { weight: w, bias: b });
      return sg.add(r.y, sg.reshape(sg.sum(sg.mul(r.mean!, r.rstd!)), [1, 1, 1]));
    },
  },
  { name: 'instanceNorm running [3,4,5]: y', inputs: [[3, 4, 5], runMean(4), runVar(4), [4], [4]], fn: (...t) => withRunning(t[0], t[1], t[2], t[3], t[4]).y },
  {
    name: 'instanceNorm running [3,4,5]: runningMean', inputs: [[3, 4, 5], runMean(4), runVar(4), [4], [4]], grad: false, // state (torch: no_grad)
    fn: (...t) => withRunning(t[0], t[1], t[2], t[3], t[4]).runningMean!,
  },
  {
    name: 'instanceNorm running [3,4,5]: runningVar (unbiased)', inputs: [[3, 4, 5], runMean(4), runVar(4), [4], [4]], grad: false,
    fn: (...t) => withRunning(t[0], t[1], t[2], t[3], t[4]).runningVar!, atol: 1e-4,
  },
  {
    name: 'instanceNorm running N = 1, momentum 0.3 [1,3,2,3]: runningVar', inputs: [[1, 3, 2, 3], runMean(3), runVar(3), [3], [3]], grad: false,
    fn: (...t) => withRunning(t[0], t[1], t[2], t[3], t[4], 0.3).runningVar!, atol: 1e-4,
  },
  {
    name: 'instanceNorm useInputStats false [2,3,4]: the running statistics normalise', inputs: [[2, 3, 4], runMean(3), runVar(3), [3], [3]],
    fn: (x, rm, rv, w, b) => sg.instanceNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, useInputStats: false }).y,
  },
  {
    name: 'second order: dx of instanceNorm, affine [2,3,4]', inputs: [[2, 3, 4], [3], [3], [2, 3, 4]],
    fn: secondOrderDx((x, w, b) => sg.instanceNorm(x, { weight: w, bias: b }).y),
  },
];

export const cases: Case[] = [...rms, ...group, ...instance];
