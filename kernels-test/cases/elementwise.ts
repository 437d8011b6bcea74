// Elementwise kernels (shaders/elementwise.wgsl): every unary op, every binary op with broadcasting.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';

const positive = (shape: number[]) => ({ shape, range: [0.2, 2] as [number, number] });

export const cases: Case[] = [
  { name: 'neg [7]', inputs: [[7]], fn: sg.neg },
  { name: 'exp [3,5]', inputs: [[3, 5]], fn: sg.exp },
  { name: 'log [31]', inputs: [positive([31])], fn: sg.log },
  { name: 'sqrt [2,3,5]', inputs: [positive([2, 3, 5])], fn: sg.sqrt },
  { name: 'relu [129]', inputs: [[129]], fn: sg.relu },
  { name: 'relu size 1', inputs: [[1]], fn: sg.relu },
  { name: 'sigmoid [4,17]', inputs: [{ shape: [4, 17], range: [-8, 8] }], fn: sg.sigmoid },
  { name: 'sigmoid large |x|', inputs: [{ shape: [6], values: [-100, -30, -1, 1, 30, 100] }], fn: sg.sigmoid, finiteDifferences: { skip: 'saturated: derivatives ~1e-44' } },
  { name: 'tanh [13]', inputs: [{ shape: [13], range: [-4, 4] }], fn: sg.tanh },
  { name: 'abs [11]', inputs: [[11]], fn: sg.abs },
  { name: 'square [5,2]', inputs: [[5, 2]], fn: sg.square },
  { name: 'reciprocal [9]', inputs: [positive([9])], fn: sg.reciprocal },
  { name: 'scale [6]', inputs: [[6]], fn: (x) => sg.scale(x, -2.5) },
  { name: 'powScalar [6]', inputs: [positive([6])], fn: (x) => sg.powScalar(x, 1.7) },
  { name: 'add same shape [3,7]', inputs: [[3, 7], [3, 7]], fn: sg.add },
  { name: 'add row broadcast [5,3]+[3]', inputs: [[5, 3], [3]], fn: sg.add },
  { name: 'sub column broadcast [4,1]-[4,6]', inputs: [[4, 1], [4, 6]], fn: sg.sub },
  { name: 'mul both broadcast [2,1,3]*[5,1]', inputs: [[2, 1, 3], [5, 1]], fn: sg.mul },
  { name: 'div [7,3]/[1,3]', inputs: [[7, 3], positive([1, 3])], fn: sg.div },
  { name: 'add scalar number', inputs: [[2, 3]], fn: (x) => sg.add(x, 0.5) },
  { name: 'maximum [3,4] vs [4]', inputs: [[3, 4], [4]], fn: sg.maximum },
  { name: 'minimum [5]', inputs: [[5], [5]], fn: sg.minimum },
  { name: 'pow [6]^[6]', inputs: [positive([6]), [6]], fn: sg.pow },
  { name: 'chain: sigmoid(x*y+x)', inputs: [[3, 5], [5]], fn: (x, y) => sg.sigmoid(sg.add(sg.mul(x, y), x)) },
  { name: 'log, sqrt of negatives are NaN (as PyTorch)', inputs: [{ shape: [4], values: [-2, -0.5, 0.5, 4] }], fn: (x) => sg.add(sg.log(x), sg.sqrt(x)), grad: false },
  { name: 'pow of negative bases: integer exponents real, fractional NaN', inputs: [{ shape: [4], values: [-2, -2, -3, 0] }, { shape: [4], values: [2, 3, 0.5, 2] }], fn: sg.pow, grad: false },
  { name: 'powScalar negative base, odd exponent', inputs: [{ shape: [3], values: [-1.5, 2, -0.5] }], fn: (x) => sg.powScalar(x, 3) },
  { name: 'NaN propagates through relu, maximum, minimum (as PyTorch)', inputs: [{ shape: [3], values: [NaN, -1, 2] }, { shape: [3], values: [0.5, NaN, 1] }], fn: (a, b) => sg.add(sg.add(sg.relu(a), sg.maximum(a, b)), sg.minimum(a, b)), grad: false },
  { name: 'rank 5 broadcast', inputs: [[2, 1, 3, 1, 2], [3, 4, 1]], fn: sg.mul },
  { name: 'expand [3,1] to [2,3,4]', inputs: [[3, 1]], fn: (x) => sg.expand(x, [2, 3, 4]) },
];
