// CPU references for batch normalisation, float64, plain loops from the maths.
// x is viewed as (N, C, L), L = product of the dimensions after C; channel c owns M = N·L values.
//   training: mean = (1/M) Σ x, var = (1/M) Σ (x − mean)² (biased), rstd = (var + eps)^(-1/2),
//             y = (x − mean) · rstd · w + b; running stats move by momentum towards mean and the
//             unbiased variance var · M/(M − 1).
//   eval:     y = (x − running_mean) · (running_var + eps)^(-1/2) · w + b.
// Absent weight / bias are passed as null (w = 1, b = 0).

import { type HostTensor, host } from './host.js';

/** [N, C, L] of a batch-norm input. */
export function bnView(shape: readonly number[]): [number, number, number] {
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

/** Flat index of (n, c, l). */
const at = (C: number, L: number, n: number, c: number, l: number) => (n * C + c) * L + l;

const wOf = (w: HostTensor | null, c: number) => (w ? w.data[c] : 1);
const bOf = (b: HostTensor | null, c: number) => (b ? b.data[c] : 0);

/** Training forward: [y, mean, rstd] and, with running statistics, [runningMean', runningVar']. */
export function batchNormTrainForward(
  x: HostTensor, w: HostTensor | null, b: HostTensor | null, runMean: HostTensor | null, runVar: HostTensor | null,
  eps: number, momentum: number,
): HostTensor[] {
  const [N, C, L] = bnView(x.shape);
  const M = N * L;
  const y = host(x.shape);
  const mean = host([C]);
  const rstd = host([C]);
  const newMean = host([C]);
  const newVar = host([C]);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) s += x.data[at(C, L, n, c, l)];
    const mu = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) q += (x.data[at(C, L, n, c, l)] - mu) ** 2;
    const v = q / M;
    const r = 1 / Math.sqrt(v + eps);
    mean.data[c] = mu;
    rstd.data[c] = r;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        y.data[i] = (x.data[i] - mu) * r * wOf(w, c) + bOf(b, c);
      }
    }
    if (runMean && runVar) {
      newMean.data[c] = (1 - momentum) * runMean.data[c] + momentum * mu;
      newVar.data[c] = (1 - momentum) * runVar.data[c] + momentum * v * M / (M - 1);
    }
  }
  return runMean && runVar ? [y, mean, rstd, newMean, newVar] : [y, mean, rstd];
}

/**
 * Training backward by the chain rule through the batch statistics. Incoming gradients: dy for y,
 * and (when the saved statistics themselves reach the loss) dmean, drstd. With x̂ = (x − μ)·r:
 *   dx̂ = dy · w
 *   dvar = Σ dx̂ · (x − μ) · (−½ r³) + drstd · (−½ r³)        (r = (var + eps)^(-1/2))
 *   dμ = −r Σ dx̂ + dmean − dvar · (2/M) Σ (x − μ)
 *   dx = dx̂ · r + dvar · 2(x − μ)/M + dμ / M
 *   dw = Σ dy · x̂,  db = Σ dy
 */
export function batchNormTrainBackward(
  x: HostTensor, w: HostTensor | null, mean: HostTensor, rstd: HostTensor,
  dy: HostTensor | null, dmean: HostTensor | null, drstd: HostTensor | null,
): { dx: HostTensor; dweight: HostTensor; dbias: HostTensor } {
  const [N, C, L] = bnView(x.shape);
  const M = N * L;
  const dx = host(x.shape);
  const dweight = host([C]);
  const dbias = host([C]);
  for (let c = 0; c < C; c++) {
    const mu = mean.data[c];
    const r = rstd.data[c];
    const g = (i: number) => (dy ? dy.data[i] : 0);
    let sumDxhatXc = 0;
    let sumDxhat = 0;
    let sumXc = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        const dxhat = g(i) * wOf(w, c);
        sumDxhatXc += dxhat * (x.data[i] - mu);
        sumDxhat += dxhat;
        sumXc += x.data[i] - mu;
        dweight.data[c] += g(i) * (x.data[i] - mu) * r;
        dbias.data[c] += g(i);
      }
    }
    const r3 = r * r * r;
    const dvar = -0.5 * r3 * (sumDxhatXc + (drstd ? drstd.data[c] : 0));
    const dmu = -r * sumDxhat + (dmean ? dmean.data[c] : 0) - dvar * (2 / M) * sumXc;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        dx.data[i] = g(i) * wOf(w, c) * r + dvar * 2 * (x.data[i] - mu) / M + dmu / M;
      }
    }
  }
  return { dx, dweight, dbias };
}

/** Eval forward: normalise with the running statistics. */
export function batchNormEvalForward(
  x: HostTensor, runMean: HostTensor, runVar: HostTensor, w: HostTensor | null, b: HostTensor | null, eps: number,
): HostTensor {
  const [N, C, L] = bnView(x.shape);
  const y = host(x.shape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const r = 1 / Math.sqrt(runVar.data[c] + eps);
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        y.data[i] = (x.data[i] - runMean.data[c]) * r * wOf(w, c) + bOf(b, c);
      }
    }
  }
  return y;
}

