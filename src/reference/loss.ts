// CPU references for the losses, float64, written from the maths (torch.nn.functional's
// definitions), never from the WGSL.

import { type HostTensor, host } from './host.js';
import { sgError } from '../util/errors.js';

export type Reduction = 'mean' | 'sum' | 'none';

// ---- cross-entropy ------------------------------------------------------------------------------

export interface CrossEntropyAttrs {
  reduction: Reduction;
  ignoreIndex: number;
  labelSmoothing: number;
}

/** A clear error for a label that is neither a class index in [0, C) nor the ignore index. */
export function badLabelError(op: string, label: number, index: number, C: number, ignoreIndex: number): Error {
  return sgError(`${op}: target has label ${label} at index ${index}, outside [0, ${C}) ` +
    `(classes of the logits) and not the ignore index ${ignoreIndex}`);
}

/**
 * torch's cross-entropy over rows of z (M, C) with class-index targets t (M):
 *   row loss  l_i = (1-ε)·w_{t_i}·(-log p_{i,t_i}) + (ε/C)·Σ_c w_c·(-log p_{i,c}),   0 where t_i is ignored
 *   'mean'    Σ_i l_i / Σ_{i not ignored} w_{t_i};  'sum'  Σ_i l_i;  'none'  the l_i.
 * Returns [loss, lse (M) = log Σ_c e^{z_ic}, stats (2) = [Σ_{i not ignored} w_{t_i}, Σ_c w_c]].
 */
export function crossEntropyForward(z: HostTensor, t: HostTensor, w: HostTensor | null, attrs: CrossEntropyAttrs): HostTensor[] {
  const [M, C] = z.shape;
  const eps = attrs.labelSmoothing;
  const wc = (c: number) => (w ? w.data[c] : 1);
  let W = 0;
  for (let c = 0; c < C; c++) W += wc(c);
  const rows = host([M]);
  const lse = host([M]);
  let denom = 0;
  for (let i = 0; i < M; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z.data[i * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z.data[i * C + c] - m);
    lse.data[i] = m + Math.log(se);
    const label = t.data[i];
    if (label === attrs.ignoreIndex) continue;
    if (!Number.isInteger(label) || label < 0 || label >= C) throw badLabelError('crossEntropy', label, i, C, attrs.ignoreIndex);
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth += wc(c) * (lse.data[i] - z.data[i * C + c]);
    const wt = wc(label);
    rows.data[i] = (1 - eps) * wt * (lse.data[i] - z.data[i * C + label]) + (eps / C) * smooth;
    denom += wt;
  }
  const stats = host([2], [denom, W]);
  let loss: HostTensor;
  if (attrs.reduction === 'none') {
    loss = rows;
  } else {
    let s = 0;
    for (let i = 0; i < M; i++) s += rows.data[i];
    loss = host([], [attrs.reduction === 'mean' ? s / denom : s]);
  }
  return [loss, lse, stats];
}

/**
 * d loss / d z for the cross-entropy above, given the upstream gradient `dloss` of the reduced loss
 * (one value) or of the row losses ('none'), and optionally `dlse` of the saved log-sum-exp:
 *   dz_ic = s_i·(p_ic·((1-ε)w_t + εW/C) - (1-ε)w_t·[c = t_i] - ε·w_c/C) + dlse_i·p_ic,
 * with p = softmax(z_i), s_i = dloss ('sum'), dloss/Σw_t ('mean'), dloss_i ('none'), 0 where ignored.
 */
