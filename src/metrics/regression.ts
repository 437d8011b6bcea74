// Regression metrics on the CPU (sklearn.metrics semantics), accumulated in float64.
// Arguments are (pred, target), as in the classification metrics; both are flat arrays of equal length.
// For several outputs per sample, lay them out sample-major ([N, outputs]) and pass { outputs }: each
// metric is computed per output and averaged uniformly (sklearn multioutput='uniform_average'), so
// rmse is the mean of the per-output RMSEs, as sklearn's root_mean_squared_error.

import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const REGRESSION_METRIC_KEYS = keysOf<Opts<typeof mse, 2>>({ outputs: 1 });

const fail: Fail = failIn('metrics');

export interface RegressionOptions {
  /** Targets per sample (default 1). */
  outputs?: number;
}

function check(fn: string, pred: ArrayLike<number>, target: ArrayLike<number>, opts: RegressionOptions): { n: number; m: number } {
  const m = opts.outputs ?? 1;
  if (!Number.isInteger(m) || m < 1) fail(fn, `outputs must be a positive integer, got ${m}`);
  if (pred.length !== target.length) fail(fn, `pred has ${pred.length} values but target has ${target.length}`);
  if (pred.length === 0) fail(fn, 'no samples');
  if (pred.length % m !== 0) fail(fn, `${pred.length} values do not divide into samples of ${m} outputs`);
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isFinite(pred[i])) fail(fn, `pred[${i}] = ${pred[i]} is not finite`);
    if (!Number.isFinite(target[i])) fail(fn, `target[${i}] = ${target[i]} is not finite`);
  }
  return { n: pred.length / m, m };
}

/** Per-output mean of f(pred − target), then the mean over outputs. */
function perOutput(pred: ArrayLike<number>, target: ArrayLike<number>, n: number, m: number, f: (e: number) => number, post: (v: number) => number): number {
  let total = 0;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += f(pred[i * m + j] - target[i * m + j]);
    total += post(s / n);
  }
  return total / m;
}

/** Mean squared error. */
export function mse(pred: ArrayLike<number>, target: ArrayLike<number>, opts: RegressionOptions = {}): number {
  checkOptions('metrics.mse', opts, REGRESSION_METRIC_KEYS);
  const { n, m } = check('mse', pred, target, opts);
  return perOutput(pred, target, n, m, (e) => e * e, (v) => v);
}

/** Mean absolute error. */
export function mae(pred: ArrayLike<number>, target: ArrayLike<number>, opts: RegressionOptions = {}): number {
  checkOptions('metrics.mae', opts, REGRESSION_METRIC_KEYS);
  const { n, m } = check('mae', pred, target, opts);
  return perOutput(pred, target, n, m, Math.abs, (v) => v);
}

/** Root mean squared error (per output, then averaged). */
export function rmse(pred: ArrayLike<number>, target: ArrayLike<number>, opts: RegressionOptions = {}): number {
  checkOptions('metrics.rmse', opts, REGRESSION_METRIC_KEYS);
  const { n, m } = check('rmse', pred, target, opts);
  return perOutput(pred, target, n, m, (e) => e * e, Math.sqrt);
}

/**
 * Coefficient of determination R² = 1 − Σ(target − pred)² / Σ(target − mean(target))². For a constant
 * target (zero denominator) sklearn's convention: 1 if the predictions are exact, else 0.
 */
export function r2(pred: ArrayLike<number>, target: ArrayLike<number>, opts: RegressionOptions = {}): number {
  checkOptions('metrics.r2', opts, REGRESSION_METRIC_KEYS);
  const { n, m } = check('r2', pred, target, opts);
  let total = 0;
  for (let j = 0; j < m; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += target[i * m + j];
    mean /= n;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < n; i++) {
      const t = target[i * m + j];
      ssRes += (t - pred[i * m + j]) ** 2;
      ssTot += (t - mean) ** 2;
    }
    total += ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }
  return total / m;
}
