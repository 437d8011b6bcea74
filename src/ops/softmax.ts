// softmax and logSoftmax over any axis (torch.nn.functional semantics), numerically stable.
// Kernels: shaders/softmax.wgsl — one workgroup per row (softmax_forward / softmax_backward), or one
// thread per row (the _rows kernels: no workgroup memory, no barrier), chosen by the 'softmax' rule
// of src/ops/kernel-rules.ts; shaders/softmax_subgroup.wgsl — one workgroup per row reduced with
// subgroup operations, the 'subgroup' version (setRowVersion, where the device has `subgroups`). Half
// storage (OpDef.half): every version reads f16 x (y, dy) and writes f16 y (dx) where rows own whole
// words (src/ops/kernel-rules.ts, halfRowsOwnWords); the max and sums stay f32. A non-last axis is handled by strides in the kernel (the [outer, R, inner] view),
// never by a transpose. Each forward has a dedicated backward op (softmax_backward) whose own
// gradient is written in ops, so gradients of gradients work. Reference: src/reference/softmax.ts.

import { wgslConsts, wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { axisView, halfOverrides, halfRowsOwnWords, rowVersion, ROW_THREADS, type RowVersion } from './kernel-rules.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/softmax.js';
import { defineOp, type OpDef } from './op.js';
import { grid1d, type BufferRef, type EncodeCtx, type EncodeArgs } from '../gpu/dispatch.js';
import { numel, type Meta, normAxis } from '../util/shape.js';
import { exp, mul, neg, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

export const softmaxKernels = {
  /** One workgroup per row. */
  forward: wgslKernel('softmax_forward'),
  backward: wgslKernel('softmax_backward'),
  /** One thread per row. */
  forwardRows: wgslKernel('softmax_forward_rows'),
  backwardRows: wgslKernel('softmax_backward_rows'),
  /** One workgroup per row, subgroup reductions (shaders/softmax_subgroup.wgsl). */
  forwardSubgroup: wgslKernel('softmax_forward_subgroup'),
  backwardSubgroup: wgslKernel('softmax_backward_subgroup'),
};

/** The `OP` codes of shaders/softmax.wgsl. */
const { OP_SOFTMAX, OP_LOG_SOFTMAX } = wgslConsts('softmax.wgsl');

interface SoftmaxAttrs {
  /** The softmax axis, already normalised to 0..rank-1. */
  axis: number;
}

/** Encodes one of the kernel sets, by the version the 'softmax' rule picks (src/ops/kernel-rules.ts). */
function encodeRows(kernels: Record<RowVersion, KernelDef>, log: boolean, forward: boolean) {
  return (ctx: EncodeCtx, { inputs, outputs, outMeta, attrs, half }: EncodeArgs<SoftmaxAttrs>) => {
    const v = axisView(outMeta[0].shape, attrs.axis);
    const rows = v.outer * v.inner;
    if (rows === 0 || v.R === 0) return;
    const version = rowVersion('softmax', v.R, rows);
    const bind: Record<string, BufferRef> = forward ? { x: inputs[0], y: outputs[0] } : { y_in: inputs[0], dy: inputs[1], dx: outputs[0] };
    const halves = forward
      ? halfOverrides({ X_HALF: half?.inputs[0], Y_HALF: half?.outputs[0] })
      : halfOverrides({ Y_IN_HALF: half?.inputs[0], DY_HALF: half?.inputs[1], DX_HALF: half?.outputs[0] });
    ctx.dispatch(kernels[version], {
      bind, params: v, overrides: { OP: log ? OP_LOG_SOFTMAX : OP_SOFTMAX, ...halves },
      grid: grid1d(rows, version === 'thread' ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim),
    });
  };
}

const forwardKernels = { thread: softmaxKernels.forwardRows, tree: softmaxKernels.forward, subgroup: softmaxKernels.forwardSubgroup };
const backwardKernels = { thread: softmaxKernels.backwardRows, tree: softmaxKernels.backward, subgroup: softmaxKernels.backwardSubgroup };

/**
 * f16 storage (every version): any input; the output where each row owns whole words
 * (halfRowsOwnWords: the last axis, of even length or one row).
 */
function halfRule(inputs: number) {
  return (_: Meta[], [y]: Meta[], { axis }: SoftmaxAttrs) =>
    ({ reads: Array<boolean>(inputs).fill(true), writes: [halfRowsOwnWords(axisView(y.shape, axis))] });
}

function checkSame(op: string) {
  return ([y, dy]: Meta[]): Meta[] => {
    if (y.shape.join() !== dy.shape.join()) throw sgError(`${op}: dy [${dy.shape}] must have the shape of y [${y.shape}]`, ShapeError);
    return [{ shape: [...y.shape], dtype: 'f32' }];
  };
}

function defineSoftmax(log: boolean): OpDef<SoftmaxAttrs> {
  const name = log ? 'logSoftmax' : 'softmax';

  // The backward op b(y, dy), inputs treated as independent; its gradient for an incoming ddx:
  //   softmax      b = y(dy − s), s = Σ dy·y:   ∂/∂dy = y(ddx − t) = b(y, ddx),  ∂/∂y = ddx(dy − s) − dy·t,  t = Σ ddx·y
  //   log-softmax  b = dy − p·S, p = e^y, S = Σ dy:  ∂/∂dy = ddx − Σ ddx·p,  ∂/∂y = −ddx·p·S
  const backward: OpDef<SoftmaxAttrs> = defineOp<SoftmaxAttrs>({
    name: `${name}Backward`,
    kernels: Object.values(backwardKernels),
    infer: checkSame(`${name}Backward`),
    encode: encodeRows(backwardKernels, log, false),
    half: halfRule(2),
    grad: ({ inputs: [y, dy], dys: [ddx], attrs }) => {
      if (!ddx) return [null, null];
      const rowSum = (t: Tensor) => sum(t, attrs.axis, true);
      if (log) {
        const p = exp(y);
        return [neg(mul(mul(ddx, p), rowSum(dy))), sub(ddx, rowSum(mul(ddx, p)))];
      }
      const s = rowSum(mul(dy, y));
      const t = rowSum(mul(ddx, y));
      return [sub(mul(ddx, sub(dy, s)), mul(dy, t)), apply1(backward, [y, ddx], attrs)];
    },
    reference: ([y, dy], { axis }) => [ref.softmaxBackward(y, dy, axis, log)],
    referenceBackward: ({ inputs: [y, dy], dys: [ddx], attrs: { axis } }) =>
      (ddx ? ref.softmaxBackwardBackward(y, dy, ddx, axis, log) : [null, null]),
    cost: ([y]) => ({ flops: 4 * numel(y.shape), bytes: 12 * numel(y.shape) }),
  });

  return defineOp<SoftmaxAttrs>({
    name,
    kernels: Object.values(forwardKernels),
    infer: ([x], { axis }) => {
      if (x.dtype !== 'f32') throw sgError(`${name}: x must be f32, got ${x.dtype}`, ShapeError);
      if (axis < 0 || axis >= x.shape.length) throw sgError(`${name}: axis ${axis} is out of range for [${x.shape}]`, ShapeError);
      return [{ shape: [...x.shape], dtype: 'f32' }];
    },
    encode: encodeRows(forwardKernels, log, true),
    half: halfRule(1),
    // The backward kernel needs only the output y (saved by the forward) and dy.
    grad: ({ outputs: [y], dys: [dy], attrs }) => [dy ? apply1(backward, [y, dy], attrs) : null],
    reference: ([x], { axis }) => [ref.softmaxForward(x, axis, log)],
    referenceBackward: ({ outputs: [y], dys: [dy], attrs: { axis } }) => [dy ? ref.softmaxBackward(y, dy, axis, log) : null],
    cost: ([x]) => ({ flops: 5 * numel(x.shape), bytes: 8 * numel(x.shape) }),
  });
}

const softmaxOp = defineSoftmax(false);
const logSoftmaxOp = defineSoftmax(true);

function run(op: OpDef<SoftmaxAttrs>, x: Tensor, axis: number): Tensor {
  if (x.dtype !== 'f32') throw sgError(`${op.name}: x must be f32, got ${x.describe()}`, ShapeError);
  if (typeof axis !== 'number') throw sgError(`${op.name}: axis must be a number, got ${String(axis)}`);
  if (x.rank === 0) {
    // A scalar is a row of one (torch accepts dim 0 or -1 here).
    normAxis(axis, 1, op.name);
    return reshape(apply1(op, [reshape(x, [1])], { axis: 0 }), []);
  }
  return apply1(op, [x], { axis: normAxis(axis, x.rank, op.name) });
}

/** e^(x − max) / Σ e^(x − max) along `axis` (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return run(softmaxOp, x, axis);
}

/** x − max − log Σ e^(x − max) along `axis` (default the last): log(softmax(x)) without underflow. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return run(logSoftmaxOp, x, axis);
}