export function crossEntropyBackward(
  z: HostTensor, t: HostTensor, w: HostTensor | null, dloss: HostTensor | null, dlse: HostTensor | null, attrs: CrossEntropyAttrs,
): HostTensor {
  const [M, C] = z.shape;
  const eps = attrs.labelSmoothing;
  const wc = (c: number) => (w ? w.data[c] : 1);
  let W = 0;
  for (let c = 0; c < C; c++) W += wc(c);
  let denom = 0;
  for (let i = 0; i < M; i++) {
    const label = t.data[i];
    if (label === attrs.ignoreIndex) continue;
    if (!Number.isInteger(label) || label < 0 || label >= C) throw badLabelError('crossEntropy', label, i, C, attrs.ignoreIndex);
    denom += wc(label);
  }
  const dz = host([M, C]);
  for (let i = 0; i < M; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z.data[i * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z.data[i * C + c] - m);
    const p = (c: number) => Math.exp(z.data[i * C + c] - m) / se;
    const label = t.data[i];
    if (dlse) for (let c = 0; c < C; c++) dz.data[i * C + c] += dlse.data[i] * p(c);
    if (!dloss || label === attrs.ignoreIndex) continue;
    const s = attrs.reduction === 'none' ? dloss.data[i] : attrs.reduction === 'mean' ? dloss.data[0] / denom : dloss.data[0];
    const wt = wc(label);
    for (let c = 0; c < C; c++) {
      const q = (c === label ? (1 - eps) * wt : 0) + (eps * wc(c)) / C;
      dz.data[i * C + c] += s * (p(c) * ((1 - eps) * wt + (eps * W) / C) - q);
    }
  }
  return dz;
}

/** Σ w_t over the rows whose target is not ignored (the 'mean' denominator). */
function ceDenominator(t: HostTensor, w: HostTensor | null, C: number, attrs: CrossEntropyAttrs): number {
  let denom = 0;
  for (let i = 0; i < t.data.length; i++) {
    const label = t.data[i];
    if (label === attrs.ignoreIndex) continue;
    if (!Number.isInteger(label) || label < 0 || label >= C) throw badLabelError('crossEntropy', label, i, C, attrs.ignoreIndex);
    denom += w ? w.data[label] : 1;
  }
  return denom;
}

/** Row i's scale s_i of the backward (see crossEntropyBackward); 0 where the target is ignored. */
function ceRowScale(i: number, label: number, dloss: HostTensor, denom: number, attrs: CrossEntropyAttrs): number {
  if (label === attrs.ignoreIndex) return 0;
  return attrs.reduction === 'none' ? dloss.data[i] : attrs.reduction === 'mean' ? dloss.data[0] / denom : dloss.data[0];
}

/**
 * The target term of the backward alone, s_i·q_ic with q_ic = (1-ε)·w_t·[c = t_i] + ε·w_c/C: dz =
 * s_i·K_i·p_ic − s_i·q_ic where K_i = Σ_c q_ic. It does not depend on z.
 */
export function crossEntropyTargetTerm(z: HostTensor, t: HostTensor, w: HostTensor | null, dloss: HostTensor, attrs: CrossEntropyAttrs): HostTensor {
  const [M, C] = z.shape;
  const eps = attrs.labelSmoothing;
  const wc = (c: number) => (w ? w.data[c] : 1);
  const denom = ceDenominator(t, w, C, attrs);
  const out = host([M, C]);
  for (let i = 0; i < M; i++) {
    const label = t.data[i];
    const s = ceRowScale(i, label, dloss, denom, attrs);
    if (s === 0) continue;
    for (let c = 0; c < C; c++) out.data[i * C + c] = s * ((c === label ? (1 - eps) * wc(label) : 0) + (eps * wc(c)) / C);
  }
  return out;
}

/**
 * The gradient of Σ v·dz (dz = crossEntropyBackward(z, dloss)) for z and dloss — second derivatives:
 *   d/dz_ik  = a_i·p_ik·(v_ik − Σ_j v_ij·p_ij),  a_i = s_i·K_i (the Hessian of log-sum-exp, scaled)
 *   d/ddloss = Σ v·dz / dloss, by linearity: Σ over the row ('none') or over all (mean, sum) of
 *              v·dz computed with dloss = 1.
 */
