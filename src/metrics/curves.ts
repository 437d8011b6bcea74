// Threshold curves of a scorer on the CPU, with scikit-learn's semantics (sklearn.metrics):
//
//   rocCurve(scores, labels)               roc_curve(..., drop_intermediate=False): { fpr, tpr, thresholds }
//   rocAuc(scores, labels, { average })    roc_auc_score: binary, or one-vs-rest (multi_class='ovr') for
//                                          scores [N, C], average 'macro' (default) or 'weighted'
//   precisionRecallCurve(scores, labels)   precision_recall_curve (full curve): { precision, recall, thresholds }
//   averagePrecision(scores, labels, ...)  average_precision_score (PR-AUC as a step sum), binary or
//                                          one-vs-rest with average 'macro' | 'weighted'
//
// The binary curves rest on one sweep (sklearn's _binary_clf_curve): sort by score, highest first; each
// distinct score is a threshold, and the true / false positives counted at it include every sample
// scoring at least that much — tied samples enter together, so ties make one step (a diagonal segment
// of the ROC curve), never an order-dependent staircase. rocCurve prepends the point (0, 0) with the
// threshold +∞ (sklearn ≥ 1.3; earlier releases wrote max + 1 there). precisionRecallCurve lists the
// thresholds in increasing order, recall decreasing, and ends with the point (recall 0, precision 1)
// that has no threshold. averagePrecision = Σ (R_n − R_{n−1}) · P_n over those thresholds (no
// interpolation). rocAuc integrates the ROC curve with the trapezoidal rule.
//
// Inputs: scores as number[] / a typed array [N] (binary: the score of class 1), rows number[][], flat
// { values, shape: [N, C] }, or a Tensor [N] / [N, C] (then the result is a Promise: the values are
// read back). labels: integers — 0 / 1 for binary scores [N], class indices in [0, C) for scores
// [N, C] — as an array or an i32 Tensor [N]. Like sklearn, one-vs-rest ROC AUC needs probabilities
// (rows summing to 1: apply softmax to logits) and every class present in labels; a binary ROC AUC
// needs both classes. Where sklearn returns NaN with a warning (a curve's rate over a class with no
// samples) these do too.

import { Tensor } from '../tensor/tensor.js';
import { failIn, ShapeError, OptionError, type Fail } from '../util/errors.js';
import { checkOptions, keysOf } from '../util/options.js';

const fail: Fail = failIn('metrics');

/** Scores: [N] (binary) or [N, C] (one column per class), on the host or as a Tensor. */
export type ScoreInput = ArrayLike<number> | ArrayLike<ArrayLike<number>> | { values: ArrayLike<number>; shape: readonly [number, number] } | Tensor;
/** Integer labels [N]: on the host, or a Tensor (i32, or f32 holding integers). */
export type LabelInput = ArrayLike<number> | Tensor;

export interface RocCurve {
  /** False positive rate at each threshold (increasing). */
  fpr: Float64Array;
  /** True positive rate at each threshold (increasing). */
  tpr: Float64Array;
  /** Decreasing; thresholds[0] = +∞ (no sample predicted positive). */
  thresholds: Float64Array;
}

export interface PrecisionRecallCurve {
  /** precision[i] at thresholds[i]; the last value, 1, has no threshold. */
  precision: Float64Array;
  /** recall[i] at thresholds[i] (decreasing); the last value is 0. */
  recall: Float64Array;
  /** The distinct scores, increasing. */
  thresholds: Float64Array;
}

export interface CurveAverageOptions {
  /**
   * Scores [N, C]: one-vs-rest per class, then 'macro' (unweighted mean, the default) or 'weighted'
   * (weighted by each class's number of samples).
   */
  average?: 'macro' | 'weighted';
}
export const CURVE_AVERAGE_KEYS = keysOf<CurveAverageOptions>({ average: 1 });

interface Scores {
  values: ArrayLike<number>;
  n: number;
  /** 0 for scores [N]; C for [N, C]. */
  cols: number;
}

