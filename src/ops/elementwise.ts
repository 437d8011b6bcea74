// Elementwise ops: unary (neg, exp, log, sqrt, relu, sigmoid, tanh, ...), binary with broadcasting
// (add, sub, mul, div, maximum, minimum, pow, comparisons) and expand (broadcast copy).
// Kernels: shaders/elementwise.wgsl. References: src/reference/elementwise.ts.

import { opCodes, wgslConsts, wgslKernel } from '../gpu/kernels.js';
import { apply1, tensor, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/elementwise.js';
import { sumToShape } from '../reference/host.js';
import { defineOp, type NoGrad, type OpDef } from './op.js';
import { grid1d } from '../gpu/dispatch.js';
import { numel, type DType, broadcastShapes, broadcastStrides, checkRank, collapseDims, reducedAxes, sameShape, stridesOf } from '../util/shape.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

const WG = 256;

export const unaryKernel = wgslKernel('unary_forward');
export const binaryKernel = wgslKernel('binary_forward');
export const expandKernel = wgslKernel('expand_forward');

type Scalar = Tensor | number;

function asTensor(v: Scalar, like: Tensor | undefined): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') throw sgError(`expected a Tensor or a number, got ${typeof v}`);
  return tensor([v], [], { dtype: like?.dtype ?? 'f32' });
}

function requireFloat(t: Tensor, op: string, arg: string): void {
  if (t.dtype !== 'f32') throw sgError(`${op}: ${arg} must be f32, got ${t.describe()}`, ShapeError);
}

// ---- unary ------------------------------------------------------------------------------------

interface UnaryAttrs {
  alpha: number;
}

/** Gradient rules for unary ops, in ops: each returns dx given x, y and dy. */
type UnaryGrad = (x: Tensor, y: Tensor, dy: Tensor, alpha: number) => Tensor | null;

const unaryGrads: Record<string, UnaryGrad | NoGrad> = {
  neg: (_x, _y, dy) => neg(dy),
  exp: (_x, y, dy) => mul(dy, y), // d/dx e^x = e^x
  log: (x, _y, dy) => div(dy, x), // d/dx ln x = 1/x
  sqrt: (_x, y, dy) => div(dy, scale(y, 2)), // d/dx √x = 1/(2√x)
  relu: (x, _y, dy) => mul(dy, step(x)), // 1 where x > 0
  sigmoid: (_x, y, dy) => mul(dy, mul(y, shift(neg(y), 1))), // σ(1-σ)
  tanh: (_x, y, dy) => mul(dy, shift(neg(square(y)), 1)), // 1 - tanh²
  abs: (x, _y, dy) => mul(dy, sign(x)),
  step: { none: 'the step function is piecewise constant: its gradient is 0 almost everywhere', zero: true },
  sign: { none: 'sign is piecewise constant: its gradient is 0 almost everywhere', zero: true },
  square: (x, _y, dy) => mul(dy, scale(x, 2)),
  reciprocal: (_x, y, dy) => neg(mul(dy, square(y))), // d/dx 1/x = -1/x²
  scale: (_x, _y, dy, a) => scale(dy, a),
  shift: (_x, _y, dy) => dy,
  powScalar: (x, _y, dy, a) => mul(dy, scale(powScalar(x, a - 1), a)),
  copy: (_x, _y, dy) => dy,
};

const UNARY_NAMES = ['neg', 'exp', 'log', 'sqrt', 'relu', 'sigmoid', 'tanh', 'abs', 'step', 'sign', 'square',
  'reciprocal', 'scale', 'shift', 'powScalar', 'copy'] as const;
type UnaryName = (typeof UNARY_NAMES)[number];
/** The `OP` code of each unary op: the UNARY_* constants of shaders/elementwise.wgsl (UNARY_POW_SCALAR → powScalar). */
export const UNARY_CODES = opCodes('elementwise.wgsl', 'UNARY', UNARY_NAMES);

