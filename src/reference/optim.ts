// CPU references for the optimizer family, float64, written from torch.optim's algorithms
// (torch/optim/sgd.py, rmsprop.py, adagrad.py, adam.py: the single-tensor, non-capturable code paths) and
// torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Plain loops over flat arrays.
//
// Conventions shared with src/ops/optim.ts:
//   - maximize negates the gradient first; weight decay λ then adds λ·θ (AdamW instead scales θ by 1 − lr·λ);
//   - penalties: value l1·Σ|θ| + l2/2·Σθ², gradient l1·sign(θ) + l2·θ (sign(0) = 0).

import { type HostTensor, host } from './host.js';

/** torch's lerp: start + w·(end − start) (the same value as β·start + (1 − β)·end with w = 1 − β). */
function lerp(start: number, end: number, w: number): number {
  return start + w * (end - start);
}

/** −g when maximizing, then + λ·θ when λ ≠ 0. */
function effectiveGrad(g: number, p: number, maximize: boolean, weightDecay: number): number {
  let d = maximize ? -g : g;
  if (weightDecay !== 0) d += weightDecay * p;
  return d;
}

// ---- SGD -------------------------------------------------------------------------------------------

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
  /** The momentum buffer starts as the gradient (torch: the buffer does not exist yet). */
  firstStep: boolean;
}

/** One SGD step; the momentum buffer is null (and not returned) when momentum is 0. */
export function sgdStep(param: HostTensor, grad: HostTensor, buf: HostTensor | null, h: SgdHyper): { param: HostTensor; momentumBuf: HostTensor | null } {
  const n = param.data.length;
  const p2 = host(param.shape);
  const b2 = h.momentum !== 0 ? host(param.shape) : null;
  for (let i = 0; i < n; i++) {
    const p = param.data[i];
    let d = effectiveGrad(grad.data[i], p, h.maximize, h.weightDecay);
    if (b2) {
      const b = h.firstStep ? d : h.momentum * buf!.data[i] + (1 - h.dampening) * d;
      b2.data[i] = b;
      d = h.nesterov ? d + h.momentum * b : b;
    }
    p2.data[i] = p - h.lr * d;
  }
  return { param: p2, momentumBuf: b2 };
}

// ---- RMSprop ---------------------------------------------------------------------------------------

export interface RmspropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export interface RmspropResult {
  param: HostTensor;
  squareAvg: HostTensor;
  momentumBuf: HostTensor | null;
  gradAvg: HostTensor | null;
}

/** One RMSprop step; momentumBuf is used when momentum > 0, gradAvg when centered. */
export function rmspropStep(
  param: HostTensor, grad: HostTensor, squareAvg: HostTensor, momentumBuf: HostTensor | null, gradAvg: HostTensor | null, h: RmspropHyper,
): RmspropResult {
  const n = param.data.length;
  const out: RmspropResult = {
    param: host(param.shape), squareAvg: host(param.shape),
    momentumBuf: h.momentum > 0 ? host(param.shape) : null, gradAvg: h.centered ? host(param.shape) : null,
  };
  for (let i = 0; i < n; i++) {
    const p = param.data[i];
    const g = effectiveGrad(grad.data[i], p, h.maximize, h.weightDecay);
    const v = h.alpha * squareAvg.data[i] + (1 - h.alpha) * g * g;
    out.squareAvg.data[i] = v;
    let avg: number;
    if (h.centered) {
      const gbar = lerp(gradAvg!.data[i], g, 1 - h.alpha);
      out.gradAvg!.data[i] = gbar;
      avg = Math.sqrt(v - gbar * gbar) + h.eps;
    } else {
      avg = Math.sqrt(v) + h.eps;
    }
    if (h.momentum > 0) {
      const b = h.momentum * momentumBuf!.data[i] + g / avg;
      out.momentumBuf!.data[i] = b;
      out.param.data[i] = p - h.lr * b;
    } else {
      out.param.data[i] = p - h.lr * (g / avg);
    }
  }
  return out;
}

// ---- Adagrad ---------------------------------------------------------------------------------------

export interface AdagradHyper {
  lr: number;
  /** The rate decays as lr / (1 + (t − 1)·lrDecay). */
  lrDecay: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
  /** 1-based step number t. */
  step: number;
}

/** One Adagrad step: s ← s + g², θ ← θ − clr·g / (√s + ε) with clr = lr / (1 + (t − 1)·lrDecay). */
export function adagradStep(param: HostTensor, grad: HostTensor, sum: HostTensor, h: AdagradHyper): { param: HostTensor; sum: HostTensor } {
  const n = param.data.length;
  const out = { param: host(param.shape), sum: host(param.shape) };
  const clr = h.lr / (1 + (h.step - 1) * h.lrDecay);
  for (let i = 0; i < n; i++) {
    const p = param.data[i];
    const g = effectiveGrad(grad.data[i], p, h.maximize, h.weightDecay);
    const s = sum.data[i] + g * g;
    out.sum.data[i] = s;
    out.param.data[i] = p - clr * (g / (Math.sqrt(s) + h.eps));
  }
  return out;
}

// ---- Adam / AdamW ----------------------------------------------------------------------------------

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** 1-based step number t (bias corrections 1 − βᵗ). */
  step: number;
  /** AdamW: decay θ by lr·λ directly instead of adding λ·θ to the gradient. */
  decoupled: boolean;
  maximize: boolean;
}

export interface AdamResult {
  param: HostTensor;
  expAvg: HostTensor;
  expAvgSq: HostTensor;
  maxExpAvgSq: HostTensor | null;
}