function hostScores(fn: string, s: Exclude<ScoreInput, Tensor>): Scores {
  if (s === null || typeof s !== 'object') fail(fn, `scores must be an array [N], rows [N][C], { values, shape: [N, C] } or a Tensor, got ${String(s)}`);
  if ('shape' in s && 'values' in s && !ArrayBuffer.isView(s)) {
    const { values, shape } = s as { values: ArrayLike<number>; shape: readonly number[] };
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(fn, `scores.shape must be [N, C] (two integers ≥ 0), got ${JSON.stringify(shape)}`, ShapeError);
    }
    if (values.length !== shape[0] * shape[1]) fail(fn, `scores.values has ${values.length} values but shape [${shape.join(', ')}] needs ${shape[0] * shape[1]}`, ShapeError);
    return { values, n: shape[0], cols: shape[1] };
  }
  const arr = s as ArrayLike<unknown>;
  if (typeof arr.length !== 'number') fail(fn, 'scores must be an array [N], rows [N][C], { values, shape: [N, C] } or a Tensor');
  if (arr.length > 0 && typeof arr[0] === 'object' && arr[0] !== null) {
    const rows = arr as ArrayLike<ArrayLike<number>>;
    const C = rows[0].length;
    const values = new Float64Array(rows.length * C);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r || typeof r !== 'object' || r.length !== C) fail(fn, `scores[${i}] has ${r && typeof r === 'object' ? r.length : 'no'} values but scores[0] has ${C}: rows must all have the same length`, ShapeError);
      for (let j = 0; j < C; j++) values[i * C + j] = r[j];
    }
    return { values, n: rows.length, cols: C };
  }
  return { values: arr as ArrayLike<number>, n: arr.length, cols: 0 };
}

function checkLabels(fn: string, labels: ArrayLike<number>, n: number, classes: number): void {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') fail(fn, `labels must be an array of integers or a Tensor [N], got ${String(labels)}`);
  if (labels.length !== n) fail(fn, `labels has ${labels.length} values but scores has ${n} samples`, ShapeError);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      const want = classes === 2 ? '0 or 1 (binary scores [N])' : `a class index in [0, ${classes}) for scores [N, ${classes}]`;
      fail(fn, `labels[${i}] is ${y}; expected ${want}`);
    }
  }
}

/** NaN scores would sort arbitrarily: refused, as sklearn does ("Input contains NaN"). */
function checkFinite(fn: string, s: Scores): void {
  for (let i = 0; i < s.values.length; i++) {
    if (Number.isNaN(s.values[i])) fail(fn, `scores contain NaN (at flat index ${i})`);
  }
}

/** Labels on the host: as given, or a Tensor [N] read back. */
export async function hostLabels(fn: string, labels: LabelInput): Promise<ArrayLike<number>> {
  if (!(labels instanceof Tensor)) return labels;
  if (labels.rank !== 1) fail(fn, `labels must be a Tensor [N], got ${labels.describe()}`, ShapeError);
  return labels.data();
}

/** Read Tensor inputs back, then call `compute` on host values. */
function withHost<T>(fn: string, scores: ScoreInput, labels: LabelInput, compute: (s: Scores, y: ArrayLike<number>) => T): T | Promise<T> {
  if (scores instanceof Tensor || labels instanceof Tensor) {
    return (async () => {
      let s: Scores;
      if (scores instanceof Tensor) {
        if (scores.rank !== 1 && scores.rank !== 2) fail(fn, `scores must be a Tensor [N] or [N, C], got ${scores.describe()}`, ShapeError);
        const values = await scores.data();
        s = { values, n: scores.shape[0], cols: scores.rank === 2 ? scores.shape[1] : 0 };
      } else {
        s = hostScores(fn, scores);
      }
      return compute(s, await hostLabels(fn, labels));
    })();
  }
  return compute(hostScores(fn, scores), labels);
}

/** sklearn's _binary_clf_curve: per distinct score (decreasing), the counts of positives and negatives scoring ≥ it. */
function binaryCurve(score: ArrayLike<number>, positive: (i: number) => boolean, n: number): { fps: Float64Array; tps: Float64Array; thresholds: Float64Array } {
  const order = Array.from({ length: n }, (_, i) => i);
  // Decreasing score; the order within a tie does not matter (a tie is counted as one step).
  order.sort((a, b) => score[b] - score[a]);
  const fps: number[] = [];
  const tps: number[] = [];
  const th: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (positive(i)) tp++;
    else fp++;
    if (k === n - 1 || score[order[k + 1]] !== score[i]) {
      tps.push(tp);
      fps.push(fp);
      th.push(score[i]);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(th) };
}

