// Tensors made from a rule rather than from data, with PyTorch's names and semantics: arange, zeros,
// ones, randn, the triangular masks tril / triu, stack, and cumsum. All are built from other ops
// (whose kernels, references and gradients they inherit) and values made on the host:
//   arange, zeros, ones, randn   values computed on the CPU and uploaded (randn draws from the global
//                                generator that sg.manualSeed seeds, or from its own `seed`)
//   tril, triu                   where(mask, x, 0) with the [R, C] mask of the last two dimensions
//   stack                        unsqueeze each tensor at `axis`, then concat
//   cumsum                       a product with the upper-triangular matrix of ones along `dim`
//                                (Σ_{j ≤ i} x_j in one matmul; O(n²) in the scanned length, meant for
//                                the short axes of masks, positions and sequences)

import { tensor, type Tensor } from '../tensor/tensor.js';
import { full, where } from './elementwise.js';
import { concat } from './index-ops.js';
import { matmul } from './matmul.js';
import { permute, unsqueeze } from './shape-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { globalRandom, Random } from '../util/random.js';
import { normAxis, type DType } from '../util/shape.js';
import { raise, ShapeError } from '../util/errors.js';

export interface CreationOptions {
  /** 'f32' (default) or 'i32'. */
  dtype?: DType;
}
export interface RandnOptions {
  /** Draw from a private generator with this seed instead of the global one (sg.manualSeed). */
  seed?: number;
}
export const CREATION_KEYS = keysOf<CreationOptions>({ dtype: 1 });
export const RANDN_KEYS = keysOf<RandnOptions>({ seed: 1 });

function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    raise(op, `shape must be an array of integers ≥ 0, got ${JSON.stringify(shape)}`, ShapeError);
  }
  return [...shape];
}

function checkDtype(op: string, options: CreationOptions | undefined): DType {
  checkOptions(op, options, CREATION_KEYS);
  const dtype = options?.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'i32') raise(op, `dtype must be 'f32' or 'i32', got ${JSON.stringify(dtype)}`);
  return dtype;
}

/**
 * torch.arange: start, start + step, … below `end` (above it for a negative step); `arange(n)` is
 * 0 … n − 1. i32 when start, end and step are all integers (torch's int64), else f32, unless
 * `dtype` says otherwise.
 */
export function arange(start: number, end?: number, step = 1, options?: CreationOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  for (const [k, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) raise('arange', `${k} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) raise('arange', 'step must be nonzero');
  if ((end - start) * step < 0) {
    raise('arange', `upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  }
  checkOptions('arange', options, CREATION_KEYS);
  const dtype = options?.dtype ?? ([start, end, step].every(Number.isInteger) ? 'i32' : 'f32');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const values = Array.from({ length: n }, (_, i) => start + i * step);
  return tensor(dtype === 'i32' ? Int32Array.from(values) : Float32Array.from(values), [n], { dtype });
}

/** torch.zeros: a tensor of `shape` filled with 0. */
export function zeros(shape: readonly number[], options?: CreationOptions): Tensor {
  return full(checkShape('zeros', shape), 0, checkDtype('zeros', options));
}

/** torch.ones: a tensor of `shape` filled with 1. */
export function ones(shape: readonly number[], options?: CreationOptions): Tensor {
  return full(checkShape('ones', shape), 1, checkDtype('ones', options));
}

/** torch.randn: samples of the standard normal distribution, drawn on the CPU (seeded, reproducible). */
export function randn(shape: readonly number[], options?: RandnOptions): Tensor {
  const s = checkShape('randn', shape);
  checkOptions('randn', options, RANDN_KEYS);
  const r = options?.seed !== undefined ? new Random(options.seed) : globalRandom();
  const n = s.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => r.normal()), s);
}

/** The [R, C] i32 mask of a triangle: 1 where col − row ≤ diagonal (lower) or ≥ diagonal (upper). */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.rank < 2) raise(op, `x ${x.describe()} must have at least 2 dimensions`, ShapeError);
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
