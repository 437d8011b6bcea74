// CPU references for the metrics and the row normalisation behind cosine similarity, float64,
// written from the definitions, never from the WGSL.

import { type HostTensor, host } from './host.js';

/** Index of the largest value of row r of (N, C); ties go to the lowest index (torch.argmax). */
function argmaxRow(x: HostTensor, r: number): number {
  const C = x.shape[1];
  let best = 0;
  for (let c = 1; c < C; c++) if (x.data[r * C + c] > x.data[r * C + best]) best = c;
  return best;
}

/** Predicted classes: the argmax of each row of scores (N, C), or the given indices (N). */
function predictions(pred: HostTensor): number[] {
  const N = pred.shape[0];
  return Array.from({ length: N }, (_, r) => (pred.shape.length === 2 ? argmaxRow(pred, r) : pred.data[r]));
}

/** Fraction of rows whose predicted class equals the target. */
export function accuracyForward(pred: HostTensor, target: HostTensor): HostTensor {
  const p = predictions(pred);
  let hits = 0;
  p.forEach((c, r) => {
    if (c === target.data[r]) hits++;
  });
  return host([], [hits / p.length]);
}

/** counts[t][p]: rows with true class t predicted as p; pairs outside [0, K) are not counted. */
export function confusionMatrixForward(pred: HostTensor, target: HostTensor, K: number): HostTensor {
  const out = host([K, K]);
  predictions(pred).forEach((p, r) => {
    const t = target.data[r];
    if (t >= 0 && t < K && p >= 0 && p < K) out.data[t * K + p] += 1;
  });
  return out;
}

/** y = x / max(‖x‖, eps) per row of x (N, D); also returns the row norms ‖x‖ (N). */
export function rowNormalizeForward(x: HostTensor, eps: number): HostTensor[] {
  const [N, D] = x.shape;
  const y = host([N, D]);
  const norm = host([N]);
  for (let i = 0; i < N; i++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x.data[i * D + j] ** 2;
    norm.data[i] = Math.sqrt(ss);
    const d = Math.max(norm.data[i], eps);
    for (let j = 0; j < D; j++) y.data[i * D + j] = x.data[i * D + j] / d;
  }
  return [y, norm];
}

/**
 * Gradient of Σ dy·y + Σ dnorm·‖x‖: with n = ‖x‖ > eps, dy/n - x·(x·dy)/n³ (the projection of dy
 * orthogonal to x, over n); where n <= eps the divisor is the constant eps, giving dy/eps. The norm
 * adds dnorm·x/n.
 */
export function rowNormalizeBackward(x: HostTensor, dy: HostTensor | null, dnorm: HostTensor | null, eps: number): HostTensor {
  const [N, D] = x.shape;
  const dx = host([N, D]);
  for (let i = 0; i < N; i++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x.data[i * D + j] ** 2;
    const n = Math.sqrt(ss);
    let dot = 0;
    if (dy) for (let j = 0; j < D; j++) dot += x.data[i * D + j] * dy.data[i * D + j];
    for (let j = 0; j < D; j++) {
      const k = i * D + j;
      let g = 0;
      if (dy) g += n > eps ? (dy.data[k] - (x.data[k] * dot) / (n * n)) / n : dy.data[k] / eps;
      if (dnorm && n > 0) g += (dnorm.data[i] * x.data[k]) / n;
      dx.data[k] = g;
    }
  }
  return dx;
}

/**
 * Second derivatives of the row normalisation: the gradient of Σ v·f, f = rowNormalizeBackward(x,
 * dy) = dy/n − x·S/n³ (S = x·dy, n = ‖x‖ > eps), for x (at fixed n), for n (the saved norm) and for dy:
 *   d/dx = −(v·S + dy·(x·v))/n³,  d/dn = −(v·dy)/n² + 3·(x·v)·S/n⁴,  d/ddy = rowNormalizeBackward(x, v).
 * Where n <= eps (f = dy/eps) only d/ddy = v/eps is non-zero.
 */
export function rowNormalizeBackwardBackward(x: HostTensor, dy: HostTensor, v: HostTensor, eps: number): HostTensor[] {
  const [N, D] = x.shape;
  const gx = host([N, D]);
  const gn = host([N]);
  for (let i = 0; i < N; i++) {
    let ss = 0;
    let S = 0;
    let XV = 0;
    let VD = 0;
    for (let j = 0; j < D; j++) {
      const k = i * D + j;
      ss += x.data[k] ** 2;
      S += x.data[k] * dy.data[k];
      XV += x.data[k] * v.data[k];
      VD += v.data[k] * dy.data[k];
    }
    const n = Math.sqrt(ss);
    if (!(n > eps)) continue;
    for (let j = 0; j < D; j++) {
      const k = i * D + j;
      gx.data[k] = -(v.data[k] * S + dy.data[k] * XV) / n ** 3;
    }
    gn.data[i] = -VD / n ** 2 + (3 * XV * S) / n ** 4;
  }
  return [gx, gn, rowNormalizeBackward(x, v, null, eps)];
}
