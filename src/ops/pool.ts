// 2-D pooling with torch.nn.functional semantics: maxPool2d, avgPool2d, globalAvgPool2d.
//
//   max_pool2d           x → (y, indices)    y = window max (padding counts as −∞), indices = where it
//                                            is (i32, flat h·W + w in the input plane, as torch's
//                                            return_indices). grad: dx = maxPool2dBackward(dy, indices)
//   max_pool2d_backward  (dy, indices) → dx  each dy goes to its window's argmax.
//                                            grad: d dy = maxPool2dGather(G, indices)
//   max_pool2d_gather    (x, indices) → y    y = x at the saved argmax positions (the adjoint of the
//                                            backward). grad: dx = maxPool2dBackward(dy, indices)
//   avg_pool2d           x → y               window mean.  grad: dx = avgPool2dBackward(dy)
//   avg_pool2d_backward  dy → dx             each dy shared over its window. grad: d dy = avgPool2d(G)
// Every gradient is an op with its own gradient, so gradients of gradients work. Max pooling is not
// differentiable where a window has tied maxima; the gradient then goes to the first one (as torch).
// globalAvgPool2d is a mean over H·W (the reduce kernels), shaped [N, C, 1, 1] like
// torch.nn.functional.adaptive_avg_pool2d(x, 1).
// Half-precision storage (compile's precision: 'mixed'): every op reads its f32 tensor inputs and
// writes its f32 output as f16 when asked (OpDef.half; the indices stay i32).
// Kernels: shaders/pool.wgsl. Reference: src/reference/pool.ts.

import { wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { apply, apply1, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/pool.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx, type HalfStorage } from '../gpu/dispatch.js';
import { halfOverrides } from './conv.js';
import { mean } from './reduce.js';
import { reshape } from './shape-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const MAX_POOL2D_OP_KEYS = keysOf<MaxPool2dOptions>({ kernelSize: 1, stride: 1, padding: 1, ceilMode: 1 });
export const AVG_POOL2D_OP_KEYS = keysOf<AvgPool2dOptions>({ kernelSize: 1, stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 });

// ---- kernels --------------------------------------------------------------------------------------

const WG = 64;

export const poolKernels = {
  maxForward: wgslKernel('max_pool2d_forward'),
  maxBackward: wgslKernel('max_pool2d_backward'),
  maxBackwardTiling: wgslKernel('max_pool2d_backward_tiling'),
  maxGather: wgslKernel('max_pool2d_gather'),
  avgForward: wgslKernel('avg_pool2d_forward'),
  avgBackward: wgslKernel('avg_pool2d_backward'),
};

// ---- options and shape rules ----------------------------------------------------------------------

export interface MaxPool2dOptions {
  /** Window size: a number or [h, w]. */
  kernelSize: number | [number, number];
  /** Step between windows (default: kernelSize). */
  stride?: number | [number, number];
  /** Padding on each side, at most half the kernel (default 0). Max pooling pads with −∞. */
  padding?: number | [number, number];
  /**
   * Round the output size up (torch's ceil_mode, default false): a last, partial window is kept when
   * it starts inside the input or the left padding.
   */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Divide by the whole window including padding (true, torch's default) or by the real pixels only. */
  countIncludePad?: boolean;
}

type PoolAttrs = ref.PoolGeometry;

interface PoolGradAttrs extends PoolAttrs {
  /** [H, W] of the input whose gradient is computed. */
  inputHW: [number, number];
}

function pair(v: unknown, name: string, min: number, op: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min)) {
    throw sgError(`${op}: ${name} must be an integer >= ${min} or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

function poolAttrs(options: AvgPool2dOptions | number | [number, number], op: string, countIncludePad: boolean): PoolAttrs {
  const o: AvgPool2dOptions = typeof options === 'number' || Array.isArray(options) ? { kernelSize: options } : options;
  checkOptions(op, o, op.startsWith('max') ? MAX_POOL2D_OP_KEYS : AVG_POOL2D_OP_KEYS);
  if (!o || o.kernelSize === undefined) throw sgError(`${op}: kernelSize is required`);
  const kernel = pair(o.kernelSize, 'kernelSize', 1, op);
  const attrs: PoolAttrs = {
    kernel,
    stride: o.stride === undefined ? kernel : pair(o.stride, 'stride', 1, op),
    padding: pair(o.padding ?? 0, 'padding', 0, op),
    countIncludePad: o.countIncludePad ?? countIncludePad,
    ceilMode: o.ceilMode ?? false,
  };
  if (typeof attrs.ceilMode !== 'boolean') {
    throw sgError(`${op}: ceilMode must be true or false, got ${JSON.stringify(o.ceilMode)}`);
  }
  if (typeof attrs.countIncludePad !== 'boolean') {
    throw sgError(`${op}: countIncludePad must be true or false, got ${JSON.stringify(o.countIncludePad)}`);
  }
  return attrs;
}

/** Output [N, C, OH, OW] for an input [N, C, H, W] described by `label`; clear errors otherwise. */
function checkPool(op: string, xShape: number[], g: PoolAttrs, label: string): number[] {
  if (xShape.length !== 4) throw sgError(`${op}: ${label} must be 4-D [N, C, H, W]`, ShapeError);
  const [N, C, H, W] = xShape;
  for (const i of [0, 1]) {
    if (g.padding[i] > Math.floor(g.kernel[i] / 2)) {
      throw sgError(`${op}: padding ${fmtShape(g.padding)} must be at most half of kernelSize ` +
        `${fmtShape(g.kernel)} (as torch: pad should be at most half of kernel size)`);
    }
  }
  const OH = ref.poolOutSize(H, g.kernel[0], g.stride[0], g.padding[0], g.ceilMode);
  const OW = ref.poolOutSize(W, g.kernel[1], g.stride[1], g.padding[1], g.ceilMode);
  if (OH < 1 || OW < 1) {
    throw sgError(`${op}: kernelSize ${fmtShape(g.kernel)} is larger than the padded input ` +
      `${H + 2 * g.padding[0]}×${W + 2 * g.padding[1]} of ${label} (padding ${fmtShape(g.padding)})`);
  }
  return [N, C, OH, OW];
}

/** The gradient ops receive dy: check that it is the pooled shape of [N, C, inputHW]. */
function checkGradShape(op: string, dyShape: number[], g: PoolGradAttrs, what = 'dy'): number[] {
  if (dyShape.length !== 4) throw sgError(`${op}: ${what} ${fmtShape(dyShape)} must be 4-D [N, C, OH, OW]`, ShapeError);
  const xShape = [dyShape[0], dyShape[1], ...g.inputHW];
  const want = checkPool(op, xShape, g, `input ${fmtShape(xShape)}`);
  if (want.some((d, i) => d !== dyShape[i])) {
    throw sgError(`${op}: ${what} ${fmtShape(dyShape)} is not the pooled shape ${fmtShape(want)} of input ${fmtShape(xShape)}`, ShapeError);
  }
  return xShape;
}

// ---- encoding ---------------------------------------------------------------------------------------

function kernelParams(xShape: number[], yShape: number[], g: PoolAttrs) {
  return {
    NC: xShape[0] * xShape[1], H: xShape[2], W: xShape[3], OH: yShape[2], OW: yShape[3],
    KH: g.kernel[0], KW: g.kernel[1], SH: g.stride[0], SW: g.stride[1], PH: g.padding[0], PW: g.padding[1],
    include_pad: g.countIncludePad ? 1 : 0,
  };
}

/**
 * One dispatch of `kernel` over `elements` outputs, one thread each — or, when the output `out` is
 * written as f16, one thread per word of two (the kernels' out_pair). `flags`: the half-storage
 * overrides (X_HALF / DY_HALF read, Y_HALF / DX_HALF written).
 */
function run(ctx: EncodeCtx, kernel: KernelDef, elements: number, bind: Record<string, BufferRef>, xShape: number[], yShape: number[],
  g: PoolAttrs, flags: Record<string, boolean> = {}, out?: 'Y_HALF' | 'DX_HALF'): void {
  if (elements === 0) return;
  const threads = out && flags[out] ? Math.ceil(elements / 2) : elements;
  ctx.dispatch(kernel, {
    bind, params: kernelParams(xShape, yShape, g), overrides: halfOverrides(kernel, flags),
    grid: grid1d(threads, WG, ctx.limits.maxWorkgroupsPerDim),
  });
}

const halfIn = (h: HalfStorage | undefined, k: number): boolean => h?.inputs[k] ?? false;
const halfOut = (h: HalfStorage | undefined, k: number): boolean => h?.outputs[k] ?? false;

const gradAttrs = (g: PoolAttrs, xShape: number[]): PoolGradAttrs => ({
  kernel: g.kernel, stride: g.stride, padding: g.padding, countIncludePad: g.countIncludePad, ceilMode: g.ceilMode,
  inputHW: [xShape[2], xShape[3]],
});

const geometry = (g: PoolAttrs): PoolAttrs => ({
  kernel: g.kernel, stride: g.stride, padding: g.padding, countIncludePad: g.countIncludePad, ceilMode: g.ceilMode,
});

function requireF32Meta(op: string, dtype: string, what: string, shape: number[]): void {
  if (dtype !== 'f32') throw sgError(`${op}: ${what} ${fmtShape(shape)} must be f32, got ${dtype}`, ShapeError);
}

function requireIndices(op: string, idx: { shape: number[]; dtype: string }, want: number[]): void {
  if (idx.dtype !== 'i32') throw sgError(`${op}: indices ${fmtShape(idx.shape)} must be i32, got ${idx.dtype}`, ShapeError);
  if (idx.shape.length !== want.length || want.some((d, i) => d !== idx.shape[i])) {
    throw sgError(`${op}: indices ${fmtShape(idx.shape)} must have shape ${fmtShape(want)}`, ShapeError);
  }
}

// ---- ops ---------------------------------------------------------------------------------------------

export const maxPool2dOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'max_pool2d',
  kernels: [poolKernels.maxForward],
  infer: ([x], g) => {
    requireF32Meta('max_pool2d', x.dtype, 'input', x.shape);
    const shape = checkPool('max_pool2d', x.shape, g, `input ${fmtShape(x.shape)}`);
    return [{ shape, dtype: 'f32' }, { shape, dtype: 'i32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) =>
    run(ctx, poolKernels.maxForward, numel(outMeta[0].shape), { x: inputs[0], y: outputs[0], argmax: outputs[1] },
      inMeta[0].shape, outMeta[0].shape, attrs, { X_HALF: halfIn(half, 0), Y_HALF: halfOut(half, 0) }, 'Y_HALF'),
  // x read and y written as f16 (one thread per word of y); the indices stay i32.
  half: () => ({ reads: [true], writes: [true, false] }),
  // The indices output is an integer: no gradient flows into or out of it.
  grad: ({ inputs: [x], outputs: [, indices], dys: [dy], attrs }) =>
    [dy ? apply1(maxPool2dBackwardOp, [dy, indices], gradAttrs(attrs, x.shape)) : null],
  reference: ([x], g) => ref.maxPool2dForward(x, g),
  referenceBackward: ({ inputs: [x], outputs: [, indices], dys: [dy] }) => [dy ? ref.maxPoolScatter(dy, indices, x.shape) : null],
  cost: ([x], [y], g) => ({ flops: numel(y.shape) * g.kernel[0] * g.kernel[1], bytes: 4 * (numel(x.shape) + 2 * numel(y.shape)) }),
});

export const maxPool2dBackwardOp: OpDef<PoolGradAttrs> = defineOp<PoolGradAttrs>({
  name: 'max_pool2d_backward',
  kernels: [poolKernels.maxBackward, poolKernels.maxBackwardTiling],
  infer: ([dy, idx], g) => {
    requireF32Meta('max_pool2d_backward', dy.dtype, 'dy', dy.shape);
    const xShape = checkGradShape('max_pool2d_backward', dy.shape, g);
    requireIndices('max_pool2d_backward', idx, dy.shape);
    return [{ shape: xShape, dtype: 'f32' }];
  },
  // One thread per window when the windows tile the input exactly; one per input element otherwise.
  // With dx as f16, the window kernel only for an even KW (its rows then write whole words).
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const [, , H, W] = outMeta[0].shape;
    const [, , OH, OW] = inMeta[0].shape;
    const [KH, KW] = attrs.kernel;
    const dxHalf = halfOut(half, 0);
    const tiling = attrs.stride[0] === KH && attrs.stride[1] === KW && attrs.padding[0] === 0 && attrs.padding[1] === 0 &&
      H === OH * KH && W === OW * KW && (!dxHalf || KW % 2 === 0);
    const flags = { DY_HALF: halfIn(half, 0), DX_HALF: dxHalf };
    if (tiling) {
      run(ctx, poolKernels.maxBackwardTiling, numel(inMeta[0].shape), { dx: outputs[0], dy: inputs[0], idx: inputs[1] },
        outMeta[0].shape, inMeta[0].shape, attrs, flags);
    } else {
      run(ctx, poolKernels.maxBackward, numel(outMeta[0].shape), { dx: outputs[0], dy: inputs[0], idx: inputs[1] },
        outMeta[0].shape, inMeta[0].shape, attrs, flags, 'DX_HALF');
    }
  },
  // dy read and dx written as f16 (the indices stay i32).
  half: () => ({ reads: [true, false], writes: [true] }),
  grad: ({ inputs: [, idx], dys: [g], attrs }) => [g ? apply1(maxPool2dGatherOp, [g, idx], geometry(attrs)) : null, null],
  reference: ([dy, idx], g) => [ref.maxPoolScatter(dy, idx, [dy.shape[0], dy.shape[1], ...g.inputHW])],
  referenceBackward: ({ inputs: [, idx], dys: [g] }) => [g ? ref.maxPoolGather(g, idx) : null, null],
  cost: ([dy], [dx]) => ({ flops: numel(dy.shape), bytes: 4 * (2 * numel(dy.shape) + numel(dx.shape)) }),
});

export const maxPool2dGatherOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'max_pool2d_gather',
  kernels: [poolKernels.maxGather],
  infer: ([x, idx], g) => {
    requireF32Meta('max_pool2d_gather', x.dtype, 'input', x.shape);
    const shape = checkPool('max_pool2d_gather', x.shape, g, `input ${fmtShape(x.shape)}`);
    requireIndices('max_pool2d_gather', idx, shape);
    return [{ shape, dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) =>
    run(ctx, poolKernels.maxGather, numel(outMeta[0].shape), { x: inputs[0], y: outputs[0], idx: inputs[1] },
      inMeta[0].shape, outMeta[0].shape, attrs, { X_HALF: halfIn(half, 0), Y_HALF: halfOut(half, 0) }, 'Y_HALF'),
  half: () => ({ reads: [true, false], writes: [true] }),
  grad: ({ inputs: [x, idx], dys: [dy], attrs }) =>
    [dy ? apply1(maxPool2dBackwardOp, [dy, idx], gradAttrs(attrs, x.shape)) : null, null],
  reference: ([x, idx]) => [ref.maxPoolGather(x, idx)],
  referenceBackward: ({ inputs: [x, idx], dys: [dy] }) => [dy ? ref.maxPoolScatter(dy, idx, x.shape) : null, null],
  cost: (_, [y]) => ({ flops: 0, bytes: 4 * 3 * numel(y.shape) }),
});

export const avgPool2dOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'avg_pool2d',
  kernels: [poolKernels.avgForward],
  infer: ([x], g) => {
    requireF32Meta('avg_pool2d', x.dtype, 'input', x.shape);
    return [{ shape: checkPool('avg_pool2d', x.shape, g, `input ${fmtShape(x.shape)}`), dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) =>
    run(ctx, poolKernels.avgForward, numel(outMeta[0].shape), { x: inputs[0], y: outputs[0] }, inMeta[0].shape, outMeta[0].shape, attrs,
      { X_HALF: halfIn(half, 0), Y_HALF: halfOut(half, 0) }, 'Y_HALF'),
  half: () => ({ reads: [true], writes: [true] }),
  grad: ({ inputs: [x], dys: [dy], attrs }) => [dy ? apply1(avgPool2dBackwardOp, [dy], gradAttrs(attrs, x.shape)) : null],
  reference: ([x], g) => [ref.avgPool2dForward(x, g)],
  referenceBackward: ({ inputs: [x], dys: [dy], attrs }) => [dy ? ref.avgPool2dBackward(dy, x.shape, attrs) : null],
  cost: ([x], [y], g) => ({ flops: numel(y.shape) * g.kernel[0] * g.kernel[1], bytes: 4 * (numel(x.shape) + numel(y.shape)) }),
});

export const avgPool2dBackwardOp: OpDef<PoolGradAttrs> = defineOp<PoolGradAttrs>({
  name: 'avg_pool2d_backward',
  kernels: [poolKernels.avgBackward],
  infer: ([dy], g) => {
    requireF32Meta('avg_pool2d_backward', dy.dtype, 'dy', dy.shape);
    return [{ shape: checkGradShape('avg_pool2d_backward', dy.shape, g), dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) =>
    run(ctx, poolKernels.avgBackward, numel(outMeta[0].shape), { dx: outputs[0], dy: inputs[0] }, outMeta[0].shape, inMeta[0].shape, attrs,
      { DY_HALF: halfIn(half, 0), DX_HALF: halfOut(half, 0) }, 'DX_HALF'),
  half: () => ({ reads: [true], writes: [true] }),
  grad: ({ dys: [g], attrs }) => [g ? apply1(avgPool2dOp, [g], geometry(attrs)) : null],
  reference: ([dy], g) => [ref.avgPool2dBackward(dy, [dy.shape[0], dy.shape[1], ...g.inputHW], g)],
  referenceBackward: ({ dys: [g], attrs }) => [g ? ref.avgPool2dForward(g, attrs) : null],
  cost: ([dy], [dx], g) => ({ flops: numel(dy.shape) * g.kernel[0] * g.kernel[1], bytes: 4 * (numel(dy.shape) + numel(dx.shape)) }),
});

// ---- public functions ----------------------------------------------------------------------------------

/** Checks the input, views an unbatched [C, H, W] input as [1, C, H, W]; `undo` restores the rank. */
function batched(x: Tensor, op: string, g: PoolAttrs): { x4: Tensor; undo: (t: Tensor) => Tensor } {
  if (!(x instanceof Tensor)) throw sgError(`${op}: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'f32') throw sgError(`${op}: input ${x.describe()} must be f32`, ShapeError);
  if (x.rank !== 3 && x.rank !== 4) throw sgError(`${op}: input ${x.describe()} must be 4-D [N, C, H, W] or 3-D [C, H, W]`, ShapeError);
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  checkPool(op, x4.shape, g, `input ${x.describe()}`);
  return { x4, undo: (t) => (x.rank === 3 ? reshape(t, t.shape.slice(1)) : t) };
}

/**
 * Max pooling, as torch.nn.functional.max_pool2d: `kernelSize`, `stride` (default kernelSize),
 * `padding` (at most half the kernel; padding counts as −∞). `maxPool2d(x, 2)` is short for
 * `maxPool2d(x, { kernelSize: 2 })`. Output [N, C, OH, OW], OH = ⌊(H + 2·padding − kernel) / stride⌋ + 1,
 * rounded up with `ceilMode` (torch's rule: the last window must start inside the input or left padding).
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions | number | [number, number]): Tensor {
  return maxPool2dWithIndices(x, options)[0];
}

/** max_pool2d with return_indices=True: [values, indices (i32, flat h·W + w in each input plane)]. */
export function maxPool2dWithIndices(x: Tensor, options: MaxPool2dOptions | number | [number, number]): [Tensor, Tensor] {
  const g = poolAttrs(options, 'maxPool2d', true);
  const { x4, undo } = batched(x, 'maxPool2d', g);
  const [y, indices] = apply(maxPool2dOp, [x4], g);
  return [undo(y), undo(indices)];
}

/**
 * Average pooling, as torch.nn.functional.avg_pool2d: `kernelSize`, `stride` (default kernelSize),
 * `padding` (at most half the kernel, zeros), `countIncludePad` (default true: padded pixels count
 * in the divisor, up to the padded edge — a ceilMode window reaching past it is not divided by more),
 * `ceilMode` (default false).
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions | number | [number, number]): Tensor {
  const g = poolAttrs(options, 'avgPool2d', true);
  const { x4, undo } = batched(x, 'avgPool2d', g);
  return undo(apply1(avgPool2dOp, [x4], g));
}

/** Mean over each H×W plane: [N, C, H, W] → [N, C, 1, 1] (torch adaptive_avg_pool2d(x, 1)); [C, H, W] → [C, 1, 1]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  const op = 'globalAvgPool2d';
  if (!(x instanceof Tensor)) throw sgError(`${op}: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'f32') throw sgError(`${op}: input ${x.describe()} must be f32`, ShapeError);
  if (x.rank !== 3 && x.rank !== 4) throw sgError(`${op}: input ${x.describe()} must be 4-D [N, C, H, W] or 3-D [C, H, W]`, ShapeError);
  const lead = x.shape.slice(0, -2);
  const [H, W] = x.shape.slice(-2);
  if (H * W === 0) throw sgError(`${op}: input ${x.describe()} has an empty H×W plane`);
  const m = mean(reshape(x, [...lead, H * W]), -1, true);
  return reshape(m, [...lead, 1, 1]);
}

/**
 * The gradient of maxPool2d with respect to its input given the saved `indices`: each dy value goes
 * to the position its window took the maximum from. `inputShape` is [N, C, H, W].
 */
export function maxPool2dBackward(dy: Tensor, indices: Tensor, inputShape: readonly number[],
  options: MaxPool2dOptions | number | [number, number]): Tensor {
  const g = poolAttrs(options, 'maxPool2dBackward', true);
  checkInputShape('maxPool2dBackward', dy, inputShape);
  return apply1(maxPool2dBackwardOp, [dy, indices], gradAttrs(g, [...inputShape]));
}

/** The gradient of avgPool2d with respect to its input; `inputShape` is [N, C, H, W]. */
export function avgPool2dBackward(dy: Tensor, inputShape: readonly number[], options: AvgPool2dOptions | number | [number, number]): Tensor {
  const g = poolAttrs(options, 'avgPool2dBackward', true);
  checkInputShape('avgPool2dBackward', dy, inputShape);
  return apply1(avgPool2dBackwardOp, [dy], gradAttrs(g, [...inputShape]));
}

function checkInputShape(op: string, dy: Tensor, inputShape: readonly number[]): void {
  if (!(dy instanceof Tensor)) throw sgError(`${op}: dy must be a Tensor, got ${dy === null ? 'null' : typeof dy}`);
  if (inputShape.length !== 4 || dy.rank !== 4 || inputShape[0] !== dy.shape[0] || inputShape[1] !== dy.shape[1]) {
    throw sgError(`${op}: inputShape ${fmtShape([...inputShape])} must be [N, C, H, W] with the N and C ` +
      `of dy ${dy.describe()}`);
  }
}
