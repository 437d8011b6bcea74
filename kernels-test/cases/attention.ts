// scaledDotProductAttention (shaders/attention.wgsl, src/ops/attention.ts): each rung — composite
// (matmul → attention_mask → softmax → matmul), fused (workgroup tiles) and rows (no barrier) —
// against the float64 reference, forward and gradients for q, k, v and a float mask. Odd sizes
// (T = 1, 7, 33, 70: one and two blocks of 64 rows, several key tiles), L ≠ S, E ≠ Ev, H = 1, 3,
// B = 1, 2, ranks 2–4; causal; boolean (i32) and float masks, broadcast; fully masked rows (0, as
// PyTorch); scores of ±1e4 (the online softmax in fp32); dropout (the same Philox weights in every
// rung, checked against the reference's); the fused rungs against the composite in one expression.
// 'auto' takes the composite under the software rules, fused under the hardware ones (node/hardware-rules).
// Dropout's statistics, the backward's redrawn mask and PyTorch's numbers: node/attention.test.ts.
import * as sg from '../../src/index.js';
import type { AttentionOptions, Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

type Rung = NonNullable<AttentionOptions['version']>;
const attn = (o: AttentionOptions = {}) => (q: Tensor, k: Tensor, v: Tensor) => sg.scaledDotProductAttention(q, k, v, o);
const masked = (o: AttentionOptions = {}) => (q: Tensor, k: Tensor, v: Tensor, mask: Tensor) => sg.scaledDotProductAttention(q, k, v, { ...o, mask });

/** q [..., L, E], k [..., S, E], v [..., S, Ev]. */
const qkv = (lead: number[], L: number, S: number, E: number, Ev = E): InputSpec[] => [
  { shape: [...lead, L, E], range: [-1.5, 1.5] }, { shape: [...lead, S, E], range: [-1.5, 1.5] }, { shape: [...lead, S, Ev] },
];
const boolMask = (shape: number[], values?: number[]): InputSpec => ({ shape, dtype: 'i32', intMax: 2, values, noGrad: true });
const floatMask = (shape: number[], values?: number[]): InputSpec => ({ shape, range: [-2, 2], values });

const rungCases = (version: Rung): Case[] => [
  { name: `${version}: T = 1 [1,1,1,8]`, inputs: qkv([1, 1], 1, 1, 8), fn: attn({ version }) },
  { name: `${version}: [2,3,7,8]`, inputs: qkv([2, 3], 7, 7, 8), fn: attn({ version }) },
  { name: `${version}: causal [2,3,33,24]`, inputs: qkv([2, 3], 33, 33, 24), fn: attn({ version, causal: true }) },
  { name: `${version}: causal, two row blocks, several tiles [1,1,70,24]`, inputs: qkv([1, 1], 70, 70, 24), fn: attn({ version, causal: true }) },
  { name: `${version}: L ≠ S, E ≠ Ev [2,1,5,9] E 8 Ev 24`, inputs: qkv([2, 1], 5, 9, 8, 24), fn: attn({ version }) },
  { name: `${version}: causal with L > S [1,2,9,4]`, inputs: qkv([1, 2], 9, 4, 8), fn: attn({ version, causal: true }) },
  { name: `${version}: causal with L < S [1,1,3,7]`, inputs: qkv([1, 1], 3, 7, 8), fn: attn({ version, causal: true }) },
  {
    name: `${version}: bool mask broadcast [7,7] over [2,3,7,7]`, inputs: [...qkv([2, 3], 7, 7, 8), boolMask([7, 7])],
    fn: masked({ version }),
  },
  {
    name: `${version}: bool mask [2,1,1,9] (keys per batch) over [2,3,5,9]`, inputs: [...qkv([2, 3], 5, 9, 8), boolMask([2, 1, 1, 9])],
    fn: masked({ version }),
  },
  {
    name: `${version}: float mask [3,1,7] broadcast, with its gradient`, inputs: [...qkv([2, 3], 7, 7, 8), floatMask([3, 1, 7])],
    fn: masked({ version }),
  },
  {
    name: `${version}: float mask [2,3,5,6] with a scale`, inputs: [...qkv([2, 3], 5, 6, 8), floatMask([2, 3, 5, 6])],
    fn: masked({ version, scale: 0.7 }),
  },
  {
    // Row 1 fully masked (0, gradients 0); row 2 keeps only key 3.
    name: `${version}: fully masked row (bool) gives 0 [1,1,3,4]`,
    inputs: [...qkv([1, 1], 3, 4, 8), boolMask([3, 4], [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1])],
    fn: masked({ version }),
  },
  {
    name: `${version}: float mask with −∞, one row all −∞ [2,4]`,
    inputs: [...qkv([1, 2], 2, 4, 8), floatMask([2, 4], [-Infinity, 0.5, -Infinity, -1, -Infinity, -Infinity, -Infinity, -Infinity])],
    fn: masked({ version }),
  },
  {
    name: `${version}: rank 3 [3,6,8] and rank 2 [5,8]`, inputs: qkv([3], 6, 6, 8),
    fn: (q, k, v) => sg.add(sg.sum(attn({ version })(q, k, v)), sg.sum(attn({ version, causal: true })(sg.reshape(q, [18, 8]), sg.reshape(k, [18, 8]), sg.reshape(v, [18, 8])))),
  },
  {
    name: `${version}: scores up to ±1e4 (scale 5000) [1,2,6,8]`, inputs: qkv([1, 2], 6, 6, 8), fn: attn({ version, scale: 5000 }),
    atol: 2e-3, rtol: 1e-3, finiteDifferences: { skip: 'saturated softmax: the weights are 0 or 1 to e^(−1e3), the derivatives carry no information' },
  },
  { name: `${version}: dropout p 0.3 [2,2,7,8]`, inputs: qkv([2, 2], 7, 7, 8), fn: attn({ version, dropout: 0.3, seed: 17 }) },
  {
    name: `${version}: dropout p 0.5, causal, offset 2^32 − 20 [1,3,6,8]`, inputs: qkv([1, 3], 6, 6, 8),
    fn: attn({ version, causal: true, dropout: 0.5, seed: 2 ** 40 + 3, offset: 2 ** 32 - 20 }),
  },
];

/** fused − composite (or rows − composite): 0 up to rounding, value and gradients, in one expression. */
const against = (version: Rung, o: AttentionOptions) => (q: Tensor, k: Tensor, v: Tensor, mask?: Tensor) =>
  sg.sub(sg.scaledDotProductAttention(q, k, v, { ...o, mask, version }), sg.scaledDotProductAttention(q, k, v, { ...o, mask, version: 'composite' }));

export const cases: Case[] = [
  { name: 'auto: [2,3,7,24]', inputs: qkv([2, 3], 7, 7, 24), fn: attn() },
  { name: 'auto: causal [1,3,33,8]', inputs: qkv([1, 3], 33, 33, 8), fn: attn({ causal: true }) },
  { name: 'auto: float mask with its gradient [2,1,9,33]', inputs: [...qkv([2, 1], 9, 33, 8), floatMask([9, 33])], fn: masked() },
  ...rungCases('composite'),
  ...rungCases('fused'),
  ...rungCases('rows'),
  { name: 'fused − composite: causal, dropout [1,3,33,24]', inputs: qkv([1, 3], 33, 33, 24), fn: against('fused', { causal: true, dropout: 0.2, seed: 5 }) },
  { name: 'rows − composite: causal, dropout [1,3,33,24]', inputs: qkv([1, 3], 33, 33, 24), fn: against('rows', { causal: true, dropout: 0.2, seed: 5 }) },
  {
    name: 'fused − composite: float mask, dropout [2,1,7,70]', inputs: [...qkv([2, 1], 7, 70, 8), floatMask([1, 7, 70])],
    fn: (q, k, v, m) => against('fused', { dropout: 0.4, seed: 9 })(q, k, v, m),
  },
  {
    name: 'rows − composite: bool mask [2,1,9,33]', inputs: [...qkv([2, 1], 9, 33, 8), boolMask([2, 1, 9, 33])],
    fn: (q, k, v, m) => against('rows', {})(q, k, v, m),
  },
];
