// Reductions over axes: sum, mean, max, min. The op works on one axis at a time (keeping it as size
// 1); the public functions chain it over several axes and drop kept dims. Also argmax / argmin (i32
// indices, torch tie-breaking) and globalNorm (the 2-norm of a list of tensors, for gradient clipping).
// Kernels: shaders/reduce.wgsl, and their subgroup rung shaders/reduce_subgroup.wgsl (the 'subgroup'
// version of the 'reduce', 'argReduce' and 'globalNorm' rules of src/ops/kernel-rules.ts, set by
// setRowVersion where the device has `subgroups`). Reference: src/reference/reduce.ts. Half storage
// (OpDef.half): every kernel reads f16 input (f32 accumulation); sum / mean / max / min also write f16
// output (two outputs per workgroup or thread), argmax / argmin and globalNorm write i32 / f32.

import { opCodes, wgslConsts, wgslKernel } from '../gpu/kernels.js';
import { axisView, halfOverrides, rowVersion, ROW_THREADS } from './kernel-rules.js';
import { apply1, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/reduce.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, normAxis } from '../util/shape.js';
import { grid1d } from '../gpu/dispatch.js';
import { add, div, eq, expand, mul, provideSum, scale } from './elementwise.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

export const reduceKernel = wgslKernel('reduce_forward');
/** One thread per output walking all of R (shaders/reduce.wgsl reduce_serial). */
export const reduceSerialKernel = wgslKernel('reduce_serial');
/** One workgroup per output, subgroup reductions (shaders/reduce_subgroup.wgsl). */
export const reduceSubgroupKernel = wgslKernel('reduce_forward_subgroup');
const reduceKernels = { thread: reduceSerialKernel, tree: reduceKernel, subgroup: reduceSubgroupKernel };

/** The kernels' view of x around `axis` ([outer, R, inner]) and its number of outputs outer·inner. */
function reduceView(shape: readonly number[], axis: number): { params: { outer: number; R: number; inner: number }; total: number } {
  const params = axisView(shape, axis);
  return { params, total: params.outer * params.inner };
}

type Kind = ref.ReduceKind;
/** The `OP` code of each reduction: the REDUCE_* constants of shaders/reduce.wgsl. */
const CODES = opCodes<Kind>('reduce.wgsl', 'REDUCE', ['sum', 'mean', 'max', 'min']);

interface ReduceAttrs {
  axis: number;
}

function defineReduce(kind: Kind): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    kernels: Object.values(reduceKernels),
    infer: ([x], { axis }) => {
      if (x.dtype !== 'f32') throw sgError(`${kind}: x must be f32, got ${x.dtype}`, ShapeError);
      if (x.shape[axis] === 0 && (kind === 'max' || kind === 'min')) {
        throw sgError(`${kind}: cannot reduce an empty axis ${axis} of shape [${x.shape}]`, ShapeError);
      }
      const shape = [...x.shape];
      shape[axis] = 1;
      return [{ shape, dtype: 'f32' }];
    },
    // f16 storage (every version): x read; y written a word (two outputs) per workgroup or thread.
    half: () => ({ reads: [true], writes: [true] }),
    encode: (ctx, { inputs, outputs, inMeta, attrs: { axis }, half }) => {
      const { params, total } = reduceView(inMeta[0].shape, axis);
      if (total === 0) return;
      const version = rowVersion('reduce', params.R, total);
      const halfOut = half?.outputs[0] ?? false;
      ctx.dispatch(reduceKernels[version], {
        bind: { x: inputs[0], y: outputs[0] }, params,
        overrides: { OP: CODES[kind], ...halfOverrides({ X_HALF: half?.inputs[0], Y_HALF: halfOut }) },
        grid: grid1d(halfOut ? Math.ceil(total / 2) : total, version === 'thread' ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim),
      });
    },
    grad: ({ inputs: [x], outputs: [y], dys: [dy], attrs: { axis } }) => {
      if (!dy) return [null];
      const g = expand(dy, x.shape);
      if (kind === 'sum') return [g];
      if (kind === 'mean') return [scale(g, 1 / x.shape[axis])];
      // max/min: the gradient goes to the extremal elements, split evenly between ties.
      const mask = eq(x, expand(y, x.shape));
      const ties = apply1(reduceOps.sum, [mask], { axis });
      return [mul(expand(div(dy, ties), x.shape), mask)];
    },
    reference: ([x], { axis }) => [ref.reduceForward(kind, x, axis)],
    referenceBackward: ({ inputs: [x], outputs: [y], dys: [dy], attrs: { axis } }) =>
      [dy ? ref.reduceBackward(kind, x, y, dy, axis) : null],
    cost: ([x], [y]) => ({ flops: numel(x.shape), bytes: 4 * (numel(x.shape) + numel(y.shape)) }),
  });
}

const reduceOps: Record<Kind, OpDef<ReduceAttrs>> = {
  sum: defineReduce('sum'), mean: defineReduce('mean'), max: defineReduce('max'), min: defineReduce('min'),
};

