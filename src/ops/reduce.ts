// Reductions over axes: sum, mean, max, min. The op works on one axis at a time (keeping it as size
// 1); the public functions chain it over several axes and drop kept dims.
// Kernel: shaders/reduce.wgsl. Reference: src/reference/reduce.ts.

import { defineKernel } from '../gpu/kernels.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/reduce.js';
import { defineOp, numel, type OpDef } from './op.js';
import { normAxis } from './shape.js';
import { div, eq, expand, mul, scale } from './elementwise.js';
import { reshape } from './shape-ops.js';

export const reduceKernel = defineKernel({
  name: 'reduce_forward', file: 'reduce.wgsl', entry: 'reduce_forward',
  bindings: [{ name: 'x', kind: 'read' }, { name: 'y', kind: 'read_write' }, { name: 'params', kind: 'uniform' }],
  params: [{ name: 'outer', type: 'u32' }, { name: 'R', type: 'u32' }, { name: 'inner', type: 'u32' }],
  workgroupSize: [64, 1, 1], overrides: ['OP'],
});

type Kind = ref.ReduceKind;
const CODES: Record<Kind, number> = { sum: 0, mean: 1, max: 2, min: 3 };

interface ReduceAttrs {
  axis: number;
}

function defineReduce(kind: Kind): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    kernels: [reduceKernel],
    infer: ([x], { axis }) => {
      if (x.dtype !== 'f32') throw new Error(`shadergrad: ${kind}: x must be f32, got ${x.dtype}`);
      if (x.shape[axis] === 0 && (kind === 'max' || kind === 'min')) {
        throw new Error(`shadergrad: ${kind}: cannot reduce an empty axis ${axis} of shape [${x.shape}]`);
      }
      const shape = [...x.shape];
      shape[axis] = 1;
      return [{ shape, dtype: 'f32' }];
    },
    encode: (ctx, { inputs, outputs, inMeta, attrs: { axis } }) => {
      const s = inMeta[0].shape;
      const outer = numel(s.slice(0, axis));
      const inner = numel(s.slice(axis + 1));
      const total = outer * inner;
      if (total === 0) return;
      const max = ctx.limits.maxWorkgroupsPerDim;
      const gy = Math.ceil(total / max);
      ctx.dispatch(reduceKernel, {
        bind: { x: inputs[0], y: outputs[0] }, params: { outer, R: s[axis], inner }, overrides: { OP: CODES[kind] },
        grid: [Math.ceil(total / gy), gy],
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
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, rank, kind)))].sort((a, b) => b - a);
  let y = x;
  if (kind === 'mean' && axes.length > 1) {
    // mean over several axes = sum over them / count, so each element is divided once.
    for (const a of axes) y = apply1(reduceOps.sum, [y], { axis: a });
    y = scale(y, 1 / axes.reduce((n, a) => n * x.shape[a], 1));
  } else {
    for (const a of axes) y = apply1(reduceOps[kind], [y], { axis: a });
  }
  if (keepdim) return y;
  return reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Sum over `axis` (a number, a list, or all axes when omitted). */
export const sum = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('sum', x, axis, keepdim);
/** Mean over `axis` (a number, a list, or all axes when omitted). */
export const mean = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('mean', x, axis, keepdim);
/** Maximum over `axis` (values only; ties share the gradient evenly, like torch.amax). */
export const max = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('max', x, axis, keepdim);
/** Minimum over `axis` (values only; ties share the gradient evenly, like torch.amin). */
export const min = (x: Tensor, axis?: number | number[], keepdim = false) => reduce('min', x, axis, keepdim);
