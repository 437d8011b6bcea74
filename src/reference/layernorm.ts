// CPU references for layer normalisation, float64, written from the maths (torch semantics: biased
// variance). Named after llm.c's layernorm_forward / layernorm_backward. Every tensor is viewed as
// (rows, C) with C the product of normalized_shape; mean and rstd are (rows); weight, bias (C).

import { type HostTensor, host } from './host.js';

/** out = (x − mean)·rstd·weight + bias; returns [out, mean, rstd] with mean, rstd shaped `statShape`. */
export function layerNormForward(
  inp: HostTensor, C: number, weight: HostTensor | null, bias: HostTensor | null, eps: number, statShape: number[],
): [HostTensor, HostTensor, HostTensor] {
  const rows = C === 0 ? 0 : inp.data.length / C;
  const out = host(inp.shape);
  const mean = host(statShape);
  const rstd = host(statShape);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += inp.data[r * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (inp.data[r * C + c] - m) ** 2;
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) {
      const xhat = (inp.data[r * C + c] - m) * s;
      out.data[r * C + c] = xhat * (weight ? weight.data[c] : 1) + (bias ? bias.data[c] : 0);
    }
    mean.data[r] = m;
    rstd.data[r] = s;
  }
  return [out, mean, rstd];
}

/**
 * The backward op as a function of independent inputs (x, mean, rstd, dy, weight):
 * xhat = (x − mean)·rstd, g = dy·weight,
 * dx = rstd·(g − mean_c(g) − xhat·mean_c(g·xhat)), dweight = Σ_rows dy·xhat, dbias = Σ_rows dy.
 * When mean and rstd are the forward's statistics this is the gradient of the forward for dy.
 */
export function layerNormBackward(
  inp: HostTensor, mean: HostTensor, rstd: HostTensor, dy: HostTensor, weight: HostTensor | null, C: number,
): { dx: HostTensor; dweight: HostTensor; dbias: HostTensor } {
  const rows = C === 0 ? 0 : inp.data.length / C;
  const dx = host(inp.shape);
  const dweight = host([C]);
  const dbias = host([C]);
  for (let r = 0; r < rows; r++) {
    const m = mean.data[r];
    const s = rstd.data[r];
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const g = dy.data[i] * (weight ? weight.data[c] : 1);
      a += g;
      b += g * (inp.data[i] - m) * s;
    }
    a /= C;
    b /= C;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xhat = (inp.data[i] - m) * s;
      const g = dy.data[i] * (weight ? weight.data[c] : 1);
      dx.data[i] = s * (g - a - xhat * b);
      dweight.data[c] += dy.data[i] * xhat;
      dbias.data[c] += dy.data[i];
    }
  }
  return { dx, dweight, dbias };
}

/**
 * Gradient of the forward's statistics outputs: mean = Σx/C gives ∂mean/∂x_j = 1/C, and
 * rstd = (var + eps)^(−½) gives ∂rstd/∂x_j = −rstd³·(x_j − mean)/C. Adds dmean·∂mean/∂x + drstd·∂rstd/∂x
 * into `dx`.
 */
export function layerNormStatsBackward(
  inp: HostTensor, mean: HostTensor, rstd: HostTensor, dmean: HostTensor | null, drstd: HostTensor | null, C: number,
  dx: HostTensor,
): void {
  const rows = C === 0 ? 0 : inp.data.length / C;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      if (dmean) dx.data[i] += dmean.data[r] / C;
      if (drstd) dx.data[i] -= (drstd.data[r] * rstd.data[r] ** 3 * (inp.data[i] - mean.data[r])) / C;
    }
  }
}

/**
 * Gradient of the backward op (inputs x, mean, rstd, dy, weight treated as independent) for incoming
 * ddx, ddweight, ddbias (any may be null). Per row, with q = ddx·rstd, Q = Σq, P = Σq·xhat,
 * a = mean(g), b = mean(g·xhat):
 *   G = ∂L/∂g    = q − Q/C − xhat·P/C
 *   H = ∂L/∂xhat = −b·q − g·P/C + ddweight·dy
 *   E = ∂L/∂rstd through q = Σ ddx·(g − a − xhat·b)
 * then ∂L/∂dy = G·weight + ddweight·xhat + ddbias, ∂L/∂weight = Σ_rows G·dy, ∂L/∂x = H·rstd,
 * ∂L/∂mean = −rstd·ΣH, ∂L/∂rstd = E + ΣH·(x − mean).
 */
export function layerNormBackwardBackward(
  inp: HostTensor, mean: HostTensor, rstd: HostTensor, dy: HostTensor, weight: HostTensor | null, C: number,
  ddx: HostTensor | null, ddweight: HostTensor | null, ddbias: HostTensor | null,
): { dx: HostTensor; dmean: HostTensor; drstd: HostTensor; ddy: HostTensor; dweight: HostTensor } {
  const rows = C === 0 ? 0 : inp.data.length / C;
  const dx = host(inp.shape);
  const dmean = host(mean.shape);
  const drstd = host(rstd.shape);
  const ddy = host(dy.shape);
  const dweight = host([C]);
  const w = (c: number) => (weight ? weight.data[c] : 1);
  for (let r = 0; r < rows; r++) {
    const m = mean.data[r];
    const s = rstd.data[r];
    const xhat = (c: number) => (inp.data[r * C + c] - m) * s;
    const g = (c: number) => dy.data[r * C + c] * w(c);
    const q = (c: number) => (ddx ? ddx.data[r * C + c] * s : 0);
    let a = 0;
    let b = 0;
    let Q = 0;
    let P = 0;
    for (let c = 0; c < C; c++) {
      a += g(c);
      b += g(c) * xhat(c);
      Q += q(c);
      P += q(c) * xhat(c);
    }
    a /= C;
    b /= C;
    let E = 0;
    let sumH = 0;
    let sumHx = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const G = q(c) - Q / C - (xhat(c) * P) / C;
      const H = -b * q(c) - (g(c) * P) / C + (ddweight ? ddweight.data[c] * dy.data[i] : 0);
      if (ddx) E += ddx.data[i] * (g(c) - a - xhat(c) * b);
      sumH += H;
      sumHx += H * (inp.data[i] - m);
      ddy.data[i] = G * w(c) + (ddweight ? ddweight.data[c] * xhat(c) : 0) + (ddbias ? ddbias.data[c] : 0);
      dweight.data[c] += G * dy.data[i];
      dx.data[i] = H * s;
    }
    dmean.data[r] = -s * sumH;
    drstd.data[r] = E + sumHx;
  }
  return { dx, dmean, drstd, ddy, dweight };
}
