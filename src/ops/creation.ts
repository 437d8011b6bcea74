// Tensors made from a rule rather than from data, with PyTorch's names and semantics: arange,
// linspace, zeros, ones, full, eye, the *Like variants, rand, randn, randint, the triangular masks
// tril / triu, stack, and cumsum. All are built from other ops (whose kernels, references and
// gradients they inherit) and values made on the host:
//   arange, linspace, eye        values computed on the CPU (torch's formulas) and uploaded
//   zeros, ones, full, *Like     one value broadcast on the GPU (elementwise.ts's expand)
//   rand, randn, randint         drawn on the CPU from the global generator that sg.manualSeed seeds,
//                                or from a private one when given `seed` (src/util/random.ts):
//                                reproducible across runs, engines and devices
//   tril, triu                   where(mask, x, 0) with the [R, C] mask of the last two dimensions
//   stack                        unsqueeze each tensor at `axis`, then concat
//   cumsum                       a product with the upper-triangular matrix of ones along `dim`
//                                (Σ_{j ≤ i} x_j in one matmul; O(n²) in the scanned length, meant for
//                                the short axes of masks, positions and sequences)
//
// dtypes: 'f32' stands for torch's float32 and 'i32' for its integer dtypes (int64 in torch). A
// JavaScript number cannot tell 1 from 1.0, so where torch infers int64 from a Python int (full,
// torch.tensor) the default here is f32; arange keeps torch's rule (i32 when every bound is an integer).

import { Tensor, tensor } from '../tensor/tensor.js';
import { full as fill, where } from './elementwise.js';
import { concat } from './index-ops.js';
import { matmul } from './matmul.js';
import { permute, unsqueeze } from './shape-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { globalRandom, Random } from '../util/random.js';
import { normAxis, numel, type DType } from '../util/shape.js';
import { raise, ShapeError } from '../util/errors.js';

/** A shape: the list of sizes, or one size for a 1-d tensor (torch.zeros(5) is zeros([5])). */
export type ShapeLike = number | readonly number[];

export interface CreationOptions {
  /** 'f32' (default, torch.float32) or 'i32' (torch's integer dtypes). */
  dtype?: DType;
}
export interface RandomOptions {
  /** Draw from a private generator with this seed instead of the global one (sg.manualSeed). */
  seed?: number;
}
/** rand's and randn's options (one bag: the seed). */
export type RandnOptions = RandomOptions;
export interface RandintOptions extends RandomOptions {
  /** 'i32' (default, torch's int64) or 'f32'. */
  dtype?: DType;
}
export const CREATION_KEYS = keysOf<CreationOptions>({ dtype: 1 });
export const RANDN_KEYS = keysOf<RandomOptions>({ seed: 1 });
export const RANDINT_KEYS = keysOf<RandintOptions>({ seed: 1, dtype: 1 });

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function checkShape(op: string, shape: ShapeLike): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    raise(op, `shape must be an array of integers ≥ 0 (or one integer), got ${fmtValue(shape)}`, ShapeError);
  }
  return [...s];
}

function fmtValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function dtypeOf(op: string, options: { dtype?: DType } | undefined, fallback: DType, keys: readonly string[] = CREATION_KEYS): DType {
  if (typeof options === 'string') raise(op, `pass the dtype in the options: { dtype: ${JSON.stringify(options)} }`);
  checkOptions(op, options, keys);
  const dtype = options?.dtype ?? fallback;
  if (dtype !== 'f32' && dtype !== 'i32') raise(op, `dtype must be 'f32' or 'i32', got ${JSON.stringify(dtype)}`);
  return dtype;
}

function checkFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) raise(op, `${name} must be a finite number, got ${fmtValue(v)}`);
  return v;
}

/** A value that an i32 tensor holds exactly. */
function checkInt32(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < I32_MIN || v > I32_MAX) {
    raise(op, `${name} ${v} is not a 32-bit integer (dtype 'i32')`);
  }
}

function checkTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) raise(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x;
}

function generator(op: string, options: RandomOptions | undefined, keys: readonly string[]): Random {
  checkOptions(op, options, keys);
  if (options?.seed !== undefined) {
    checkFinite(op, 'seed', options.seed);
    return new Random(options.seed);
  }
  return globalRandom();
}

