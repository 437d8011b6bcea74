// Dropout (shaders/dropout.wgsl): the GPU Philox mask against the CPU Philox reference, forward and
// backward (the backward kernel regenerates the mask), for p in (0, 1), odd and prime sizes, sizes
// below and above one workgroup (256), an offset whose 64-bit counter carries into the high word, a
// 64-bit seed, and a seed given as a tensor. The mask statistics are in node/dropout-stats.test.ts.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';

export const cases: Case[] = [
  { name: 'p 0.5 [1]', inputs: [[1]], fn: (x) => sg.dropout(x, 0.5, { seed: 7 }) },
  { name: 'p 0.3 [7,13]', inputs: [[7, 13]], fn: (x) => sg.dropout(x, 0.3, { seed: 1 }) },
  { name: 'p 0.5 [257]', inputs: [[257]], fn: (x) => sg.dropout(x, 0.5, { seed: 123456789 }) },
  { name: 'p 0.9 [3,5,31]', inputs: [[3, 5, 31]], fn: (x) => sg.dropout(x, 0.9, { seed: 42 }) },
  { name: 'p 0.1 [1000] offset 17', inputs: [[1000]], fn: (x) => sg.dropout(x, 0.1, { seed: 3, offset: 17 }) },
  {
    name: 'counter carries into the high word (offset 2^32 − 5) [11]', inputs: [[11]],
    fn: (x) => sg.dropout(x, 0.5, { seed: 5, offset: 2 ** 32 - 5 }),
  },
  { name: '64-bit seed 2^40 + 3 [33]', inputs: [[33]], fn: (x) => sg.dropout(x, 0.4, { seed: 2 ** 40 + 3 }) },
  {
    name: 'seed as an i32 tensor [2]', inputs: [[5, 9], { shape: [2], dtype: 'i32', values: [-123456, 98765], noGrad: true }],
    fn: (x, seed) => sg.dropout(x, 0.25, { seed }),
  },
  {
    name: 'dropout inside a chain: relu(dropout(x)·2)', inputs: [[4, 17]],
    fn: (x) => sg.relu(sg.scale(sg.dropout(x, 0.2, { seed: 99 }), 2)),
  },
  { name: 'p 0 is the identity', inputs: [[6]], fn: (x) => sg.scale(sg.dropout(x, 0, { seed: 1 }), 1) },
  { name: 'training false is the identity', inputs: [[6]], fn: (x) => sg.scale(sg.dropout(x, 0.5, { seed: 1, training: false }), 1) },
  {
    // Gradient of a gradient: the backward op's own gradient regenerates the mask again.
    name: 'second derivative through dropoutBackward [9]', inputs: [[9], [9]],
    fn: (x, r) => sg.grad((xx, rr) => sg.sum(sg.mul(sg.square(sg.dropout(xx, 0.3, { seed: 11 })), rr)))(x, r)[0],
  },
];

// The per-step key update used by compiled plans (carry from the low into the high word).
import { seedNext } from '../../src/ops/dropout.js';
cases.push(
  { name: 'seedNext increments the key', inputs: [{ shape: [2], dtype: 'i32', values: [41, 7] }], fn: (k) => seedNext(k), grad: false },
  { name: 'seedNext carries into the high word', inputs: [{ shape: [2], dtype: 'i32', values: [-1, 7] }], fn: (k) => seedNext(k), grad: false },
);

// GPU data augmentation (same Philox generator): shift, flip, noise, alone and together.
import { augment } from '../../src/ops/dropout.js';
const key = { shape: [2], dtype: 'i32' as const, values: [12345, 678] };
cases.push(
  { name: 'augment shift ≤ 2 on [3,2,7,5]', inputs: [[3, 2, 7, 5], key], fn: (x, k) => augment(x, k, { shift: 2 }), grad: false },
  { name: 'augment flip p=0.5 on [5,1,4,6]', inputs: [[5, 1, 4, 6], key], fn: (x, k) => augment(x, k, { flip: 0.5 }), grad: false },
  { name: 'augment noise std 0.3 on [2,3,5,5]', inputs: [[2, 3, 5, 5], key], fn: (x, k) => augment(x, k, { noise: 0.3 }), grad: false, atol: 1e-4, rtol: 1e-3 },
  { name: 'augment all together on [4,1,28,28]', inputs: [[4, 1, 28, 28], key], fn: (x, k) => augment(x, k, { shift: 3, flip: 0.5, noise: 0.1 }), grad: false, atol: 1e-4, rtol: 1e-3 },
);