/** FLOPs per element, roughly (transcendentals count as a few). */
const UNARY_FLOPS: Record<UnaryName, number> = {
  neg: 1, exp: 4, log: 4, sqrt: 4, relu: 1, sigmoid: 6, tanh: 6, abs: 1, step: 1, sign: 1, square: 1,
  reciprocal: 1, scale: 1, shift: 1, powScalar: 8, copy: 0,
};

function defineUnary(name: UnaryName): OpDef<UnaryAttrs> {
  const code = UNARY_CODES[name];
  const g = unaryGrads[name];
  return defineOp<UnaryAttrs>({
    name,
    kernels: [unaryKernel],
    infer: ([x]) => [{ shape: x.shape, dtype: 'f32' }],
    encode: (ctx, { inputs, outputs, outMeta, attrs }) => {
      const n = numel(outMeta[0].shape);
      if (n === 0) return;
      ctx.dispatch(unaryKernel, {
        bind: { x: inputs[0], y: outputs[0] }, params: { n, alpha: attrs.alpha }, overrides: { OP: code },
        grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
      });
    },
    grad: 'none' in g ? g : ({ inputs: [x], outputs: [y], dys: [dy], attrs }) => [dy ? g(x, y, dy, attrs.alpha) : null],
    reference: ([x], { alpha }) => [ref.unaryForward(name, x, alpha)],
    referenceBackward: 'none' in g ? g : ({ inputs: [x], outputs: [y], dys: [dy], attrs }) =>
      [dy ? ref.unaryBackward(name, x, y, dy, attrs.alpha) : null],
    cost: ([x]) => ({ flops: UNARY_FLOPS[name] * numel(x.shape), bytes: 8 * numel(x.shape) }),
  });
}

const unaryOps = Object.fromEntries(UNARY_NAMES.map((n) => [n, defineUnary(n)])) as Record<UnaryName, OpDef<UnaryAttrs>>;

function unary(name: UnaryName, x: Tensor, alpha = 0): Tensor {
  requireFloat(x, name, 'x');
  return apply1(unaryOps[name], [x], { alpha });
}

/** -x */
export const neg = (x: Tensor) => unary('neg', x);
/** e^x */
export const exp = (x: Tensor) => unary('exp', x);
/** natural logarithm */
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
/** max(x, 0) */
export const relu = (x: Tensor) => unary('relu', x);
/** 1 / (1 + e^-x) */
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const abs = (x: Tensor) => unary('abs', x);
/** 1 where x > 0, else 0 (no gradient). */
export const step = (x: Tensor) => unary('step', x);
/** -1, 0 or 1 (no gradient). */
export const sign = (x: Tensor) => unary('sign', x);
export const square = (x: Tensor) => unary('square', x);
export const reciprocal = (x: Tensor) => unary('reciprocal', x);
/** x · c for a constant c */
export const scale = (x: Tensor, c: number) => unary('scale', x, c);
/** x + c for a constant c */
export const shift = (x: Tensor, c: number) => unary('shift', x, c);
/** x ^ c for a constant c */
export const powScalar = (x: Tensor, c: number) => unary('powScalar', x, c);
/** A materialised copy of x (a new buffer). */
export const copy = (x: Tensor) => unary('copy', x);
/** The OP code of the copy in shaders/elementwise.wgsl's unary kernel (used by compiled plans). */
export const COPY_CODE = UNARY_CODES.copy;

// ---- binary -----------------------------------------------------------------------------------

const BINARY_NAMES = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'eq', 'gt', 'ge'] as const;
type BinaryName = (typeof BINARY_NAMES)[number];
/** The `OP` code of each binary op: the BINARY_* constants of shaders/elementwise.wgsl. */
export const BINARY_CODES = opCodes('elementwise.wgsl', 'BINARY', BINARY_NAMES);

