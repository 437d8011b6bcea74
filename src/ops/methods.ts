// Tensor methods, so that eager code reads like PyTorch: `x.matmul(w).add(b).relu().sum()`.
//
// Each method calls the functional op of the same name with the tensor as its first argument
// (`x.sum(1, true)` is `sg.sum(x, 1, true)`): same semantics, same errors, same gradients, nothing
// recorded twice. The tensor layer sits below the ops (ARCHITECTURE.md), so src/tensor/tensor.ts
// does not know them: this file declares them on the Tensor type (module augmentation, below) and
// installs them on Tensor.prototype when src/index.ts calls installTensorMethods(), which it does
// as it loads. Every function these methods call is part of the core op set that index.ts exports
// anyway, so installing them keeps no module alive that a bundle would otherwise drop.

import { Tensor } from '../tensor/tensor.js';
import {
  abs, add, div, eq, exp, ge, gt, log, maximum, minimum, mul, neg, pow, reciprocal, relu, sigmoid, sign, sqrt,
  square, sub, tanh, clamp, where,
} from './elementwise.js';
import { argmax, argmin, max, mean, min, sum } from './reduce.js';
import { flatten, permute, reshape, squeeze, transpose, unsqueeze } from './shape-ops.js';
import { logSoftmax, softmax } from './softmax.js';
import { gelu, type GeluOptions } from './activation.js';
import { matmul, type MatmulOptions } from './matmul.js';
import { sgError, ShapeError } from '../util/errors.js';

/** The tensor methods (each is the functional op `sg.<name>(this, ...)`). */
export interface TensorMethods {
  // ---- arithmetic (other: a tensor that broadcasts against this one, or a number) ----
  /** this + other (torch.Tensor.add; sg.add). */
  add(other: Tensor | number): Tensor;
  /** this − other (sg.sub). */
  sub(other: Tensor | number): Tensor;
  /** this · other, elementwise (sg.mul). */
  mul(other: Tensor | number): Tensor;
  /** this / other, elementwise (sg.div). */
  div(other: Tensor | number): Tensor;
  /** this ** exponent, elementwise (sg.pow; a negative base with an integer exponent is real). */
  pow(exponent: Tensor | number): Tensor;
  /** The elementwise larger of this and other (sg.maximum; ties share the gradient). */
  maximum(other: Tensor | number): Tensor;
  /** The elementwise smaller of this and other (sg.minimum). */
  minimum(other: Tensor | number): Tensor;
  /** 1 where this == other, else 0 (f32; sg.eq). */
  eq(other: Tensor | number): Tensor;
  /** 1 where this > other, else 0 (f32; sg.gt). */
  gt(other: Tensor | number): Tensor;
  /** 1 where this ≥ other, else 0 (f32; sg.ge). */
  ge(other: Tensor | number): Tensor;
  /** Matrix product with torch.matmul's semantics (sg.matmul). */
  matmul(other: Tensor, options?: MatmulOptions): Tensor;

  // ---- elementwise functions ----
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  abs(): Tensor;
  sign(): Tensor;
  square(): Tensor;
  reciprocal(): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  /** x · Φ(x) (sg.gelu; `{ approximate: 'tanh' }` for the tanh form). */
  gelu(options?: GeluOptions): Tensor;
  /** Each value limited to [min, max]; either bound may be omitted (null), or a tensor (sg.clamp). */
  clamp(min?: Tensor | number | null, max?: Tensor | number | null): Tensor;
  /** torch.Tensor.where: this where `condition` is nonzero, else `other` (sg.where(condition, this, other)). */
  where(condition: Tensor, other: Tensor | number): Tensor;

