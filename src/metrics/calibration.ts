// Calibration of a classifier's probabilities on the CPU, accumulated in float64.
//
//   expectedCalibrationError(probs, labels, { bins = 15 })
//
// ECE (Naeini et al. 2015; Guo et al. 2017, "On Calibration of Modern Neural Networks"): each sample's
// confidence is its largest probability, its prediction that class (argmax, the lowest index on a tie);
// the samples are grouped into `bins` equal-width confidence bins, bin b (1 … bins) holding the
// confidences in ((b−1)/bins, b/bins] (bin 1 also takes a confidence of exactly 0), and
//
//   ECE = Σ_b |B_b| / N · |acc(B_b) − conf(B_b)|
//
// with acc the fraction of the bin's samples predicted correctly and conf their mean confidence. Empty
// bins add nothing. 0 is perfectly calibrated; an over-confident model has conf > acc in its bins.
//
// Inputs: probs [N, C] as rows number[][], flat { values, shape: [N, C] }, or an f32 Tensor [N, C] (then
// the result is a Promise: the values are read back). Each row must be probabilities (values in [0, 1]
// summing to 1): apply softmax to logits first — sg.nn.ensemble's 'meanProb' output already is. labels:
// class indices in [0, C) as an array or a Tensor [N].

import { Tensor } from '../tensor/tensor.js';
import { failIn, ShapeError, OptionError, type Fail } from '../util/errors.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { hostLabels, type LabelInput } from './curves.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const CALIBRATION_KEYS = keysOf<Opts<typeof expectedCalibrationError, 2>>({ bins: 1 });

const fail: Fail = failIn('metrics');

/** Class probabilities [N, C]: rows, flat values with their shape, or a Tensor. */
export type ProbabilityInput = ArrayLike<ArrayLike<number>> | { values: ArrayLike<number>; shape: readonly [number, number] } | Tensor;

interface Probs {
  values: ArrayLike<number>;
  n: number;
  c: number;
}

function hostProbs(fn: string, p: Exclude<ProbabilityInput, Tensor>): Probs {
  const forms = 'rows [N][C], { values, shape: [N, C] } or a Tensor [N, C]';
  if (p === null || typeof p !== 'object') fail(fn, `probs must be ${forms}, got ${String(p)}`);
  if ('shape' in p && 'values' in p && !ArrayBuffer.isView(p)) {
    const { values, shape } = p as { values: ArrayLike<number>; shape: readonly number[] };
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(fn, `probs.shape must be [N, C] (two integers ≥ 0), got ${JSON.stringify(shape)}`, ShapeError);
    }
    if (values.length !== shape[0] * shape[1]) fail(fn, `probs.values has ${values.length} values but shape [${shape.join(', ')}] needs ${shape[0] * shape[1]}`, ShapeError);
    return { values, n: shape[0], c: shape[1] };
  }
  const rows = p as ArrayLike<ArrayLike<number>>;
  if (typeof rows.length !== 'number') fail(fn, `probs must be ${forms}`);
  if (rows.length > 0 && (typeof rows[0] !== 'object' || rows[0] === null)) {
    fail(fn, `probs must be [N, C] (one row of class probabilities per sample), got a flat array of ${rows.length} numbers; give rows or { values, shape: [N, C] }`, ShapeError);
  }
  const c = rows.length ? rows[0].length : 0;
  const values = new Float64Array(rows.length * c);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r || typeof r !== 'object' || r.length !== c) fail(fn, `probs[${i}] has ${r && typeof r === 'object' ? r.length : 'no'} values but probs[0] has ${c}: rows must all have the same length`, ShapeError);
    for (let j = 0; j < c; j++) values[i * c + j] = r[j];
  }
  return { values, n: rows.length, c };
}

function ece(fn: string, p: Probs, labels: ArrayLike<number>, bins: number): number {
  const { values, n, c } = p;
  if (n === 0) fail(fn, 'probs has no samples (shape [0, C])', ShapeError);
  if (c === 0) fail(fn, `probs [${n}, 0] has no classes`, ShapeError);
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') fail(fn, `labels must be an array of class indices or a Tensor [N], got ${String(labels)}`);
  if (labels.length !== n) fail(fn, `labels has ${labels.length} values but probs [${n}, ${c}] has ${n} samples`, ShapeError);
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= c) fail(fn, `labels[${i}] is ${y}; expected a class index in [0, ${c}) for probs [${n}, ${c}]`);
    let best = 0;
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const v = values[i * c + j];
      if (!(v >= 0 && v <= 1)) fail(fn, `probs[${i}][${j}] = ${v} is not a probability in [0, 1] (probs [${n}, ${c}]; apply softmax to logits first)`);
      sum += v;
      if (v > values[i * c + best]) best = j;
    }
    if (Math.abs(sum - 1) > 1e-5 * Math.max(1, c)) {
      fail(fn, `probs [${n}, ${c}] must hold probabilities (rows summing to 1); row ${i} sums to ${sum} — apply softmax to logits first`);
    }
    const conf = values[i * c + best];
    // Bin b (0-based) holds (b/bins, (b+1)/bins]; the edges are k/bins exactly, so fix rounding of conf·bins.
    let b = Math.max(0, Math.ceil(conf * bins) - 1);
    while (b > 0 && conf <= b / bins) b--;
    while (b < bins - 1 && conf > (b + 1) / bins) b++;
    count[b]++;
    confSum[b] += conf;
    if (best === y) correct[b]++;
  }
  let total = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0) total += (count[b] / n) * Math.abs(correct[b] / count[b] - confSum[b] / count[b]);
  }
  return total;
}

/**
 * Expected calibration error of class probabilities [N, C] against labels [N], with `bins` (default 15)
 * equal-width confidence bins: Σ_b |B_b|/N · |acc(B_b) − conf(B_b)| (see the file header). A Promise when
 * probs or labels is a Tensor.
 */
export function expectedCalibrationError(probs: ProbabilityInput, labels: LabelInput, options: { bins?: number } = {}): number | Promise<number> {
  const fn = 'expectedCalibrationError';
  checkOptions(`metrics.${fn}`, options, CALIBRATION_KEYS);
  const { bins = 15 } = options;
  if (!Number.isInteger(bins) || bins < 1) fail(fn, `bins must be an integer ≥ 1, got ${bins}`, OptionError);
  if (probs instanceof Tensor || labels instanceof Tensor) {
    return (async () => {
      let p: Probs;
      if (probs instanceof Tensor) {
        if (probs.rank !== 2 || probs.dtype !== 'f32') fail(fn, `probs must be an f32 Tensor [N, C], got ${probs.describe()}`, ShapeError);
        p = { values: await probs.data(), n: probs.shape[0], c: probs.shape[1] };
      } else {
        p = hostProbs(fn, probs);
      }
      return ece(fn, p, await hostLabels(fn, labels), bins);
    })();
  }
  return ece(fn, hostProbs(fn, probs), labels, bins);
}
