// CPU references for the activations of src/ops/activation.ts, float64, written from the maths
// (PyTorch's definitions): value, first and second derivative of each, and erf to ~1e-15.

import { type HostTensor, host } from './host.js';

export type ActKind = 'leakyRelu' | 'elu' | 'gelu' | 'geluTanh' | 'softplus' | 'silu';

export interface ActParams {
  /** leakyRelu's negative slope, elu's alpha. */
  alpha: number;
  /** softplus's beta. */
  beta: number;
  /** softplus: where βx exceeds this the result is x itself. */
  threshold: number;
}

/**
 * erf(x) in float64: erf x = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)), a series of positive
 * terms (no cancellation), summed until the terms stop mattering. erf(±6) = ±1 to double precision.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  let term = a;
  let s = a;
  for (let n = 1; n < 500; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    s += term;
    if (term < 1e-17 * s) break;
  }
  return (Math.sign(x) * 2 * Math.exp(-a * a) * s) / Math.sqrt(Math.PI);
}

const normalCdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const normalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;

interface ActRef {
  f: (x: number, p: ActParams) => number;
  df: (x: number, p: ActParams) => number;
  d2f: (x: number, p: ActParams) => number;
}

export const actRefs: Record<ActKind, ActRef> = {
  leakyRelu: {
    f: (x, p) => (x > 0 ? x : p.alpha * x),
    df: (x, p) => (x > 0 ? 1 : p.alpha),
    d2f: () => 0,
  },
  elu: {
    f: (x, p) => (x > 0 ? x : p.alpha * Math.expm1(x)),
    df: (x, p) => (x > 0 ? 1 : p.alpha * Math.exp(x)),
    d2f: (x, p) => (x > 0 ? 0 : p.alpha * Math.exp(x)),
  },
  gelu: {
    // x·Φ(x);  (xΦ)' = Φ + xφ;  (xΦ)'' = 2φ + xφ' = φ·(2 − x²)
    f: (x) => x * normalCdf(x),
    df: (x) => normalCdf(x) + x * normalPdf(x),
    d2f: (x) => normalPdf(x) * (2 - x * x),
  },
  geluTanh: {
    // ½x(1 + tanh u), u = K(x + Cx³)
    f: (x) => 0.5 * x * (1 + Math.tanh(K * (x + C * x ** 3))),
    df: (x) => {
      const t = Math.tanh(K * (x + C * x ** 3));
      const du = K * (1 + 3 * C * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    },
    d2f: (x) => {
      // d/dx [½(1 + t) + ½x(1 − t²)u'] with t' = (1 − t²)u' and (1 − t²)' = −2t(1 − t²)u'
      const t = Math.tanh(K * (x + C * x ** 3));
      const s = 1 - t * t;
      const du = K * (1 + 3 * C * x * x);
      const d2u = 6 * K * C * x;
      return 0.5 * s * du + 0.5 * s * du + 0.5 * x * (-2 * t * s * du * du + s * d2u);
    },
  },
  softplus: {
    // log(1 + e^(βx))/β, reverting to x where βx > threshold (as torch.nn.functional.softplus)
    f: (x, p) => (p.beta * x > p.threshold ? x : Math.log1p(Math.exp(p.beta * x)) / p.beta),
    df: (x, p) => (p.beta * x > p.threshold ? 1 : sigmoid(p.beta * x)),
    d2f: (x, p) => (p.beta * x > p.threshold ? 0 : p.beta * sigmoid(p.beta * x) * (1 - sigmoid(p.beta * x))),
  },
  silu: {
    // xσ;  σ + xσ(1 − σ);  2σ' + xσ'' with σ' = σ(1 − σ), σ'' = σ'(1 − 2σ)
    f: (x) => x * sigmoid(x),
    df: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))),
    d2f: (x) => {
      const s = sigmoid(x);
      return s * (1 - s) * (2 + x * (1 - 2 * s));
    },
  },
};

/** y = f(x) */
export function activationForward(kind: ActKind, x: HostTensor, p: ActParams): HostTensor {
  const y = host(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = actRefs[kind].f(x.data[i], p);
  return y;
}

/** dx = dy · f'(x) — the backward of the forward, and the forward of the backward op. */
export function activationBackward(kind: ActKind, x: HostTensor, dy: HostTensor, p: ActParams): HostTensor {
  const dx = host(x.shape);
  for (let i = 0; i < x.data.length; i++) dx.data[i] = dy.data[i] * actRefs[kind].df(x.data[i], p);
  return dx;
}

/** g · f''(x) — the forward of the second-derivative op. */
export function activationSecondDerivative(kind: ActKind, x: HostTensor, g: HostTensor, p: ActParams): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = g.data[i] * actRefs[kind].d2f(x.data[i], p);
  return out;
}

/**
 * Backward of the backward op b(x, dy) = dy · f'(x), given ddx = ∂L/∂b:
 * ∂L/∂x = ddx · dy · f''(x),  ∂L/∂dy = ddx · f'(x).
 */
export function activationBackwardBackward(
  kind: ActKind, x: HostTensor, dy: HostTensor, ddx: HostTensor, p: ActParams,
): [HostTensor, HostTensor] {
  const gx = host(x.shape);
  const gdy = host(x.shape);
  const r = actRefs[kind];
  for (let i = 0; i < x.data.length; i++) {
    gx.data[i] = ddx.data[i] * dy.data[i] * r.d2f(x.data[i], p);
    gdy.data[i] = ddx.data[i] * r.df(x.data[i], p);
  }
  return [gx, gdy];
}