export function crossEntropyBackwardBackward(
  z: HostTensor, t: HostTensor, w: HostTensor | null, dloss: HostTensor, v: HostTensor, attrs: CrossEntropyAttrs,
): [HostTensor, HostTensor] {
  const [M, C] = z.shape;
  const eps = attrs.labelSmoothing;
  const wc = (c: number) => (w ? w.data[c] : 1);
  let W = 0;
  for (let c = 0; c < C; c++) W += wc(c);
  const gz = host([M, C]);
  const ones = host(dloss.shape, new Array(dloss.data.length).fill(1));
  const unit = crossEntropyBackward(z, t, w, ones, null, attrs);
  const gd = host(dloss.shape);
  const denom = ceDenominator(t, w, C, attrs);
  for (let i = 0; i < M; i++) {
    const label = t.data[i];
    for (let c = 0; c < C; c++) gd.data[attrs.reduction === 'none' ? i : 0] += v.data[i * C + c] * unit.data[i * C + c];
    const s = ceRowScale(i, label, dloss, denom, attrs);
    if (s === 0) continue;
    const a = s * ((1 - eps) * wc(label) + (eps * W) / C);
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z.data[i * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z.data[i * C + c] - m);
    const p = (c: number) => Math.exp(z.data[i * C + c] - m) / se;
    let vp = 0;
    for (let c = 0; c < C; c++) vp += v.data[i * C + c] * p(c);
    for (let c = 0; c < C; c++) gz.data[i * C + c] = a * p(c) * (v.data[i * C + c] - vp);
  }
  return [gz, gd];
}

// ---- elementwise losses -------------------------------------------------------------------------

export type PointwiseKind = 'mse' | 'l1' | 'huber';

/** Per-element loss of input a against target b (same shape). */
export function pointwiseForward(kind: PointwiseKind, a: HostTensor, b: HostTensor, delta: number): HostTensor {
  const out = host(a.shape);
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    if (kind === 'mse') out.data[i] = d * d;
    else if (kind === 'l1') out.data[i] = Math.abs(d);
    else out.data[i] = Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
  }
  return out;
}

/** d/da of Σ g·loss(a, b): 2d·g (mse), sign(d)·g (l1), clamp(d, -δ, δ)·g (huber), d = a - b. d/db = -d/da. */
export function pointwiseBackward(kind: PointwiseKind, a: HostTensor, b: HostTensor, g: HostTensor, delta: number): HostTensor {
  const da = host(a.shape);
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    const slope = kind === 'mse' ? 2 * d : kind === 'l1' ? Math.sign(d) : Math.min(Math.max(d, -delta), delta);
    da.data[i] = slope * g.data[i];
  }
  return da;
}

function softplus(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

/** pos_weight at flat element i: repeated along the leading dimensions (pw has `pw.data.length` elements). */
function pwAt(pw: HostTensor | null, i: number): number {
  return pw ? pw.data[i % pw.data.length] : 1;
}

/** -[pw·y·log σ(x) + (1-y)·log(1-σ(x))] per element. */
export function bceWithLogitsForward(x: HostTensor, y: HostTensor, pw: HostTensor | null): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const p = pwAt(pw, i);
    out.data[i] = p * y.data[i] * softplus(-x.data[i]) + (1 - y.data[i]) * softplus(x.data[i]);
  }
  return out;
}

/**
 * Gradients of Σ g·bce(x, y, pw): d/dx = g·(σ(x)·(pw·y + 1 - y) - pw·y), d/dy = g·(pw·softplus(-x) -
 * softplus(x)), and per element d/dpw = g·y·softplus(-x) (summed over the repeats by the caller).
 */
