// layerNorm (shaders/layernorm.wgsl): forward and backward dx (one workgroup per row, or one thread
// per row: rows of ≤ 64 on any adapter, on software adapters with ≥ 4 rows) and dweight/dbias (32×8
// column workgroups, or one thread per column: ≤ 64 rows, or software adapters with ≥ 4 columns), with
// and without weight/bias, and gradients of gradients. Rows longer than 64 appear with ≥ 4 rows (one
// thread per row under the software rules, a workgroup under the hardware ones) and with fewer (a
// workgroup under both); node/hardware-rules runs this table under the hardware rules.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case } from '../harness.js';

/** The input gradient of Σ(layerNorm(x)·r) as the output, so the harness checks its gradient too. */
const secondOrderDx = (shape: number[], affine: boolean) => (x: Tensor, w: Tensor, b: Tensor, r: Tensor) =>
  sg.grad((t: Tensor) => sg.sum(sg.mul(sg.layerNorm(t, shape, affine ? w : null, affine ? b : null), r)))(x)[0];

export const cases: Case[] = [
  { name: 'layerNorm [4,7] with weight and bias', inputs: [[4, 7], [7], [7]], fn: (x, w, b) => sg.layerNorm(x, [7], w, b) },
  { name: 'layerNorm [5,3] no weight, no bias', inputs: [[5, 3]], fn: (x) => sg.layerNorm(x, [3]) },
  { name: 'layerNorm [3,11] weight only', inputs: [[3, 11], [11]], fn: (x, w) => sg.layerNorm(x, [11], w) },
  { name: 'layerNorm [6,5] bias only', inputs: [[6, 5], [5]], fn: (x, b) => sg.layerNorm(x, [5], null, b) },
  { name: 'layerNorm row of 1 [4,1]', inputs: [[4, 1], [1], [1]], fn: (x, w, b) => sg.layerNorm(x, [1], w, b) },
  { name: 'layerNorm one row [1,13]', inputs: [[1, 13], [13], [13]], fn: (x, w, b) => sg.layerNorm(x, [13], w, b) },
  {
    name: 'layerNorm rows longer than a workgroup [3,300]', inputs: [[3, 300], [300], [300]],
    fn: (x, w, b) => sg.layerNorm(x, [300], w, b), atol: 3e-5,
  },
  { name: 'layerNorm prime row 257, 37 columns for dweight [2,257]', inputs: [[2, 257], [257]], fn: (x, w) => sg.layerNorm(x, [257], w), atol: 3e-5 },
  { name: 'layerNorm many rows for the column reduction [67,3]', inputs: [[67, 3], [3], [3]], fn: (x, w, b) => sg.layerNorm(x, [3], w, b) },
  { name: 'layerNorm many rows, 5 columns [70,5]', inputs: [[70, 5], [5], [5]], fn: (x, w, b) => sg.layerNorm(x, [5], w, b) },
  { name: 'layerNorm 5 rows of 300 [5,300]', inputs: [[5, 300], [300], [300]], fn: (x, w, b) => sg.layerNorm(x, [300], w, b), atol: 3e-5 },
  { name: 'layerNorm rows of 65, weight only [6,65]', inputs: [[6, 65], [65]], fn: (x, w) => sg.layerNorm(x, [65], w), atol: 3e-5 },
  { name: 'layerNorm rows of 64, no weight, no bias [4,64]', inputs: [[4, 64]], fn: (x) => sg.layerNorm(x, [64]) },
  { name: 'layerNorm 2-D normalizedShape of 96 [4,8,12]', inputs: [[4, 8, 12], [8, 12], [8, 12]], fn: (x, w, b) => sg.layerNorm(x, [8, 12], w, b), atol: 3e-5 },
  { name: 'layerNorm 2-D normalizedShape [2,3,4]', inputs: [[2, 3, 4], [3, 4], [3, 4]], fn: (x, w, b) => sg.layerNorm(x, [3, 4], w, b) },
  { name: 'layerNorm whole tensor [9]', inputs: [[9], [9], [9]], fn: (x, w, b) => sg.layerNorm(x, [9], w, b) },
  { name: 'layerNorm eps 0.1 [3,4]', inputs: [[3, 4], [4], [4]], fn: (x, w, b) => sg.layerNorm(x, [4], w, b, 0.1) },
  {
    name: 'layerNorm large offset and scale [3,8]', inputs: [{ shape: [3, 8], range: [90, 110] }, [8], [8]],
    fn: (x, w, b) => sg.layerNorm(x, [8], w, b), atol: 1e-4,
  },
  {
    name: 'layerNorm constant row: var 0, eps only [2,4]', inputs: [{ shape: [2, 4], values: [3, 3, 3, 3, 1, 2, 3, 4] }, [4], [4]],
    fn: (x, w, b) => sg.layerNorm(x, [4], w, b), atol: 1e-4, rtol: 1e-3,
  },
  // gradients of gradients: through layerNormBackward's rule and the mean/rstd outputs
  { name: 'second order: dx of layerNorm, affine [3,5]', inputs: [[3, 5], [5], [5], [3, 5]], fn: secondOrderDx([5], true) },
  { name: 'second order: dx of layerNorm, plain [2,6]', inputs: [[2, 6], [6], [6], [2, 6]], fn: secondOrderDx([6], false) },
  { name: 'second order: dx of layerNorm, rows of 70 [4,70]', inputs: [[4, 70], [70], [70], [4, 70]], fn: secondOrderDx([70], true), atol: 3e-5 },
  {
    name: 'second order: dweight of layerNorm [4,3]', inputs: [[4, 3], [3], [3], [4, 3]],
    fn: (x, w, b, r) => sg.grad((ww: Tensor) => sg.sum(sg.mul(sg.layerNorm(x, [3], ww, b), r)))(w)[0],
  },
];
