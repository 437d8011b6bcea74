// Indexing ops with torch semantics: concat (cat), slice / narrow, pad (torch.nn.functional.pad,
// constant mode), gather, indexSelect and embedding. Kernels: shaders/index.wgsl.
// References: src/reference/index-ops.ts.
//
// Gradients, each written in ops so gradients of gradients work:
//   concat       → a slice of dy per input
//   slice        → sliceBackward: dy put back in place, zeros elsewhere (its own gradient: a slice)
//   pad          → pad of dy by the negated amounts, i.e. a crop (and back again)
//   gather       → gatherBackward, the scatter-add (its own gradient: a gather)
//   indexSelect  → indexSelectBackward, index_add into zeros (its own gradient: an indexSelect)
//   embedding    = indexSelect of the weight's rows, so dweight is the same race-free index_add.
// Index tensors are i32. Out-of-range indices are errors when their values are known on the host
// (small tensors made with sg.tensor); otherwise the kernels stay in bounds (see index.wgsl).

import { wgslKernel } from '../gpu/kernels.js';
import { apply1, hostValues, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/index-ops.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, type DType, type Meta, checkRank, normAxis, stridesOf } from '../util/shape.js';
import { grid1d } from '../gpu/dispatch.js';
import { reshape } from './shape-ops.js';
import { axisView, halfOverrides } from './kernel-rules.js';
import { halfWhereF32 } from './elementwise.js';
import { sgError, ShapeError } from '../util/errors.js';

const WG = 256;

const kernels = {
  concat: wgslKernel('concat_forward'),
  slice: wgslKernel('slice_forward'),
  sliceBackward: wgslKernel('slice_backward'),
  pad: wgslKernel('pad_forward'),
  gather: wgslKernel('gather_forward'),
  gatherBackward: wgslKernel('gather_backward'),
  indexSelect: wgslKernel('index_select_forward'),
  indexSelectBackward: wgslKernel('index_select_backward'),
};

function withAxis(shape: readonly number[], axis: number, size: number): number[] {
  const s = [...shape];
  s[axis] = size;
  return s;
}

function requireIndices(t: Tensor, op: string, arg: string): void {
  if (t.dtype !== 'i32') throw sgError(`${op}: ${arg} must be an i32 tensor of indices, got ${t.describe()}`, ShapeError);
}

/** Host-side range check of index values, when they are known on the host. */
function checkRange(t: Tensor, size: number, op: string, arg: string, what: string): void {
  const v = hostValues(t);
  if (!v) return;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= size) {
      throw sgError(`${op}: ${arg} ${t.describe()} holds ${v[i]} at flat position ${i}, ` +
        `out of range for ${what} of size ${size} (valid: 0 to ${size - 1})`);
    }
  }
}

const isFloat = (t: Tensor) => t.dtype === 'f32';

// ---- concat -------------------------------------------------------------------------------------

interface ConcatAttrs {
  axis: number;
}

/** The concatenated shape, or an error naming the input that does not fit. */
function concatShape(ms: Meta[], axis: number, names: string[]): number[] {
  const first = ms[0];
  const shape = [...first.shape];
  for (let t = 1; t < ms.length; t++) {
    const m = ms[t];
    if (m.dtype !== first.dtype) {
      throw sgError(`concat: tensors[${t}] ${names[t]} is ${m.dtype} but tensors[0] ${names[0]} is ${first.dtype}; all must share a dtype`, ShapeError);
    }
    const fits = m.shape.length === first.shape.length && m.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!fits) {
      const want = first.shape.map((d, i) => (i === axis ? '*' : String(d)));
      throw sgError(`concat: tensors[${t}] ${names[t]} does not fit tensors[0] ${names[0]} along axis ${axis}: ` +
        `expected shape [${want.join(', ')}] (every dimension but the axis equal)`);
    }
    shape[axis] += m.shape[axis];
  }
  return shape;
}

