// Batch normalisation (torch.nn.functional.batch_norm) over the channel dimension 1 of x, for
// [N, C] (1-d), [N, C, L] and [N, C, H, W] (2-d) inputs — any rank ≥ 2, viewed as (N, C, L).
//
// Three ops:
//   batchNorm          training forward, a multi-output op:
//                      inputs  [x, weight?, bias?, runningMean?, runningVar?, numBatchesTracked?]
//                      outputs [y, mean, rstd, runningMean'?, runningVar'?]
//                      numBatchesTracked (i32 [], attribute cumulative) is torch's momentum=None:
//                      the running statistics move by 1/count (batchnorm_running_cumulative reads
//                      the count on the GPU) instead of by momentum.
//                      mean and rstd (batch mean, 1/sqrt(biased var + eps)) are what the backward
//                      needs; the running statistics are new tensors (tensors are immutable — the nn
//                      layer swaps them in). Kernels: batchnorm_forward (fused: statistics and
//                      normalisation in one workgroup per channel) or batchnorm_stats +
//                      batchnorm_normalize (the two-kernel composite), then batchnorm_running
//                      (batchnorm_running_cumulative for momentum null).
//   batchNormBackward  its gradient kernel(s): [dy, x, mean, rstd, weight?] → [dx, Σ dy·x̂, Σ dy]
//                      (fused batchnorm_backward, or batchnorm_backward_reduce + batchnorm_backward_dx).
//                      Its own gradient is written in ops, so gradients of gradients work.
//   batchNormEval      eval forward with the running statistics (batchnorm_normalize); its gradient is
//                      the plain per-channel affine map, in ops.
// The per-channel kernels (statistics, fused forward, gradient sums, fused backward) run one workgroup
// per channel with tree reductions, or one thread per channel (the _channels kernels: no workgroup
// memory, no barrier) by the 'batchNormChannels' rule of src/ops/kernel-rules.ts.
// Half-precision storage (compile's precision: 'mixed'): x (and dy) read and y (dx) written as f16 by
// every kernel version; statistics, affine parameters and running statistics stay f32 (OpDef.half).
// Kernels: shaders/batchnorm.wgsl. References: src/reference/batchnorm.ts.

import { wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { oneThreadPerRow, ROW_THREADS } from './kernel-rules.js';
import { apply, apply1, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/batchnorm.js';
import { defineOp } from './op.js';
import { fmtShape, numel, type Meta } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx, type HalfStorage } from '../gpu/dispatch.js';
import { halfOverrides } from './conv.js';
import type { HostTensor } from '../reference/host.js';
import { add, expand, mul, neg, powScalar, reciprocal, scale, shift, sqrt, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const BATCH_NORM_OP_KEYS = keysOf<BatchNormOptions>({
  weight: 1, bias: 1, runningMean: 1, runningVar: 1, numBatchesTracked: 1, training: 1, momentum: 1, eps: 1, version: 1,
});

const WG = 256;

export const batchNormKernels = {
  stats: wgslKernel('batchnorm_stats'),
  forward: wgslKernel('batchnorm_forward'),
  normalize: wgslKernel('batchnorm_normalize'),
  running: wgslKernel('batchnorm_running'),
  runningCumulative: wgslKernel('batchnorm_running_cumulative'),
  backwardReduce: wgslKernel('batchnorm_backward_reduce'),
  backwardDx: wgslKernel('batchnorm_backward_dx'),
  backward: wgslKernel('batchnorm_backward'),
  // One thread per channel (no workgroup memory, no barrier): the 'batchNormChannels' rule.
  statsChannels: wgslKernel('batchnorm_stats_channels'),
  forwardChannels: wgslKernel('batchnorm_forward_channels'),
  backwardReduceChannels: wgslKernel('batchnorm_backward_reduce_channels'),
  backwardChannels: wgslKernel('batchnorm_backward_channels'),
};

/** Kernel choice: 'fused' = one workgroup per channel does everything; 'split' = per-channel statistics, then one thread per element. */
export type BatchNormVersion = 'auto' | 'fused' | 'split';

/**
 * 'auto': the fused kernel when there are enough channels to fill the GPU with one workgroup each
 * (C ≥ 64), or so few values per channel (M ≤ 1024, at most 4 per thread) that a second dispatch
 * costs more than it parallelises, or with one thread per channel (measured on SwiftShader: the
 * fused _channels kernel beats _channels statistics + the element-wise half at every size tried);
 * otherwise the split pair, whose element-wise half uses every core.
 */
function useFused(version: BatchNormVersion, C: number, M: number, perChannel: boolean, halfWrite = false, L = 0): boolean {
  // An f16 output is written in word pairs of a channel's values: whole words only when L is even,
  // so an odd L takes the split pair (its element-wise kernel writes one word per thread) whatever the version.
  if (halfWrite && L % 2 !== 0) return false;
  if (version === 'fused') return true;
  if (version === 'split') return false;
  return C >= 64 || M <= 1024 || perChannel;
}

const halfIn = (h: HalfStorage | undefined, k: number): boolean => h?.inputs[k] ?? false;
const halfOut = (h: HalfStorage | undefined, k: number): boolean => h?.outputs[k] ?? false;

/** One thread per element of n, or per f16 word (two elements) when the output is half. */
const elementGrid = (ctx: EncodeCtx, n: number, half: boolean) => grid1d(half ? Math.ceil(n / 2) : n, WG, ctx.limits.maxWorkgroupsPerDim);

/** (N, C, L) view of x. */
function view(shape: readonly number[]): [number, number, number] {
  return [shape[0], shape[1], numel(shape.slice(2))];
}

/** Shape [1, C, 1, ...] of rank `rank`: per-channel values broadcast against x. */
function channelShape(rank: number, C: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === 1 ? C : 1));
}