/**
 * torch.arange: start, start + step, … below `end` (above it for a negative step); `arange(n)` is
 * 0 … n − 1; ⌈(end − start) / step⌉ values. i32 when start, end and step are all integers (torch's
 * int64), else f32, unless `dtype` says otherwise. With dtype 'i32' and fractional bounds torch's
 * rule holds: the count from the exact bounds, the values from start and step truncated to integers
 * (so a step that truncates to 0 is an error).
 */
export function arange(start: number, end?: number, step = 1, options?: CreationOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  checkFinite('arange', 'start', start);
  checkFinite('arange', 'end', end);
  checkFinite('arange', 'step', step);
  if (step === 0) raise('arange', 'step must be nonzero');
  if ((end - start) * step < 0) {
    raise('arange', `upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  }
  const dtype = dtypeOf('arange', options, [start, end, step].every(Number.isInteger) ? 'i32' : 'f32');
  const n = Math.max(0, Math.ceil((end - start) / step));
  if (dtype === 'i32') {
    const [s, d] = [Math.trunc(start), Math.trunc(step)];
    if (d === 0) raise('arange', `step ${step} truncates to 0 for dtype 'i32' (torch: step must be nonzero)`);
    checkInt32('arange', 'start', s);
    checkInt32('arange', 'last value', s + (n - 1) * d);
    return tensor(Int32Array.from({ length: n }, (_, i) => s + i * d), [n], { dtype });
  }
  return tensor(Float32Array.from({ length: n }, (_, i) => start + i * step), [n], { dtype });
}

/**
 * torch.linspace: `steps` values from `start` to `end` inclusive, evenly spaced; steps = 1 gives
 * [start], steps = 0 an empty tensor. f32 unless `dtype` says otherwise (torch's default dtype,
 * whatever the bounds). Computed with torch's formula (its CUDA kernel and its scalar CPU path):
 * step = (end − start) / (steps − 1) in the dtype's arithmetic (f32; f64 for i32), the first half
 * start + i·step and the second half end − (steps − 1 − i)·step, so both ends are exact and the grid
 * is symmetric; for 'i32' the bounds are truncated first and each value truncated. Unlike torch,
 * a non-finite bound is an error (torch fills the tensor with NaN).
 */
export function linspace(start: number, end: number, steps: number, options?: CreationOptions): Tensor {
  checkFinite('linspace', 'start', start);
  checkFinite('linspace', 'end', end);
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
    raise('linspace', `steps must be an integer ≥ 0 (the number of values, ends included), got ${fmtValue(steps)}`);
  }
  const dtype = dtypeOf('linspace', options, 'f32');
  const half = Math.floor(steps / 2);
  if (dtype === 'i32') {
    const [s, e] = [Math.trunc(start), Math.trunc(end)];
    checkInt32('linspace', 'start', s);
    checkInt32('linspace', 'end', e);
    const d = (e - s) / (steps - 1);
    const v = (i: number) => (steps === 1 ? s : Math.trunc(i < half ? s + d * i : e - d * (steps - 1 - i)));
    return tensor(Int32Array.from({ length: steps }, (_, i) => v(i)), [steps], { dtype });
  }
  const f = Math.fround;
  const [s, e] = [f(start), f(end)];
  if (!Number.isFinite(s) || !Number.isFinite(e)) raise('linspace', `start ${start} and end ${end} must fit in f32`);
  const d = f(f(e - s) / (steps - 1));
  if (steps > 1 && !Number.isFinite(d)) raise('linspace', `end − start (${end} − ${start}) overflows f32`);
  // One rounding per value, as the fused multiply-add of torch's kernel.
  const v = (i: number) => (steps === 1 ? s : i < half ? s + d * i : e - d * (steps - 1 - i));
  return tensor(Float32Array.from({ length: steps }, (_, i) => v(i)), [steps]);
}

/** torch.zeros: a tensor of `shape` filled with 0. */
export function zeros(shape: ShapeLike, options?: CreationOptions): Tensor {
  return fill(checkShape('zeros', shape), 0, dtypeOf('zeros', options, 'f32'));
}

/** torch.ones: a tensor of `shape` filled with 1. */
export function ones(shape: ShapeLike, options?: CreationOptions): Tensor {
  return fill(checkShape('ones', shape), 1, dtypeOf('ones', options, 'f32'));
}

function checkFill(op: string, value: unknown, dtype: DType): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') raise(op, `value must be a number, got ${fmtValue(value)}`);
  if (dtype === 'i32') checkInt32(op, 'value', value);
  return value;
}

/**
 * torch.full: a tensor of `shape` filled with `value` (NaN and ±Infinity allowed in f32). f32
 * unless `dtype` says otherwise (torch infers int64 from a Python int; a JavaScript number cannot
 * say whether it is one). An 'i32' value must be a 32-bit integer.
 */
export function full(shape: ShapeLike, value: number, options?: CreationOptions): Tensor {
  const s = checkShape('full', shape);
  const dtype = dtypeOf('full', options, 'f32');
  return fill(s, checkFill('full', value, dtype), dtype);
}

/** torch.eye: the [n, m] matrix (m defaults to n) with ones on the diagonal and zeros elsewhere. */
export function eye(n: number, m?: number, options?: CreationOptions): Tensor {
  const cols = m ?? n;
  for (const [k, v] of [['n', n], ['m', cols]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) raise('eye', `${k} must be an integer ≥ 0, got ${fmtValue(v)}`, ShapeError);
  }
  const dtype = dtypeOf('eye', options, 'f32');
  const values = dtype === 'i32' ? new Int32Array(n * cols) : new Float32Array(n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) values[i * cols + i] = 1;
  return tensor(values, [n, cols], { dtype });
}

/** torch.zeros_like: zeros with x's shape, and x's dtype unless `dtype` says otherwise. */
export function zerosLike(x: Tensor, options?: CreationOptions): Tensor {
  checkTensor('zerosLike', x);
  return fill(x.shape, 0, dtypeOf('zerosLike', options, x.dtype));
}

/** torch.ones_like: ones with x's shape, and x's dtype unless `dtype` says otherwise. */
export function onesLike(x: Tensor, options?: CreationOptions): Tensor {
  checkTensor('onesLike', x);
  return fill(x.shape, 1, dtypeOf('onesLike', options, x.dtype));
}

/** torch.full_like: `value` with x's shape, and x's dtype unless `dtype` says otherwise. */
export function fullLike(x: Tensor, value: number, options?: CreationOptions): Tensor {
  checkTensor('fullLike', x);
  const dtype = dtypeOf('fullLike', options, x.dtype);
  return fill(x.shape, checkFill('fullLike', value, dtype), dtype);
}

const TWO_24 = 2 ** 24;

/**
 * torch.rand: samples of the uniform distribution on [0, 1) (f32). Each value is k / 2^24 with k a
 * uniform 24-bit integer, exactly representable in f32, so 1 never appears. Seeded like randn.
 */
export function rand(shape: ShapeLike, options?: RandomOptions): Tensor {
  const s = checkShape('rand', shape);
  const r = generator('rand', options, RANDN_KEYS);
  return tensor(Float32Array.from({ length: numel(s) }, () => (r.nextUint32() >>> 8) / TWO_24), s);
}

/**
 * torch.randn: samples of the standard normal distribution (f32), drawn on the CPU from the global
 * generator (sg.manualSeed) or, given `seed`, from a private one: reproducible.
 */
export function randn(shape: ShapeLike, options?: RandomOptions): Tensor {
  const s = checkShape('randn', shape);
  const r = generator('randn', options, RANDN_KEYS);
  return tensor(Float32Array.from({ length: numel(s) }, () => r.normal()), s);
}

/**
 * torch.randint: integers drawn uniformly from [low, high) (low defaults to 0: `randint(high,
 * shape)`), without modulo bias. i32 (torch's int64) unless `dtype` says 'f32'. The shape is an
 * array here (as torch's `size` is a tuple), which tells the two forms apart. Seeded like randn.
 */
export function randint(high: number, shape: readonly number[], options?: RandintOptions): Tensor;
export function randint(low: number, high: number, shape: readonly number[], options?: RandintOptions): Tensor;
export function randint(a: number, b: number | readonly number[], c?: readonly number[] | RandintOptions, d?: RandintOptions): Tensor {
  const [low, high, shape, options] = Array.isArray(b)
    ? [0, a, b as readonly number[], c as RandintOptions | undefined]
    : [a, b as number, c as readonly number[], d];
  if (!Array.isArray(shape)) raise('randint', `shape must be an array of sizes, got ${fmtValue(shape)} (randint(high, shape) or randint(low, high, shape))`, ShapeError);
  const s = checkShape('randint', shape);
  checkFinite('randint', 'low', low);
  checkFinite('randint', 'high', high);
  checkInt32('randint', 'low', low);
  if (!Number.isInteger(high) || high > I32_MAX + 1) raise('randint', `high ${high} must be an integer ≤ 2^31 (the bound is exclusive)`);
  if (!(low < high)) raise('randint', `low must be less than high, got low ${low} and high ${high}`);
  const dtype = dtypeOf('randint', options, 'i32', RANDINT_KEYS);
  const r = generator('randint', options, RANDINT_KEYS);
  const n = numel(s);
  const values = dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = low + r.int(high - low);
  return tensor(values, s, { dtype });
}

function checkFloatLike(op: string, x: Tensor): Tensor {
  checkTensor(op, x);
  if (x.dtype !== 'f32') raise(op, `x must be f32 (random values are floats; torch refuses integer tensors too), got ${x.describe()}`, ShapeError);
  return x;
}

/** torch.rand_like: rand with x's shape (x is f32). */
export function randLike(x: Tensor, options?: RandomOptions): Tensor {
  return rand(checkFloatLike('randLike', x).shape, options);
}

/** torch.randn_like: randn with x's shape (x is f32). */
export function randnLike(x: Tensor, options?: RandomOptions): Tensor {
  return randn(checkFloatLike('randnLike', x).shape, options);
}

/** The [R, C] i32 mask of a triangle: 1 where col − row ≤ diagonal (lower) or ≥ diagonal (upper). */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  checkTensor(op, x);
  if (x.rank < 2) raise(op, `x ${x.describe()} must have at least 2 dimensions`, ShapeError);
  if (x.dtype !== 'f32') raise(op, `x must be f32 (the mask is applied with where), got ${x.describe()}`, ShapeError);
  if (!Number.isInteger(diagonal)) raise(op, `diagonal must be an integer, got ${diagonal}`);
  const [R, C] = x.shape.slice(-2);
  const mask = new Int32Array(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) mask[i * C + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  return where(tensor(mask, [R, C], { dtype: 'i32' }), x, 0);
}

/**
 * torch.tril: the lower triangle of the last two dimensions (the rest 0, exactly: an inf or NaN above
 * the diagonal does not leak). `diagonal` > 0 keeps that many diagonals above the main one.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, true);
}

/** torch.triu: the upper triangle of the last two dimensions (the rest exactly 0). */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, false);
}

/** torch.stack: the tensors (all of one shape) joined along a new dimension `axis`. */
export function stack(tensors: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) raise('stack', 'expects a non-empty list of tensors');
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.shape.join() !== first.shape.join()) {
      raise('stack', `tensors[${i}] ${t.describe()} does not have the shape of tensors[0] ${first.describe()}`, ShapeError);
    }
  });
  const a = normAxis(axis, first.rank + 1, 'stack');
  return concat(tensors.map((t) => unsqueeze(t, a)), a);
}

/**
 * torch.cumsum: y_i = Σ_{j ≤ i} x_j along `dim` (f32). Computed as x · U with U the upper-triangular
 * matrix of ones (one matmul; its gradient, the reversed cumulative sum, comes from matmul's).
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  if (x.dtype !== 'f32') raise('cumsum', `x must be f32, got ${x.describe()}`, ShapeError);
  if (x.rank === 0) return x;
  const d = normAxis(dim, x.rank, 'cumsum');
  const n = x.shape[d];
  const u = new Float32Array(n * n);
  for (let j = 0; j < n; j++) for (let i = j; i < n; i++) u[j * n + i] = 1;
  const last = x.rank - 1;
  const perm = [...Array(x.rank).keys()];
  [perm[d], perm[last]] = [perm[last], perm[d]]; // a swap is its own inverse
  const moved = d === last ? x : permute(x, perm);
  const y = matmul(moved, tensor(u, [n, n]));
  return d === last ? y : permute(y, perm);
}
