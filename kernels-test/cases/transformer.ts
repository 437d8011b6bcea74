// The transformer modules (src/nn/transformer.ts) as expressions: nn.multiheadAttention,
// nn.transformerEncoderLayer and nn.transformerEncoder built with a fixed seed inside the case and
// called on the case's inputs. The harness replays each graph on the CPU with the float64 references
// (the parameters are small source tensors, so their values are known there) and checks the inputs'
// gradients, in Node and in Chromium. Odd sizes (T = 1, 5, 7; E = 6, 12; H = 1, 3), both layouts,
// unbatched inputs, kdim/vdim, boolean and float masks, key padding, causal, post- and pre-norm,
// ReLU and GELU. PyTorch's numbers for the same modules: node/transformer.test.ts (torch fixtures).
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

const x = (shape: number[]): InputSpec => ({ shape, range: [-1.5, 1.5] });
const boolMask = (shape: number[], values: number[]): InputSpec => ({ shape, dtype: 'i32', values, noGrad: true });
const floatMask = (shape: number[]): InputSpec => ({ shape, range: [-2, 2], noGrad: true });

/** A module built from a fixed seed (the same weights on every call of the case's fn), in eval mode. */
function seeded<M extends sg.nn.Module>(make: () => M): M {
  sg.manualSeed(11);
  return make().eval();
}

const mha = (E: number, H: number, o: sg.nn.MultiheadAttentionOptions = {}) => seeded(() => sg.nn.multiheadAttention(E, H, { seed: 5, ...o }));
const layer = (d: number, h: number, o: sg.nn.TransformerEncoderLayerOptions = {}) =>
  seeded(() => sg.nn.transformerEncoderLayer(d, h, { dimFeedforward: 10, dropout: 0, seed: 3, ...o }));

// Weights averaged over heads (or per head) are a second output: one case sums them into the result.
const withWeights = (out: Tensor, w: Tensor | null) => sg.add(sg.sum(out), sg.sum(sg.mul(w!, w!)));

export const cases: Case[] = [
  { name: 'mha: self-attention [L, N, E] = [5, 2, 6], 3 heads', inputs: [x([5, 2, 6])], fn: (q) => mha(6, 3).forward(q) },
  { name: 'mha: batchFirst [2, 7, 12], 1 head', inputs: [x([2, 7, 12])], fn: (q) => mha(12, 1, { batchFirst: true }).forward(q) },
  { name: 'mha: T = 1 [1, 1, 6]', inputs: [x([1, 1, 6])], fn: (q) => mha(6, 2).forward(q) },
  { name: 'mha: unbatched [5, 6]', inputs: [x([5, 6])], fn: (q) => mha(6, 3).forward(q) },
  {
    name: 'mha: cross-attention L ≠ S, kdim 4, vdim 5', inputs: [x([3, 2, 6]), x([5, 2, 4]), x([5, 2, 5])],
    fn: (q, k, v) => mha(6, 3, { kdim: 4, vdim: 5 }).forward(q, k, v),
  },
  {
    name: 'mha: cross-attention with the packed projection, no bias', inputs: [x([2, 4, 6]), x([2, 7, 6])],
    fn: (q, kv) => mha(6, 2, { batchFirst: true, bias: false }).forward(q, kv, kv),
  },
  {
    // Batch 0 ignores its last two keys, batch 1 none.
    name: 'mha: boolean keyPaddingMask [2, 5]', inputs: [x([2, 5, 6]), boolMask([2, 5], [0, 0, 0, 1, 1, 0, 0, 0, 0, 0])],
    fn: (q, kpm) => mha(6, 3, { batchFirst: true }).forward(q, q, q, { keyPaddingMask: kpm }),
  },
  {
    name: 'mha: float attnMask [L, S] and causal', inputs: [x([4, 2, 6]), floatMask([4, 4])],
    fn: (q, m) => mha(6, 2).forward(q, q, q, { attnMask: m, isCausal: true }),
  },
  {
    name: 'mha: boolean attnMask [N·H, L, S] with key padding', inputs: [x([2, 3, 6]), boolMask([4, 3, 3], [
      0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1,
    ]), boolMask([2, 3], [0, 0, 1, 0, 0, 0])],
    fn: (q, m, kpm) => mha(6, 2, { batchFirst: true }).forward(q, q, q, { attnMask: m, keyPaddingMask: kpm }),
  },
  {
    name: 'mha: needWeights averaged over heads', inputs: [x([2, 5, 6])],
    fn: (q) => {
      const { output, weights } = mha(6, 3, { batchFirst: true }).attention(q, q, q, { isCausal: true });
      return withWeights(output, weights);
    },
  },
  {
    name: 'mha: needWeights per head, unbatched, boolean mask', inputs: [x([4, 6]), boolMask([4, 4], [0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0])],
    fn: (q, m) => {
      const { output, weights } = mha(6, 3).attention(q, q, q, { attnMask: m, averageAttnWeights: false });
      return withWeights(output, weights);
    },
  },
  { name: 'encoder layer: post-norm ReLU [5, 2, 6]', inputs: [x([5, 2, 6])], fn: (s) => layer(6, 3).forward(s) },
  {
    name: 'encoder layer: pre-norm GELU, batchFirst, key padding', inputs: [x([2, 5, 6]), boolMask([2, 5], [0, 0, 0, 0, 1, 0, 0, 0, 0, 0])],
    fn: (s, kpm) => layer(6, 2, { normFirst: true, activation: 'gelu', batchFirst: true }).forward(s, { srcKeyPaddingMask: kpm }),
  },
  {
    name: 'encoder layer: causal (GPT block), no biases, T = 7', inputs: [x([1, 7, 6])],
    fn: (s) => layer(6, 3, { causal: true, normFirst: true, batchFirst: true, bias: false }).forward(s),
  },
  {
    name: 'encoder layer: srcMask = generateSquareSubsequentMask(5)', inputs: [x([5, 1, 6])],
    fn: (s) => layer(6, 1).forward(s, { srcMask: sg.nn.generateSquareSubsequentMask(5) }),
  },
  {
    // nn.transformerEncoder's maths (its clones are written on the GPU, so the CPU replay cannot know
    // their values; torch checks the encoder itself in node/transformer.test.ts): two layers, a norm.
    name: 'two pre-norm layers and a final LayerNorm, causal', inputs: [x([2, 4, 6])],
    fn: (s) => {
      const o = { normFirst: true, batchFirst: true, dimFeedforward: 8 };
      const h = layer(6, 2, { ...o, seed: 21 }).forward(layer(6, 2, { ...o, seed: 22 }).forward(s, { isCausal: true }), { isCausal: true });
      return seeded(() => sg.nn.layerNorm(6)).forward(h);
    },
  },
];
