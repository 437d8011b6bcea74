// Activations (shaders/activation.wgsl): leakyRelu, elu, gelu (exact and tanh), softplus, silu —
// forward, gradient (the backward kernel), and gradients of gradients (the second-derivative kernel).
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case } from '../harness.js';

const wide = (shape: number[], r = 5) => ({ shape, range: [-r, r] as [number, number] });

/** x ↦ ∂/∂x Σ(f(x)·w): the gradient itself as the output, so the harness checks its gradient (f''). */
const secondOrder = (f: (t: Tensor) => Tensor) => (x: Tensor, w: Tensor) =>
  sg.grad((t: Tensor) => sg.sum(sg.mul(f(t), w)))(x)[0];

export const cases: Case[] = [
  // leakyRelu
  { name: 'leakyRelu [7,13]', inputs: [[7, 13]], fn: (x) => sg.leakyRelu(x) },
  { name: 'leakyRelu slope 0.2 size 1', inputs: [[1]], fn: (x) => sg.leakyRelu(x, 0.2) },
  { name: 'leakyRelu negative slope -0.5 [257]', inputs: [wide([257])], fn: (x) => sg.leakyRelu(x, -0.5) },
  // elu
  { name: 'elu [3,37]', inputs: [wide([3, 37])], fn: (x) => sg.elu(x) },
  { name: 'elu alpha 1.7, tiny negatives [6]', inputs: [{ shape: [6], values: [-1e-4, -5e-3, -0.7, 0.3, -12, 2] }], fn: (x) => sg.elu(x, 1.7) },
  // gelu
  { name: 'gelu exact [5,61]', inputs: [wide([5, 61], 6)], fn: (x) => sg.gelu(x) },
  {
    name: 'gelu exact: tails, small |x| and erf pieces [12]',
    inputs: [{ shape: [12], values: [-9, -6, -4.2, -1.5, -0.7, -0.01, 0.003, 0.69, 0.72, 1.1, 3.5, 8] }],
    fn: (x) => sg.gelu(x), atol: 2e-6,
  },
  { name: 'gelu tanh [300]', inputs: [wide([300], 6)], fn: (x) => sg.gelu(x, { approximate: 'tanh' }) },
  { name: 'gelu tanh large |x| [4]', inputs: [{ shape: [4], values: [-30, -12, 12, 30] }], fn: (x) => sg.gelu(x, { approximate: 'tanh' }) },
  { name: 'gelu size 1', inputs: [[1]], fn: (x) => sg.gelu(x) },
  // softplus
  { name: 'softplus [4,29]', inputs: [wide([4, 29], 8)], fn: (x) => sg.softplus(x) },
  {
    name: 'softplus threshold: linear above βx = 20 [8]', inputs: [{ shape: [8], values: [-40, -18, -1, 0.5, 19.5, 20.5, 35, 90] }],
    fn: (x) => sg.softplus(x),
  },
  { name: 'softplus beta 2 threshold 5 [131]', inputs: [wide([131], 6)], fn: (x) => sg.softplus(x, { beta: 2, threshold: 5 }) },
  { name: 'softplus beta 0.5 [9]', inputs: [wide([9], 30)], fn: (x) => sg.softplus(x, { beta: 0.5 }) },
  // silu
  { name: 'silu [2,3,11]', inputs: [wide([2, 3, 11], 8)], fn: (x) => sg.silu(x) },
  { name: 'silu large |x| [4]', inputs: [{ shape: [4], values: [-90, -40, 40, 90] }], fn: (x) => sg.silu(x) },
  // composed with other ops
  { name: 'gelu(x·w) with broadcasting [4,5]*[5]', inputs: [[4, 5], [5]], fn: (x, w) => sg.gelu(sg.mul(x, w)) },
  // gradients of gradients: the output is dx = f'(x)·w, its gradient needs f''(x) (and f'(x) for w)
  { name: 'second order: leakyRelu [17]', inputs: [wide([17]), [17]], fn: secondOrder((t) => sg.leakyRelu(t, 0.1)) },
  { name: 'second order: elu [3,7]', inputs: [wide([3, 7]), [3, 7]], fn: secondOrder((t) => sg.elu(t, 0.8)) },
  { name: 'second order: gelu exact [23]', inputs: [wide([23]), [23]], fn: secondOrder((t) => sg.gelu(t)) },
  { name: 'second order: gelu tanh [23]', inputs: [wide([23]), [23]], fn: secondOrder((t) => sg.gelu(t, { approximate: 'tanh' })) },
  { name: 'second order: softplus beta 1.5 [19]', inputs: [wide([19]), [19]], fn: secondOrder((t) => sg.softplus(t, { beta: 1.5, threshold: 4 })) },
  { name: 'second order: silu [2,9]', inputs: [wide([2, 9], 6), [2, 9]], fn: secondOrder((t) => sg.silu(t)) },
];