const concatOp: OpDef<ConcatAttrs> = defineOp<ConcatAttrs>({
  name: 'concat',
  kernels: [kernels.concat],
  infer: (ins, { axis }) => {
    const shape = concatShape(ins, axis, ins.map((m) => fmtShape(m.shape)));
    return [{ shape, dtype: ins[0].dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis } }) => {
    const { R: total, inner } = axisView(outMeta[0].shape, axis);
    let offset = 0;
    inMeta.forEach((m, t) => {
      const seg = m.shape[axis] * inner;
      const n = numel(m.shape);
      if (n > 0) {
        ctx.dispatch(kernels.concat, {
          bind: { x: inputs[t], y: outputs[0] }, params: { n, seg, out_seg: total * inner, offset },
          grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
        });
      }
      offset += seg;
    });
  },
  grad: ({ inputs, dys: [dy], attrs: { axis } }) => {
    let off = 0;
    return inputs.map((t) => {
      const size = t.shape[axis];
      const g = dy && isFloat(t) ? slice(dy, axis, off, off + size) : null;
      off += size;
      return g;
    });
  },
  reference: (ins, { axis }) => [ref.concatForward(ins, axis)],
  referenceBackward: ({ inputs, dys: [dy], attrs: { axis } }) =>
    (dy ? ref.concatBackward(dy, inputs.map((t) => t.shape[axis]), axis) : inputs.map(() => null)),
  cost: (_ins, [y]) => ({ flops: 0, bytes: 8 * numel(y.shape) }),
});

/** torch.cat: the tensors one after another along `axis` (all other dimensions equal). */
export function concat(tensors: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw sgError('concat: needs a non-empty array of tensors');
  const first = tensors[0];
  if (first.rank === 0) throw sgError(`concat: tensors[0] ${first.describe()} is a scalar; zero-dimensional tensors cannot be concatenated`, ShapeError);
  const ax = normAxis(axis, first.rank, 'concat');
  concatShape(tensors.map((t) => ({ shape: t.shape, dtype: t.dtype })), ax, tensors.map((t) => t.describe()));
  if (tensors.length === 1) return first;
  return apply1(concatOp, tensors, { axis: ax });
}

/** Alias of `concat` (torch.cat). */
export const cat = concat;

// ---- slice and narrow -----------------------------------------------------------------------------

interface SliceAttrs {
  axis: number;
  start: number;
  step: number;
  /** Size of the axis in the output. */
  length: number;
}

interface SliceBackwardAttrs {
  axis: number;
  start: number;
  step: number;
  /** Size of the axis in dx (the sliced tensor's). */
  size: number;
}

const sliceOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  kernels: [kernels.slice],
  infer: ([x], { axis, start, step, length }) => {
    const D = x.shape[axis];
    if (length > 0 && start + (length - 1) * step >= D) {
      throw sgError(`slice: ${length} elements from ${start} by ${step} overrun axis ${axis} of ${fmtShape(x.shape)}`, ShapeError);
    }
    return [{ shape: withAxis(x.shape, axis, length), dtype: x.dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis, start, step, length }, half }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    const { R: D, inner } = axisView(inMeta[0].shape, axis);
    ctx.dispatch(kernels.slice, {
      bind: { x: inputs[0], y: outputs[0] }, params: { n, D, L: length, inner, start, step },
      overrides: halfOverrides({ X_HALF: half?.inputs[0], Y_HALF: half?.outputs[0] }),
      grid: grid1d(half?.outputs[0] ? Math.ceil(n / 2) : n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // An f32 slice reads and writes f16 storage (an i32 one moves 32-bit words).
  half: halfWhereF32,
  grad: ({ inputs: [x], dys: [dy], attrs: { axis, start, step } }) =>
    [dy && isFloat(x) ? apply1(sliceBackwardOp, [dy], { axis, start, step, size: x.shape[axis] }) : null],
  reference: ([x], { axis, start, step, length }) => [ref.sliceForward(x, axis, start, step, length)],
  referenceBackward: ({ inputs: [x], dys: [dy], attrs: { axis, start, step } }) =>
    [dy ? ref.sliceBackward(dy, axis, start, step, x.shape[axis]) : null],
  cost: (_ins, [y]) => ({ flops: 0, bytes: 8 * numel(y.shape) }),
});

const sliceBackwardOp: OpDef<SliceBackwardAttrs> = defineOp<SliceBackwardAttrs>({
  name: 'sliceBackward',
  kernels: [kernels.sliceBackward],
  infer: ([dy], { axis, size }) => [{ shape: withAxis(dy.shape, axis, size), dtype: 'f32' }],
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis, start, step, size }, half }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    const { R: L, inner } = axisView(inMeta[0].shape, axis);
    ctx.dispatch(kernels.sliceBackward, {
      bind: { x: inputs[0], y: outputs[0] }, params: { n, D: size, L, inner, start, step },
      overrides: halfOverrides({ X_HALF: half?.inputs[0], Y_HALF: half?.outputs[0] }),
      grid: grid1d(half?.outputs[0] ? Math.ceil(n / 2) : n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // dy read and dx written as f16 (both f32 tensors).
  half: halfWhereF32,
  // Linear in dy, and its adjoint is the slice it undoes.
  grad: ({ inputs: [dy], dys: [ddx], attrs: { axis, start, step } }) =>
    [ddx ? apply1(sliceOp, [ddx], { axis, start, step, length: dy.shape[axis] }) : null],
  reference: ([dy], { axis, start, step, size }) => [ref.sliceBackward(dy, axis, start, step, size)],
  referenceBackward: ({ inputs: [dy], dys: [ddx], attrs: { axis, start, step } }) =>
    [ddx ? ref.sliceForward(ddx, axis, start, step, dy.shape[axis]) : null],
  cost: (ins, [y]) => ({ flops: 0, bytes: 4 * (numel(ins[0].shape) + numel(y.shape)) }),
});

function boundOf(v: number, D: number, what: string, op: string): number {
  if (!(Number.isInteger(v) || v === Infinity || v === -Infinity)) {
    throw sgError(`${op}: ${what} must be an integer, got ${v}`);
  }
  const w = v < 0 ? v + D : v;
  return Math.min(Math.max(w, 0), D);
}

/**
 * x[..., start:end:step, ...] along `axis`, with Python/PyTorch slicing rules: negative start/end
 * count from the end, out-of-range bounds are clamped, end defaults to the axis size, step ≥ 1.
 * e.g. slice(x, 1, 2, 7, 2) is x[:, 2:7:2].
 */
export function slice(x: Tensor, axis: number, start = 0, end?: number, step = 1): Tensor {
  if (x.rank === 0) throw sgError(`slice: cannot slice a scalar ${x.describe()}`);
  const ax = normAxis(axis, x.rank, 'slice');
  const D = x.shape[ax];
  if (!Number.isInteger(step) || step < 1) {
    throw sgError(`slice: step must be a positive integer (PyTorch has no negative steps), got ${step}`);
  }
  const s = boundOf(start, D, 'start', 'slice');
  const e = boundOf(end ?? D, D, 'end', 'slice');
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  if (s === 0 && length === D && step === 1) return x;
  return apply1(sliceOp, [x], { axis: ax, start: length > 0 ? s : 0, step, length });
}

/** torch.narrow: `length` elements of `axis` from `start` (negative start counts from the end). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  if (x.rank === 0) throw sgError(`narrow: cannot narrow a scalar ${x.describe()}`);
  const ax = normAxis(axis, x.rank, 'narrow');
  const D = x.shape[ax];
  if (!Number.isInteger(start) || start < -D || start > D) {
    throw sgError(`narrow: start ${start} is out of range for axis ${ax} of size ${D} of ${x.describe()}`);
  }
  const s = start < 0 ? start + D : start;
  if (!Number.isInteger(length) || length < 0 || s + length > D) {
    throw sgError(`narrow: length ${length} from ${s} does not fit in axis ${ax} of size ${D} of ${x.describe()}`, ShapeError);
  }
  return slice(x, ax, s, s + length);
}

// ---- pad ------------------------------------------------------------------------------------------

interface PadAttrs {
  /** Elements added before / after each dimension, in dimension order (negative: cropped). */
  before: number[];
  after: number[];
  value: number;
}

/** The 32-bit pattern the kernel writes for `value` in a tensor of `dtype`. */
function valueBits(value: number, dtype: DType): number {
  if (dtype === 'i32') return value >>> 0;
  return new Uint32Array(new Float32Array([value]).buffer)[0];
}

const padOp: OpDef<PadAttrs> = defineOp<PadAttrs>({
  name: 'pad',
  kernels: [kernels.pad],
  infer: ([x], { before, after }) => {
    const shape = x.shape.map((d, i) => d + before[i] + after[i]);
    x.shape.forEach((d, i) => {
      if (d + Math.min(before[i], 0) + Math.min(after[i], 0) < 0) {
        throw sgError(`pad: cropping ${-Math.min(before[i], 0)} + ${-Math.min(after[i], 0)} elements from dimension ${i} ` +
          `of ${fmtShape(x.shape)}, which has only ${d}`, ShapeError);
      }
    });
    checkRank(shape, 'pad');
    return [{ shape, dtype: x.dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { before, value } }) => {
    const shape = outMeta[0].shape;
    const n = numel(shape);
    if (n === 0) return;
    ctx.dispatch(kernels.pad, {
      bind: { x: inputs[0], y: outputs[0] },
      params: { n, rank: shape.length, value: valueBits(value, outMeta[0].dtype), out_shape: shape, in_shape: inMeta[0].shape, before },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // Each x element lands in one place of y or is cropped: dx is dy cropped back, i.e. dy padded by
  // the negated amounts (which puts zeros where x was cropped).
  grad: ({ inputs: [x], dys: [dy], attrs: { before, after } }) =>
    [dy && isFloat(x) ? apply1(padOp, [dy], { before: before.map((v) => -v), after: after.map((v) => -v), value: 0 }) : null],
  reference: ([x], { before, after, value }) => [ref.padForward(x, before, after, value)],
  referenceBackward: ({ inputs: [x], dys: [dy], attrs: { before } }) => [dy ? ref.padBackward(dy, x.shape, before) : null],
  cost: ([x], [y]) => ({ flops: 0, bytes: 4 * (numel(x.shape) + numel(y.shape)) }),
});

/**
 * torch.nn.functional.pad, constant mode. `pads` lists amounts for the last dimension first:
 * [left, right] pads the last dimension, [left, right, top, bottom] the last two, and so on
 * (at most two per dimension). Negative amounts crop. `value` fills the new elements.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (!Array.isArray(pads) || pads.length % 2 !== 0) {
    throw sgError(`pad: pads must be an array of even length (pairs of before/after amounts, last dimension first), got ${JSON.stringify(pads)}`, ShapeError);
  }
  if (pads.length / 2 > x.rank) {
    throw sgError(`pad: ${pads.length} pad amounts cover ${pads.length / 2} dimensions, but ${x.describe()} has ${x.rank}`, ShapeError);
  }
  for (const p of pads) {
    if (!Number.isInteger(p)) throw sgError(`pad: pad amounts must be integers, got ${JSON.stringify(pads)}`);
  }
  if (typeof value !== 'number') throw sgError(`pad: value must be a number, got ${typeof value}`);
  if (x.dtype === 'i32' && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) {
    throw sgError(`pad: value ${value} is not a 32-bit integer, as padding ${x.describe()} needs`, ShapeError);
  }
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let j = 0; j < pads.length / 2; j++) {
    const d = x.rank - 1 - j;
    before[d] = pads[2 * j];
    after[d] = pads[2 * j + 1];
    const kept = x.shape[d] + Math.min(before[d], 0) + Math.min(after[d], 0);
    if (kept < 0) {
      throw sgError(`pad: negative pads (${before[d]}, ${after[d]}) crop ${x.shape[d] - kept} elements from dimension ${d} ` +
        `of ${x.describe()}, which has only ${x.shape[d]}`, ShapeError);
    }
  }
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return x;
  return apply1(padOp, [x], { before, after, value });
}

// ---- gather ---------------------------------------------------------------------------------------

interface GatherAttrs {
  axis: number;
}

interface GatherBackwardAttrs {
  axis: number;
  /** The shape of x (and so of dx). */
  shape: number[];
}

function gatherKernelParams(n: number, axis: number, xShape: number[], iShape: number[]) {
  return { n, rank: xShape.length, axis, size: xShape[axis], ishape: iShape, xshape: xShape, xstride: stridesOf(xShape) };
}

function checkGatherShapes(x: Meta, index: Meta, axis: number, names: [string, string]): void {
  if (index.dtype !== 'i32') throw sgError(`gather: index ${names[1]} must be i32`, ShapeError);
  if (index.shape.length !== x.shape.length) {
    throw sgError(`gather: index ${names[1]} must have the rank of x ${names[0]} (${x.shape.length})`, ShapeError);
  }
  index.shape.forEach((d, i) => {
    if (i !== axis && d > x.shape[i]) {
      throw sgError(`gather: index ${names[1]} has size ${d} in dimension ${i}, larger than x ${names[0]}'s ${x.shape[i]}`, ShapeError);
    }
  });
  checkRank(x.shape, 'gather');
}

const gatherOp: OpDef<GatherAttrs> = defineOp<GatherAttrs>({
  name: 'gather',
  kernels: [kernels.gather],
  infer: ([x, index], { axis }) => {
    checkGatherShapes(x, index, axis, [fmtShape(x.shape), fmtShape(index.shape)]);
    return [{ shape: [...index.shape], dtype: x.dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis } }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    ctx.dispatch(kernels.gather, {
      bind: { x: inputs[0], indices: inputs[1], out: outputs[0] },
      params: gatherKernelParams(n, axis, inMeta[0].shape, inMeta[1].shape), grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: ({ inputs: [x, index], dys: [dy], attrs: { axis } }) =>
    [dy && isFloat(x) ? apply1(gatherBackwardOp, [dy, index], { axis, shape: x.shape }) : null, null],
  reference: ([x, index], { axis }) => [ref.gatherForward(x, index, axis)],
  referenceBackward: ({ inputs: [x, index], dys: [dy], attrs: { axis } }) =>
    [dy ? ref.gatherBackward(dy, index, axis, x.shape) : null, null],
  cost: ([, index], [y]) => ({ flops: 0, bytes: 4 * (numel(index.shape) + 2 * numel(y.shape)) }),
});

const gatherBackwardOp: OpDef<GatherBackwardAttrs> = defineOp<GatherBackwardAttrs>({
  name: 'gatherBackward',
  kernels: [kernels.gatherBackward],
  infer: (_ins, { shape }) => [{ shape: [...shape], dtype: 'f32' }],
  encode: (ctx, { inputs, outputs, inMeta, attrs: { axis, shape } }) => {
    const n = numel(shape);
    if (n === 0) return;
    ctx.dispatch(kernels.gatherBackward, {
      bind: { dy: inputs[0], indices: inputs[1], dx: outputs[0] },
      params: gatherKernelParams(n, axis, shape, inMeta[1].shape), grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // Linear in dy; its adjoint is the gather.
  grad: ({ inputs: [, index], dys: [ddx], attrs: { axis } }) =>
    [ddx ? apply1(gatherOp, [ddx, index], { axis }) : null, null],
  reference: ([dy, index], { axis, shape }) => [ref.gatherBackward(dy, index, axis, shape)],
  referenceBackward: ({ inputs: [, index], dys: [ddx], attrs: { axis } }) =>
    [ddx ? ref.gatherForward(ddx, index, axis) : null, null],
  cost: ([dy, index], [dx], { axis }) => ({
    flops: numel(dx.shape) * index.shape[axis], bytes: 4 * (numel(dy.shape) + numel(index.shape) + numel(dx.shape)),
  }),
});

/**
 * torch.gather: out[c] = x[c with c[axis] = index[c]]. `index` is i32 with x's rank, at most x's
 * size in every other dimension; the output has index's shape.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  if (x.rank === 0) throw sgError(`gather: x ${x.describe()} must have at least one dimension`, ShapeError);
  const ax = normAxis(axis, x.rank, 'gather');
  requireIndices(index, 'gather', 'index');
  checkGatherShapes(x, index, ax, [x.describe(), index.describe()]);
  checkRange(index, x.shape[ax], 'gather', 'index', `axis ${ax} of x ${x.describe()}`);
  return apply1(gatherOp, [x, index], { axis: ax });
}

// ---- indexSelect and embedding ---------------------------------------------------------------------

interface IndexSelectAttrs {
  axis: number;
}

interface IndexSelectBackwardAttrs {
  axis: number;
  /** Size of the axis in dx (x's). */
  size: number;
}

const indexSelectOp: OpDef<IndexSelectAttrs> = defineOp<IndexSelectAttrs>({
  name: 'indexSelect',
  kernels: [kernels.indexSelect],
  infer: ([x, indices], { axis }) => {
    if (indices.dtype !== 'i32' || indices.shape.length !== 1) {
      throw sgError(`indexSelect: indices must be a 1-D i32 tensor, got ${fmtShape(indices.shape)} ${indices.dtype}`, ShapeError);
    }
    return [{ shape: withAxis(x.shape, axis, indices.shape[0]), dtype: x.dtype }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis } }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    const { R: V, inner } = axisView(inMeta[0].shape, axis);
    ctx.dispatch(kernels.indexSelect, {
      bind: { x: inputs[0], indices: inputs[1], out: outputs[0] }, params: { n, V, N: inMeta[1].shape[0], inner },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: ({ inputs: [x, indices], dys: [dy], attrs: { axis } }) =>
    [dy && isFloat(x) ? apply1(indexSelectBackwardOp, [dy, indices], { axis, size: x.shape[axis] }) : null, null],
  reference: ([x, indices], { axis }) => [ref.indexSelectForward(x, indices, axis)],
  referenceBackward: ({ inputs: [x, indices], dys: [dy], attrs: { axis } }) =>
    [dy ? ref.indexSelectBackward(dy, indices, axis, x.shape[axis]) : null, null],
  cost: ([, indices], [y]) => ({ flops: 0, bytes: 4 * (numel(indices.shape) + 2 * numel(y.shape)) }),
});

const indexSelectBackwardOp: OpDef<IndexSelectBackwardAttrs> = defineOp<IndexSelectBackwardAttrs>({
  name: 'indexSelectBackward',
  kernels: [kernels.indexSelectBackward],
  infer: ([dy], { axis, size }) => [{ shape: withAxis(dy.shape, axis, size), dtype: 'f32' }],
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs: { axis, size } }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    const { R: N, inner } = axisView(inMeta[0].shape, axis);
    ctx.dispatch(kernels.indexSelectBackward, {
      bind: { dy: inputs[0], indices: inputs[1], dx: outputs[0] }, params: { n, V: size, N, inner },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // Linear in dy; its adjoint is the indexSelect.
  grad: ({ inputs: [, indices], dys: [ddx], attrs: { axis } }) =>
    [ddx ? apply1(indexSelectOp, [ddx, indices], { axis }) : null, null],
  reference: ([dy, indices], { axis, size }) => [ref.indexSelectBackward(dy, indices, axis, size)],
  referenceBackward: ({ inputs: [, indices], dys: [ddx], attrs: { axis } }) =>
    [ddx ? ref.indexSelectForward(ddx, indices, axis) : null, null],
  cost: ([dy, indices], [dx]) => ({
    flops: numel(dx.shape) * indices.shape[0], bytes: 4 * (numel(dy.shape) + numel(indices.shape) + numel(dx.shape)),
  }),
});

/**
 * torch.index_select: the entries `indices` (1-D i32, repeats allowed) of x along `axis`. Its
 * gradient adds dy back into those entries (index_add), summing repeats, without atomics.
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  if (x.rank === 0) throw sgError(`indexSelect: x ${x.describe()} must have at least one dimension`, ShapeError);
  const ax = normAxis(axis, x.rank, 'indexSelect');
  requireIndices(indices, 'indexSelect', 'indices');
  if (indices.rank > 1) throw sgError(`indexSelect: indices must be 1-D (or a scalar), got ${indices.describe()}`, ShapeError);
  checkRange(indices, x.shape[ax], 'indexSelect', 'indices', `axis ${ax} of x ${x.describe()}`);
  const idx = indices.rank === 0 ? reshape(indices, [1]) : indices;
  return apply1(indexSelectOp, [x, idx], { axis: ax });
}

/**
 * torch.nn.functional.embedding: rows of `weight` [V, D] picked by i32 `indices` of any shape;
 * the result is [...indices.shape, D]. dweight[v] = Σ of dy over the positions holding v.
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  requireIndices(indices, 'embedding', 'indices');
  if (weight.rank !== 2) throw sgError(`embedding: weight must be [numEmbeddings, dim], got ${weight.describe()}`, ShapeError);
  if (!isFloat(weight)) throw sgError(`embedding: weight must be f32, got ${weight.describe()}`, ShapeError);
  checkRange(indices, weight.shape[0], 'embedding', 'indices', `the ${weight.shape[0]} rows of weight ${weight.describe()}`);
  const rows = apply1(indexSelectOp, [weight, reshape(indices, [indices.size])], { axis: 0 });
  return reshape(rows, [...indices.shape, weight.shape[1]]);
}
