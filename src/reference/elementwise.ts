// CPU references for elementwise ops, float64, written from the maths.

import { type HostTensor, broadcastIndex, host, sumToShape, unravel } from './host.js';

export interface UnaryRef {
  f: (x: number, alpha: number) => number;
  /** dy/dx at x (y = f(x) given for convenience). */
  df: (x: number, y: number, alpha: number) => number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const unaryRefs: Record<string, UnaryRef> = {
  neg: { f: (x) => -x, df: () => -1 },
  exp: { f: (x) => Math.exp(x), df: (_x, y) => y },
  log: { f: (x) => Math.log(x), df: (x) => 1 / x },
  sqrt: { f: (x) => Math.sqrt(x), df: (_x, y) => 0.5 / y },
  relu: { f: (x) => Math.max(x, 0), df: (x) => (x > 0 ? 1 : 0) },
  sigmoid: { f: sigmoid, df: (_x, y) => y * (1 - y) },
  tanh: { f: (x) => Math.tanh(x), df: (_x, y) => 1 - y * y },
  abs: { f: (x) => Math.abs(x), df: (x) => Math.sign(x) },
  step: { f: (x) => (x > 0 ? 1 : 0), df: () => 0 },
  sign: { f: (x) => Math.sign(x), df: () => 0 },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  reciprocal: { f: (x) => 1 / x, df: (x) => -1 / (x * x) },
  scale: { f: (x, a) => x * a, df: (_x, _y, a) => a },
  shift: { f: (x, a) => x + a, df: () => 1 },
  powScalar: { f: (x, a) => Math.pow(x, a), df: (x, _y, a) => a * Math.pow(x, a - 1) },
  copy: { f: (x) => x, df: () => 1 },
};

export function unaryForward(name: string, x: HostTensor, alpha = 0): HostTensor {
  const r = unaryRefs[name];
  const y = host(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = r.f(x.data[i], alpha);
  return y;
}

export function unaryBackward(name: string, x: HostTensor, y: HostTensor, dy: HostTensor, alpha = 0): HostTensor {
  const r = unaryRefs[name];
  const dx = host(x.shape);
  for (let i = 0; i < x.data.length; i++) dx.data[i] = dy.data[i] * r.df(x.data[i], y.data[i], alpha);
  return dx;
}

export interface BinaryRef {
  f: (a: number, b: number) => number;
  /** Partial derivatives [d/da, d/db]. */
  d: (a: number, b: number, y: number) => [number, number];
}

export const binaryRefs: Record<string, BinaryRef> = {
  add: { f: (a, b) => a + b, d: () => [1, 1] },
  sub: { f: (a, b) => a - b, d: () => [1, -1] },
  mul: { f: (a, b) => a * b, d: (a, b) => [b, a] },
  div: { f: (a, b) => a / b, d: (a, b) => [1 / b, -a / (b * b)] },
  maximum: { f: (a, b) => Math.max(a, b), d: (a, b) => (a === b ? [0.5, 0.5] : a > b ? [1, 0] : [0, 1]) },
  minimum: { f: (a, b) => Math.min(a, b), d: (a, b) => (a === b ? [0.5, 0.5] : a < b ? [1, 0] : [0, 1]) },
  pow: { f: (a, b) => Math.pow(a, b), d: (a, b, y) => [b * Math.pow(a, b - 1), a > 0 ? y * Math.log(a) : 0] },
  eq: { f: (a, b) => (a === b ? 1 : 0), d: () => [0, 0] },
  gt: { f: (a, b) => (a > b ? 1 : 0), d: () => [0, 0] },
  ge: { f: (a, b) => (a >= b ? 1 : 0), d: () => [0, 0] },
};

export function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function binaryForward(name: string, a: HostTensor, b: HostTensor): HostTensor {
  const f = binaryRefs[name].f;
  const out = host(broadcastShape(a.shape, b.shape));
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, out.shape);
    out.data[i] = f(a.data[broadcastIndex(idx, a.shape)], b.data[broadcastIndex(idx, b.shape)]);
  }
  return out;
}

export function binaryBackward(name: string, a: HostTensor, b: HostTensor, dy: HostTensor): [HostTensor, HostTensor] {
  const r = binaryRefs[name];
  const da = host(dy.shape);
  const db = host(dy.shape);
  for (let i = 0; i < dy.data.length; i++) {
    const idx = unravel(i, dy.shape);
    const av = a.data[broadcastIndex(idx, a.shape)];
    const bv = b.data[broadcastIndex(idx, b.shape)];
    const [ga, gb] = r.d(av, bv, r.f(av, bv));
    da.data[i] = dy.data[i] * ga;
    db.data[i] = dy.data[i] * gb;
  }
  return [sumToShape(da, a.shape), sumToShape(db, b.shape)];
}

/** x broadcast to `shape`. */
export function expandForward(x: HostTensor, shape: number[]): HostTensor {
  const out = host(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[broadcastIndex(unravel(i, shape), x.shape)];
  return out;
}

/** torch.where(cond, a, b): a where cond is nonzero (NaN counts as true), else b, all broadcast. */
export function whereForward(c: HostTensor, a: HostTensor, b: HostTensor): HostTensor {
  const out = host(broadcastShape(broadcastShape(c.shape, a.shape), b.shape));
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, out.shape);
    const take = c.data[broadcastIndex(idx, c.shape)] !== 0; // NaN !== 0: true
    out.data[i] = take ? a.data[broadcastIndex(idx, a.shape)] : b.data[broadcastIndex(idx, b.shape)];
  }
  return out;
}

/** The gradients of whereForward: dy goes to a where cond holds, to b elsewhere (summed to their shapes). */
export function whereBackward(c: HostTensor, a: HostTensor, b: HostTensor, dy: HostTensor): [HostTensor, HostTensor] {
  const da = host(dy.shape);
  const db = host(dy.shape);
  for (let i = 0; i < dy.data.length; i++) {
    const take = c.data[broadcastIndex(unravel(i, dy.shape), c.shape)] !== 0;
    (take ? da : db).data[i] = dy.data[i];
  }
  return [sumToShape(da, a.shape), sumToShape(db, b.shape)];
}
