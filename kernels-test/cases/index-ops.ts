// Indexing ops (shaders/index.wgsl): concat, slice / narrow, pad, gather, indexSelect, embedding —
// forward, gradient (through the backward kernels) and, for the ops whose backward is itself an
// op, the gradient of the gradient. Odd and prime sizes, size 1, every axis, negative axes,
// repeated indices, more indices than one workgroup stages (256), i32 data.
import * as sg from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';
import type { Tensor } from '../../src/index.js';

const idx = (shape: number[], intMax: number): InputSpec => ({ shape, dtype: 'i32', intMax });
const ints = (shape: number[]): InputSpec => ({ shape, dtype: 'i32', intMax: 1000 });

/** x ↦ ∂/∂x Σ(f(x)² · c): a gradient as a function, to check gradients of gradients. */
function gradOf(f: (x: Tensor) => Tensor): (x: Tensor, c: Tensor) => Tensor {
  return (x, c) => sg.grad((u: Tensor) => sg.sum(sg.mul(sg.square(f(u)), c)), [x])(x)[0];
}

export const cases: Case[] = [
  // ---- concat ----
  { name: 'concat axis 0 [3,4]+[5,4]', inputs: [[3, 4], [5, 4]], fn: (a, b) => sg.concat([a, b], 0) },
  { name: 'concat axis 1 [3,2]+[3,7]+[3,1]', inputs: [[3, 2], [3, 7], [3, 1]], fn: (a, b, c) => sg.concat([a, b, c], 1) },
  { name: 'concat axis -1 rank 3 [2,3,1]+[2,3,5]+[2,3,2]', inputs: [[2, 3, 1], [2, 3, 5], [2, 3, 2]], fn: (a, b, c) => sg.concat([a, b, c], -1) },
  { name: 'concat axis 1 (middle) [2,5,3]+[2,1,3]', inputs: [[2, 5, 3], [2, 1, 3]], fn: (a, b) => sg.cat([a, b], 1) },
  { name: 'concat size 1 [1]+[1]', inputs: [[1], [1]], fn: (a, b) => sg.concat([a, b]) },
  { name: 'concat long [257]+[300]+[13]', inputs: [[257], [300], [13]], fn: (a, b, c) => sg.concat([a, b, c]) },
  { name: 'concat the same tensor twice (gradients add)', inputs: [[4, 3]], fn: (a) => sg.concat([a, a], 1) },
  { name: 'concat one tensor is itself', inputs: [[3, 2]], fn: (a) => sg.concat([a], 1) },
  { name: 'concat i32 axis 0 [2,3]+[1,3]', inputs: [ints([2, 3]), ints([1, 3])], fn: (a, b) => sg.concat([a, b], 0), grad: false },

  // ---- slice / narrow ----
  { name: 'slice [10] 2:7', inputs: [[10]], fn: (x) => sg.slice(x, 0, 2, 7) },
  { name: 'slice [17] 1:16:3', inputs: [[17]], fn: (x) => sg.slice(x, 0, 1, 16, 3) },
  { name: 'slice [3,11,4] axis 1 2:9:2', inputs: [[3, 11, 4]], fn: (x) => sg.slice(x, 1, 2, 9, 2) },
  { name: 'slice negative start -5: (end omitted)', inputs: [[4, 13]], fn: (x) => sg.slice(x, -1, -5) },
  { name: 'slice negative end :-2 axis 0', inputs: [[7, 3]], fn: (x) => sg.slice(x, 0, 0, -2) },
  { name: 'slice clamps end 100 and step past the end', inputs: [[5, 6]], fn: (x) => sg.slice(x, 1, 1, 100, 4) },
  { name: 'slice to size 1', inputs: [[3, 5, 2]], fn: (x) => sg.slice(x, 1, 3, 4) },
  { name: 'slice step larger than the axis', inputs: [[9, 2]], fn: (x) => sg.slice(x, 0, 2, 9, 50) },
  { name: 'slice of size-1 axis [1,7]', inputs: [[1, 7]], fn: (x) => sg.slice(x, 0, 0, 1) },
  { name: 'slice long [1000] 3::7', inputs: [[1000]], fn: (x) => sg.slice(x, 0, 3, undefined, 7) },
  { name: 'slice of a slice [20,3]', inputs: [[20, 3]], fn: (x) => sg.slice(sg.slice(x, 0, 1, 19, 2), 0, 2, 8, 3) },
  { name: 'slice i32 [2,9] 1:8:2', inputs: [ints([2, 9])], fn: (x) => sg.slice(x, 1, 1, 8, 2), grad: false },
  { name: 'narrow [5,6] axis 0 from -3, 2', inputs: [[5, 6]], fn: (x) => sg.narrow(x, 0, -3, 2) },
  { name: 'narrow [4,9] axis 1 from 0, 9 (all)', inputs: [[4, 9]], fn: (x) => sg.narrow(x, 1, 0, 9) },
  { name: 'slice gradient of gradient [11,3] 1:10:3', inputs: [[11, 3], [3, 3]], fn: gradOf((x) => sg.slice(x, 0, 1, 10, 3)) },

  // ---- pad ----
  { name: 'pad [5] (2, 3)', inputs: [[5]], fn: (x) => sg.pad(x, [2, 3]) },
  { name: 'pad [3,4] (1, 0, 2, 1) value 0.5', inputs: [[3, 4]], fn: (x) => sg.pad(x, [1, 0, 2, 1], 0.5) },
  { name: 'pad [2,3,4] all three dims', inputs: [[2, 3, 4]], fn: (x) => sg.pad(x, [1, 2, 0, 1, 3, 1]) },
  { name: 'pad only the last dim of [2,3,5]', inputs: [[2, 3, 5]], fn: (x) => sg.pad(x, [0, 3]) },
  { name: 'pad negative pads crop [6,7] (-2, 1, 0, -3)', inputs: [[6, 7]], fn: (x) => sg.pad(x, [-2, 1, 0, -3]) },
  { name: 'pad crop to size 1 [5] (-2, -2)', inputs: [[5]], fn: (x) => sg.pad(x, [-2, -2]) },
  { name: 'pad size 1 [1] (0, 4) value -1', inputs: [[1]], fn: (x) => sg.pad(x, [0, 4], -1) },
  { name: 'pad NCHW image [2,3,5,7] (1,1,1,1)', inputs: [[2, 3, 5, 7]], fn: (x) => sg.pad(x, [1, 1, 1, 1]) },
  { name: 'pad large [300] (129, 7)', inputs: [[300]], fn: (x) => sg.pad(x, [129, 7]) },
  { name: 'pad i32 [2,3] (1, 1) value -7', inputs: [ints([2, 3])], fn: (x) => sg.pad(x, [1, 1], -7), grad: false },
  { name: 'pad gradient of gradient [4,5] (2, -1, 1, 1)', inputs: [[4, 5], [6, 6]], fn: gradOf((x) => sg.pad(x, [2, -1, 1, 1], 0.25)) },

  // ---- gather ----
  { name: 'gather axis 0 [4,5] index [3,5]', inputs: [[4, 5], idx([3, 5], 4)], fn: (x, i) => sg.gather(x, 0, i) },
  { name: 'gather axis 1 [4,5] index [4,7] (repeats)', inputs: [[4, 5], idx([4, 7], 5)], fn: (x, i) => sg.gather(x, 1, i) },
  { name: 'gather axis -2 rank 3, index smaller [3,4,5] ← [2,6,3]', inputs: [[3, 4, 5], idx([2, 6, 3], 4)], fn: (x, i) => sg.gather(x, -2, i) },
  { name: 'gather size 1 [1] index [1]', inputs: [[1], idx([1], 1)], fn: (x, i) => sg.gather(x, 0, i) },
  { name: 'gather picks one per row [7,3] ← [7,1]', inputs: [[7, 3], idx([7, 1], 3)], fn: (x, i) => sg.gather(x, 1, i) },
  { name: 'gather i32 data [3,4]', inputs: [ints([3, 4]), idx([3, 2], 4)], fn: (x, i) => sg.gather(x, 1, i), grad: false },
  { name: 'gather gradient of gradient [5,4]', inputs: [[5, 4], idx([6, 4], 5), [6, 4]], fn: (x, i, c) => gradOf((u) => sg.gather(u, 0, i))(x, c) },

  // ---- indexSelect ----
  { name: 'indexSelect axis 0 [7,5] indices [9] (repeats)', inputs: [[7, 5], idx([9], 7)], fn: (x, i) => sg.indexSelect(x, 0, i) },
  { name: 'indexSelect axis 1 [4,6,3] indices [4]', inputs: [[4, 6, 3], idx([4], 6)], fn: (x, i) => sg.indexSelect(x, 1, i) },
  { name: 'indexSelect axis -1 [3,5] indices [11]', inputs: [[3, 5], idx([11], 5)], fn: (x, i) => sg.indexSelect(x, -1, i) },
  { name: 'indexSelect size 1 [1,1] indices [1]', inputs: [[1, 1], idx([1], 1)], fn: (x, i) => sg.indexSelect(x, 0, i) },
  { name: 'indexSelect 600 indices into [13,3] (staged in chunks of 256)', inputs: [[13, 3], idx([600], 13)], fn: (x, i) => sg.indexSelect(x, 0, i), atol: 1e-4 },
  { name: 'indexSelect i32 rows [6,2]', inputs: [ints([6, 2]), idx([5], 6)], fn: (x, i) => sg.indexSelect(x, 0, i), grad: false },
  { name: 'indexSelect gradient of gradient [6,3]', inputs: [[6, 3], idx([8], 6), [8, 3]], fn: (x, i, c) => gradOf((u) => sg.indexSelect(u, 0, i))(x, c) },

  // ---- embedding ----
  { name: 'embedding [2,3] indices into [10,4]', inputs: [idx([2, 3], 10), [10, 4]], fn: (i, w) => sg.embedding(i, w) },
  { name: 'embedding [5] indices into [3,70] (repeats, wide rows)', inputs: [idx([5], 3), [3, 70]], fn: (i, w) => sg.embedding(i, w) },
  { name: 'embedding 300 indices into [17,5]', inputs: [idx([300], 17), [17, 5]], fn: (i, w) => sg.embedding(i, w), atol: 1e-4 },
  { name: 'embedding dim 1 [2,2,2] into [4,1]', inputs: [idx([2, 2, 2], 4), [4, 1]], fn: (i, w) => sg.embedding(i, w) },
  { name: 'embedding single index into [1,3]', inputs: [idx([1], 1), [1, 3]], fn: (i, w) => sg.embedding(i, w) },
];
