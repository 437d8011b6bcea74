// Losses (shaders/loss.wgsl): fused cross-entropy (weights, ignoreIndex, label smoothing, every
// reduction, [N, C, d] inputs, rows of 1 and of more classes than the 64-thread workgroup, equal and
// ±1e4 logits), class-probability targets, BCE with logits (large |x|, posWeight, weight), mse, l1,
// huber across δ, klDiv (every reduction, logTarget both ways, targets with exact zeros), CLIP's loss,
// and second derivatives (grad of grad) of crossEntropy, BCE with logits, klDiv,
// cosineSimilarityMatrix and clipLoss.
import * as sg from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

const labels = (n: number, C: number): InputSpec => ({ shape: [n], dtype: 'i32', intMax: C, noGrad: true });
const given = (values: number[], shape = [values.length]): InputSpec => ({ shape, dtype: 'i32', values, noGrad: true });
const weights = (C: number): InputSpec => ({ shape: [C], range: [0.2, 2], noGrad: true });
/** Class-probability targets: positive, normalised over the class dimension (1, or 0 for rank 1). */
const probs = (shape: number[]): InputSpec => {
  const classDim = shape.length === 1 ? 0 : 1;
  const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.1 + ((i * 7919) % 13) / 13);
  const stride = shape.slice(classDim + 1).reduce((a, b) => a * b, 1);
  const C = shape[classDim];
  for (let o = 0; o < values.length; o++) {
    if (Math.floor(o / stride) % C !== 0) continue; // o is class 0 of its row: normalise the row
    let s = 0;
    for (let c = 0; c < C; c++) s += values[o + c * stride];
    for (let c = 0; c < C; c++) values[o + c * stride] /= s;
  }
  return { shape, values: values.map((v) => Math.fround(v)) };
};

/** Log-probabilities (klDiv's input, and its target with logTarget). */
const logProbs = (shape: number[]): InputSpec => ({ shape, range: [-4, -0.05] });
/** Probabilities, none zero. */
const targetProbs = (shape: number[]): InputSpec => ({ shape, range: [0.02, 1] });
/** Probabilities with exact zeros (every third element). */
const zeroProbs = (shape: number[]): InputSpec => ({
  shape, values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 3 === 1 ? 0 : Math.fround(0.05 + ((i * 7919) % 17) / 18))),
});