export function bceWithLogitsBackward(x: HostTensor, y: HostTensor, pw: HostTensor | null, g: HostTensor): HostTensor[] {
  const dx = host(x.shape);
  const dy = host(x.shape);
  const dpw = host(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const p = pwAt(pw, i);
    const xi = x.data[i];
    const yi = y.data[i];
    dx.data[i] = g.data[i] * (sigmoid(xi) * (p * yi + 1 - yi) - p * yi);
    dy.data[i] = g.data[i] * (p * softplus(-xi) - softplus(xi));
    dpw.data[i] = g.data[i] * yi * softplus(-xi);
  }
  return pw ? [dx, dy, dpw] : [dx, dy];
}

/**
 * Second derivatives of binary cross-entropy with logits: the gradient of Σ vx·dx + vy·dy + vpw·dpw
 * (the outputs of bceWithLogitsBackward, with s = σ(x), P = pw) for x, y, g and pw (per element):
 *   ∂dx/∂x = g·s(1-s)(1 + (P-1)y)   ∂dx/∂y = ∂dy/∂x = -g·(P(1-s) + s)   ∂dx/∂P = ∂dpw/∂x = -g·y(1-s)
 *   ∂dy/∂y = 0                       ∂dy/∂P = ∂dpw/∂y = g·softplus(-x)     ∂dpw/∂P = 0
 * and, each output being linear in g, ∂/∂g = output / g.
 */
export function bceWithLogitsBackwardBackward(
  x: HostTensor, y: HostTensor, pw: HostTensor | null, g: HostTensor, vx: HostTensor | null, vy: HostTensor | null, vpw: HostTensor | null,
): HostTensor[] {
  const n = x.data.length;
  const gx = host(x.shape);
  const gy = host(x.shape);
  const gg = host(x.shape);
  const gp = host(x.shape);
  for (let i = 0; i < n; i++) {
    const P = pwAt(pw, i);
    const xi = x.data[i];
    const yi = y.data[i];
    const gi = g.data[i];
    const s = sigmoid(xi);
    const a = vx ? vx.data[i] : 0;
    const b = vy ? vy.data[i] : 0;
    const c = vpw ? vpw.data[i] : 0;
    const dxdx = s * (1 - s) * (1 + (P - 1) * yi);
    const dxdy = -(P * (1 - s) + s);
    const dxdp = -yi * (1 - s);
    const dydp = softplus(-xi);
    gx.data[i] = gi * (a * dxdx + b * dxdy + c * dxdp);
    gy.data[i] = gi * (a * dxdy + c * dydp);
    gp.data[i] = gi * (a * dxdp + b * dydp);
    gg.data[i] = a * (s * (P * yi + 1 - yi) - P * yi) + b * (P * softplus(-xi) - softplus(xi)) + c * yi * softplus(-xi);
  }
  return pw ? [gx, gy, gg, sumRepeats(gp, pw.shape)] : [gx, gy, gg];
}

/**
 * torch's cross-entropy with class-probability targets q (same shape as z, rows (M, C)):
 *   l_i = −Σ_c w_c·q'_ic·log p_ic,  q' = (1-ε)·q + ε/C;  'mean' Σ_i l_i / M, 'sum' Σ_i l_i, 'none' l_i.
 */
export function crossEntropyProbsForward(z: HostTensor, q: HostTensor, w: HostTensor | null, eps: number, reduction: Reduction): HostTensor {
  const [M, C] = z.shape;
  const rows = host([M]);
  for (let i = 0; i < M; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z.data[i * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z.data[i * C + c] - m);
    const lse = m + Math.log(se);
    let l = 0;
    for (let c = 0; c < C; c++) l -= (w ? w.data[c] : 1) * ((1 - eps) * q.data[i * C + c] + eps / C) * (z.data[i * C + c] - lse);
    rows.data[i] = l;
  }
  if (reduction === 'none') return rows;
  let total = 0;
  for (let i = 0; i < M; i++) total += rows.data[i];
  return host([], [reduction === 'mean' ? total / M : total]);
}

