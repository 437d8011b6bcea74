// Elementwise ops: unary (neg, exp, log, sqrt, relu, sigmoid, tanh, ...), binary with broadcasting
// (add, sub, mul, div, maximum, minimum, pow, comparisons), where (a select) and clamp, and expand
// (broadcast copy).
// Kernels: shaders/elementwise.wgsl. References: src/reference/elementwise.ts.

import { opCodes, wgslConsts, wgslKernel } from '../gpu/kernels.js';
import { apply1, tensor, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/elementwise.js';
import { sumToShape } from '../reference/host.js';
import { defineOp, type HalfRule, type NoGrad, type OpDef } from './op.js';
import { grid1d, type HalfStorage } from '../gpu/dispatch.js';
import { numel, type DType, type Meta, broadcastShapes, broadcastStrides, checkRank, collapseDims, reducedAxes, sameShape, stridesOf } from '../util/shape.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

const WG = 256;

export const unaryKernel = wgslKernel('unary_forward');
export const binaryKernel = wgslKernel('binary_forward');
export const expandKernel = wgslKernel('expand_forward');
export const whereKernel = wgslKernel('where_forward');

type Scalar = Tensor | number;

// ---- half-precision storage ---------------------------------------------------------------------
// compile's precision: 'mixed' may store any f32 tensor these kernels read or write as f16 pairs
// (shaders/common/half.wgsl). Each binding has a bool override; a kernel with a half output computes
// the two elements of an output word per thread, so its grid covers ⌈n / 2⌉ words instead of n values.

/**
 * The override constants for the bindings stored as f16: `{ NAME: 1 }` for each flag set, nothing for
 * f32 bindings, so an all-f32 dispatch keeps the pipeline (and the override set) it always had.
 */
export function halfOverrides(names: { inputs?: string[]; outputs?: string[] }, half: HalfStorage | undefined): Record<string, number> {
  const o: Record<string, number> = {};
  if (!half) return o;
  names.inputs?.forEach((name, k) => { if (half.inputs[k]) o[name] = 1; });
  names.outputs?.forEach((name, k) => { if (half.outputs[k]) o[name] = 1; });
  return o;
}

/** The 1-D grid of an elementwise kernel over n values: one thread per value, or per word of two when the output is half. */
export function halfGrid(n: number, halfOut: boolean | undefined, maxPerDim: number): [number, number] {
  return grid1d(halfOut ? Math.ceil(n / 2) : n, WG, maxPerDim);
}

/** The half rule of an op whose kernels read every f32 input and write every f32 output as f16 (i32 stays 32-bit). */
export function halfWhereF32(inMeta: Meta[], outMeta: Meta[]): HalfRule {
  return { reads: inMeta.map((m) => m.dtype === 'f32'), writes: outMeta.map((m) => m.dtype === 'f32') };
}

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
    half: halfWhereF32,
    encode: (ctx, { inputs, outputs, outMeta, attrs, half }) => {
      const n = numel(outMeta[0].shape);
      if (n === 0) return;
      ctx.dispatch(unaryKernel, {
        bind: { x: inputs[0], y: outputs[0] }, params: { n, alpha: attrs.alpha },
        overrides: { OP: code, ...halfOverrides({ inputs: ['X_HALF'], outputs: ['Y_HALF'] }, half) },
        grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
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
    half: halfWhereF32,
    encode: (ctx, { inputs, outputs, inMeta, outMeta, half }) => {
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
        overrides: { OP: code, LAYOUT: layout, ...halfOverrides({ inputs: ['A_HALF', 'B_HALF'], outputs: ['OUT_HALF'] }, half) },
        grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
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
  // Half storage for f32 tensors only (an i32 expand copies 32-bit words).
  half: halfWhereF32,
  encode: (ctx, { inputs, outputs, inMeta, outMeta, half }) => {
    const shape = outMeta[0].shape;
    const n = numel(shape);
    if (n === 0) return;
    const c = collapseDims(shape, [broadcastStrides(inMeta[0].shape, shape), stridesOf(shape)]);
    ctx.dispatch(expandKernel, {
      bind: { src: inputs[0], dst: outputs[0] },
      params: { n, rank: c.shape.length, shape: c.shape, stride: c.strides[0] },
      overrides: halfOverrides({ inputs: ['SRC_HALF'], outputs: ['DST_HALF'] }, half),
      grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
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

// ---- where and clamp ----------------------------------------------------------------------------

interface WhereAttrs {
  /** cond is i32 (true where nonzero); else f32 (true where nonzero, NaN included). */
  condInt: boolean;
}

const whereOp = defineOp<WhereAttrs>({
  name: 'where',
  kernels: [whereKernel],
  infer: ([c, a, b]) => {
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape, 'where', ['cond', 'a']), b.shape, 'where', ['cond and a', 'b']);
    checkRank(shape, 'where');
    return [{ shape, dtype: 'f32' }];
  },
  // The condition stays as stored: an f32 condition below 2^-25 would round to an f16 zero and turn
  // false (where is true for any nonzero value). The two value inputs and the output may be f16.
  half: (inMeta, outMeta) => ({ reads: [false, inMeta[1].dtype === 'f32', inMeta[2].dtype === 'f32'], writes: outMeta.map((m) => m.dtype === 'f32') }),
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const shape = outMeta[0].shape;
    const n = numel(shape);
    if (n === 0) return;
    const c = collapseDims(shape, inMeta.map((m) => broadcastStrides(m.shape, shape)));
    ctx.dispatch(whereKernel, {
      bind: { cond: inputs[0], when_true: inputs[1], when_false: inputs[2], selected: outputs[0] },
      params: { n, rank: c.shape.length, shape: c.shape, cstride: c.strides[0], tstride: c.strides[1], fstride: c.strides[2] },
      overrides: { COND_INT: attrs.condInt ? 1 : 0, ...halfOverrides({ inputs: ['COND_HALF', 'T_HALF', 'F_HALF'], outputs: ['SEL_HALF'] }, half) },
      grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // cond gets no gradient (a mask); a and b get dy where they were chosen, summed to their shapes.
  grad: ({ inputs: [c, a, b], dys: [dy] }) => {
    if (!dy) return [null, null, null];
    const zero = tensor([0], []);
    return [null, sumTo(where(c, dy, zero), a.shape), sumTo(where(c, zero, dy), b.shape)];
  },
  reference: ([c, a, b]) => [ref.whereForward(c, a, b)],
  referenceBackward: ({ inputs: [c, a, b], dys: [dy] }) => (dy ? [null, ...ref.whereBackward(c, a, b, dy)] : [null, null, null]),
  cost: (ins, [o]) => ({ flops: numel(o.shape), bytes: 4 * (ins.reduce((s, m) => s + numel(m.shape), 0) + numel(o.shape)) }),
});

/**
 * torch.where(cond, a, b): `a` where `cond` is nonzero, else `b`, with `cond`, `a` and `b`
 * broadcast together. `cond` is an f32 mask (comparisons give 0 / 1; NaN counts as true) or an i32
 * tensor; `a` and `b` are f32 tensors or numbers. Only the chosen value is read, so an inf or NaN in
 * the other branch does not leak (unlike cond·a + (1 − cond)·b). Differentiable in `a` and `b`.
 */
export function where(cond: Tensor, a: Scalar, b: Scalar): Tensor {
  if (!(cond instanceof Tensor)) throw sgError(`where: cond must be a Tensor (a mask), got ${typeof cond}`);
  const ta = asTensor(a, undefined);
  const tb = asTensor(b, undefined);
  requireFloat(ta, 'where', 'a');
  requireFloat(tb, 'where', 'b');
  return apply1(whereOp, [cond, ta, tb], { condInt: cond.dtype === 'i32' });
}

/**
 * torch.clamp(x, min, max): each value limited to [min, max] (either bound may be omitted, or a
 * tensor that broadcasts against x). NaN stays NaN. The gradient passes where min ≤ x ≤ max (to x)
 * and to the bound that was taken elsewhere, as in PyTorch.
 */
export function clamp(x: Tensor, min?: Scalar | null, max?: Scalar | null): Tensor {
  if (!(x instanceof Tensor)) throw sgError(`clamp: x must be a Tensor, got ${typeof x}`);
  requireFloat(x, 'clamp', 'x');
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw sgError('clamp: give min, max or both (torch: "At least one of \'min\' or \'max\' must not be None")');
  }
  let y = x;
  // x < min takes min: gt(min, x) is false for NaN, so NaN stays.
  if (min !== undefined && min !== null) y = where(gt(asTensor(min, x), y), min, y);
  if (max !== undefined && max !== null) y = where(gt(y, asTensor(max, x)), max, y);
  return y;
}
