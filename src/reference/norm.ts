// CPU references for group, instance and RMS normalisation, float64, written from the maths (torch
// semantics: biased variance in the normalisation, unbiased in instance norm's running variance).
// Named like llm.c's layernorm_forward / layernorm_backward, as src/reference/layernorm.ts.
//
// The layout: x is (N, C, L) — N samples, C channels, L positions — and each sample's channels form G
// groups of Cg = C / G. A row is one (sample, group): Cg·L contiguous values; row r = n·G + g has
// mean[r] and rstd[r]; value j of the row belongs to channel g·Cg + ⌊j / L⌋, whose weight and bias
// scale and shift it.
//   group norm     (N, C, L, G = numGroups), centred
//   instance norm  (N, C, L, G = C), centred
//   RMS norm       (N = rows, C = the normalised size, L = 1, G = 1), not centred: mean is 0 and
//                  rstd = 1/√(mean(x²) + eps). `mean` is null throughout.

import { type HostTensor, host } from './host.js';

export interface NormView {
  N: number;
  C: number;
  L: number;
  G: number;
}

/** Call fn(i, c) for every value of row r: i its flat index, c its channel. */
function eachInRow(v: NormView, r: number, fn: (i: number, c: number) => void): void {
  const Cg = v.C / v.G;
  const n = Cg * v.L;
  const g = r % v.G;
  for (let j = 0; j < n; j++) fn(r * n + j, g * Cg + Math.floor(j / v.L));
}

const rowCount = (v: NormView) => v.N * v.G;
const rowLength = (v: NormView) => (v.C / v.G) * v.L;
const wOf = (w: HostTensor | null, c: number) => (w ? w.data[c] : 1);

/**
 * out = (x − mean)·rstd·weight[c] + bias[c], with per row mean = Σx/n (0 when not `center`) and
 * rstd = 1/√(Σ(x − mean)²/n + eps). Returns out and the statistics (shaped `statShape`); mean is null
 * when not centred.
 */
export function normForward(
  inp: HostTensor, v: NormView, center: boolean, weight: HostTensor | null, bias: HostTensor | null, eps: number,
  statShape: number[],
): { out: HostTensor; mean: HostTensor | null; rstd: HostTensor } {
  const out = host(inp.shape);
  const mean = center ? host(statShape) : null;
  const rstd = host(statShape);
  const n = rowLength(v);
  for (let r = 0; r < rowCount(v); r++) {
    let m = 0;
    if (center) {
      eachInRow(v, r, (i) => (m += inp.data[i]));
      m /= n;
    }
    let q = 0;
    eachInRow(v, r, (i) => (q += (inp.data[i] - m) ** 2));
    const s = 1 / Math.sqrt(q / n + eps);
    eachInRow(v, r, (i, c) => (out.data[i] = (inp.data[i] - m) * s * wOf(weight, c) + (bias ? bias.data[c] : 0)));
    if (mean) mean.data[r] = m;
    rstd.data[r] = s;
  }
  return { out, mean, rstd };
}

/**
 * The backward op as a function of independent inputs (x, mean, rstd, dy, weight): per row, with
 * xhat = (x − mean)·rstd and g = dy·weight[c],
 *   dx = rstd·(g − mean(g) − xhat·mean(g·xhat))     (no mean(g) term when not centred)
 * and per channel dweight = Σ dy·xhat, dbias = Σ dy over its N·L values. When mean and rstd are the
 * forward's statistics this is the gradient of the forward for dy.
 */
export function normBackward(
  inp: HostTensor, mean: HostTensor | null, rstd: HostTensor, dy: HostTensor, weight: HostTensor | null, v: NormView,
): { dx: HostTensor; dweight: HostTensor; dbias: HostTensor } {
  const dx = host(inp.shape);
  const dweight = host([v.C]);
  const dbias = host([v.C]);
  const n = rowLength(v);
  for (let r = 0; r < rowCount(v); r++) {
    const m = mean ? mean.data[r] : 0;
    const s = rstd.data[r];
    const xhat = (i: number) => (inp.data[i] - m) * s;
    let a = 0;
    let b = 0;
    eachInRow(v, r, (i, c) => {
      const g = dy.data[i] * wOf(weight, c);
      a += g;
      b += g * xhat(i);
    });
    a = mean ? a / n : 0;
    b /= n;
    eachInRow(v, r, (i, c) => {
      dx.data[i] = s * (dy.data[i] * wOf(weight, c) - a - xhat(i) * b);
      dweight.data[c] += dy.data[i] * xhat(i);
      dbias.data[c] += dy.data[i];
    });
  }
  return { dx, dweight, dbias };
}

/**
 * Gradient of the forward's statistics outputs, added into `dx`: mean = Σx/n gives ∂mean/∂x_j = 1/n,
 * and rstd = (Σ(x − mean)²/n + eps)^(−½) gives ∂rstd/∂x_j = −rstd³·(x_j − mean)/n (the mean's own
 * dependence on x drops out because Σ(x − mean) = 0; with mean = 0 it is −rstd³·x_j/n).
 */