/** Eval backward: a per-channel affine map, dx = dy · w · r, dw = Σ dy · x̂, db = Σ dy. */
export function batchNormEvalBackward(
  x: HostTensor, runMean: HostTensor, runVar: HostTensor, w: HostTensor | null, dy: HostTensor, eps: number,
): { dx: HostTensor; dweight: HostTensor; dbias: HostTensor } {
  const [N, C, L] = bnView(x.shape);
  const dx = host(x.shape);
  const dweight = host([C]);
  const dbias = host([C]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const r = 1 / Math.sqrt(runVar.data[c] + eps);
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        dx.data[i] = dy.data[i] * wOf(w, c) * r;
        dweight.data[c] += dy.data[i] * (x.data[i] - runMean.data[c]) * r;
        dbias.data[c] += dy.data[i];
      }
    }
  }
  return { dx, dweight, dbias };
}

/**
 * The backward op as a function of its own inputs (g = dy, x, μ, r, w), treated as independent:
 *   db = Σ g,   dw = Σ g · x̂,   dx = w · r · (g − db/M − x̂ · dw/M),   x̂ = (x − μ) · r.
 * Returns [dx, dw, db] (dw and db always, as the sums the formula needs).
 */
export function batchNormBackwardForward(
  g: HostTensor, x: HostTensor, mean: HostTensor, rstd: HostTensor, w: HostTensor | null,
): HostTensor[] {
  const [N, C, L] = bnView(x.shape);
  const M = N * L;
  const dx = host(x.shape);
  const dw = host([C]);
  const db = host([C]);
  for (let c = 0; c < C; c++) {
    const xh = (i: number) => (x.data[i] - mean.data[c]) * rstd.data[c];
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        db.data[c] += g.data[i];
        dw.data[c] += g.data[i] * xh(i);
      }
    }
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        dx.data[i] = wOf(w, c) * rstd.data[c] * (g.data[i] - db.data[c] / M - xh(i) * dw.data[c] / M);
      }
    }
  }
  return [dx, dw, db];
}

/**
 * Gradient of the backward op (for gradients of gradients). With cotangents A (for dx), B (for dw),
 * D (for db), L = Σ A·dx + Σ B·dw + Σ D·db, per channel (sums over the channel's M values):
 *   SA = Σ A,  SAx̂ = Σ A·x̂,  SAg = Σ A·g,  K = SAg − db·SA/M − dw·SAx̂/M
 *   ∂L/∂g  = w·r·(A − SA/M − x̂·SAx̂/M) + B·x̂ + D
 *   ∂L/∂x̂  = B·g − (w·r/M)·(A·dw + SAx̂·g)            (x̂ enters through dx and dw)
 *   ∂L/∂x  = r · ∂L/∂x̂
 *   ∂L/∂μ  = −r · Σ ∂L/∂x̂
 *   ∂L/∂r  = w·K + Σ ∂L/∂x̂ · (x − μ)                  (r enters through the factor w·r and x̂)
 *   ∂L/∂w  = r·K
 * Returns [dg, dx, dμ, dr, dw (or nothing without weight)].
 */
export function batchNormBackwardBackward(
  g: HostTensor, x: HostTensor, mean: HostTensor, rstd: HostTensor, w: HostTensor | null,
  A: HostTensor | null, B: HostTensor | null, D: HostTensor | null,
): HostTensor[] {
  const [N, C, L] = bnView(x.shape);
  const M = N * L;
  const [, dwOut, dbOut] = batchNormBackwardForward(g, x, mean, rstd, w);
  const dg = host(x.shape);
  const dxIn = host(x.shape);
  const dmu = host([C]);
  const dr = host([C]);
  const dwIn = host([C]);
  const a = (i: number) => (A ? A.data[i] : 0);
  for (let c = 0; c < C; c++) {
    const mu = mean.data[c];
    const r = rstd.data[c];
    const wc = wOf(w, c);
    const xh = (i: number) => (x.data[i] - mu) * r;
    let SA = 0;
    let SAx = 0;
    let SAg = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        SA += a(i);
        SAx += a(i) * xh(i);
        SAg += a(i) * g.data[i];
      }
    }
    const db = dbOut.data[c];
    const dw = dwOut.data[c];
    const K = SAg - db * SA / M - dw * SAx / M;
    const Bc = B ? B.data[c] : 0;
    const Dc = D ? D.data[c] : 0;
    let sumDxh = 0;
    let sumDxhXc = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const i = at(C, L, n, c, l);
        dg.data[i] = wc * r * (a(i) - SA / M - xh(i) * SAx / M) + Bc * xh(i) + Dc;
        const dxh = Bc * g.data[i] - (wc * r / M) * (a(i) * dw + SAx * g.data[i]);
        dxIn.data[i] = r * dxh;
        sumDxh += dxh;
        sumDxhXc += dxh * (x.data[i] - mu);
      }
    }
    dmu.data[c] = -r * sumDxh;
    dr.data[c] = wc * K + sumDxhXc;
    dwIn.data[c] = r * K;
  }
  return w ? [dg, dxIn, dmu, dr, dwIn] : [dg, dxIn, dmu, dr];
}
