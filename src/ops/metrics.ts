// GPU metrics: accuracy and the confusion matrix (no gradients), and cosine similarity between the
// rows of two matrices (a row normalisation with its own forward and backward kernels, then matmul).
// Kernels: shaders/metrics.wgsl. References: src/reference/metrics.ts.

import { wgslKernel } from '../gpu/kernels.js';
import { apply, apply1, hostValues, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/metrics.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, type Meta, sameShape } from '../util/shape.js';
import { grid1d } from '../gpu/dispatch.js';
import { add, div, gt, maximum, mul, neg, reciprocal, scale, square, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { matmul } from './matmul.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

// ---- accuracy and confusion matrix --------------------------------------------------------------

export const metricKernels = {
  accuracy: wgslKernel('accuracy_forward'),
  accuracyLabels: wgslKernel('accuracy_labels'),
  confusion: wgslKernel('confusion_matrix_forward'),
  confusionLabels: wgslKernel('confusion_matrix_labels'),
};

/** Scores (N, C) f32 or predicted class indices (N) i32, and targets (N) i32. */
function checkPredTarget(op: string, pred: Meta, target: Meta): void {
  const scores = pred.dtype === 'f32';
  if (scores ? pred.shape.length !== 2 : pred.shape.length !== 1) {
    throw sgError(`${op}: predictions must be scores f32 [N, C] or class indices i32 [N], got ${fmtShape(pred.shape)} ${pred.dtype}`, ShapeError);
  }
  if (scores && pred.shape[1] === 0) throw sgError(`${op}: scores ${fmtShape(pred.shape)} have no classes`, ShapeError);
  if (target.dtype !== 'i32') throw sgError(`${op}: target must hold class indices as i32, got ${fmtShape(target.shape)} ${target.dtype}`, ShapeError);
  if (!sameShape(target.shape, [pred.shape[0]])) {
    throw sgError(`${op}: target ${fmtShape(target.shape)} must be [${pred.shape[0]}], one class index per row of the predictions ${fmtShape(pred.shape)}`, ShapeError);
  }
  if (pred.shape[0] === 0) throw sgError(`${op}: no rows to score (predictions ${fmtShape(pred.shape)})`, ShapeError);
}

export const accuracyOp: OpDef<null> = defineOp<null>({
  name: 'accuracy',
  kernels: [metricKernels.accuracy, metricKernels.accuracyLabels],
  infer: ([pred, target]) => {
    checkPredTarget('accuracy', pred, target);
    return [{ shape: [], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta }) => {
    const [N, C = 1] = inMeta[0].shape;
    const scores = inMeta[0].dtype === 'f32';
    ctx.dispatch(scores ? metricKernels.accuracy : metricKernels.accuracyLabels, {
      bind: { [scores ? 'scores' : 'predicted']: inputs[0], targets: inputs[1], acc: outputs[0] }, params: { N, C }, grid: [1],
    });
  },
  grad: { none: 'accuracy counts argmax hits: piecewise constant in the scores', zero: true },
  reference: ([pred, target]) => [ref.accuracyForward(pred, target)],
  referenceBackward: { none: 'accuracy is piecewise constant' },
  cost: ([pred]) => ({ flops: numel(pred.shape), bytes: 4 * (numel(pred.shape) + pred.shape[0] + 1) }),
});

interface ConfusionAttrs {
  numClasses: number;
}

export const confusionMatrixOp: OpDef<ConfusionAttrs> = defineOp<ConfusionAttrs>({
  name: 'confusion_matrix',
  kernels: [metricKernels.confusion, metricKernels.confusionLabels],
  infer: ([pred, target], { numClasses: K }) => {
    checkPredTarget('confusion_matrix', pred, target);
    if (pred.dtype === 'f32' && pred.shape[1] !== K) {
      throw sgError(`confusion_matrix: scores ${fmtShape(pred.shape)} have ${pred.shape[1]} classes, numClasses is ${K}`, ShapeError);
    }
    return [{ shape: [K, K], dtype: 'i32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs: { numClasses: K } }) => {
    const [N, C = 1] = inMeta[0].shape;
    const scores = inMeta[0].dtype === 'f32';
    ctx.fill(outputs[0], K * K * 4, 0);
    ctx.dispatch(scores ? metricKernels.confusion : metricKernels.confusionLabels, {
      bind: { [scores ? 'scores' : 'predicted']: inputs[0], targets: inputs[1], counts: outputs[0] },
      params: { N, C, K }, grid: grid1d(N, 64, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: { none: 'a confusion matrix holds integer counts', zero: true },
  reference: ([pred, target], { numClasses }) => [ref.confusionMatrixForward(pred, target, numClasses)],
  referenceBackward: { none: 'integer counts' },
  cost: ([pred], [out]) => ({ flops: numel(pred.shape), bytes: 4 * (numel(pred.shape) + pred.shape[0] + numel(out.shape)) }),
});

function checkLabelRange(op: string, t: Tensor, what: string, K: number): void {
  const values = hostValues(t);
  if (!values) return; // computed on the GPU: out-of-range labels are skipped by the kernels
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= K) {
      throw sgError(`${op}: ${what} has label ${values[i]} at index ${i}, outside [0, ${K})`);
    }
  }
}

function checkArgs(op: string, pred: unknown, target: unknown): asserts pred is Tensor {
  if (!(pred instanceof Tensor)) throw sgError(`${op}: predictions must be a Tensor, got ${typeof pred}`);
  if (!(target instanceof Tensor)) throw sgError(`${op}: target must be a Tensor, got ${typeof target}`);
}

/**
 * Fraction of rows classified correctly (a scalar f32, no gradient). `predictions` is scores
 * [N, C] (logits or probabilities; the argmax, ties to the lowest index, is the prediction) or class
 * indices i32 [N]; `target` is i32 [N].
 */
export function accuracy(predictions: Tensor, target: Tensor): Tensor {
  checkArgs('accuracy', predictions, target);
  checkPredTarget('accuracy', { shape: predictions.shape, dtype: predictions.dtype }, { shape: target.shape, dtype: target.dtype });
  if (predictions.dtype === 'f32') checkLabelRange('accuracy', target, 'target', predictions.shape[1]);
  return apply1(accuracyOp, [predictions, target], null);
}

/**
 * Confusion matrix i32 [K, K] (rows = true class, columns = predicted class) from scores [N, K] or
 * predicted class indices i32 [N], and targets i32 [N]. Computed with atomic adds; no gradient.
 */
export function confusionMatrix(predictions: Tensor, target: Tensor, numClasses: number): Tensor {
  checkArgs('confusionMatrix', predictions, target);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw sgError(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  }
  checkPredTarget('confusionMatrix', { shape: predictions.shape, dtype: predictions.dtype }, { shape: target.shape, dtype: target.dtype });
  checkLabelRange('confusionMatrix', target, 'target', numClasses);
  if (predictions.dtype === 'i32') checkLabelRange('confusionMatrix', predictions, 'predictions', numClasses);
  return apply1(confusionMatrixOp, [predictions, target], { numClasses });
}

// ---- row normalisation and cosine similarity ----------------------------------------------------

export const rowNormKernels = {
  forward: wgslKernel('rownorm_forward'),
  backward: wgslKernel('rownorm_backward'),
};

interface RowNormAttrs {
  eps: number;
}

/** inputs [x, norm, dy] → dx of Σ dy·(x / max(‖x‖, eps)). */
export const rowNormalizeBackwardOp: OpDef<RowNormAttrs> = defineOp<RowNormAttrs>({
  name: 'row_normalize_backward',
  kernels: [rowNormKernels.backward],
  infer: ([x]) => [{ shape: [...x.shape], dtype: 'f32' }],
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const [N, D] = inMeta[0].shape;
    if (N * D === 0) return;
    ctx.dispatch(rowNormKernels.backward, {
      bind: { rn_x: inputs[0], rn_norm_in: inputs[1], rn_dy: inputs[2], rn_dx: outputs[0] },
      params: { N, D, eps: attrs.eps }, grid: grid1d(N, 1, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // Second derivatives, in ops. With n = ‖x‖ > eps the op is f = dy/n − x·S/n³ (S = x·dy per row);
  // for an incoming v: d/ddy = the same op applied to v (the map is symmetric), d/dx at fixed n =
  // −(v·S + dy·(x·v))/n³, and d/dn = −(v·dy)/n² + 3·(x·v)·S/n⁴, which flows on through the forward's
  // norm output (its gradient adds dnorm·x/n). Where n <= eps, f = dy/eps: only d/ddy is non-zero.
  grad: ({ inputs: [x, norm, dy], dys: [v], attrs }) => {
    if (!v) return [null, null, null];
    const N = x.shape[0];
    const col = (t: Tensor) => reshape(t, [N, 1]);
    const live = col(gt(norm, attrs.eps));
    const r = reciprocal(col(maximum(norm, Math.max(attrs.eps, 1e-30))));
    const r2 = square(r);
    const S = sum(mul(x, dy), 1, true);
    const XV = sum(mul(x, v), 1, true);
    const VD = sum(mul(v, dy), 1, true);
    const gx = mul(neg(add(mul(v, S), mul(dy, XV))), mul(mul(r2, r), live));
    const gn = mul(sub(scale(mul(mul(XV, S), square(r2)), 3), mul(VD, r2)), live);
    return [gx, reshape(gn, [N]), apply1(rowNormalizeBackwardOp, [x, norm, v], attrs)];
  },
  reference: ([x, , dy], { eps }) => [ref.rowNormalizeBackward(x, dy, null, eps)],
  referenceBackward: ({ inputs: [x, , dy], dys: [v], attrs: { eps } }) => (v ? ref.rowNormalizeBackwardBackward(x, dy, v, eps) : [null, null, null]),
  cost: ([x]) => ({ flops: 6 * numel(x.shape), bytes: 12 * numel(x.shape) }),
});

/** inputs [x (N, D)] → [x / max(‖x‖, eps) per row, ‖x‖ (N)]. */
export const rowNormalizeOp: OpDef<RowNormAttrs> = defineOp<RowNormAttrs>({
  name: 'row_normalize',
  kernels: [rowNormKernels.forward],
  infer: ([x]) => {
    if (x.shape.length !== 2 || x.dtype !== 'f32') throw sgError(`row_normalize: x must be f32 [N, D], got ${fmtShape(x.shape)} ${x.dtype}`, ShapeError);
    return [{ shape: [...x.shape], dtype: 'f32' }, { shape: [x.shape[0]], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const [N, D] = inMeta[0].shape;
    if (N === 0) return;
    if (D === 0) {
      ctx.fill(outputs[1], N * 4, 0);
      return;
    }
    ctx.dispatch(rowNormKernels.forward, {
      bind: { rn_x: inputs[0], rn_y: outputs[0], rn_norm: outputs[1] },
      params: { N, D, eps: attrs.eps }, grid: grid1d(N, 1, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // dy through the dedicated backward kernel; a gradient of the norm adds dnorm·x/‖x‖.
  grad: ({ inputs: [x], outputs: [, norm], dys: [dy, dnorm], attrs }) => {
    let dx: Tensor | null = dy ? apply1(rowNormalizeBackwardOp, [x, norm, dy], attrs) : null;
    if (dnorm) {
      const N = x.shape[0];
      const g = mul(x, reshape(div(dnorm, norm), [N, 1]));
      dx = dx ? add(dx, g) : g;
    }
    return [dx];
  },
  reference: ([x], { eps }) => ref.rowNormalizeForward(x, eps),
  referenceBackward: ({ inputs: [x], dys: [dy, dnorm], attrs: { eps } }) => [ref.rowNormalizeBackward(x, dy, dnorm, eps)],
  cost: ([x]) => ({ flops: 3 * numel(x.shape), bytes: 8 * numel(x.shape) + 4 * x.shape[0] }),
});

/** Each row of x [N, D] divided by max(‖row‖₂, eps), like torch.nn.functional.normalize(x, dim=1). */
export function normalizeRows(x: Tensor, eps = 1e-12): Tensor {
  if (!(x instanceof Tensor)) throw sgError(`normalizeRows: x must be a Tensor, got ${typeof x}`);
  if (x.rank !== 2 || x.dtype !== 'f32') throw sgError(`normalizeRows: x must be f32 [N, D], got ${x.describe()}`, ShapeError);
  if (!(eps >= 0)) throw sgError(`normalizeRows: eps must be >= 0, got ${eps}`);
  return apply(rowNormalizeOp, [x], { eps })[0];
}

/**
 * Cosine similarity of every row of a [N, D] with every row of b [M, D] → [N, M]:
 * a_i·b_j / (max(‖a_i‖, eps)·max(‖b_j‖, eps)), as torch.nn.functional.cosine_similarity computes
 * for one pair. Rows are normalised (one kernel each, with a backward kernel), then multiplied.
 */
export function cosineSimilarityMatrix(a: Tensor, b: Tensor, eps = 1e-8): Tensor {
  const op = 'cosineSimilarityMatrix';
  for (const [t, n] of [[a, 'a'], [b, 'b']] as const) {
    if (!(t instanceof Tensor)) throw sgError(`${op}: ${n} must be a Tensor, got ${typeof t}`);
    if (t.rank !== 2 || t.dtype !== 'f32') throw sgError(`${op}: ${n} must be f32 [rows, D], got ${t.describe()}`, ShapeError);
  }
  if (a.shape[1] !== b.shape[1]) {
    throw sgError(`${op}: a ${a.describe()} and b ${b.describe()} must have the same row length D`, ShapeError);
  }
  if (!(eps >= 0)) throw sgError(`${op}: eps must be >= 0, got ${eps}`);
  const na = apply(rowNormalizeOp, [a], { eps })[0];
  const nb = apply(rowNormalizeOp, [b], { eps })[0];
  return matmul(na, nb, { transB: true });
}
