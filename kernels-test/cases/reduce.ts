// Reductions (shaders/reduce.wgsl): sum / mean / max / min over one axis, several axes, or all.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';

export const cases: Case[] = [
  { name: 'sum all [7,13]', inputs: [[7, 13]], fn: (x) => sg.sum(x) },
  { name: 'sum axis 0 [5,3]', inputs: [[5, 3]], fn: (x) => sg.sum(x, 0) },
  { name: 'sum axis -1 [4,129]', inputs: [[4, 129]], fn: (x) => sg.sum(x, -1) },
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
];
