// Tensor methods (src/ops/methods.ts): PyTorch-style chains, `x.matmul(w).add(b).relu().sum(1)`,
// checked like every other case against the float64 references, forward and backward. The methods
// call the functional ops, so this table checks that they are installed (in Node and in the
// Chromium bundle) and record the same graphs; the ops themselves are covered by their own tables.
import type { Case } from '../harness.js';

export const cases: Case[] = [
  {
    name: 'x.matmul(w).add(b).relu().sum(1) [5,7]·[7,3]',
    inputs: [[5, 7], [7, 3], [3]],
    fn: (x, w, b) => x.matmul(w).add(b).relu().sum(1),
  },
  {
    name: 'x.logSoftmax(1).mul(t).sum(-1).mean().neg() (a cross-entropy) [4,6]',
    inputs: [{ shape: [4, 6], range: [-3, 3] }, { shape: [4, 6], range: [0.1, 1], noGrad: true }],
    fn: (x, t) => x.logSoftmax(1).mul(t).sum(-1).mean().neg(),
  },
  {
    name: 'x.T.reshape(3, -1).permute(1, 0).tanh().mul(2).sub(x.mean()) [2,3,2]',
    inputs: [[2, 3, 2]],
    fn: (x) => x.T.reshape(3, -1).permute(1, 0).tanh().mul(2).sub(x.mean()),
  },
  {
    name: 'x.abs().add(0.5).sqrt().pow(3).div(y.exp()).clamp(0.2, 4) [3,5] / [5]',
    inputs: [[3, 5], [5]],
    fn: (x, y) => x.abs().add(0.5).sqrt().pow(3).div(y.exp()).clamp(0.2, 4),
  },
  {
    name: 'x.sigmoid().maximum(y.softmax(0)).flatten().unsqueeze(0).max(1, true) [2,3]',
    inputs: [[2, 3], [2, 3]],
    fn: (x, y) => x.sigmoid().maximum(y.softmax(0)).flatten().unsqueeze(0).max(1, true),
  },
];
