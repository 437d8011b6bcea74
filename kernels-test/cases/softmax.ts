// softmax / logSoftmax (shaders/softmax.wgsl): one workgroup (256 threads) per row, or one thread per
// row (the _rows kernels: rows of ≤ 64 on any adapter, on software adapters with ≥ 4 rows), any axis
// through strides; the backward kernels; gradients of gradients through the backward ops' rules.
// Rows longer than 64 appear both with ≥ 4 rows (one thread per row under the software rules, a
// workgroup under the hardware ones) and with fewer (a workgroup under both); node/hardware-rules
// runs this table under the hardware rules.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case } from '../harness.js';

const secondOrder = (f: (t: Tensor) => Tensor) => (x: Tensor, w: Tensor) =>
  sg.grad((t: Tensor) => sg.sum(sg.mul(f(t), w)))(x)[0];

const big = (shape: number[]) => ({ shape, range: [9990, 10010] as [number, number] });

export const cases: Case[] = [
  { name: 'softmax [4,7]', inputs: [[4, 7]], fn: (x) => sg.softmax(x) },
  { name: 'softmax row of 1 [5,1]', inputs: [[5, 1]], fn: (x) => sg.softmax(x) },
  { name: 'softmax size 1', inputs: [[1]], fn: (x) => sg.softmax(x) },
  { name: 'softmax prime row longer than a workgroup [3,257]', inputs: [{ shape: [3, 257], range: [-4, 4] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax row 600 (three strides) [2,600]', inputs: [{ shape: [2, 600], range: [-3, 3] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax 5 rows of 300 [5,300]', inputs: [{ shape: [5, 300], range: [-3, 3] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax rows of 65 [6,65]', inputs: [{ shape: [6, 65], range: [-3, 3] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax rows of 64 [6,64]', inputs: [{ shape: [6, 64], range: [-3, 3] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax middle axis of 100, 8 rows [2,100,4]', inputs: [{ shape: [2, 100, 4], range: [-3, 3] }], fn: (x) => sg.softmax(x, 1) },
  { name: 'softmax logits near 1e4, rows of 70 [4,70]', inputs: [big([4, 70])], fn: (x) => sg.softmax(x) },
  { name: 'softmax axis 0 [13,3]', inputs: [[13, 3]], fn: (x) => sg.softmax(x, 0) },
  { name: 'softmax middle axis [2,5,3]', inputs: [{ shape: [2, 5, 3], range: [-3, 3] }], fn: (x) => sg.softmax(x, 1) },
  { name: 'softmax all-equal logits [3,5]', inputs: [{ shape: [3, 5], values: Array(15).fill(0.7) }], fn: (x) => sg.softmax(x) },
  { name: 'softmax logits near 1e4 [3,11]', inputs: [big([3, 11])], fn: (x) => sg.softmax(x) },
  {
    name: 'softmax mixed ±1e4 logits [2,4]', inputs: [{ shape: [2, 4], values: [1e4, -1e4, 0.5, 9999, -1e4, -9999.5, -1e4, 1e4] }],
    fn: (x) => sg.softmax(x), finiteDifferences: { skip: 'saturated rows: the derivatives are e^(−1e4) = 0, no information' },
  },
  { name: 'softmax scalar', inputs: [[]], fn: (x) => sg.softmax(x) },
  { name: 'logSoftmax [6,19]', inputs: [{ shape: [6, 19], range: [-4, 4] }], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax row of 1 [3,1]', inputs: [[3, 1]], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax [2,263] prime > workgroup', inputs: [{ shape: [2, 263], range: [-5, 5] }], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax 4 rows of 263 [4,263]', inputs: [{ shape: [4, 263], range: [-5, 5] }], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax axis 0 of 90 [90,5]', inputs: [{ shape: [90, 5], range: [-3, 3] }], fn: (x) => sg.logSoftmax(x, 0) },
  { name: 'logSoftmax axis 0 [7,2]', inputs: [[7, 2]], fn: (x) => sg.logSoftmax(x, 0) },
  { name: 'logSoftmax axis -2 of [3,4,2]', inputs: [[3, 4, 2]], fn: (x) => sg.logSoftmax(x, -2) },
  { name: 'logSoftmax logits near 1e4 [2,9]', inputs: [big([2, 9])], fn: (x) => sg.logSoftmax(x), atol: 1e-3 },
  { name: 'logSoftmax all-equal logits [4]', inputs: [{ shape: [4], values: [-3, -3, -3, -3] }], fn: (x) => sg.logSoftmax(x) },
  {
    name: 'logSoftmax mixed ±1e4 logits [2,3]', inputs: [{ shape: [2, 3], values: [1e4, -1e4, 3, -1e4, -1e4, 2e3] }],
    fn: (x) => sg.logSoftmax(x), atol: 1e-3, finiteDifferences: { skip: 'saturated rows: the derivatives are e^(−1e4) = 0, no information' },
  },
  { name: 'softmax of a broadcast product [4,5]*[5]', inputs: [[4, 5], [5]], fn: (x, w) => sg.softmax(sg.mul(x, w)) },
  // gradients of gradients through softmaxBackward / logSoftmaxBackward
  { name: 'second order: softmax [3,6]', inputs: [[3, 6], [3, 6]], fn: secondOrder((t) => sg.softmax(t)) },
  { name: 'second order: softmax axis 0 [5,2]', inputs: [[5, 2], [5, 2]], fn: secondOrder((t) => sg.softmax(t, 0)) },
  { name: 'second order: logSoftmax [2,7]', inputs: [[2, 7], [2, 7]], fn: secondOrder((t) => sg.logSoftmax(t)) },
  { name: 'second order: logSoftmax middle axis [2,3,4]', inputs: [[2, 3, 4], [2, 3, 4]], fn: secondOrder((t) => sg.logSoftmax(t, 1)) },
  { name: 'second order: softmax rows of 80 [4,80]', inputs: [[4, 80], [4, 80]], fn: secondOrder((t) => sg.softmax(t)) },
  { name: 'second order: logSoftmax rows of 70 [5,70]', inputs: [[5, 70], [5, 70]], fn: secondOrder((t) => sg.logSoftmax(t)) },
];