export function normStatsBackward(
  inp: HostTensor, mean: HostTensor | null, rstd: HostTensor, dmean: HostTensor | null, drstd: HostTensor | null,
  v: NormView, dx: HostTensor,
): void {
  const n = rowLength(v);
  for (let r = 0; r < rowCount(v); r++) {
    const m = mean ? mean.data[r] : 0;
    eachInRow(v, r, (i) => {
      if (dmean) dx.data[i] += dmean.data[r] / n;
      if (drstd) dx.data[i] -= (drstd.data[r] * rstd.data[r] ** 3 * (inp.data[i] - m)) / n;
    });
  }
}

/**
 * Gradient of the backward op (inputs x, mean, rstd, dy, weight treated as independent) for incoming
 * ddx, ddweight, ddbias (any may be null). Per row, with q = ddx·rstd, Q = Σq, P = Σq·xhat,
 * a = mean(g) (0 when not centred), b = mean(g·xhat):
 *   G = ∂L/∂g    = q − Q/n − xhat·P/n          (no Q/n term when not centred)
 *   H = ∂L/∂xhat = −b·q − g·P/n + ddweight[c]·dy
 *   E = ∂L/∂rstd through the prefactor = Σ ddx·(g − a − xhat·b)
 * then ∂L/∂dy = G·weight[c] + ddweight[c]·xhat + ddbias[c], ∂L/∂weight[c] = Σ G·dy over the channel,
 * ∂L/∂x = H·rstd, ∂L/∂mean = −rstd·ΣH, ∂L/∂rstd = E + ΣH·(x − mean).
 */
export function normBackwardBackward(
  inp: HostTensor, mean: HostTensor | null, rstd: HostTensor, dy: HostTensor, weight: HostTensor | null, v: NormView,
  ddx: HostTensor | null, ddweight: HostTensor | null, ddbias: HostTensor | null,
): { dx: HostTensor; dmean: HostTensor | null; drstd: HostTensor; ddy: HostTensor; dweight: HostTensor } {
  const dx = host(inp.shape);
  const dmean = mean ? host(mean.shape) : null;
  const drstd = host(rstd.shape);
  const ddy = host(dy.shape);
  const dweight = host([v.C]);
  const n = rowLength(v);
  for (let r = 0; r < rowCount(v); r++) {
    const m = mean ? mean.data[r] : 0;
    const s = rstd.data[r];
    const xhat = (i: number) => (inp.data[i] - m) * s;
    const g = (i: number, c: number) => dy.data[i] * wOf(weight, c);
    const q = (i: number) => (ddx ? ddx.data[i] * s : 0);
    let a = 0;
    let b = 0;
    let Q = 0;
    let P = 0;
    eachInRow(v, r, (i, c) => {
      a += g(i, c);
      b += g(i, c) * xhat(i);
      Q += q(i);
      P += q(i) * xhat(i);
    });
    a = mean ? a / n : 0;
    b /= n;
    if (!mean) Q = 0;
    let E = 0;
    let sumH = 0;
    let sumHx = 0;
    eachInRow(v, r, (i, c) => {
      const G = q(i) - Q / n - (xhat(i) * P) / n;
      const H = -b * q(i) - (g(i, c) * P) / n + (ddweight ? ddweight.data[c] * dy.data[i] : 0);
      if (ddx) E += ddx.data[i] * (g(i, c) - a - xhat(i) * b);
      sumH += H;
      sumHx += H * (inp.data[i] - m);
      ddy.data[i] = G * wOf(weight, c) + (ddweight ? ddweight.data[c] * xhat(i) : 0) + (ddbias ? ddbias.data[c] : 0);
      dweight.data[c] += G * dy.data[i];
      dx.data[i] = H * s;
    });
    if (dmean) dmean.data[r] = -s * sumH;
    drstd.data[r] = E + sumHx;
  }
  return { dx, dmean, drstd, ddy, dweight };
}

/**
 * Instance norm's running statistics (torch: each of the N instances updates its own copy, and the
 * copies are averaged): running' = (1 − momentum)·running + momentum·mean_n(statistic), with the
 * unbiased variance var·L/(L − 1), var = 1/rstd² − eps. mean and rstd are (N, C).
 */
export function instanceNormRunning(
  mean: HostTensor, rstd: HostTensor, runMean: HostTensor, runVar: HostTensor, N: number, C: number, L: number,
  eps: number, momentum: number,
): [HostTensor, HostTensor] {
  const newMean = host([C]);
  const newVar = host([C]);
  for (let c = 0; c < C; c++) {
    let sm = 0;
    let sv = 0;
    for (let n = 0; n < N; n++) {
      sm += mean.data[n * C + c];
      sv += 1 / rstd.data[n * C + c] ** 2 - eps;
    }
    newMean.data[c] = (1 - momentum) * runMean.data[c] + (momentum * sm) / N;
    newVar.data[c] = (1 - momentum) * runVar.data[c] + ((momentum * sv) / N) * (L / (L - 1));
  }
  return [newMean, newVar];
}