function reduce(kind: Kind, x: Tensor, axis: number | number[] | undefined, keepdim: boolean): Tensor {
  const rank = x.rank;
  if (axis === undefined) {
    // All axes: one pass over the flattened tensor.
    const flat = reshape(x, [x.size]);
    const r = apply1(reduceOps[kind], [flat], { axis: 0 });
    return reshape(r, keepdim ? x.shape.map(() => 1) : []);
  }
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, rank, kind)))].sort((a, b) => a - b);
  // Merge runs of adjacent reduced axes into one (sum over H and W of NCHW is one pass over H·W),
  // then reduce the merged axes from the last to the first.
  const merged: number[] = [];
  const runs: number[] = [];
  x.shape.forEach((d, i) => {
    if (axes.includes(i) && axes.includes(i - 1)) merged[merged.length - 1] *= d;
    else {
      if (axes.includes(i)) runs.push(merged.length);
      merged.push(d);
    }
  });
  let y = reshape(x, merged);
  if (kind === 'mean' && runs.length > 1) {
    // mean over several axes = sum over them / count, so each element is divided once.
    for (const a of [...runs].reverse()) y = apply1(reduceOps.sum, [y], { axis: a });
    y = scale(y, 1 / axes.reduce((n, a) => n * x.shape[a], 1));
  } else {
    for (const a of [...runs].reverse()) y = apply1(reduceOps[kind], [y], { axis: a });
  }
  if (keepdim) return reshape(y, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Sum over `axis` (a number, a list, or all axes when omitted). */
export const sum = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('sum', x, axis, keepdim);
provideSum(sum); // sumTo (elementwise.ts), the gradient of broadcasting, sums with it
/** Mean over `axis` (a number, a list, or all axes when omitted). */
export const mean = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('mean', x, axis, keepdim);
/** Maximum over `axis` (values only; ties share the gradient evenly, like torch.amax). */
export const max = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('max', x, axis, keepdim);
/** Minimum over `axis` (values only; ties share the gradient evenly, like torch.amin). */
export const min = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('min', x, axis, keepdim);

// ---- argmax / argmin ----------------------------------------------------------------------------

export const argKernel = wgslKernel('reduce_arg');
export const argSubgroupKernel = wgslKernel('reduce_arg_subgroup');
const argKernels = { tree: argKernel, subgroup: argSubgroupKernel };
/** reduce_arg's `ARG`. */
const { ARG_MAX, ARG_MIN } = wgslConsts('reduce.wgsl');

type ArgKind = ref.ArgKind;

function defineArg(kind: ArgKind): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    kernels: Object.values(argKernels),
    infer: ([x], { axis }) => {
      if (x.dtype !== 'f32') throw sgError(`${kind}: x must be f32, got ${x.dtype}`, ShapeError);
      if (x.shape[axis] === 0) throw sgError(`${kind}: cannot take the ${kind} of an empty axis ${axis} of shape ${fmtShape(x.shape)}`, ShapeError);
      const shape = [...x.shape];
      shape[axis] = 1;
      return [{ shape, dtype: 'i32' }];
    },
    // f16 storage: x read (every version); the indices are i32.
    half: () => ({ reads: [true], writes: [false] }),
    encode: (ctx, { inputs, outputs, inMeta, attrs: { axis }, half }) => {
      const { params, total } = reduceView(inMeta[0].shape, axis);
      if (total === 0) return;
      ctx.dispatch(argKernels[rowVersion('argReduce', params.R, total) === 'subgroup' ? 'subgroup' : 'tree'], {
        bind: { x: inputs[0], idx: outputs[0] }, params,
        overrides: { ARG: kind === 'argmax' ? ARG_MAX : ARG_MIN, ...halfOverrides({ X_HALF: half?.inputs[0] }) },
        grid: grid1d(total, 1, ctx.limits.maxWorkgroupsPerDim),
      });
    },
    grad: { none: `${kind} returns integer indices, which are piecewise constant in x`, zero: true },
    reference: ([x], { axis }) => [ref.argForward(kind, x, axis)],
    referenceBackward: { none: 'integer output' },
    cost: ([x], [y]) => ({ flops: numel(x.shape), bytes: 4 * (numel(x.shape) + numel(y.shape)) }),
  });
}

const argOps: Record<ArgKind, OpDef<ReduceAttrs>> = { argmax: defineArg('argmax'), argmin: defineArg('argmin') };