/** Grid of one workgroup (perThread: one thread) per channel, 2-D past the per-dimension limit. */
function channelGrid(ctx: EncodeCtx, C: number, perThread: boolean): [number, number] {
  return grid1d(C, perThread ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim);
}

function checkChannelMeta(op: string, what: string, m: Meta, C: number): void {
  if (m.dtype !== 'f32' || m.shape.length !== 1 || m.shape[0] !== C) {
    throw sgError(`${op}: ${what} must be f32 of shape [${C}] (one value per channel), got ${fmtShape(m.shape)} ${m.dtype}`, ShapeError);
  }
}

function checkXMeta(op: string, x: Meta): void {
  if (x.dtype !== 'f32') throw sgError(`${op}: x must be f32, got ${x.dtype}`, ShapeError);
  if (x.shape.length < 2) throw sgError(`${op}: x must be [N, C, ...] (rank ≥ 2), got ${fmtShape(x.shape)}`, ShapeError);
}

// ---- training forward -----------------------------------------------------------------------------

interface TrainAttrs {
  eps: number;
  /** The running statistics' factor; not read when cumulative. */
  momentum: number;
  hasWeight: boolean;
  hasBias: boolean;
  hasRunning: boolean;
  /** torch's momentum=None: a last input numBatchesTracked (i32 []), factor 1/numBatchesTracked. */
  cumulative?: boolean;
  version: BatchNormVersion;
}

/** Positions of the optional inputs of the training op (-1 when absent); count = the number of inputs. */
function trainSlots(a: { hasWeight: boolean; hasBias: boolean; hasRunning: boolean; cumulative?: boolean }) {
  let k = 1;
  const w = a.hasWeight ? k++ : -1;
  const b = a.hasBias ? k++ : -1;
  const rm = a.hasRunning ? k++ : -1;
  const rv = a.hasRunning ? k++ : -1;
  const nbt = a.hasRunning && a.cumulative ? k++ : -1;
  return { w, b, rm, rv, nbt, count: k };
}