function rocFrom(c: ReturnType<typeof binaryCurve>): RocCurve {
  const m = c.tps.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Infinity;
  const P = c.tps[m - 2] ?? 0;
  const N = c.fps[m - 2] ?? 0;
  for (let k = 1; k < m; k++) {
    fpr[k] = c.fps[k - 1] / N; // NaN without negatives, as sklearn (with its warning)
    tpr[k] = c.tps[k - 1] / P;
    thresholds[k] = c.thresholds[k - 1];
  }
  if (N === 0) fpr[0] = NaN;
  if (P === 0) tpr[0] = NaN;
  return { fpr, tpr, thresholds };
}

function prFrom(c: ReturnType<typeof binaryCurve>): PrecisionRecallCurve {
  const m = c.tps.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  const P = c.tps[m - 1] ?? 0;
  // Reversed: thresholds increasing, recall decreasing; then the point (recall 0, precision 1).
  for (let k = 0; k < m; k++) {
    const src = m - 1 - k;
    const predicted = c.tps[src] + c.fps[src];
    precision[k] = predicted > 0 ? c.tps[src] / predicted : 0;
    recall[k] = P > 0 ? c.tps[src] / P : 1; // sklearn: recall 1 everywhere when there is no positive label
    thresholds[k] = c.thresholds[src];
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds };
}

/** Trapezoidal area under (x, y), x monotonic (sklearn.metrics.auc). */
function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let a = 0;
  for (let k = 1; k < x.length; k++) a += (x[k] - x[k - 1]) * (y[k] + y[k - 1]) / 2;
  return a;
}

function apFrom(pr: PrecisionRecallCurve): number {
  // −Σ (recall[k+1] − recall[k]) · precision[k] over the reversed curve = Σ (R_n − R_{n−1}) · P_n.
  let ap = 0;
  for (let k = 0; k + 1 < pr.recall.length; k++) ap -= (pr.recall[k + 1] - pr.recall[k]) * pr.precision[k];
  return ap;
}

/** The binary case's scores and positives: scores [N] with labels 0 / 1. */
function binaryOf(fn: string, s: Scores, y: ArrayLike<number>): { score: ArrayLike<number>; positive: (i: number) => boolean } {
  if (s.cols !== 0) {
    fail(fn, `scores [${s.n}, ${s.cols}] are per class: ${fn} takes binary scores [N] (the score of class 1)`, ShapeError);
  }
  checkFinite(fn, s);
  checkLabels(fn, y, s.n, 2);
  return { score: s.values, positive: (i) => y[i] === 1 };
}

/**
 * sklearn.metrics.roc_curve(labels, scores, drop_intermediate=False): the false and true positive rates
 * at every distinct score, highest first, after the point (0, 0) at threshold +∞. Binary: scores [N]
 * (higher = more likely class 1), labels 0 / 1.
 */
export function rocCurve(scores: ScoreInput, labels: LabelInput): RocCurve | Promise<RocCurve> {
  return withHost('rocCurve', scores, labels, (s, y) => {
    const { score, positive } = binaryOf('rocCurve', s, y);
    return rocFrom(binaryCurve(score, positive, s.n));
  });
}

/**
 * sklearn.metrics.precision_recall_curve(labels, scores) (the full curve, drop_intermediate=False):
 * precision and recall at every distinct score (thresholds increasing), then (recall 0, precision 1).
 */
export function precisionRecallCurve(scores: ScoreInput, labels: LabelInput): PrecisionRecallCurve | Promise<PrecisionRecallCurve> {
  return withHost('precisionRecallCurve', scores, labels, (s, y) => {
    const { score, positive } = binaryOf('precisionRecallCurve', s, y);
    return prFrom(binaryCurve(score, positive, s.n));
  });
}

