// Reductions (shaders/reduce.wgsl): sum / mean / max / min over one axis, several axes, or all;
// argmax / argmin (i32, ties → first index, NaN wins, as torch) and globalNorm (sum of squares over
// several tensors, with its gradient).
import * as sg from '../../src/index.js';
import { argmax, argmin, globalNorm } from '../../src/ops/reduce.js';
import type { Case } from '../harness.js';

export const cases: Case[] = [
  { name: 'sum all [7,13]', inputs: [[7, 13]], fn: (x) => sg.sum(x) },
  { name: 'sum axis 0 [5,3]', inputs: [[5, 3]], fn: (x) => sg.sum(x, 0) },
  { name: 'sum axis -1 [4,129]', inputs: [[4, 129]], fn: (x) => sg.sum(x, -1) },
  { name: 'sum axis 0 [300,70] (long axis, many outputs)', inputs: [[300, 70]], fn: (x) => sg.sum(x, 0), atol: 1e-4 },
  { name: 'max axis 0 [150,66]', inputs: [[150, 66]], fn: (x) => sg.max(x, 0) },
  { name: 'sum axis 1 keepdim [2,31,3]', inputs: [[2, 31, 3]], fn: (x) => sg.sum(x, 1, true) },
  { name: 'sum axes [0,2] [3,4,5]', inputs: [[3, 4, 5]], fn: (x) => sg.sum(x, [0, 2]) },
  { name: 'sum size 1', inputs: [[1]], fn: (x) => sg.sum(x) },
  { name: 'sum long row [1000]', inputs: [[1000]], fn: (x) => sg.sum(x), atol: 1e-4 },
  { name: 'mean axis 1 [6,7]', inputs: [[6, 7]], fn: (x) => sg.mean(x, 1) },
  { name: 'mean axes [1,2] [2,3,5]', inputs: [[2, 3, 5]], fn: (x) => sg.mean(x, [1, 2]) },
  { name: 'mean all [17]', inputs: [[17]], fn: (x) => sg.mean(x) },
  { name: 'max axis 1 [5,9]', inputs: [[5, 9]], fn: (x) => sg.max(x, 1) },
  { name: 'max all [33]', inputs: [[33]], fn: (x) => sg.max(x) },
  { name: 'min axis 0 [4,3]', inputs: [[4, 3]], fn: (x) => sg.min(x, 0) },
  {
    name: 'max with ties splits the gradient', inputs: [{ shape: [2, 3], values: [1, 3, 3, -2, -2, -5] }], fn: (x) => sg.max(x, 1),
    finiteDifferences: { skip: 'max is not differentiable at ties; the rule is a convention (PyTorch amax)' },
  },

  // NaN propagates through max / min as in PyTorch (torch.amax([1, NaN, 3]) is NaN), by the serial
  // kernel (short axes) and the workgroup tree (long axes, few outputs); the gradient along a NaN slice
  // is NaN (torch.amax's backward). ±inf inputs reduce to ±inf (the identity is ∓inf, not ∓FLT_MAX).
  {
    name: 'max propagates NaN along axis 1', inputs: [{ shape: [3, 4], values: [1, NaN, 3, 0, -1, -2, -3, -4, NaN, 5, NaN, 2] }],
    fn: (x) => sg.max(x, 1), finiteDifferences: { skip: 'NaN inputs' },
  },
  {
    name: 'min propagates NaN along axis 0', inputs: [{ shape: [3, 4], values: [1, NaN, 3, 0, -1, -2, -3, -4, NaN, 5, NaN, 2] }],
    fn: (x) => sg.min(x, 0), finiteDifferences: { skip: 'NaN inputs' },
  },
  { name: 'max of all with one NaN is NaN', inputs: [{ shape: [5], values: [1, 2, NaN, 4, 3] }], fn: (x) => sg.max(x), finiteDifferences: { skip: 'NaN inputs' } },
  {
    name: 'max and min of long rows [2,300] with a NaN (workgroup tree)',
    inputs: [{ shape: [2, 300], values: Array.from({ length: 600 }, (_, i) => (i === 170 ? NaN : Math.sin(i))) }],
    fn: (x) => sg.add(sg.max(x, 1), sg.min(x, 1)), finiteDifferences: { skip: 'NaN inputs' },
  },
  {
    name: 'max of -inf is -inf, min of +inf is +inf', grad: false,
    inputs: [{ shape: [2, 3], values: [-Infinity, -Infinity, -Infinity, Infinity, Infinity, Infinity] }],
    fn: (x) => sg.concat([sg.max(sg.slice(x, 0, 0, 1), 1), sg.min(sg.slice(x, 0, 1, 2), 1)]),
  },
  {
    name: 'argmax long row [1,300]: NaN counts as the largest, first NaN across threads', grad: false,
    inputs: [{ shape: [1, 300], values: Array.from({ length: 300 }, (_, i) => (i === 170 || i === 233 ? NaN : i)) }],
    fn: (x) => argmax(x, 1),
  },
  {
    name: 'argmin all [200] with NaN (flattened)', grad: false,
    inputs: [{ shape: [200], values: Array.from({ length: 200 }, (_, i) => (i === 5 ? -1e9 : i === 99 ? NaN : i)) }],
    fn: (x) => argmin(x),
  },

  // argmax / argmin: integer outputs, no gradient.
  { name: 'argmax axis 1 [5,9]', inputs: [[5, 9]], fn: (x) => argmax(x, 1), grad: false },
  { name: 'argmax axis -1 keepdim [2,31,3]', inputs: [[2, 31, 3]], fn: (x) => argmax(x, -1, true), grad: false },
  { name: 'argmax axis 1 [2,31,3]', inputs: [[2, 31, 3]], fn: (x) => argmax(x, 1), grad: false },
  { name: 'argmin axis 0 [4,3]', inputs: [[4, 3]], fn: (x) => argmin(x, 0), grad: false },
  { name: 'argmax all [7,13] (flattened index)', inputs: [[7, 13]], fn: (x) => argmax(x), grad: false },
  { name: 'argmin all keepdim [3,5]', inputs: [[3, 5]], fn: (x) => argmin(x, undefined, true), grad: false },
  { name: 'argmax long row [1000] (> 64 threads)', inputs: [[1000]], fn: (x) => argmax(x, 0), grad: false },
  { name: 'argmin long rows [3,257]', inputs: [[3, 257]], fn: (x) => argmin(x, 1), grad: false },
  { name: 'argmax size-1 axis [4,1]', inputs: [[4, 1]], fn: (x) => argmax(x, 1), grad: false },
  { name: 'argmax size 1 [1]', inputs: [[1]], fn: (x) => argmax(x), grad: false },
  {
    name: 'argmax ties go to the first index', grad: false,
    inputs: [{ shape: [3, 4], values: [1, 3, 3, 2, -1, -1, -1, -1, 0, 5, 2, 5] }], fn: (x) => argmax(x, 1),
  },
  {
    name: 'argmin ties go to the first index, across threads', grad: false,
    inputs: [{ shape: [130], values: Array.from({ length: 130 }, (_, i) => (i % 65 === 3 ? -2 : i % 7)) }], fn: (x) => argmin(x, 0),
  },
  {
    name: 'argmax: NaN counts as the largest (first NaN)', grad: false,
    inputs: [{ shape: [2, 5], values: [1, NaN, 3, NaN, 0, -5, 2, -7, 4, NaN] }], fn: (x) => argmax(x, 1),
  },
  {
    name: 'argmin: NaN counts as the smallest (first NaN)', grad: false,
    inputs: [{ shape: [2, 5], values: [1, NaN, 3, NaN, 0, -5, 2, -7, 4, NaN] }], fn: (x) => argmin(x, 1),
  },
  // globalNorm: sqrt of the total sum of squares.
  { name: 'globalNorm of one [7,13]', inputs: [[7, 13]], fn: (x) => globalNorm([x]) },
  { name: 'globalNorm of [3,5], [7], [1]', inputs: [[3, 5], [7], [1]], fn: (a, b, c) => globalNorm([a, b, c]) },
  { name: 'globalNorm of [3000] (several partial workgroups) and [2,2]', inputs: [[3000], [2, 2]], fn: (a, b) => globalNorm([a, b]), atol: 1e-4 },
  { name: 'globalNorm of the same tensor twice', inputs: [[5]], fn: (a) => globalNorm([a, a]) },
  { name: 'globalNorm in an expression: x · norm', inputs: [[4, 3]], fn: (x) => sg.mul(x, globalNorm([x])) },
  {
    name: 'globalNorm of zeros: gradient 0 (torch convention)', inputs: [{ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }],
    fn: (x) => globalNorm([x]), finiteDifferences: { skip: 'the norm is not differentiable at 0; the gradient there is a convention' },
  },
];