export const cases: Case[] = [
  // ---- crossEntropy ----
  { name: 'crossEntropy N=1 C=7', inputs: [[1, 7], labels(1, 7)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy C=1', inputs: [[4, 1], labels(4, 1)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy prime N=13 C=11', inputs: [[13, 11], labels(13, 11)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy C=131 (> workgroup) N=5', inputs: [{ shape: [5, 131], range: [-4, 4] }, labels(5, 131)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy N=300 (> 256 rows: tree reduce on hardware), class weights', inputs: [[300, 4], labels(300, 4), weights(4)], fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w }), atol: 1e-4 },
  {
    name: 'crossEntropy all-equal logits', inputs: [{ shape: [3, 5], values: new Array(15).fill(0.75) }, labels(3, 5)],
    fn: (z, t) => sg.crossEntropy(z, t),
  },
  {
    name: 'crossEntropy very large logits ±1e4', inputs: [{ shape: [6, 5], range: [-1e4, 1e4] }, labels(6, 5)],
    fn: (z, t) => sg.crossEntropy(z, t), atol: 1e-3,
  },
  {
    name: 'crossEntropy very large logits ±1e4, smoothing 0.1, none', inputs: [{ shape: [4, 3], range: [-1e4, 1e4] }, labels(4, 3)],
    fn: (z, t) => sg.crossEntropy(z, t, { labelSmoothing: 0.1, reduction: 'none' }), atol: 1e-2,
  },
  { name: 'crossEntropy sum', inputs: [[7, 3], labels(7, 3)], fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'sum' }) },
  { name: 'crossEntropy none', inputs: [[7, 3], labels(7, 3)], fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'none' }) },
  {
    name: 'crossEntropy class weights, mean', inputs: [[9, 5], labels(9, 5), weights(5)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w }),
  },
  { name: 'crossEntropy class weights, sum', inputs: [[9, 5], labels(9, 5), weights(5)], fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, reduction: 'sum' }) },
  { name: 'crossEntropy class weights, none', inputs: [[9, 5], labels(9, 5), weights(5)], fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, reduction: 'none' }) },
  {
    name: 'crossEntropy ignoreIndex -100 present', inputs: [[6, 4], given([1, -100, 3, 0, -100, 2])],
    fn: (z, t) => sg.crossEntropy(z, t),
  },
  {
    name: 'crossEntropy ignoreIndex = a class (2), weights', inputs: [[6, 4], given([1, 2, 3, 0, 2, 2]), weights(4)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, ignoreIndex: 2 }),
  },
  {
    name: 'crossEntropy ignoreIndex, none', inputs: [[5, 3], given([0, -100, 2, 1, -100])],
    fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'none' }),
  },
  {
    name: 'crossEntropy every target ignored → NaN like torch', inputs: [[2, 3], given([-100, -100])],
    fn: (z, t) => sg.crossEntropy(z, t), grad: false,
  },
  { name: 'crossEntropy label smoothing 0.1, mean', inputs: [[11, 7], labels(11, 7)], fn: (z, t) => sg.crossEntropy(z, t, { labelSmoothing: 0.1 }) },
  { name: 'crossEntropy label smoothing 0.1, sum', inputs: [[11, 7], labels(11, 7)], fn: (z, t) => sg.crossEntropy(z, t, { labelSmoothing: 0.1, reduction: 'sum' }) },
  { name: 'crossEntropy label smoothing 0.1, none', inputs: [[11, 7], labels(11, 7)], fn: (z, t) => sg.crossEntropy(z, t, { labelSmoothing: 0.1, reduction: 'none' }) },
  {
    name: 'crossEntropy smoothing 0.1 + weights + ignoreIndex, mean', inputs: [[7, 5], given([4, -100, 0, 2, 2, -100, 1]), weights(5)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, labelSmoothing: 0.1 }),
  },
  {
    name: 'crossEntropy smoothing 0.1 + weights + ignoreIndex, none', inputs: [[7, 5], given([4, -100, 0, 2, 2, -100, 1]), weights(5)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, labelSmoothing: 0.1, reduction: 'none' }),
  },
  {
    name: 'crossEntropy [N, C, d] = [2, 5, 3]', inputs: [[2, 5, 3], { shape: [2, 3], dtype: 'i32', intMax: 5, noGrad: true }],
    fn: (z, t) => sg.crossEntropy(z, t),
  },
  {
    name: 'crossEntropy [N, C, d1, d2] none', inputs: [[2, 3, 2, 2], { shape: [2, 2, 2], dtype: 'i32', intMax: 3, noGrad: true }],
    fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'none' }),
  },
  { name: 'crossEntropy unbatched [C] with scalar target', inputs: [[6], given([4], [])], fn: (z, t) => sg.crossEntropy(z, t) },
  {
    name: 'crossEntropy feeding a matmul (gradient flows on)', inputs: [[4, 6], [6, 5], labels(4, 5)],
    fn: (x, w, t) => sg.crossEntropy(sg.matmul(x, w), t), atol: 1e-4,
  },

  // ---- binaryCrossEntropyWithLogits ----
  { name: 'bceWithLogits [7,3] mean', inputs: [[7, 3], { shape: [7, 3], range: [0, 1] }], fn: (x, y) => sg.binaryCrossEntropyWithLogits(x, y) },
  { name: 'bceWithLogits N=1', inputs: [[1], { shape: [1], range: [0, 1] }], fn: (x, y) => sg.binaryCrossEntropyWithLogits(x, y) },
  {
    name: 'bceWithLogits large |logits| ±60', inputs: [{ shape: [13], range: [-60, 60] }, { shape: [13], range: [0, 1] }],
    fn: (x, y) => sg.binaryCrossEntropyWithLogits(x, y), atol: 1e-4,
  },
  {
    name: 'bceWithLogits hard 0/1 targets, |logits| up to 30, none', inputs: [{ shape: [8], range: [-30, 30] }, { shape: [8], values: [0, 1, 1, 0, 1, 0, 0, 1] }],
    fn: (x, y) => sg.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }), atol: 1e-4,
  },
  { name: 'bceWithLogits sum', inputs: [[5, 2], { shape: [5, 2], range: [0, 1] }], fn: (x, y) => sg.binaryCrossEntropyWithLogits(x, y, { reduction: 'sum' }) },
  {
    name: 'bceWithLogits posWeight [C]', inputs: [[6, 3], { shape: [6, 3], range: [0, 1] }, { shape: [3], range: [0.5, 3] }],
    fn: (x, y, pw) => sg.binaryCrossEntropyWithLogits(x, y, { posWeight: pw }),
  },
  {
    name: 'bceWithLogits posWeight [N,1] (materialised broadcast), none', inputs: [[4, 3], { shape: [4, 3], range: [0, 1] }, { shape: [4, 1], range: [0.5, 3] }],
    fn: (x, y, pw) => sg.binaryCrossEntropyWithLogits(x, y, { posWeight: pw, reduction: 'none' }),
  },
  // weight: torch's per-element rescaling, broadcast to the logits (it used to be ignored).
  {
    name: 'bceWithLogits weight [C], mean', inputs: [[5, 3], { shape: [5, 3], range: [0, 1] }, { shape: [3], range: [0.2, 2] }],
    fn: (x, y, w) => sg.binaryCrossEntropyWithLogits(x, y, { weight: w }),
  },
  {
    name: 'bceWithLogits weight [N,1], sum', inputs: [[4, 3], { shape: [4, 3], range: [0, 1] }, { shape: [4, 1], range: [0.2, 2] }],
    fn: (x, y, w) => sg.binaryCrossEntropyWithLogits(x, y, { weight: w, reduction: 'sum' }),
  },
  {
    name: 'bceWithLogits weight per element + posWeight [C], none',
    inputs: [[4, 3], { shape: [4, 3], range: [0, 1] }, { shape: [4, 3], range: [0.2, 2] }, { shape: [3], range: [0.5, 3] }],
    fn: (x, y, w, pw) => sg.binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: pw, reduction: 'none' }),
  },

  // ---- mse / l1 / huber ----
  { name: 'mseLoss [5,7] mean', inputs: [[5, 7], [5, 7]], fn: (a, b) => sg.mseLoss(a, b) },
  { name: 'mseLoss [13] sum', inputs: [[13], [13]], fn: (a, b) => sg.mseLoss(a, b, { reduction: 'sum' }) },
  { name: 'mseLoss [1] none', inputs: [[1], [1]], fn: (a, b) => sg.mseLoss(a, b, { reduction: 'none' }) },
  { name: 'mseLoss [300] (> workgroup)', inputs: [[300], [300]], fn: (a, b) => sg.mseLoss(a, b) },
  { name: 'l1Loss [6,5] mean', inputs: [[6, 5], [6, 5]], fn: (a, b) => sg.l1Loss(a, b) },
  { name: 'l1Loss [11] none', inputs: [[11], [11]], fn: (a, b) => sg.l1Loss(a, b, { reduction: 'none' }) },
  { name: 'l1Loss [3,1] sum', inputs: [[3, 1], [3, 1]], fn: (a, b) => sg.l1Loss(a, b, { reduction: 'sum' }) },
  {
    name: 'huberLoss across δ=1 (both sides), mean',
    inputs: [{ shape: [8], values: [0.3, -0.2, 2.5, -3, 0.9, -1.4, 0.05, 4] }, { shape: [8], values: [0, 0.5, -0.5, 0, 0.2, 0.1, -0.3, 1.1] }],
    fn: (a, b) => sg.huberLoss(a, b),
  },
  { name: 'huberLoss δ=0.5 random [9,4] none', inputs: [{ shape: [9, 4], range: [-2, 2] }, { shape: [9, 4], range: [-2, 2] }], fn: (a, b) => sg.huberLoss(a, b, { delta: 0.5, reduction: 'none' }) },
  { name: 'huberLoss δ=2 [17] sum', inputs: [{ shape: [17], range: [-4, 4] }, [17]], fn: (a, b) => sg.huberLoss(a, b, { delta: 2, reduction: 'sum' }) },

  // ---- klDiv (torch.nn.functional.kl_div): every reduction, logTarget both ways, exact-zero targets ----
  { name: 'klDiv [11] mean (torch default)', inputs: [logProbs([11]), targetProbs([11])], fn: (x, t) => sg.klDiv(x, t) },
  { name: 'klDiv [6,5] mean, logTarget', inputs: [logProbs([6, 5]), logProbs([6, 5])], fn: (x, t) => sg.klDiv(x, t, { logTarget: true }) },
  {
    name: 'klDiv [5,4] batchmean, targets with exact zeros (d/dtarget NaN there, as torch)', inputs: [logProbs([5, 4]), zeroProbs([5, 4])],
    fn: (x, t) => sg.klDiv(x, t, { reduction: 'batchmean' }),
  },
  { name: 'klDiv [2,3,4] batchmean, logTarget', inputs: [logProbs([2, 3, 4]), logProbs([2, 3, 4])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'batchmean', logTarget: true }) },
  { name: 'klDiv [2,3,4] sum, exact zeros', inputs: [logProbs([2, 3, 4]), zeroProbs([2, 3, 4])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'sum' }) },
  { name: 'klDiv [13] sum, logTarget', inputs: [logProbs([13]), logProbs([13])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'sum', logTarget: true }) },
  { name: 'klDiv [7,3] none, exact zeros', inputs: [logProbs([7, 3]), zeroProbs([7, 3])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'none' }) },
  { name: 'klDiv [3,5] none, logTarget', inputs: [logProbs([3, 5]), logProbs([3, 5])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'none', logTarget: true }) },
  { name: 'klDiv [1] batchmean', inputs: [logProbs([1]), targetProbs([1])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'batchmean' }) },
  { name: 'klDiv 0-d batchmean (the sum, as torch)', inputs: [logProbs([]), targetProbs([])], fn: (x, t) => sg.klDiv(x, t, { reduction: 'batchmean' }) },
  { name: 'klDiv [300] mean (> workgroup)', inputs: [logProbs([300]), zeroProbs([300])], fn: (x, t) => sg.klDiv(x, t) },
  {
    name: 'klDiv logTarget, very negative log-targets (e^t underflows)', inputs: [logProbs([6]), { shape: [6], values: [-120, -3, -95, -0.5, -200, -1] }],
    fn: (x, t) => sg.klDiv(x, t, { reduction: 'sum', logTarget: true }),
  },
  {
    name: 'klDiv of two softmaxes [4,6] batchmean (gradient through both)', inputs: [[4, 6], [4, 6]],
    fn: (z, w) => sg.klDiv(sg.logSoftmax(z, -1), sg.softmax(w, -1), { reduction: 'batchmean' }),
  },
  {
    name: 'klDiv second order (input and target), sum', inputs: [logProbs([3, 4]), targetProbs([3, 4])],
    fn: (x, t) => sg.concat(sg.grad((a: sg.Tensor, b: sg.Tensor) => sg.klDiv(a, b, { reduction: 'sum' }), [x, t])(x, t).map((g) => sg.flatten(g))),
  },
  {
    name: 'klDiv second order (input and target), logTarget, none + upstream', inputs: [logProbs([2, 5]), logProbs([2, 5]), [2, 5]],
    fn: (x, t, u) => sg.concat(sg.grad((a: sg.Tensor, b: sg.Tensor) =>
      sg.sum(sg.mul(sg.klDiv(a, b, { reduction: 'none', logTarget: true }), u)), [x, t])(x, t).map((g) => sg.flatten(g))),
  },

  // ---- CLIP ----
  {
    name: 'clipLoss N=5 D=8', inputs: [[5, 8], [5, 8], { shape: [], range: [0.5, 1.5] }],
    fn: (i, t, s) => sg.clipLoss(i, t, s), atol: 1e-4,
  },
  { name: 'clipLoss N=1 D=3', inputs: [[1, 3], [1, 3], { shape: [1], range: [0.5, 1.5] }], fn: (i, t, s) => sg.clipLoss(i, t, s) },
  {
    name: 'clipLoss N=7 D=67 (> workgroup)', inputs: [[7, 67], [7, 67], { shape: [], range: [1, 2] }],
    fn: (i, t, s) => sg.clipLoss(i, t, s), atol: 1e-4, rtol: 1e-3,
  },

  // ---- crossEntropy with class-probability targets (f32, the logits' shape) ----
  { name: 'crossEntropy probability targets [6,4] mean', inputs: [[6, 4], probs([6, 4])], fn: (z, q) => sg.crossEntropy(z, q) },
  { name: 'crossEntropy probability targets, sum', inputs: [[5, 3], probs([5, 3])], fn: (z, q) => sg.crossEntropy(z, q, { reduction: 'sum' }) },
  {
    name: 'crossEntropy probability targets, weights + smoothing 0.2, none', inputs: [[5, 4], probs([5, 4]), weights(4)],
    fn: (z, q, w) => sg.crossEntropy(z, q, { weight: w, labelSmoothing: 0.2, reduction: 'none' }),
  },
  {
    name: 'crossEntropy probability targets, weights, mean (divides by N, not Σw)', inputs: [[7, 3], probs([7, 3]), weights(3)],
    fn: (z, q, w) => sg.crossEntropy(z, q, { weight: w }),
  },
  { name: 'crossEntropy probability targets [N, C, d] = [2, 4, 3]', inputs: [[2, 4, 3], probs([2, 4, 3])], fn: (z, q) => sg.crossEntropy(z, q, { labelSmoothing: 0.1 }) },
  { name: 'crossEntropy probability targets unbatched [C]', inputs: [[5], probs([5])], fn: (z, q) => sg.crossEntropy(z, q) },
  {
    name: 'crossEntropy probability targets, second order', inputs: [[4, 5], { ...probs([4, 5]), noGrad: true }],
    fn: (z, q) => sg.grad((zz: sg.Tensor) => sg.crossEntropy(zz, q, { labelSmoothing: 0.1 }), [z])(z)[0],
  },

  // ---- second derivatives: the gradient rules of the backward ops (grad of grad) ----
  {
    name: 'crossEntropy second order, mean', inputs: [[5, 4], labels(5, 4)],
    fn: (z, t) => sg.grad((zz: sg.Tensor) => sg.crossEntropy(zz, t), [z])(z)[0],
  },
  {
    name: 'crossEntropy second order, none, upstream weights u (d/du too)', inputs: [[6, 3], labels(6, 3), [6]],
    fn: (z, t, u) => sg.grad((zz: sg.Tensor) => sg.sum(sg.mul(sg.crossEntropy(zz, t, { reduction: 'none' }), u)), [z])(z)[0],
  },
  {
    name: 'crossEntropy second order, weights + smoothing + ignoreIndex, mean', inputs: [[7, 5], given([4, -100, 0, 2, 2, -100, 1]), weights(5)],
    fn: (z, t, w) => sg.grad((zz: sg.Tensor) => sg.crossEntropy(zz, t, { weight: w, labelSmoothing: 0.1 }), [z])(z)[0],
  },
  {
    name: 'crossEntropy second order, sum, C=70 (> workgroup)', inputs: [[3, 70], labels(3, 70)], atol: 1e-4,
    fn: (z, t) => sg.grad((zz: sg.Tensor) => sg.crossEntropy(zz, t, { reduction: 'sum', labelSmoothing: 0.05 }), [z])(z)[0],
  },
  {
    name: 'crossEntropy second order through a matmul: d/dw of ‖∂L/∂x‖²', inputs: [[4, 6], [6, 5], labels(4, 5)], atol: 1e-4,
    fn: (x, w, t) => sg.sum(sg.square(sg.grad((xx: sg.Tensor) => sg.crossEntropy(sg.matmul(xx, w), t), [x])(x)[0])),
  },
  {
    name: 'bceWithLogits second order (x, y)', inputs: [{ shape: [4, 3], range: [-3, 3] }, { shape: [4, 3], range: [0, 1] }],
    fn: (x, y) => {
      const [gx, gy] = sg.grad((a: sg.Tensor, b: sg.Tensor) => sg.binaryCrossEntropyWithLogits(a, b), [x, y])(x, y);
      return sg.concat([sg.flatten(gx), sg.flatten(gy)]);
    },
  },
  {
    name: 'bceWithLogits second order with posWeight [C] and weight [N,1] (x, y, pw, w)',
    inputs: [{ shape: [4, 3], range: [-3, 3] }, { shape: [4, 3], range: [0, 1] }, { shape: [3], range: [0.5, 3] }, { shape: [4, 1], range: [0.2, 2] }],
    fn: (x, y, pw, w) => {
      const gs = sg.grad((a: sg.Tensor, b: sg.Tensor, c: sg.Tensor, d: sg.Tensor) =>
        sg.binaryCrossEntropyWithLogits(a, b, { posWeight: c, weight: d, reduction: 'sum' }), [x, y, pw, w])(x, y, pw, w);
      return sg.concat(gs.map((g) => sg.flatten(g)));
    },
  },
  {
    name: 'bceWithLogits second order, posWeight [N,1] (materialised), none + upstream',
    inputs: [{ shape: [3, 2], range: [-3, 3] }, { shape: [3, 2], range: [0, 1] }, { shape: [3, 1], range: [0.5, 3] }, [3, 2]],
    fn: (x, y, pw, u) => {
      const gs = sg.grad((a: sg.Tensor, c: sg.Tensor) =>
        sg.sum(sg.mul(sg.binaryCrossEntropyWithLogits(a, y, { posWeight: c, reduction: 'none' }), u)), [x, pw])(x, pw);
      return sg.concat(gs.map((g) => sg.flatten(g)));
    },
  },
  {
    name: 'cosineSimilarityMatrix second order (a, b)', inputs: [[3, 5], [4, 5]],
    fn: (a, b) => {
      const gs = sg.grad((p: sg.Tensor, q: sg.Tensor) => sg.sum(sg.square(sg.cosineSimilarityMatrix(p, q))), [a, b])(a, b);
      return sg.concat(gs.map((g) => sg.flatten(g)));
    },
  },
  {
    name: 'normalizeRows second order', inputs: [[4, 3], [4, 3]],
    fn: (x, r) => sg.grad((p: sg.Tensor) => sg.sum(sg.mul(sg.normalizeRows(p), r)), [x])(x)[0],
  },
  {
    name: 'clipLoss second order (embeddings and log temperature)', inputs: [[4, 6], [4, 6], { shape: [1], range: [0.5, 1.5] }], atol: 1e-4, rtol: 1e-3,
    fn: (i, t, s) => {
      const gs = sg.grad((a: sg.Tensor, b: sg.Tensor, c: sg.Tensor) => sg.clipLoss(a, b, c), [i, t, s])(i, t, s);
      return sg.concat(gs.map((g) => sg.flatten(g)));
    },
  },
];
