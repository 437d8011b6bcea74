// Out-of-distribution detection from a classifier's logits: a score per sample, HIGHER = more
// in-distribution, and the AUROC that separates in-distribution from out-of-distribution samples.
//
//   oodScores(model, data, { method, temperature = 1, batchSize = 256 })
//     'maxSoftmax'  max_c softmax(z / T)_c: the maximum softmax probability baseline (Hendrycks & Gimpel
//                   2017, "A Baseline for Detecting Misclassified and Out-of-Distribution Examples";
//                   T = 1 there, T > 1 is ODIN's temperature scaling without its input perturbation)
//     'energy'      T · logsumexp(z / T): the negative free energy −E(x; f) of Liu et al. 2020,
//                   "Energy-based Out-of-distribution Detection" (T = 1 in their experiments)
//   oodAuroc(inScores, outScores)
//     ROC AUC of in-distribution (positive, label 1) against out-of-distribution samples (label 0):
//     metrics.rocAuc with scikit-learn's semantics; 1 = every in-distribution sample scores above every
//     OOD one, 0.5 = no better than chance.
//
// The model runs in evaluation mode (dropout off, batch norm on its running statistics; its mode is
// restored afterwards) on batches of data.x; its output must be logits [N, C]. The scores are computed
// on the CPU in float64 from the logits read back (a max-shifted, numerically stable logsumexp).
// sg.data.oodSet builds out-of-distribution image sets (noise, inverted digits, rendered spirals).

import type { Module } from '../nn/module.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import type { AnyDataset } from '../data/datasets.js';
import { checkOptions, keysOf } from '../util/options.js';
import { failIn, OptionError, ShapeError, type Fail } from '../util/errors.js';
import { rocAuc } from './curves.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const OOD_SCORES_KEYS = keysOf<OodScoresOptions>({ method: 1, temperature: 1, batchSize: 1 });

const fail: Fail = failIn('metrics');

export type OodMethod = 'maxSoftmax' | 'energy';

export interface OodScoresOptions {
  /** 'maxSoftmax' (default): the largest softmax probability; 'energy': T · logsumexp(logits / T). */
  method?: OodMethod;
  /** T > 0 (default 1): logits are divided by it before the softmax / logsumexp. */
  temperature?: number;
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

/** One sample's score from its logits z[at … at + C) (float64, max-shifted). */
function scoreOf(z: ArrayLike<number>, at: number, c: number, method: OodMethod, t: number): number {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, z[at + j] / t);
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(z[at + j] / t - m);
  // max softmax = exp(m − m) / Σ exp(z/T − m);  energy = T · (m + log Σ exp(z/T − m)).
  return method === 'maxSoftmax' ? 1 / s : t * (m + Math.log(s));
}

/**
 * OOD scores of every sample of `data` under `model` (logits [N, C]): a Float64Array [N], higher = more
 * in-distribution. See the file header for the methods.
 *
 *   const inScores = await sg.metrics.oodScores(model, testSet, { method: 'energy' });
 *   const outScores = await sg.metrics.oodScores(model, await sg.data.oodSet('spiral', { count: 500 }), { method: 'energy' });
 *   sg.metrics.oodAuroc(inScores, outScores);   // 1: every test sample scores above every spiral
 */
export async function oodScores(model: Module, data: AnyDataset, options: OodScoresOptions = {}): Promise<Float64Array> {
  const fn = 'oodScores';
  checkOptions(`metrics.${fn}`, options, OOD_SCORES_KEYS);
  const { method = 'maxSoftmax', temperature = 1, batchSize = 256 } = options;
  if (method !== 'maxSoftmax' && method !== 'energy') fail(fn, `method must be 'maxSoftmax' or 'energy', got ${JSON.stringify(method)}`, OptionError);
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) fail(fn, `temperature must be a finite number > 0, got ${String(temperature)}`, OptionError);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(fn, `batchSize must be a positive integer, got ${String(batchSize)}`, OptionError);
  if (!model || typeof (model as Module).forward !== 'function' || typeof (model as Module).train !== 'function') fail(fn, 'model must be an sg.nn module');
  if (!data || !(data.x instanceof Float32Array || data.x instanceof Int32Array) || !Array.isArray(data.xShape) || !Number.isInteger(data.length)) {
    fail(fn, 'data must be a dataset { x, y, xShape, yShape, length } (see sg.data.fromArrays)');
  }
  const d = data.xShape.reduce((a, b) => a * b, 1);
  if (data.x.length !== data.length * d) fail(fn, `data.x has ${data.x.length} values but length ${data.length} × xShape [${data.xShape.join(', ')}] needs ${data.length * d}`, ShapeError);
  if (data.length === 0) fail(fn, 'data has no samples');
  const scores = new Float64Array(data.length);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < data.length; start += batchSize) {
      const b = Math.min(batchSize, data.length - start);
      const x = tensor(data.x.subarray(start * d, (start + b) * d), [b, ...data.xShape], { dtype: data.x instanceof Int32Array ? 'i32' : 'f32' });
      let out: Tensor | undefined;
      try {
        out = tidy(() => model.forward(x)); // the activations go at once, the logits after their read
        if (out.rank !== 2 || out.dtype !== 'f32' || out.shape[0] !== b) {
          fail(fn, `the model's output for a batch of ${b} samples is ${out.describe()}; expected f32 logits [${b}, C]`, ShapeError);
        }
        const c = out.shape[1];
        const z = await out.data();
        for (let i = 0; i < b; i++) scores[start + i] = scoreOf(z, i * c, c, method, temperature);
      } finally {
        x.dispose();
        out?.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return scores;
}

/**
 * AUROC of in-distribution scores (positives) against out-of-distribution scores (negatives):
 * metrics.rocAuc of their concatenation with labels 1 then 0. Higher scores must mean more
 * in-distribution, as oodScores returns them.
 */
export function oodAuroc(inScores: ArrayLike<number>, outScores: ArrayLike<number>): number {
  const fn = 'oodAuroc';
  for (const [name, s] of [['inScores', inScores], ['outScores', outScores]] as const) {
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number') fail(fn, `${name} must be an array of scores [N], got ${String(s)}`);
    if (s.length === 0) fail(fn, `${name} is empty: AUROC needs at least one in-distribution and one out-of-distribution score`, ShapeError);
  }
  const scores = new Float64Array(inScores.length + outScores.length);
  const labels = new Int32Array(scores.length);
  for (let i = 0; i < inScores.length; i++) {
    scores[i] = inScores[i];
    labels[i] = 1;
  }
  for (let i = 0; i < outScores.length; i++) scores[inScores.length + i] = outScores[i];
  return rocAuc(scores, labels) as number;
}