export const batchNormOp = defineOp<TrainAttrs>({
  name: 'batchNorm',
  kernels: [batchNormKernels.forward, batchNormKernels.stats, batchNormKernels.forwardChannels, batchNormKernels.statsChannels,
    batchNormKernels.normalize, batchNormKernels.running, batchNormKernels.runningCumulative],
  infer: (ins, attrs) => {
    const s = trainSlots(attrs);
    const x = ins[0];
    checkXMeta('batchNorm', x);
    if (ins.length !== s.count) throw sgError(`batchNorm: expected ${s.count} inputs, got ${ins.length}`);
    const [N, C, L] = view(x.shape);
    if (N * L === 1) {
      throw sgError(`batchNorm: Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`, ShapeError);
    }
    if (N * L === 0 && C > 0) throw sgError(`batchNorm: x ${fmtShape(x.shape)} has no values per channel`, ShapeError);
    const named: [number, string][] = [[s.w, 'weight'], [s.b, 'bias'], [s.rm, 'runningMean'], [s.rv, 'runningVar']];
    for (const [i, what] of named) if (i >= 0) checkChannelMeta('batchNorm', what, ins[i], C);
    if (attrs.cumulative && !attrs.hasRunning) throw sgError('batchNorm: the cumulative average (momentum null) needs runningMean and runningVar');
    if (s.nbt >= 0 && (ins[s.nbt].dtype !== 'i32' || ins[s.nbt].shape.length !== 0)) {
      throw sgError(`batchNorm: numBatchesTracked must be i32 of shape [] (the count of training batches), got ${fmtShape(ins[s.nbt].shape)} ${ins[s.nbt].dtype}`, ShapeError);
    }
    const perChannel: Meta = { shape: [C], dtype: 'f32' };
    const outs: Meta[] = [{ shape: [...x.shape], dtype: 'f32' }, perChannel, perChannel];
    if (attrs.hasRunning) outs.push(perChannel, perChannel);
    return outs;
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [N, C, L] = view(inMeta[0].shape);
    const M = N * L;
    if (C === 0) return;
    const s = trainSlots(attrs);
    const x = inputs[0];
    // An absent weight or bias is not read (HAS_* = 0), but the binding still needs a buffer.
    const weight = s.w >= 0 ? inputs[s.w] : x;
    const bias = s.b >= 0 ? inputs[s.b] : x;
    const varB = ctx.scratch(C * 4);
    const p = { N, C, L, eps: attrs.eps };
    const yHalf = halfOut(half, 0);
    const flags = { X_HALF: halfIn(half, 0), Y_HALF: yHalf };
    const overrides = (k: KernelDef) => ({ HAS_WEIGHT: s.w >= 0 ? 1 : 0, HAS_BIAS: s.b >= 0 ? 1 : 0, ...halfOverrides(k, flags) });
    const [y, mean, rstd] = outputs;
    const perThread = oneThreadPerRow('batchNormChannels', M, C);
    if (useFused(attrs.version, C, M, perThread, yHalf, L)) {
      const k = perThread ? batchNormKernels.forwardChannels : batchNormKernels.forward;
      ctx.dispatch(k, { bind: { x, mean, rstd, var_b: varB, weight, bias, y }, params: p, overrides: overrides(k), grid: channelGrid(ctx, C, perThread) });
    } else {
      const k = perThread ? batchNormKernels.statsChannels : batchNormKernels.stats;
      ctx.dispatch(k, {
        bind: { x, mean, rstd, var_b: varB }, params: p, overrides: halfOverrides(k, { X_HALF: flags.X_HALF }), grid: channelGrid(ctx, C, perThread),
      });
      ctx.dispatch(batchNormKernels.normalize, {
        bind: { x, stat_mean: mean, stat_var: varB, y_norm: y, weight, bias }, params: p, overrides: overrides(batchNormKernels.normalize),
        grid: elementGrid(ctx, N * C * L, yHalf),
      });
    }
    if (attrs.hasRunning) {
      const bind = {
        running_mean: inputs[s.rm], stat_mean: mean, stat_var: varB, new_running_mean: outputs[3],
        running_var: inputs[s.rv], new_running_var: outputs[4],
      };
      const k = s.nbt >= 0 ? batchNormKernels.runningCumulative : batchNormKernels.running;
      ctx.dispatch(k, {
        bind: s.nbt >= 0 ? { ...bind, tracked: inputs[s.nbt] } : bind,
        params: { C, momentum: s.nbt >= 0 ? 0 : attrs.momentum, unbias: M / (M - 1) }, grid: grid1d(C, 64, ctx.limits.maxWorkgroupsPerDim),
      });
    }
  },
  // x read and y written as f16 (any shape: an odd L takes the split kernels); the saved statistics and
  // the running statistics stay f32, as do weight and bias.
  half: (inMeta, outMeta) => ({ reads: inMeta.map((_, k) => k === 0), writes: outMeta.map((_, k) => k === 0) }),
  // dy goes through the backward kernels (with the batch-statistics terms). Gradients reaching the saved
  // mean and rstd outputs add dmean/M and −drstd·rstd³·(x − mean)/M to dx (d var/dx = 2(x − mean)/M).
  // The updated running statistics are state, not differentiable (torch updates them under no_grad).
  grad: ({ inputs, outputs: [, mean, rstd], dys: [dy, dmean, drstd], attrs }) => {
    const s = trainSlots(attrs);
    const x = inputs[0];
    const grads: (Tensor | null)[] = inputs.map(() => null);
    const [N, C, L] = view(x.shape);
    const M = N * L;
    const bc = (t: Tensor) => reshape(t, channelShape(x.rank, C));
    let dx: Tensor | null = null;
    if (dy) {
      const w = s.w >= 0 ? inputs[s.w] : null;
      const [gx, gw, gb] = apply(batchNormBackwardOp, w ? [dy, x, mean, rstd, w] : [dy, x, mean, rstd],
        { hasWeight: w !== null, version: attrs.version });
      dx = gx;
      if (s.w >= 0) grads[s.w] = gw;
      if (s.b >= 0) grads[s.b] = gb;
    }
    if (dmean) {
      const g = expand(bc(scale(dmean, 1 / M)), x.shape);
      dx = dx ? add(dx, g) : g;
    }
    if (drstd) {
      const g = mul(sub(x, bc(mean)), bc(scale(mul(drstd, powScalar(rstd, 3)), -1 / M)));
      dx = dx ? add(dx, g) : g;
    }
    grads[0] = dx;
    return grads;
  },
  reference: (ins, attrs) => {
    const s = trainSlots(attrs);
    const opt = (i: number) => (i >= 0 ? ins[i] : null);
    const momentum = s.nbt >= 0 ? 1 / ins[s.nbt].data[0] : attrs.momentum;
    return ref.batchNormTrainForward(ins[0], opt(s.w), opt(s.b), opt(s.rm), opt(s.rv), attrs.eps, momentum);
  },
  referenceBackward: ({ inputs, outputs: [, mean, rstd], dys: [dy, dmean, drstd], attrs }) => {
    const s = trainSlots(attrs);
    const out: (HostTensor | null)[] = inputs.map(() => null);
    if (!dy && !dmean && !drstd) return out;
    const { dx, dweight, dbias } = ref.batchNormTrainBackward(inputs[0], s.w >= 0 ? inputs[s.w] : null, mean, rstd, dy, dmean, drstd);
    out[0] = dx;
    if (dy && s.w >= 0) out[s.w] = dweight;
    if (dy && s.b >= 0) out[s.b] = dbias;
    return out;
  },
  cost: ([x], _outs, attrs) => {
    const n = numel(x.shape);
    const C = x.shape[1];
    return { flops: 8 * n + (attrs.hasRunning ? 6 * C : 0), bytes: 4 * (2 * n + (attrs.hasRunning ? 9 : 5) * C + (attrs.hasRunning && attrs.cumulative ? 1 : 0)) };
  },
});