function argReduce(kind: ArgKind, x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  if (!(x instanceof Tensor)) throw sgError(`${kind}: x must be a Tensor, got ${typeof x}`);
  if (x.dtype !== 'f32') throw sgError(`${kind}: x must be f32, got ${x.describe()}`, ShapeError);
  if (axis === undefined || x.rank === 0) {
    // Over every element: the index into the flattened tensor (torch's dim=None).
    if (axis !== undefined) normAxis(axis, x.rank, kind);
    if (x.size === 0) throw sgError(`${kind}: ${x.describe()} is empty`);
    const r = apply1(argOps[kind], [reshape(x, [x.size])], { axis: 0 });
    return reshape(r, keepdim ? x.shape.map(() => 1) : []);
  }
  const a = normAxis(axis, x.rank, kind);
  if (x.shape[a] === 0) throw sgError(`${kind}: axis ${axis} of ${x.describe()} is empty`);
  const y = apply1(argOps[kind], [x], { axis: a });
  return keepdim ? y : reshape(y, x.shape.filter((_, i) => i !== a));
}

/**
 * Index (i32) of the largest element along `axis`, or into the flattened tensor when `axis` is
 * omitted (torch.argmax). Ties go to the first index; NaN counts as the largest. No gradient.
 */
export const argmax = (x: Tensor, axis?: number, keepdim = false) => argReduce('argmax', x, axis, keepdim);
/** Index (i32) of the smallest element along `axis` (torch.argmin); ties → first index, NaN wins. */
export const argmin = (x: Tensor, axis?: number, keepdim = false) => argReduce('argmin', x, axis, keepdim);

// ---- global norm --------------------------------------------------------------------------------

export const sumsqKernel = wgslKernel('sumsq_partial');
export const globalNormFinishKernel = wgslKernel('global_norm_finish');
const globalNormKernels = {
  tree: { sumsq: sumsqKernel, finish: globalNormFinishKernel },
  subgroup: { sumsq: wgslKernel('sumsq_partial_subgroup'), finish: wgslKernel('global_norm_finish_subgroup') },
};

/** Workgroups of sumsq_partial for n elements: about 4 elements per thread, at most 256 partials. */
function sumsqGroups(n: number): number {
  return n === 0 ? 0 : Math.min(256, Math.ceil(n / (256 * 4)));
}

export const globalNormOp = defineOp<null>({
  name: 'globalNorm',
  kernels: Object.values(globalNormKernels).flatMap((k) => [k.sumsq, k.finish]),
  infer: (xs) => {
    xs.forEach((x, i) => {
      if (x.dtype !== 'f32') throw sgError(`globalNorm: tensor ${i} must be f32, got ${fmtShape(x.shape)} ${x.dtype}`, ShapeError);
    });
    return [{ shape: [], dtype: 'f32' }];
  },
  // f16 storage: every tensor read (sums of squares in f32); the norm is f32.
  half: (xs) => ({ reads: xs.map(() => true), writes: [false] }),
  encode: (ctx, { inputs, outputs, inMeta, half }) => {
    const groups = inMeta.map((m) => sumsqGroups(numel(m.shape)));
    const total = inMeta.reduce((n, m) => n + numel(m.shape), 0);
    const kernels = globalNormKernels[rowVersion('globalNorm', total, 1) === 'subgroup' ? 'subgroup' : 'tree'];
    const count = groups.reduce((a, b) => a + b, 0);
    const partials = ctx.scratch(Math.max(count, 1) * 4);
    let base = 0;
    inputs.forEach((buf, i) => {
      if (groups[i] === 0) return;
      ctx.dispatch(kernels.sumsq, {
        bind: { x: buf, sq_partial: partials }, params: { n: numel(inMeta[i].shape), out_base: base },
        overrides: halfOverrides({ X_HALF: half?.inputs[i] }), grid: [groups[i]],
      });
      base += groups[i];
    });
    ctx.dispatch(kernels.finish, { bind: { sq_in: partials, norm: outputs[0] }, params: { count }, grid: [1] });
  },
  // d‖x‖/dx_t = x_t / ‖x‖, taken as 0 where the norm is 0 (every x is 0 there), as torch does.
  grad: ({ inputs, outputs: [norm], dys: [dy] }) => {
    if (!dy) return inputs.map(() => null);
    const g = div(dy, add(norm, eq(norm, 0)));
    return inputs.map((x) => mul(x, g));
  },
  reference: (xs) => [ref.globalNormForward(xs)],
  referenceBackward: ({ inputs, outputs: [norm], dys: [dy] }) => (dy ? ref.globalNormBackward(inputs, norm, dy) : inputs.map(() => null)),
  cost: (xs) => {
    const n = xs.reduce((a, m) => a + numel(m.shape), 0);
    return { flops: 2 * n, bytes: 4 * n + 4 };
  },
});

/**
 * The 2-norm of all the tensors' elements taken together, sqrt(Σ_t Σ_i t_i²), as a scalar f32 — the
 * total norm of torch.nn.utils.clip_grad_norm_. Differentiable (d/dt = t / norm).
 */
export function globalNorm(tensors: Tensor[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw sgError('globalNorm: expects a non-empty array of tensors');
  }
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw sgError(`globalNorm: element ${i} is not a Tensor (${typeof t})`);
    if (t.dtype !== 'f32') throw sgError(`globalNorm: element ${i}, ${t.describe()}, must be f32`, ShapeError);
  });
  return apply1(globalNormOp, tensors, null);
}