/** One Adam (or AdamW) step; maxExpAvgSq is used when amsgrad. */
export function adamStep(
  param: HostTensor, grad: HostTensor, expAvg: HostTensor, expAvgSq: HostTensor, maxExpAvgSq: HostTensor | null, h: AdamHyper,
): AdamResult {
  const n = param.data.length;
  const out: AdamResult = {
    param: host(param.shape), expAvg: host(param.shape), expAvgSq: host(param.shape),
    maxExpAvgSq: h.amsgrad ? host(param.shape) : null,
  };
  const bc1 = 1 - Math.pow(h.beta1, h.step);
  const bc2 = 1 - Math.pow(h.beta2, h.step);
  for (let i = 0; i < n; i++) {
    let p = param.data[i];
    const g = effectiveGrad(grad.data[i], p, h.maximize, h.decoupled ? 0 : h.weightDecay);
    if (h.decoupled) p *= 1 - h.lr * h.weightDecay;
    const m = lerp(expAvg.data[i], g, 1 - h.beta1);
    const v = h.beta2 * expAvgSq.data[i] + (1 - h.beta2) * g * g;
    out.expAvg.data[i] = m;
    out.expAvgSq.data[i] = v;
    let vDen = v;
    if (h.amsgrad) {
      vDen = Math.max(maxExpAvgSq!.data[i], v);
      out.maxExpAvgSq!.data[i] = vDen;
    }
    // θ ← θ − (lr / bc1) · m / (√v / √bc2 + ε)
    const denom = Math.sqrt(vDen) / Math.sqrt(bc2) + h.eps;
    out.param.data[i] = p - (h.lr / bc1) * (m / denom);
  }
  return out;
}

// ---- penalties -------------------------------------------------------------------------------------

export interface PenaltyHyper {
  l1: number;
  l2: number;
}

/** grad + l1·sign(θ) + l2·θ */
export function penaltyGrad(param: HostTensor, grad: HostTensor, { l1, l2 }: PenaltyHyper): HostTensor {
  const out = host(param.shape);
  for (let i = 0; i < param.data.length; i++) {
    const p = param.data[i];
    out.data[i] = grad.data[i] + l1 * Math.sign(p) + l2 * p;
  }
  return out;
}

/** d(penaltyGrad)/d(grad) = dy; d/dθ = l2·dy (sign is flat almost everywhere). */
export function penaltyGradBackward(dy: HostTensor, { l2 }: PenaltyHyper): [HostTensor, HostTensor] {
  const dp = host(dy.shape);
  const dg = host(dy.shape);
  for (let i = 0; i < dy.data.length; i++) {
    dp.data[i] = l2 * dy.data[i];
    dg.data[i] = dy.data[i];
  }
  return [dp, dg];
}

/** l1·Σ|θ| + l2/2·Σθ², a scalar. */
export function penaltyValue(param: HostTensor, { l1, l2 }: PenaltyHyper): HostTensor {
  let a1 = 0;
  let a2 = 0;
  for (const p of param.data) {
    a1 += Math.abs(p);
    a2 += p * p;
  }
  return host([], [l1 * a1 + 0.5 * l2 * a2]);
}

/** d/dθ of the penalty value times the scalar dy: dy·(l1·sign(θ) + l2·θ) — the same rule as penaltyGrad. */
export function penaltyValueBackward(param: HostTensor, dy: HostTensor, { l1, l2 }: PenaltyHyper): HostTensor {
  const out = host(param.shape);
  const s = dy.data[0];
  for (let i = 0; i < param.data.length; i++) {
    const p = param.data[i];
    out.data[i] = s * (l1 * Math.sign(p) + l2 * p);
  }
  return out;
}

// ---- clipping --------------------------------------------------------------------------------------

/** The q-norm of all values (q = Infinity: max |g|), as torch.nn.utils.get_total_norm. */
export function totalNorm(grad: HostTensor, normType: number): number {
  if (normType === Infinity) {
    let m = 0;
    for (const g of grad.data) m = Math.max(m, Math.abs(g));
    return m;
  }
  let s = 0;
  for (const g of grad.data) s += Math.pow(Math.abs(g), normType);
  return Math.pow(s, 1 / normType);
}

/** torch.nn.utils.clip_grad_norm_: g · min(1, maxNorm / (‖g‖ + 1e-6)), and ‖g‖ (before clipping). */
export function clipGradNorm(grad: HostTensor, maxNorm: number, normType: number): { grad: HostTensor; totalNorm: HostTensor } {
  const norm = totalNorm(grad, normType);
  const coef = Math.min(maxNorm / (norm + 1e-6), 1);
  const out = host(grad.shape);
  for (let i = 0; i < grad.data.length; i++) out.data[i] = grad.data[i] * coef;
  return { grad: out, totalNorm: host([], [norm]) };
}

/** clamp(g, −c, c) */
export function clipGradValue(grad: HostTensor, c: number): HostTensor {
  const out = host(grad.shape);
  for (let i = 0; i < grad.data.length; i++) out.data[i] = Math.min(Math.max(grad.data[i], -c), c);
  return out;
}

/** The gradient of clamp passes where −c ≤ g ≤ c (inclusive, as torch.clamp) and is 0 outside. */
export function clipGradValueBackward(grad: HostTensor, dy: HostTensor, c: number): HostTensor {
  const out = host(grad.shape);
  for (let i = 0; i < grad.data.length; i++) out.data[i] = Math.abs(grad.data[i]) <= c ? dy.data[i] : 0;
  return out;
}