// ---- training backward ----------------------------------------------------------------------------

interface BackwardAttrs {
  hasWeight: boolean;
  version: BatchNormVersion;
}

export const batchNormBackwardOp = defineOp<BackwardAttrs>({
  name: 'batchNormBackward',
  kernels: [batchNormKernels.backward, batchNormKernels.backwardReduce, batchNormKernels.backwardChannels,
    batchNormKernels.backwardReduceChannels, batchNormKernels.backwardDx],
  infer: ([dy, x, mean, rstd, w], attrs) => {
    checkXMeta('batchNormBackward', x);
    if (dy.dtype !== 'f32' || fmtShape(dy.shape) !== fmtShape(x.shape)) {
      throw sgError(`batchNormBackward: dy ${fmtShape(dy.shape)} ${dy.dtype} must be f32 with the shape of x ${fmtShape(x.shape)}`, ShapeError);
    }
    const C = x.shape[1];
    checkChannelMeta('batchNormBackward', 'mean', mean, C);
    checkChannelMeta('batchNormBackward', 'rstd', rstd, C);
    if (attrs.hasWeight) checkChannelMeta('batchNormBackward', 'weight', w, C);
    const perChannel: Meta = { shape: [C], dtype: 'f32' };
    return [{ shape: [...x.shape], dtype: 'f32' }, perChannel, perChannel];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [N, C, L] = view(inMeta[1].shape);
    if (C === 0) return;
    const [dy, x, mean, rstd] = inputs;
    const weight: BufferRef = attrs.hasWeight ? inputs[4] : x;
    const [dx, dweight, dbias] = outputs;
    const p = { N, C, L, eps: 0 };
    const dxHalf = halfOut(half, 0);
    const reads = { DY_HALF: halfIn(half, 0), X_HALF: halfIn(half, 1) };
    const overrides = (k: KernelDef) => ({ HAS_WEIGHT: attrs.hasWeight ? 1 : 0, ...halfOverrides(k, { ...reads, DX_HALF: dxHalf }) });
    const perThread = oneThreadPerRow('batchNormChannels', N * L, C);
    if (useFused(attrs.version, C, N * L, perThread, dxHalf, L)) {
      const k = perThread ? batchNormKernels.backwardChannels : batchNormKernels.backward;
      ctx.dispatch(k, {
        bind: { x, stat_mean: mean, stat_rstd: rstd, dy, dweight, dbias, weight_b: weight, dx }, params: p, overrides: overrides(k),
        grid: channelGrid(ctx, C, perThread),
      });
    } else {
      const k = perThread ? batchNormKernels.backwardReduceChannels : batchNormKernels.backwardReduce;
      ctx.dispatch(k, {
        bind: { x, stat_mean: mean, stat_rstd: rstd, dy, dweight, dbias }, params: p, overrides: halfOverrides(k, reads),
        grid: channelGrid(ctx, C, perThread),
      });
      ctx.dispatch(batchNormKernels.backwardDx, {
        bind: { x, stat_mean: mean, stat_rstd: rstd, dy, sum_dy_xhat: dweight, sum_dy: dbias, weight_b: weight, dx },
        params: p, overrides: overrides(batchNormKernels.backwardDx), grid: elementGrid(ctx, N * C * L, dxHalf),
      });
    }
  },
  // dy and x read and dx written as f16 (any shape: an odd L takes the split kernels); the saved
  // statistics, the weight and the sums Σ dy·x̂, Σ dy stay f32.
  half: (inMeta) => ({ reads: inMeta.map((_, k) => k <= 1), writes: [true, false, false] }),
  // The maths is in src/reference/batchnorm.ts (batchNormBackwardBackward); here the same formulas in ops,
  // with per-channel sums S(t) = Σ over n and spatial positions, kept as [1, C, 1, ...].
  grad: ({ inputs: [g, x, mean, rstd, w], outputs: [, dwOut, dbOut], dys: [A, B, D], attrs }) => {
    const [N, C, L] = view(x.shape);
    const M = N * L;
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const S = (t: Tensor) => sum(t, axes, true);
    const bc = (t: Tensor) => reshape(t, channelShape(x.rank, C));
    const flat = (t: Tensor) => reshape(t, [C]);
    const plus = (a: Tensor | null, b: Tensor) => (a ? add(a, b) : b);
    const r = bc(rstd);
    const xc = sub(x, bc(mean));
    const xh = mul(xc, r);
    const wc = attrs.hasWeight ? bc(w) : null;
    const wr = wc ? mul(wc, r) : r;
    let dg: Tensor | null = null;
    let dxh: Tensor | null = null;
    let K: Tensor | null = null;
    if (A) {
      const SA = S(A);
      const SAx = S(mul(A, xh));
      dg = mul(wr, sub(sub(A, scale(SA, 1 / M)), scale(mul(xh, SAx), 1 / M)));
      dxh = neg(mul(scale(wr, 1 / M), add(mul(A, bc(dwOut)), mul(SAx, g))));
      K = sub(sub(S(mul(A, g)), scale(mul(bc(dbOut), SA), 1 / M)), scale(mul(bc(dwOut), SAx), 1 / M));
    }
    if (B) {
      dg = plus(dg, mul(bc(B), xh));
      dxh = plus(dxh, mul(bc(B), g));
    }
    if (D) dg = plus(dg, expand(bc(D), x.shape));
    const dx = dxh ? mul(r, dxh) : null;
    const dmean = dxh ? flat(neg(mul(r, S(dxh)))) : null;
    let dr: Tensor | null = dxh ? S(mul(dxh, xc)) : null;
    if (K) dr = plus(dr, wc ? mul(wc, K) : K);
    const dw = attrs.hasWeight && K ? flat(mul(r, K)) : null;
    return [dg, dx, dmean, dr && flat(dr), ...(attrs.hasWeight ? [dw] : [])];
  },
  reference: ([g, x, mean, rstd, w], attrs) => ref.batchNormBackwardForward(g, x, mean, rstd, attrs.hasWeight ? w : null),
  referenceBackward: ({ inputs: [g, x, mean, rstd, w], dys: [A, B, D], attrs }) =>
    ref.batchNormBackwardBackward(g, x, mean, rstd, attrs.hasWeight ? w : null, A, B, D),
  cost: ([, x]) => {
    const n = numel(x.shape);
    return { flops: 10 * n, bytes: 4 * (3 * n + 5 * x.shape[1]) };
  },
});

