// Shape ops: reshape (a view, no copy) and permute/transpose (a copy through shaders/permute.wgsl).
// References: src/reference/shape.ts.

import { wgslKernel } from '../gpu/kernels.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/shape.js';
import { defineOp } from './op.js';
import { fmtShape, numel, checkRank, collapseDims, normAxis, sameShape, stridesOf } from '../util/shape.js';
import { grid1d } from '../gpu/dispatch.js';
import { permuteByRows } from './kernel-rules.js';
import { sgError, ShapeError } from '../util/errors.js';

interface ReshapeAttrs {
  shape: number[];
}

export const reshapeOp = defineOp<ReshapeAttrs>({
  name: 'reshape',
  alias: true,
  kernels: [],
  infer: ([x], { shape }) => [{ shape, dtype: x.dtype }],
  grad: ({ inputs: [x], dys: [dy] }) => [dy ? reshape(dy, x.shape) : null],
  reference: ([x], { shape }) => [ref.reshapeForward(x, shape)],
  referenceBackward: ({ inputs: [x], dys: [dy] }) => [dy ? ref.reshapeForward(dy, x.shape) : null],
  cost: () => ({ flops: 0, bytes: 0 }),
});

/** Same values, new shape (one size may be -1). No copy: the result shares x's buffer. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const unknown = s.filter((d) => d === -1).length;
  if (unknown > 1) throw sgError(`reshape: only one size may be -1, got ${fmtShape(s)}`, ShapeError);
  for (const d of s) {
    if (!Number.isInteger(d) || d < -1) throw sgError(`reshape: invalid size ${d} in ${fmtShape(s)}`, ShapeError);
  }
  if (unknown) {
    const known = numel(s.filter((d) => d !== -1));
    const i = s.indexOf(-1);
    if (known === 0 || x.size % known !== 0) {
      throw sgError(`reshape: cannot reshape ${x.describe()} to ${fmtShape(shape)}`, ShapeError);
    }
    s[i] = x.size / known;
  }
  if (numel(s) !== x.size) {
    throw sgError(`reshape: ${x.describe()} has ${x.size} elements; shape ${fmtShape(s)} needs ${numel(s)}`, ShapeError);
  }
  if (sameShape(s, x.shape)) return x;
  checkRank(s, 'reshape');
  return apply1(reshapeOp, [x], { shape: s });
}

export const permuteKernel = wgslKernel('permute_forward');
export const permuteRowsKernel = wgslKernel('permute_rows');

interface PermuteAttrs {
  perm: number[];
}

export const permuteOp = defineOp<PermuteAttrs>({
  name: 'permute',
  kernels: [permuteKernel, permuteRowsKernel],
  infer: ([x], { perm }) => {
    checkRank(x.shape, 'permute');
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  // Half storage (compile's precision: 'mixed') for f32 tensors: x read as f16 pairs, y written as f16
  // pairs, a word (two output values, gathered from anywhere in x) per thread.
  half: ([x], [y]) => ({ reads: [x.dtype === 'f32'], writes: [y.dtype === 'f32'] }),
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { perm }, half }) => {
    const shape = outMeta[0].shape;
    const n = numel(shape);
    if (n === 0) return;
    const st = stridesOf(inMeta[0].shape);
    const c = collapseDims(shape, [perm.map((p) => st[p]), stridesOf(shape)]);
    const last = c.shape.length - 1;
    const halfOut = half?.outputs[0] ?? false;
    // permute_rows writes a half y a word at a time: only when every run starts on a word (even runs).
    const rows = permuteByRows(c.shape[last], c.strides[0][last]) && !(halfOut && c.shape[last] % 2 === 1);
    const overrides: Record<string, number> = {};
    if (half?.inputs[0]) overrides.X_HALF = 1;
    if (halfOut) overrides.Y_HALF = 1;
    ctx.dispatch(rows ? permuteRowsKernel : permuteKernel, {
      bind: { x: inputs[0], y: outputs[0] },
      params: { n, rank: c.shape.length, shape: c.shape, stride: c.strides[0] },
      overrides,
      grid: grid1d(rows ? n / c.shape[last] : halfOut ? Math.ceil(n / 2) : n, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: ({ dys: [dy], attrs: { perm } }) => [dy ? permute(dy, ref.inversePermutation(perm)) : null],
  reference: ([x], { perm }) => [ref.permuteForward(x, perm)],
  referenceBackward: ({ dys: [dy], attrs: { perm } }) => [dy ? ref.permuteForward(dy, ref.inversePermutation(perm)) : null],
  cost: ([x]) => ({ flops: 0, bytes: 8 * numel(x.shape) }),
});

/** Reorder dimensions: output dimension d is input dimension perm[d] (like torch.permute). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis(a, x.rank, 'permute'));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw sgError(`permute: ${fmtShape(perm)} is not a permutation of the ${x.rank} dimensions of ${x.describe()}`, ShapeError);
  }
  if (p.every((a, i) => a === i)) return x;
  // Moving only size-1 dimensions is a reshape, not a copy.
  const moved = p.filter((a) => x.shape[a] !== 1);
  if (moved.every((a, i) => i === 0 || a > moved[i - 1])) return reshape(x, p.map((a) => x.shape[a]));
  return apply1(permuteOp, [x], { perm: p });
}

/** Swap two dimensions (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank < 2) throw sgError(`transpose: ${x.describe()} needs at least 2 dimensions`, ShapeError);
  const a = normAxis(dim0, x.rank, 'transpose');
  const b = normAxis(dim1, x.rank, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Flatten dimensions start..end into one (like torch.flatten). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis(startDim, x.rank, 'flatten');
  const e = normAxis(endDim, x.rank, 'flatten');
  // As torch.flatten ("start_dim cannot come after end_dim"): without this check an empty range made
  // a new size-1 dimension ([2, 3, 4] with 2, 1 gave [2, 3, 1, 4]).
  if (s > e) throw sgError(`flatten: startDim ${startDim} comes after endDim ${endDim} for ${x.describe()}`, ShapeError);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Insert a size-1 dimension at `dim`. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normAxis(dim, x.rank + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Remove size-1 dimensions (all, or only `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normAxis(dim, x.rank, 'squeeze');
  if (x.shape[d] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== d));
}