/** Gradient rules for binary ops, before summing over broadcast dimensions. */
type BinaryGrad = (a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => [Tensor | null, Tensor | null];

const half = (t: Tensor) => scale(t, 0.5);
const binaryGrads: Record<BinaryName, BinaryGrad | NoGrad> = {
  add: (_a, _b, _y, dy) => [dy, dy],
  sub: (_a, _b, _y, dy) => [dy, neg(dy)],
  mul: (a, b, _y, dy) => [mul(dy, b), mul(dy, a)],
  div: (a, b, _y, dy) => [div(dy, b), neg(div(mul(dy, a), square(b)))], // d(a/b)/db = -a/b²
  // Ties split the gradient evenly between a and b, as PyTorch does.
  maximum: (a, b, _y, dy) => [mul(dy, add(gt(a, b), half(eq(a, b)))), mul(dy, add(gt(b, a), half(eq(a, b))))],
  minimum: (a, b, _y, dy) => [mul(dy, add(gt(b, a), half(eq(a, b)))), mul(dy, add(gt(a, b), half(eq(a, b))))],
  // d(a^b)/da = b·a^(b-1); d(a^b)/db = a^b·ln a (taken as 0 where a <= 0, as PyTorch does for a = 0)
  pow: (a, b, y, dy) => [mul(dy, mul(b, pow(a, sub(b, 1)))), mul(dy, mul(y, log(maximum(a, 1e-30)))) ],
  eq: { none: 'comparisons are piecewise constant', zero: true },
  gt: { none: 'comparisons are piecewise constant', zero: true },
  ge: { none: 'comparisons are piecewise constant', zero: true },
};

/** binary_forward's `LAYOUT`: any broadcast, or a common case that skips the index arithmetic. */
const { LAYOUT_STRIDED, LAYOUT_SAME, LAYOUT_B_SCALAR, LAYOUT_A_SCALAR } = wgslConsts('elementwise.wgsl');

function defineBinary(name: BinaryName): OpDef<null> {
  const code = BINARY_CODES[name];
  const g = binaryGrads[name];
  return defineOp<null>({
    name,
    kernels: [binaryKernel],
    infer: ([a, b]) => {
      const shape = broadcastShapes(a.shape, b.shape, name);
      checkRank(shape, name);
      return [{ shape, dtype: 'f32' }];
    },
    encode: (ctx, { inputs, outputs, inMeta, outMeta }) => {
      const shape = outMeta[0].shape;
      const n = numel(shape);
      if (n === 0) return;
      const c = collapseDims(shape, [broadcastStrides(inMeta[0].shape, shape), broadcastStrides(inMeta[1].shape, shape)]);
      const [sa, sb] = c.strides.map((st) => (c.shape.length === 1 ? st[0] : -1));
      const layout = sa === 1 && sb === 1 ? LAYOUT_SAME
        : sa === 1 && sb === 0 ? LAYOUT_B_SCALAR
        : sa === 0 && sb === 1 ? LAYOUT_A_SCALAR
        : LAYOUT_STRIDED;
      ctx.dispatch(binaryKernel, {
        bind: { a: inputs[0], b: inputs[1], out: outputs[0] },
        params: { n, rank: c.shape.length, shape: c.shape, astride: c.strides[0], bstride: c.strides[1] },
        overrides: { OP: code, LAYOUT: layout }, grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
      });
    },
    grad: 'none' in g ? g : ({ inputs: [a, b], outputs: [y], dys: [dy] }) => {
      if (!dy) return [null, null];
      const [ga, gb] = g(a, b, y, dy);
      return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
    },
    reference: ([a, b]) => [ref.binaryForward(name, a, b)],
    referenceBackward: 'none' in g ? g : ({ inputs: [a, b], dys: [dy] }) => (dy ? ref.binaryBackward(name, a, b, dy) : [null, null]),
    cost: (ins, [o]) => ({ flops: numel(o.shape) * (name === 'pow' ? 8 : 1), bytes: 4 * (numel(ins[0].shape) + numel(ins[1].shape) + numel(o.shape)) }),
  });
}

const binaryOps = Object.fromEntries(BINARY_NAMES.map((n) => [n, defineBinary(n)])) as Record<BinaryName, OpDef<null>>;

function binary(name: BinaryName, a: Scalar, b: Scalar): Tensor {
  const ta = asTensor(a, b instanceof Tensor ? b : undefined);
  const tb = asTensor(b, ta);
  requireFloat(ta, name, 'a');
  requireFloat(tb, name, 'b');
  return apply1(binaryOps[name], [ta, tb], null);
}

export const add = (a: Scalar, b: Scalar) => binary('add', a, b);
export const sub = (a: Scalar, b: Scalar) => binary('sub', a, b);
export const mul = (a: Scalar, b: Scalar) => binary('mul', a, b);
export const div = (a: Scalar, b: Scalar) => binary('div', a, b);
export const maximum = (a: Scalar, b: Scalar) => binary('maximum', a, b);
export const minimum = (a: Scalar, b: Scalar) => binary('minimum', a, b);
export const pow = (a: Scalar, b: Scalar) => binary('pow', a, b);
/** 1 where a == b, else 0 (no gradient). */
export const eq = (a: Scalar, b: Scalar) => binary('eq', a, b);
/** 1 where a > b, else 0 (no gradient). */
export const gt = (a: Scalar, b: Scalar) => binary('gt', a, b);
/** 1 where a >= b, else 0 (no gradient). */
export const ge = (a: Scalar, b: Scalar) => binary('ge', a, b);

// ---- expand and its reverse -------------------------------------------------------------------

interface ExpandAttrs {
  shape: number[];
}

export const expandOp = defineOp<ExpandAttrs>({
  name: 'expand',
  kernels: [expandKernel],
  infer: ([x], { shape }) => {
    const out = broadcastShapes(x.shape, shape, 'expand', ['x', 'target']);
    if (!sameShape(out, shape)) {
      throw sgError(`expand: cannot expand [${x.shape}] to [${shape}]`, ShapeError);
    }
    checkRank(shape, 'expand');
    return [{ shape: [...shape], dtype: x.dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta }) => {
    const shape = outMeta[0].shape;
    const n = numel(shape);
    if (n === 0) return;
    const c = collapseDims(shape, [broadcastStrides(inMeta[0].shape, shape), stridesOf(shape)]);
    ctx.dispatch(expandKernel, {
      bind: { src: inputs[0], dst: outputs[0] },
      params: { n, rank: c.shape.length, shape: c.shape, stride: c.strides[0] },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: ({ inputs: [x], dys: [dy] }) => [dy ? sumTo(dy, x.shape) : null],
  reference: ([x], { shape }) => [ref.expandForward(x, shape)],
  referenceBackward: ({ inputs: [x], dys: [dy] }) => [dy ? sumToShape(dy, x.shape) : null],
  cost: ([x], [o]) => ({ flops: 0, bytes: 4 * (numel(x.shape) + numel(o.shape)) }),
});

/** Broadcast x to `shape` (materialised). */
export function expand(x: Tensor, shape: number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  return apply1(expandOp, [x], { shape: [...shape] });
}

// Broadcasting's gradient sums over the broadcast axes: a reduction, an op of reduce.ts, whose own
// gradients are written with this file's ops. So reduce.ts hands its sum over when it loads
// (provideSum) instead of this file importing it: neither imports the other, and the graph holds
// the same `sum` nodes as a direct call would.
let sumAxes: ((x: Tensor, axes: number[], keepdim: boolean) => Tensor) | undefined;

/** @internal reduce.ts registers its sum here when it loads. */
export function provideSum(sum: (x: Tensor, axes: number[], keepdim: boolean) => Tensor): void {
  sumAxes = sum;
}

/** Sum x over its broadcast dimensions so it has `shape` (the reverse of broadcasting). */
export function sumTo(x: Tensor, shape: number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const axes = reducedAxes(shape, x.shape);
  if (axes.length && !sumAxes) throw sgError('internal: sumTo needs src/ops/reduce.ts to be loaded');
  const s = axes.length ? sumAxes!(x, axes, true) : x;
  return reshape(s, shape);
}

/** A tensor of the given shape filled with `value` (materialised on the GPU by broadcasting). */
export function full(shape: number[], value: number, dtype: DType = 'f32'): Tensor {
  return expand(tensor([value], [], { dtype }), shape);
}

export function zerosLike(x: Tensor): Tensor {
  return full(x.shape, 0, x.dtype);
}

export function onesLike(x: Tensor): Tensor {
  return full(x.shape, 1, x.dtype);
}