// ---- eval forward -------------------------------------------------------------------------------

interface EvalAttrs {
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

export const batchNormEvalOp = defineOp<EvalAttrs>({
  name: 'batchNormEval',
  kernels: [batchNormKernels.normalize],
  infer: (ins, attrs) => {
    const x = ins[0];
    checkXMeta('batchNormEval', x);
    const C = x.shape[1];
    checkChannelMeta('batchNormEval', 'runningMean', ins[1], C);
    checkChannelMeta('batchNormEval', 'runningVar', ins[2], C);
    let k = 3;
    if (attrs.hasWeight) checkChannelMeta('batchNormEval', 'weight', ins[k++], C);
    if (attrs.hasBias) checkChannelMeta('batchNormEval', 'bias', ins[k++], C);
    if (ins.length !== k) throw sgError(`batchNormEval: expected ${k} inputs, got ${ins.length}`);
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [N, C, L] = view(inMeta[0].shape);
    const n = N * C * L;
    if (n === 0) return;
    const x = inputs[0];
    const weight = attrs.hasWeight ? inputs[3] : x;
    const bias = attrs.hasBias ? inputs[attrs.hasWeight ? 4 : 3] : x;
    const yHalf = halfOut(half, 0);
    ctx.dispatch(batchNormKernels.normalize, {
      bind: { x, stat_mean: inputs[1], stat_var: inputs[2], y_norm: outputs[0], weight, bias },
      params: { N, C, L, eps: attrs.eps },
      overrides: {
        HAS_WEIGHT: attrs.hasWeight ? 1 : 0, HAS_BIAS: attrs.hasBias ? 1 : 0,
        ...halfOverrides(batchNormKernels.normalize, { X_HALF: halfIn(half, 0), Y_HALF: yHalf }),
      },
      grid: elementGrid(ctx, n, yHalf),
    });
  },
  // x read and y written as f16 (one thread per word); the running statistics, weight and bias stay f32.
  half: (inMeta) => ({ reads: inMeta.map((_, k) => k === 0), writes: [true] }),
  // y = (x − rm)·r·w + b with r = (rv + eps)^(-1/2): dx = dy·w·r, dw = Σ dy·(x − rm)·r, db = Σ dy.
  // The running statistics get no gradient: torch treats them as non-differentiable buffers.
  grad: ({ inputs, dys: [dy], attrs }) => {
    const grads: (Tensor | null)[] = inputs.map(() => null);
    if (!dy) return grads;
    const [x, rm, rv] = inputs;
    const C = x.shape[1];
    const bc = (t: Tensor) => reshape(t, channelShape(x.rank, C));
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const r = bc(reciprocal(sqrt(shift(rv, attrs.eps))));
    const w = attrs.hasWeight ? bc(inputs[3]) : null;
    grads[0] = mul(dy, w ? mul(w, r) : r);
    if (attrs.hasWeight) grads[3] = reshape(sum(mul(dy, mul(sub(x, bc(rm)), r)), axes), [C]);
    if (attrs.hasBias) grads[attrs.hasWeight ? 4 : 3] = reshape(sum(dy, axes), [C]);
    return grads;
  },
  reference: (ins, attrs) => {
    const w = attrs.hasWeight ? ins[3] : null;
    const b = attrs.hasBias ? ins[attrs.hasWeight ? 4 : 3] : null;
    return [ref.batchNormEvalForward(ins[0], ins[1], ins[2], w, b, attrs.eps)];
  },
  referenceBackward: ({ inputs, dys: [dy], attrs }) => {
    const out: (HostTensor | null)[] = inputs.map(() => null);
    if (!dy) return out;
    const { dx, dweight, dbias } = ref.batchNormEvalBackward(inputs[0], inputs[1], inputs[2], attrs.hasWeight ? inputs[3] : null, dy, attrs.eps);
    out[0] = dx;
    if (attrs.hasWeight) out[3] = dweight;
    if (attrs.hasBias) out[attrs.hasWeight ? 4 : 3] = dbias;
    return out;
  },
  cost: ([x]) => ({ flops: 5 * numel(x.shape), bytes: 4 * (2 * numel(x.shape) + 4 * x.shape[1]) }),
});

// ---- public function ----------------------------------------------------------------------------

export interface BatchNormOptions {
  /** Per-channel scale γ, shape [C] (default: none, i.e. 1). */
  weight?: Tensor;
  /** Per-channel shift β, shape [C] (default: none, i.e. 0). */
  bias?: Tensor;
  /** Running mean, shape [C]: updated in training, used in eval. Give it together with runningVar. */
  runningMean?: Tensor;
  /** Running (unbiased) variance, shape [C]. */
  runningVar?: Tensor;
  /** Normalise with batch statistics (true) or with the running statistics (false, the default, as torch). */
  training?: boolean;
  /**
   * running = (1 − momentum)·running + momentum·batch statistic (default 0.1). null is torch's
   * momentum=None, a cumulative moving average: the factor is 1/numBatchesTracked, which must then be given.
   */
  momentum?: number | null;
  /**
   * With momentum null: the count of training batches including this one (i32 [], torch's
   * num_batches_tracked after its increment), read on the GPU. Not read otherwise.
   */
  numBatchesTracked?: Tensor;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Kernel version (default 'auto'). */
  version?: BatchNormVersion;
}

export interface BatchNormResult {
  /** The normalised output, shape of x. */
  y: Tensor;
  /** Training: the batch mean per channel, [C] (saved for the backward; differentiable). */
  mean?: Tensor;
  /** Training: 1/sqrt(biased batch variance + eps) per channel, [C] (saved for the backward; differentiable). */
  rstd?: Tensor;
  /** Training: the updated running mean (a new tensor); eval: the one given. Undefined without running statistics. */
  runningMean?: Tensor;
  /** Training: the updated running variance (unbiased batch variance); eval: the one given. */
  runningVar?: Tensor;
}

function checkChannelTensor(what: string, t: Tensor | undefined, C: number, x: Tensor): void {
  if (t === undefined) return;
  if (!(t instanceof Tensor)) throw sgError(`batchNorm: ${what} must be a Tensor, got ${typeof t}`);
  if (t.dtype !== 'f32' || t.rank !== 1 || t.shape[0] !== C) {
    throw sgError(`batchNorm: ${what} ${t.describe()} must be f32 of shape [${C}], one value per channel of x ${x.describe()}`, ShapeError);
  }
}

/**
 * Batch normalisation with torch.nn.functional.batch_norm semantics over dimension 1 of x
 * ([N, C], [N, C, L], [N, C, H, W], ...). Training normalises with the batch mean and the biased
 * variance and, given running statistics, returns them updated with momentum and the unbiased
 * variance; eval normalises with the running statistics. Tensors are immutable, so the updated
 * running statistics come back as new tensors in the result.
 */
export function batchNorm(x: Tensor, options: BatchNormOptions = {}): BatchNormResult {
  checkOptions('batchNorm', options, BATCH_NORM_OP_KEYS);
  const { weight, bias, runningMean, runningVar, numBatchesTracked } = options;
  const training = options.training ?? false;
  // Only a missing momentum takes the default: null is torch's momentum=None, a cumulative average
  // with the factor 1/numBatchesTracked (nn.BatchNorm's num_batches_tracked), so it needs the count.
  const momentum = options.momentum === undefined ? 0.1 : options.momentum;
  const cumulative = momentum === null;
  const eps = options.eps ?? 1e-5;
  const version = options.version ?? 'auto';
  if (!(x instanceof Tensor)) throw sgError(`batchNorm: x must be a Tensor, got ${typeof x}`);
  if (x.dtype !== 'f32') throw sgError(`batchNorm: x must be f32, got ${x.describe()}`, ShapeError);
  if (x.rank < 2) throw sgError(`batchNorm: x ${x.describe()} must be [N, C, ...] with at least 2 dimensions`, ShapeError);
  const C = x.shape[1];
  checkChannelTensor('weight', weight, C, x);
  checkChannelTensor('bias', bias, C, x);
  checkChannelTensor('runningMean', runningMean, C, x);
  checkChannelTensor('runningVar', runningVar, C, x);
  if ((runningMean === undefined) !== (runningVar === undefined)) {
    throw sgError('batchNorm: runningMean and runningVar must be given together');
  }
  if (cumulative) {
    if (!(numBatchesTracked instanceof Tensor) || numBatchesTracked.dtype !== 'i32' || numBatchesTracked.rank !== 0) {
      const got = numBatchesTracked instanceof Tensor ? numBatchesTracked.describe() : String(numBatchesTracked);
      throw sgError(`batchNorm: momentum null (torch's momentum=None, a cumulative moving average) needs numBatchesTracked, an i32 [] tensor counting the training batches including this one; got ${got}`);
    }
    if (training && !runningMean) throw sgError('batchNorm: momentum null (a cumulative moving average of the running statistics) needs runningMean and runningVar');
  } else if (typeof momentum !== 'number' || !Number.isFinite(momentum)) {
    throw sgError(`batchNorm: momentum must be a finite number, got ${String(momentum)} (or null: torch's momentum=None, with numBatchesTracked)`);
  } else if (numBatchesTracked !== undefined) {
    throw sgError(`batchNorm: numBatchesTracked is read only with momentum null (a cumulative average), got momentum ${momentum}`);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw sgError(`batchNorm: eps must be a finite number ≥ 0, got ${String(eps)}`);
  if (!['auto', 'fused', 'split'].includes(version)) throw sgError(`batchNorm: unknown version '${version}' (auto, fused or split)`);
  const hasWeight = weight !== undefined;
  const hasBias = bias !== undefined;
  const affine = [...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  if (!training) {
    if (!runningMean || !runningVar) {
      throw sgError('batchNorm: eval mode (training: false) needs runningMean and runningVar; pass training: true to use batch statistics');
    }
    const y = apply1(batchNormEvalOp, [x, runningMean, runningVar, ...affine], { eps, hasWeight, hasBias });
    return { y, runningMean, runningVar };
  }
  const [N, , L] = view(x.shape);
  if (N * L === 1) {
    throw sgError(`batchNorm: Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)} (${x.describe()})`, ShapeError);
  }
  const hasRunning = runningMean !== undefined;
  const running = hasRunning ? [runningMean!, runningVar!, ...(cumulative ? [numBatchesTracked!] : [])] : [];
  const attrs: TrainAttrs = { eps, momentum: cumulative ? 0 : momentum, hasWeight, hasBias, hasRunning, version };
  if (cumulative) attrs.cumulative = true;
  const outs = apply(batchNormOp, [x, ...affine, ...running], attrs);
  return { y: outs[0], mean: outs[1], rstd: outs[2], runningMean: outs[3], runningVar: outs[4] };
}