/** One-vs-rest over the columns of scores [N, C]: each class's binary value, averaged. */
function oneVsRest(fn: string, s: Scores, y: ArrayLike<number>, options: CurveAverageOptions,
  binary: (score: ArrayLike<number>, positive: (i: number) => boolean, n: number, c: number) => number): number {
  checkOptions(fn, options, CURVE_AVERAGE_KEYS);
  const average = options.average ?? 'macro';
  if (average !== 'macro' && average !== 'weighted') fail(fn, `average must be 'macro' or 'weighted', got ${JSON.stringify(average)}`, OptionError);
  const C = s.cols;
  if (C < 2) fail(fn, `scores [${s.n}, ${C}] need at least 2 classes`, ShapeError);
  checkFinite(fn, s);
  checkLabels(fn, y, s.n, C);
  const counts = new Array<number>(C).fill(0);
  for (let i = 0; i < s.n; i++) counts[y[i]]++;
  const column = new Float64Array(s.n);
  let total = 0;
  let weights = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < s.n; i++) column[i] = s.values[i * C + c];
    const v = binary(column, (i) => y[i] === c, s.n, c);
    const w = average === 'weighted' ? counts[c] : 1;
    total += w * v;
    weights += w;
  }
  return total / weights;
}

/**
 * sklearn.metrics.roc_auc_score: the area under the ROC curve (trapezoidal). Binary: scores [N], labels
 * 0 / 1 (both must occur). Scores [N, C] (C ≥ 3, or 2 columns with labels 0 / 1): one-vs-rest
 * (multi_class='ovr') with `average` 'macro' or 'weighted'; the rows must be probabilities (sum 1, as
 * sklearn requires) and every class must occur in labels.
 */
export function rocAuc(scores: ScoreInput, labels: LabelInput, options: CurveAverageOptions = {}): number | Promise<number> {
  const fn = 'rocAuc';
  return withHost(fn, scores, labels, (s, y) => {
    if (s.cols === 0) {
      checkOptions(fn, options, CURVE_AVERAGE_KEYS);
      const { score, positive } = binaryOf(fn, s, y);
      let p = 0;
      for (let i = 0; i < s.n; i++) if (positive(i)) p++;
      if (p === 0 || p === s.n) fail(fn, `only one class present in labels (${p === 0 ? 'no 1' : 'no 0'}): ROC AUC is not defined in that case`);
      const roc = rocFrom(binaryCurve(score, positive, s.n));
      return trapezoid(roc.fpr, roc.tpr);
    }
    for (let i = 0; i < s.n; i++) {
      let sum = 0;
      for (let c = 0; c < s.cols; c++) sum += s.values[i * s.cols + c];
      if (Math.abs(sum - 1) > 1e-5 * Math.max(1, s.cols)) {
        fail(fn, `scores [${s.n}, ${s.cols}] must be probabilities for one-vs-rest ROC AUC (rows summing to 1, as sklearn requires); row ${i} sums to ${sum} — apply softmax to logits first`);
      }
    }
    return oneVsRest(fn, s, y, options, (score, positive, n, c) => {
      let p = 0;
      for (let i = 0; i < n; i++) if (positive(i)) p++;
      if (p === 0) fail(fn, `class ${c} does not occur in labels: one-vs-rest ROC AUC needs every class of scores [${n}, ${s.cols}]`);
      const roc = rocFrom(binaryCurve(score, positive, n));
      return trapezoid(roc.fpr, roc.tpr);
    });
  });
}

/**
 * sklearn.metrics.average_precision_score: Σ (R_n − R_{n−1}) · P_n over the precision–recall curve
 * (PR-AUC without interpolation). Binary: scores [N], labels 0 / 1 (no positive label gives 0, as sklearn).
 * Scores [N, C]: one-vs-rest, `average` 'macro' or 'weighted' (every class must occur in labels).
 */
export function averagePrecision(scores: ScoreInput, labels: LabelInput, options: CurveAverageOptions = {}): number | Promise<number> {
  const fn = 'averagePrecision';
  return withHost(fn, scores, labels, (s, y) => {
    if (s.cols === 0) {
      checkOptions(fn, options, CURVE_AVERAGE_KEYS);
      const { score, positive } = binaryOf(fn, s, y);
      return apFrom(prFrom(binaryCurve(score, positive, s.n)));
    }
    return oneVsRest(fn, s, y, options, (score, positive, n, c) => {
      if (!Array.from({ length: n }, (_, i) => i).some(positive)) fail(fn, `class ${c} does not occur in labels: one-vs-rest average precision needs every class of scores [${n}, ${s.cols}]`);
      return apFrom(prFrom(binaryCurve(score, positive, n)));
    });
  });
}