  // ---- along a dimension ----
  /** softmax along `dim` (default the last; sg.softmax). */
  softmax(dim?: number): Tensor;
  /** log-softmax along `dim` (default the last; sg.logSoftmax). */
  logSoftmax(dim?: number): Tensor;
  /** Sum over `dim` (a number or a list; every element when omitted), keeping it as size 1 if `keepdim`. */
  sum(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Mean over `dim` (as sum). */
  mean(dim?: number | number[], keepdim?: boolean): Tensor;
  /**
   * Maximum over `dim` (every element when omitted). The values only, like torch.amax: torch's
   * x.max(dim) also returns the indices, which are x.argmax(dim) here.
   */
  max(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Minimum over `dim`: the values only, like torch.amin (indices: x.argmin(dim)). */
  min(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Index (i32) of the largest value along `dim`, or into the flattened tensor when omitted. */
  argmax(dim?: number, keepdim?: boolean): Tensor;
  /** Index (i32) of the smallest value along `dim`, or into the flattened tensor when omitted. */
  argmin(dim?: number, keepdim?: boolean): Tensor;

  // ---- shapes ----
  /** The same values in a new shape, as a list or as arguments (`x.reshape(2, -1)`); one size may be -1. */
  reshape(shape: readonly number[]): Tensor;
  reshape(...shape: number[]): Tensor;
  /** reshape (never a copy here: every tensor is contiguous). */
  view(shape: readonly number[]): Tensor;
  view(...shape: number[]): Tensor;
  /** The dimensions reordered, as a list or as arguments (`x.permute(0, 2, 1)`). */
  permute(dims: readonly number[]): Tensor;
  permute(...dims: number[]): Tensor;
  /** Swap two dimensions (default the last two; sg.transpose). */
  transpose(dim0?: number, dim1?: number): Tensor;
  /** Dimensions startDim … endDim merged into one (default all: 1-d). */
  flatten(startDim?: number, endDim?: number): Tensor;
  /** A size-1 dimension inserted at `dim`. */
  unsqueeze(dim: number): Tensor;
  /** Size-1 dimensions removed (all, or only `dim`, left as is if its size is not 1). */
  squeeze(dim?: number): Tensor;
  /** torch's Tensor.T: the dimensions reversed (a 0-d or 1-d tensor is returned as it is). */
  readonly T: Tensor;
  /** torch's Tensor.mT: the last two dimensions swapped (at least 2 dimensions). */
  readonly mT: Tensor;
}

declare module '../tensor/tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
  interface Tensor extends TensorMethods {}
}

type Operand = Tensor | number;

/** A binary method's argument: a tensor or a number, with the method named when it is not. */
function operand(method: string, name: string, v: unknown): Operand {
  if (v instanceof Tensor || typeof v === 'number') return v;
  throw sgError(`Tensor.${method}: ${name} must be a Tensor or a number, got ${v === null ? 'null' : typeof v}`);
}

/** `reshape(2, 3)` and `reshape([2, 3])` both give [2, 3]. */
function sizes(method: string, args: unknown[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as number[])];
  if (args.every((a) => typeof a === 'number')) return args as number[];
  throw sgError(`Tensor.${method}: expects sizes as numbers or one array of numbers, got (${args.map((a) => JSON.stringify(a)).join(', ')})`, ShapeError);
}

type Methods = Omit<TensorMethods, 'T' | 'mT'> & ThisType<Tensor>;

const methods: Methods = {
  add(other) { return add(this, operand('add', 'other', other)); },
  sub(other) { return sub(this, operand('sub', 'other', other)); },
  mul(other) { return mul(this, operand('mul', 'other', other)); },
  div(other) { return div(this, operand('div', 'other', other)); },
  pow(exponent) { return pow(this, operand('pow', 'exponent', exponent)); },
  maximum(other) { return maximum(this, operand('maximum', 'other', other)); },
  minimum(other) { return minimum(this, operand('minimum', 'other', other)); },
  eq(other) { return eq(this, operand('eq', 'other', other)); },
  gt(other) { return gt(this, operand('gt', 'other', other)); },
  ge(other) { return ge(this, operand('ge', 'other', other)); },
  matmul(other, options) { return matmul(this, other, options); },

  neg() { return neg(this); },
  exp() { return exp(this); },
  log() { return log(this); },
  sqrt() { return sqrt(this); },
  abs() { return abs(this); },
  sign() { return sign(this); },
  square() { return square(this); },
  reciprocal() { return reciprocal(this); },
  relu() { return relu(this); },
  sigmoid() { return sigmoid(this); },
  tanh() { return tanh(this); },
  gelu(options) { return gelu(this, options); },
  clamp(lo, hi) { return clamp(this, lo, hi); },
  where(condition, other) { return where(condition, this, operand('where', 'other', other)); },

  softmax(dim = -1) { return softmax(this, dim); },
  logSoftmax(dim = -1) { return logSoftmax(this, dim); },
  sum(dim, keepdim = false) { return sum(this, dim, keepdim); },
  mean(dim, keepdim = false) { return mean(this, dim, keepdim); },
  max(dim, keepdim = false) { return max(this, dim, keepdim); },
  min(dim, keepdim = false) { return min(this, dim, keepdim); },
  argmax(dim, keepdim = false) { return argmax(this, dim, keepdim); },
  argmin(dim, keepdim = false) { return argmin(this, dim, keepdim); },

  reshape(...shape: unknown[]) { return reshape(this, sizes('reshape', shape)); },
  view(...shape: unknown[]) { return reshape(this, sizes('view', shape)); },
  permute(...dims: unknown[]) { return permute(this, sizes('permute', dims)); },
  transpose(dim0 = -2, dim1 = -1) { return transpose(this, dim0, dim1); },
  flatten(startDim = 0, endDim = -1) { return flatten(this, startDim, endDim); },
  unsqueeze(dim) { return unsqueeze(this, dim); },
  squeeze(dim) { return squeeze(this, dim); },
};

const getters: { [K in 'T' | 'mT']: (this: Tensor) => Tensor } = {
  T() {
    return this.rank < 2 ? this : permute(this, this.shape.map((_, i) => this.rank - 1 - i));
  },
  mT() {
    if (this.rank < 2) throw sgError(`Tensor.mT: ${this.describe()} needs at least 2 dimensions`, ShapeError);
    return transpose(this, -2, -1);
  },
};

/** The names of the installed methods and getters (for docs and tests). */
export const TENSOR_METHOD_NAMES: readonly string[] = [...Object.keys(methods), ...Object.keys(getters)];

let installed = false;

/**
 * Put the methods on Tensor.prototype (idempotent). src/index.ts calls it when it loads, so every
 * tensor of `import * as sg from 'shadergrad'` has them.
 */
export function installTensorMethods(): void {
  if (installed) return;
  installed = true;
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(methods)) {
    if (name in proto) throw sgError(`internal: Tensor.${name} is already defined; a method would hide it`);
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  for (const [name, get] of Object.entries(getters)) {
    if (name in proto) throw sgError(`internal: Tensor.${name} is already defined; a getter would hide it`);
    Object.defineProperty(proto, name, { get, configurable: true, enumerable: false });
  }
}