/** Sum a per-element tensor over the repeats of a `size`-element suffix (the reverse of pwAt's indexing). */
export function sumRepeats(t: HostTensor, shape: number[]): HostTensor {
  const out = host(shape);
  const size = out.data.length;
  for (let i = 0; i < t.data.length; i++) out.data[i % size] += t.data[i];
  return out;
}

// ---- Kullback-Leibler divergence ----------------------------------------------------------------
// torch.nn.functional.kl_div per element, input x = log q, target t (a probability, or with
// logTarget a log-probability), written as torch computes it so that its edges (NaN, ±∞) are
// torch's: xlogy(t, t) − t·x, or e^t·(t − x). IEEE arithmetic gives 0·(−∞) = NaN.

/** xlogy(t, t) = t·log t: 0 at t = 0, NaN for t < 0 (log) and t NaN. */
function xlogx(t: number): number {
  return t === 0 ? 0 : t * Math.log(t);
}

/** The per-element loss. */
export function klForward(x: HostTensor, t: HostTensor, logTarget: boolean): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const xi = x.data[i];
    const ti = t.data[i];
    out.data[i] = logTarget ? Math.exp(ti) * (ti - xi) : xlogx(ti) - ti * xi;
  }
  return out;
}

/**
 * [d/dx, d/dt] of Σ g·ℓ(x, t), as torch's autograd differentiates the expressions above:
 *   t probability:      d/dx = −t·g     d/dt = g·log t + g·t/t − g·x   (NaN for t ≤ 0, t = +∞: t/t)
 *   t log-probability:  d/dx = −e^t·g   d/dt = g·(t − x)·e^t + g·e^t
 */
export function klBackward(x: HostTensor, t: HostTensor, g: HostTensor, logTarget: boolean): HostTensor[] {
  const dx = host(x.shape);
  const dt = host(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const xi = x.data[i];
    const ti = t.data[i];
    const gi = g.data[i];
    if (logTarget) {
      const e = Math.exp(ti);
      dx.data[i] = -(gi * e);
      dt.data[i] = gi * (ti - xi) * e + gi * e;
    } else {
      dx.data[i] = -(ti * gi);
      dt.data[i] = ti > 0 && ti < Infinity ? gi * Math.log(ti) + (gi * ti) / ti - gi * xi : NaN;
    }
  }
  return [dx, dt];
}

/**
 * Second derivatives: the gradient of Σ vx·dx + vt·dt (the outputs of klBackward) for x, t and g:
 *   t probability:      ∂dx/∂t = −g   ∂dt/∂x = −g   ∂dt/∂t = g/t      ∂dx/∂x = 0
 *   t log-probability:  ∂dx/∂t = ∂dt/∂x = −g·e^t    ∂dt/∂t = g·e^t·(t − x + 2)   ∂dx/∂x = 0
 * and, both outputs being linear in g, ∂/∂g = vx·dx/g + vt·dt/g.
 */
export function klBackwardBackward(
  x: HostTensor, t: HostTensor, g: HostTensor, vx: HostTensor | null, vt: HostTensor | null, logTarget: boolean,
): HostTensor[] {
  const gx = host(x.shape);
  const gt = host(x.shape);
  const gg = host(x.shape);
  const ones = host(x.shape, new Array(x.data.length).fill(1));
  const [ux, ut] = klBackward(x, t, ones, logTarget);
  for (let i = 0; i < x.data.length; i++) {
    const xi = x.data[i];
    const ti = t.data[i];
    const gi = g.data[i];
    const a = vx ? vx.data[i] : 0;
    const b = vt ? vt.data[i] : 0;
    if (logTarget) {
      const e = Math.exp(ti);
      gx.data[i] = -gi * e * b;
      gt.data[i] = -gi * e * a + b * gi * e * (ti - xi + 2);
    } else {
      gx.data[i] = -gi * b;
      gt.data[i] = -gi * a + (b * gi) / ti;
    }
    gg.data[i] = a * ux.data[i] + b * ut.data[i];
  }
  return [gx, gt, gg];
}
