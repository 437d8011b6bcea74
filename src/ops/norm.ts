// Group, instance and RMS normalisation: torch.nn.functional.group_norm, instance_norm and rms_norm.
// Kernels: shaders/norm.wgsl. References: src/reference/norm.ts.
//
// One layout serves the three (see the kernel file's header): x viewed as (N, C, L) with each
// sample's C channels in G groups, a "row" being one (sample, group) of Cg·L = C/G·L contiguous values,
// and a per-channel weight and bias.
//   groupNorm     x [N, C, *], G = numGroups; weight, bias [C]
//   instanceNorm  groupNorm with G = C, plus the running statistics (below)
//   rmsNorm       x [..., *normalizedShape]: N = the leading dims, C = numel(normalizedShape), L = 1,
//                 G = 1, and no mean (CENTER = false); weight of shape normalizedShape, no bias
// Ops:
//   rmsNorm / groupNorm                  forward: (x, weight?, bias?) → (y, mean, rstd), without mean for
//                                        RMS; mean and rstd are what the backward reads (groupNorm's
//                                        are [N, G] as torch's native_group_norm; rmsNorm's rstd has x's
//                                        leading dims)
//   rmsNormBackward / groupNormBackward  (x, mean, rstd, dy, weight?) → (dx, dweight?, dbias?), mean
//                                        absent for RMS; its own gradient is written in ops, so
//                                        gradients of gradients work
//   instanceNormRunning                  (mean, rstd, runningMean, runningVar) → the updated running
//                                        statistics; state, with no gradient (torch updates them
//                                        under no_grad)
// instanceNorm with useInputStats: false normalises with the running statistics: batchNorm's eval op.
// Kernel choice: forward and dx run one workgroup per row, or one thread per row (the _rows kernels)
// by the 'normRows' rule of src/ops/kernel-rules.ts; dweight / dbias one workgroup per channel, or
// one thread per channel (norm_backward_params_channels) by its 'normChannels' rule.

import { wgslKernel } from '../gpu/kernels.js';
import { oneThreadPerRow, ROW_THREADS } from './kernel-rules.js';
import { apply, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/norm.js';
import { host, type HostTensor } from '../reference/host.js';
import { defineOp } from './op.js';
import { fmtShape, numel, type Meta, sameShape } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx } from '../gpu/dispatch.js';
import { add, expand, mul, neg, scale, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { batchNorm } from './batchnorm.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const INSTANCE_NORM_OP_KEYS = keysOf<InstanceNormOptions>({
  weight: 1, bias: 1, runningMean: 1, runningVar: 1, useInputStats: 1, momentum: 1, eps: 1,
});

/** torch.finfo(torch.float32).eps = 2⁻²³: rms_norm's eps when none is given. */
export const FLOAT32_EPS = 2 ** -23;

export const normKernels = {
  /** One workgroup per row. */
  forward: wgslKernel('norm_forward'),
  backward: wgslKernel('norm_backward'),
  /** One thread per row. */
  forwardRows: wgslKernel('norm_forward_rows'),
  backwardRows: wgslKernel('norm_backward_rows'),
  /** dweight / dbias: one workgroup per channel, or one thread per channel. */
  backwardParams: wgslKernel('norm_backward_params'),
  backwardParamsChannels: wgslKernel('norm_backward_params_channels'),
  /** instanceNorm's running statistics, one thread per channel. */
  running: wgslKernel('norm_running'),
};

/** Where the statistics are taken: over the trailing normalizedShape (RMS) or over groups of channels. */
type Layout = { kind: 'rms'; normalizedShape: number[] } | { kind: 'group'; groups: number };

interface ForwardAttrs {
  layout: Layout;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

type BackwardAttrs = Omit<ForwardAttrs, 'eps'>;

/** Whether the rows are centred (a mean is taken, saved and read): group and instance norm, not RMS. */
const centred = (layout: Layout) => layout.kind === 'group';

/** The (N, C, L, G) view of x. */
function viewOf(shape: readonly number[], layout: Layout): ref.NormView {
  if (layout.kind === 'rms') {
    const k = layout.normalizedShape.length;
    return { N: numel(shape.slice(0, shape.length - k)), C: numel(layout.normalizedShape), L: 1, G: 1 };
  }
  return { N: shape[0], C: shape[1], L: numel(shape.slice(2)), G: layout.groups };
}

/** The shape of weight, bias, dweight and dbias. */
const paramShape = (shape: readonly number[], layout: Layout) =>
  (layout.kind === 'rms' ? [...layout.normalizedShape] : [shape[1]]);

/** The shape of the saved statistics: x's leading dims (RMS, as layerNorm) or [N, G] (as torch's native_group_norm). */
function statShape(shape: readonly number[], layout: Layout): number[] {
  return layout.kind === 'rms' ? shape.slice(0, shape.length - layout.normalizedShape.length) : [shape[0], layout.groups];
}

/** The shape rule shared by the forward's infer and the public functions; throws naming x and its shape. */
function checkLayout(op: string, shape: readonly number[], layout: Layout, what = `x ${fmtShape(shape)}`): void {
  if (layout.kind === 'rms') {
    const k = layout.normalizedShape.length;
    if (k > shape.length || !sameShape(shape.slice(shape.length - k), layout.normalizedShape)) {
      throw sgError(`${op}: normalizedShape ${fmtShape(layout.normalizedShape)} must be the trailing dimensions of ${what}`, ShapeError);
    }
    return;
  }
  if (shape.length < 2) throw sgError(`${op}: ${what} must be [N, C, ...] with at least 2 dimensions`, ShapeError);
  if (shape[1] % layout.groups !== 0) {
    throw sgError(`${op}: the channels of ${what} (${shape[1]}) must be divisible by the number of groups, ${layout.groups}`, ShapeError);
  }
}

/** The grid of one workgroup (perThread: one thread) per item, folded into 2-D past the per-dimension limit. */
function itemGrid(n: number, ctx: EncodeCtx, perThread: boolean): [number, number] {
  return grid1d(n, perThread ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim);
}

const addOpt = (a: Tensor | null, b: Tensor | null): Tensor | null => (a && b ? add(a, b) : (a ?? b));

/** The backward op's inputs, in order: x, mean (centred only), rstd, dy, weight?. */
function backwardInputs<T>(x: T, mean: T | null, rstd: T, dy: T, weight: T | null): T[] {
  return [x, ...(mean === null ? [] : [mean]), rstd, dy, ...(weight === null ? [] : [weight])];
}

function splitBackwardInputs<T>(ins: T[], layout: Layout, hasWeight: boolean) {
  const k = centred(layout) ? 1 : 0;
  return { x: ins[0], mean: k ? ins[1] : null, rstd: ins[1 + k], dy: ins[2 + k], weight: hasWeight ? ins[3 + k] : null };
}

/** The forward's statistics outputs and their incoming gradients: [y, mean, rstd], or [y, rstd] for RMS. */
function splitStats<T>(list: T[], layout: Layout): { mean: T | null; rstd: T } {
  return centred(layout) ? { mean: list[1], rstd: list[2] } : { mean: null, rstd: list[1] };
}

/** Position of bias among the forward's inputs (and of dbias among the backward's outputs). */
const biasSlot = (hasWeight: boolean) => (hasWeight ? 2 : 1);

/**
 * x seen as [N, G, Cg, L] for the gradients written in ops: a row is [n, g, :, :], a channel
 * [:, g, c, :]. The statistics broadcast as [N, G, 1, 1], weight-like tensors as [1, G, Cg, 1].
 */
function frame(shape: readonly number[], layout: Layout) {
  const v = viewOf(shape, layout);
  const Cg = v.C / v.G;
  const shape4 = [v.N, v.G, Cg, v.L];
  return {
    /** Values per row. */
    n: Cg * v.L,
    shape4,
    view: (t: Tensor) => reshape(t, shape4),
    stat: (t: Tensor) => reshape(t, [v.N, v.G, 1, 1]),
    param: (t: Tensor) => reshape(t, [1, v.G, Cg, 1]),
    rowSum: (t: Tensor) => sum(t, [2, 3], true),
    channelSum: (t: Tensor, like: readonly number[]) => reshape(sum(t, [0, 3]), like),
  };
}

// ---- backward: (x, mean?, rstd, dy, weight?) -> (dx, dweight?, dbias?) ---------------------------

function defineNormBackward(name: string) {
  return defineOp<BackwardAttrs>({
    name,
    kernels: [normKernels.backward, normKernels.backwardRows, normKernels.backwardParams, normKernels.backwardParamsChannels],
    infer: (ins, { layout, hasWeight, hasBias }) => {
      const { x, dy } = splitBackwardInputs(ins, layout, hasWeight);
      if (!sameShape(x.shape, dy.shape)) {
        throw sgError(`${name}: dy ${fmtShape(dy.shape)} must have the shape of x ${fmtShape(x.shape)}`, ShapeError);
      }
      const outs: Meta[] = [{ shape: [...x.shape], dtype: 'f32' }];
      if (hasWeight) outs.push({ shape: paramShape(x.shape, layout), dtype: 'f32' });
      if (hasBias) outs.push({ shape: paramShape(x.shape, layout), dtype: 'f32' });
      return outs;
    },
    encode: (ctx, { inputs, outputs, inMeta, attrs: { layout, hasWeight, hasBias } }) => {
      const v = viewOf(inMeta[0].shape, layout);
      const rows = v.N * v.G;
      const len = (v.C / v.G) * v.L;
      const { x, mean, rstd, dy, weight } = splitBackwardInputs<BufferRef>(inputs, layout, hasWeight);
      // RMS has no mean: rstd is bound in its place and never read (CENTER = 0).
      const common = { x, saved_mean: mean ?? rstd, saved_rstd: rstd, dy };
      const overrides = { CENTER: centred(layout) ? 1 : 0 };
      if (rows > 0 && len > 0) {
        const perRow = oneThreadPerRow('normRows', len, rows);
        ctx.dispatch(perRow ? normKernels.backwardRows : normKernels.backward, {
          bind: { ...common, weight: weight ?? x, dx: outputs[0] }, params: { ...v, eps: 0 },
          overrides: { ...overrides, HAS_WEIGHT: hasWeight ? 1 : 0 }, grid: itemGrid(rows, ctx, perRow),
        });
      }
      if ((hasWeight || hasBias) && v.C > 0) {
        // Both sums come from one pass; the one nobody asked for goes to a scratch buffer.
        const dweight = hasWeight ? outputs[1] : ctx.scratch(v.C * 4);
        const dbias = hasBias ? outputs[biasSlot(hasWeight)] : ctx.scratch(v.C * 4);
        const perChannel = oneThreadPerRow('normChannels', v.N * v.L, v.C);
        ctx.dispatch(perChannel ? normKernels.backwardParamsChannels : normKernels.backwardParams, {
          bind: { ...common, dweight, dbias }, params: { ...v, eps: 0 }, overrides, grid: itemGrid(v.C, ctx, perChannel),
        });
      }
    },
    // The backward as a function of (x, mean, rstd, dy, w), per row of n values: xhat = (x − mean)·rstd,
    // g = dy·w, dx = rstd(g − mean(g) − xhat·mean(g·xhat)) (no mean(g) for RMS); per channel
    // dweight = Σ dy·xhat, dbias = Σ dy. For incoming ddx, ddweight, ddbias (q = ddx·rstd,
    // P = Σ q·xhat, a = mean g, b = mean g·xhat; src/reference/norm.ts, normBackwardBackward):
    //   G = ∂L/∂g = q − mean(q) − xhat·P/n (no mean(q) for RMS),  H = ∂L/∂xhat = −b·q − g·P/n + ddweight·dy
    //   ∂/∂dy = G·w + ddweight·xhat + ddbias   ∂/∂w = Σ_channel G·dy   ∂/∂x = H·rstd
    //   ∂/∂mean = −rstd·ΣH                      ∂/∂rstd = Σ ddx·(g − a − xhat·b) + ΣH·(x − mean)
    grad: ({ inputs, dys, attrs: { layout, hasWeight, hasBias } }) => {
      const { x, mean, rstd, dy, weight } = splitBackwardInputs(inputs, layout, hasWeight);
      const ddx = dys[0];
      const ddw = hasWeight ? dys[1] : null;
      const ddb = hasBias ? dys[biasSlot(hasWeight)] : null;
      const f = frame(x.shape, layout);
      const rowMean = (t: Tensor) => scale(f.rowSum(t), 1 / f.n);
      const dy4 = f.view(dy);
      const r4 = f.stat(rstd);
      const xc = mean ? sub(f.view(x), f.stat(mean)) : f.view(x);
      const xhat = mul(xc, r4);
      const w4 = weight && f.param(weight);
      const g = w4 ? mul(dy4, w4) : dy4;

      let G: Tensor | null = null;
      let H: Tensor | null = null;
      let E: Tensor | null = null;
      if (ddx) {
        const ddx4 = f.view(ddx);
        const q = mul(ddx4, r4);
        const Pn = rowMean(mul(q, xhat));
        const b = rowMean(mul(g, xhat));
        G = sub(q, mul(xhat, Pn));
        if (mean) G = sub(G, rowMean(q));
        H = neg(add(mul(q, b), mul(g, Pn)));
        E = f.rowSum(mul(ddx4, sub(mean ? sub(g, rowMean(g)) : g, mul(xhat, b))));
      }
      if (ddw) H = addOpt(H, mul(dy4, f.param(ddw)));

      let gdy = G && (w4 ? mul(G, w4) : G);
      if (ddw) gdy = addOpt(gdy, mul(xhat, f.param(ddw)));
      if (ddb) gdy = addOpt(gdy, expand(f.param(ddb), f.shape4));
      const gw = G && weight ? f.channelSum(mul(G, dy4), weight.shape) : null;
      const gx = H && mul(H, r4);
      const gmean = mean && H ? neg(mul(r4, f.rowSum(H))) : null;
      const grstd = addOpt(E, H && f.rowSum(mul(H, xc)));

      const back = (t: Tensor | null, like: Tensor) => t && reshape(t, like.shape);
      const grads = [back(gx, x)];
      if (mean) grads.push(back(gmean, mean));
      grads.push(back(grstd, rstd), back(gdy, dy));
      if (weight) grads.push(gw);
      return grads;
    },
    reference: (ins, { layout, hasWeight, hasBias }) => {
      const { x, mean, rstd, dy, weight } = splitBackwardInputs(ins, layout, hasWeight);
      const r = ref.normBackward(x, mean, rstd, dy, weight, viewOf(x.shape, layout));
      const P = paramShape(x.shape, layout);
      const outs = [r.dx];
      if (hasWeight) outs.push({ data: r.dweight.data, shape: P });
      if (hasBias) outs.push({ data: r.dbias.data, shape: [...P] });
      return outs;
    },
    referenceBackward: ({ inputs, dys, attrs: { layout, hasWeight, hasBias } }) => {
      const { x, mean, rstd, dy, weight } = splitBackwardInputs(inputs, layout, hasWeight);
      const ddw = hasWeight ? dys[1] : null;
      const ddb = hasBias ? dys[biasSlot(hasWeight)] : null;
      const r = ref.normBackwardBackward(x, mean, rstd, dy, weight, viewOf(x.shape, layout), dys[0], ddw, ddb);
      const dw: HostTensor | null = weight && { data: r.dweight.data, shape: [...weight.shape] };
      return backwardInputs<HostTensor | null>(r.dx, r.dmean, r.drstd, r.ddy, dw);
    },
    cost: ([x], outs) => ({ flops: 10 * numel(x.shape), bytes: 4 * (4 * numel(x.shape) + outs.slice(1).reduce((n, m) => n + numel(m.shape), 0)) }),
  });
}

const rmsNormBackwardOp = defineNormBackward('rmsNormBackward');
const groupNormBackwardOp = defineNormBackward('groupNormBackward');

// ---- forward: (x, weight?, bias?) -> (y, mean?, rstd) --------------------------------------------

function defineNormForward(name: string) {
  return defineOp<ForwardAttrs>({
    name,
    kernels: [normKernels.forward, normKernels.forwardRows],
    infer: (ins, { layout, hasWeight, hasBias }) => {
      const x = ins[0];
      if (x.dtype !== 'f32') throw sgError(`${name}: x must be f32, got ${x.dtype}`, ShapeError);
      checkLayout(name, x.shape, layout);
      const P = paramShape(x.shape, layout);
      if (ins.length !== 1 + Number(hasWeight) + Number(hasBias)) throw sgError(`${name}: expected ${1 + Number(hasWeight) + Number(hasBias)} inputs, got ${ins.length}`);
      for (const m of ins.slice(1)) {
        if (m.dtype !== 'f32' || !sameShape(m.shape, P)) throw sgError(`${name}: weight and bias must be f32 of shape ${fmtShape(P)}, got ${fmtShape(m.shape)} ${m.dtype}`, ShapeError);
      }
      const stat = (): Meta => ({ shape: statShape(x.shape, layout), dtype: 'f32' });
      const y: Meta = { shape: [...x.shape], dtype: 'f32' };
      return centred(layout) ? [y, stat(), stat()] : [y, stat()];
    },
    encode: (ctx, { inputs, outputs, inMeta, attrs: { layout, eps, hasWeight, hasBias } }) => {
      const v = viewOf(inMeta[0].shape, layout);
      const rows = v.N * v.G;
      const len = (v.C / v.G) * v.L;
      if (rows === 0 || len === 0) return;
      const x = inputs[0];
      const { mean, rstd } = splitStats(outputs, layout);
      const perRow = oneThreadPerRow('normRows', len, rows);
      ctx.dispatch(perRow ? normKernels.forwardRows : normKernels.forward, {
        bind: {
          // RMS writes no mean (CENTER = 0): a placeholder buffer is bound in its place.
          x, mean: mean ?? ctx.scratch(4), rstd, y: outputs[0],
          // Absent weight / bias: the input is bound in their place and never read (HAS_* = 0).
          weight: hasWeight ? inputs[1] : x, bias: hasBias ? inputs[biasSlot(hasWeight)] : x,
        },
        params: { ...v, eps },
        overrides: { CENTER: centred(layout) ? 1 : 0, HAS_WEIGHT: hasWeight ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0 },
        grid: itemGrid(rows, ctx, perRow),
      });
    },
    // dy reaches x, weight, bias through the backward op. mean and rstd are outputs too (the backward
    // op reads them, so gradients of gradients reach them): per row of n values ∂mean/∂x_j = 1/n and
    // ∂rstd/∂x_j = −rstd³·(x_j − mean)/n (mean = 0 for RMS).
    grad: ({ inputs, outputs, dys, attrs: { layout, hasWeight, hasBias } }) => {
      const x = inputs[0];
      const { mean, rstd } = splitStats(outputs, layout);
      const d = splitStats(dys, layout);
      const dy = dys[0];
      const grads: (Tensor | null)[] = inputs.map(() => null);
      if (dy) {
        const op = layout.kind === 'rms' ? rmsNormBackwardOp : groupNormBackwardOp;
        const outs = apply(op, backwardInputs(x, mean, rstd, dy, hasWeight ? inputs[1] : null), { layout, hasWeight, hasBias });
        outs.forEach((t, i) => (grads[i] = t));
      }
      if (d.mean || d.rstd) {
        const f = frame(x.shape, layout);
        let extra: Tensor | null = d.mean && expand(scale(f.stat(d.mean), 1 / f.n), f.shape4);
        if (d.rstd) {
          const r = f.stat(rstd);
          const coef = scale(mul(f.stat(d.rstd), mul(r, mul(r, r))), -1 / f.n);
          extra = addOpt(extra, mul(mean ? sub(f.view(x), f.stat(mean)) : f.view(x), coef));
        }
        grads[0] = addOpt(grads[0], reshape(extra!, x.shape));
      }
      return grads;
    },
    reference: (ins, { layout, eps, hasWeight, hasBias }) => {
      const x = ins[0];
      const r = ref.normForward(x, viewOf(x.shape, layout), centred(layout), hasWeight ? ins[1] : null,
        hasBias ? ins[biasSlot(hasWeight)] : null, eps, statShape(x.shape, layout));
      return r.mean ? [r.out, r.mean, r.rstd] : [r.out, r.rstd];
    },
    referenceBackward: ({ inputs, outputs, dys, attrs: { layout, hasWeight, hasBias } }) => {
      const x = inputs[0];
      const v = viewOf(x.shape, layout);
      const { mean, rstd } = splitStats(outputs, layout);
      const d = splitStats(dys, layout);
      const dy = dys[0];
      const r = dy
        ? ref.normBackward(x, mean, rstd, dy, hasWeight ? inputs[1] : null, v)
        : { dx: host(x.shape), dweight: null, dbias: null };
      if (d.mean || d.rstd) ref.normStatsBackward(x, mean, rstd, d.mean, d.rstd, v, r.dx);
      const P = paramShape(x.shape, layout);
      const grads: (HostTensor | null)[] = [r.dx];
      if (hasWeight) grads.push(r.dweight && { data: r.dweight.data, shape: P });
      if (hasBias) grads.push(r.dbias && { data: r.dbias.data, shape: [...P] });
      return grads;
    },
    cost: ([x]) => ({ flops: 8 * numel(x.shape), bytes: 4 * 2 * numel(x.shape) }),
  });
}

export const rmsNormOp = defineNormForward('rmsNorm');
export const groupNormOp = defineNormForward('groupNorm');
export { rmsNormBackwardOp, groupNormBackwardOp };

// ---- instance norm's running statistics ---------------------------------------------------------

interface RunningAttrs {
  /** Positions per channel (the unbiased variance's L/(L − 1)). */
  L: number;
  eps: number;
  momentum: number;
}

const RUNNING_NO_GRAD = 'running statistics are state, not differentiable (torch updates them under no_grad)';

export const instanceNormRunningOp = defineOp<RunningAttrs>({
  name: 'instanceNormRunning',
  kernels: [normKernels.running],
  infer: ([mean, rstd, rm, rv]) => {
    const C = mean.shape[1];
    if (mean.shape.length !== 2 || !sameShape(rstd.shape, mean.shape)) {
      throw sgError(`instanceNormRunning: mean ${fmtShape(mean.shape)} and rstd ${fmtShape(rstd.shape)} must be the same [N, C]`, ShapeError);
    }
    for (const [what, m] of [['runningMean', rm], ['runningVar', rv]] as const) {
      if (m.dtype !== 'f32' || !sameShape(m.shape, [C])) {
        throw sgError(`instanceNormRunning: ${what} must be f32 of shape [${C}], got ${fmtShape(m.shape)} ${m.dtype}`, ShapeError);
      }
    }
    return [{ shape: [C], dtype: 'f32' }, { shape: [C], dtype: 'f32' }];
  },
  encode: (ctx, { inputs: [mean, rstd, rm, rv], outputs, inMeta, attrs }) => {
    const [N, C] = inMeta[0].shape;
    if (C === 0) return;
    ctx.dispatch(normKernels.running, {
      bind: { saved_mean: mean, saved_rstd: rstd, running_mean: rm, running_var: rv, new_running_mean: outputs[0], new_running_var: outputs[1] },
      params: { N, C, L: attrs.L, eps: attrs.eps, momentum: attrs.momentum }, grid: itemGrid(C, ctx, true),
    });
  },
  grad: { none: RUNNING_NO_GRAD },
  reference: ([mean, rstd, rm, rv], { L, eps, momentum }) =>
    ref.instanceNormRunning(mean, rstd, rm, rv, mean.shape[0], mean.shape[1], L, eps, momentum),
  referenceBackward: { none: RUNNING_NO_GRAD },
  cost: ([mean]) => ({ flops: 6 * numel(mean.shape), bytes: 4 * (2 * numel(mean.shape) + 4 * mean.shape[1]) }),
});

// ---- public functions ---------------------------------------------------------------------------

function checkX(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw sgError(`${op}: x must be a Tensor, got ${typeof x}`);
  if (x.dtype !== 'f32') throw sgError(`${op}: x must be f32, got ${x.describe()}`, ShapeError);
}

function checkEps(op: string, eps: number): void {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw sgError(`${op}: eps must be a finite number ≥ 0, got ${String(eps)}`);
}

/** An optional per-channel (or per-element) tensor: f32 of shape `want`, naming it and x when not. */
function checkParam(op: string, name: string, t: Tensor | null | undefined, want: number[], x: Tensor): void {
  if (t === undefined || t === null) return;
  if (!(t instanceof Tensor)) throw sgError(`${op}: ${name} must be a Tensor, got ${typeof t}`);
  if (t.dtype !== 'f32' || !sameShape(t.shape, want)) {
    throw sgError(`${op}: ${name} ${t.describe()} must be f32 of shape ${fmtShape(want)} for x ${x.describe()}`, ShapeError);
  }
}

/**
 * Root-mean-square normalisation over the trailing dims `normalizedShape`
 * (torch.nn.functional.rms_norm): x / √(mean(x²) + eps) · weight. weight, when given, has shape
 * normalizedShape; eps defaults (undefined or null) to torch.finfo(float32).eps = 2⁻²³, as torch's.
 */
export function rmsNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, eps?: number | null): Tensor {
  checkX('rmsNorm', x);
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0 || normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw sgError(`rmsNorm: normalizedShape must be a non-empty list of positive sizes, got ${JSON.stringify(normalizedShape)}`);
  }
  const layout: Layout = { kind: 'rms', normalizedShape: [...normalizedShape] };
  checkLayout('rmsNorm', x.shape, layout, `x, ${x.describe()},`);
  checkParam('rmsNorm', 'weight', weight, normalizedShape, x);
  const e = eps ?? FLOAT32_EPS;
  checkEps('rmsNorm', e);
  return apply(rmsNormOp, weight ? [x, weight] : [x], { layout, eps: e, hasWeight: !!weight, hasBias: false })[0];
}

/**
 * Group normalisation (torch.nn.functional.group_norm) of x [N, C, *]: the C channels of each sample
 * are split into numGroups groups, each normalised over its channels and positions with its mean and
 * biased variance, then scaled and shifted per channel by weight and bias ([C], optional).
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkX('groupNorm', x);
  if (!Number.isInteger(numGroups) || numGroups < 1) throw sgError(`groupNorm: numGroups must be a positive integer, got ${String(numGroups)}`);
  const layout: Layout = { kind: 'group', groups: numGroups };
  checkLayout('groupNorm', x.shape, layout, x.describe());
  const C = x.shape[1];
  checkParam('groupNorm', 'weight', weight, [C], x);
  checkParam('groupNorm', 'bias', bias, [C], x);
  checkEps('groupNorm', eps);
  if (numel(x.shape.slice(1)) === 0) throw sgError(`groupNorm: x ${x.describe()} has no values per group`, ShapeError);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return apply(groupNormOp, inputs, { layout, eps, hasWeight: !!weight, hasBias: !!bias })[0];
}

export interface InstanceNormOptions {
  /** Per-channel scale, shape [C] (default: none, i.e. 1). */
  weight?: Tensor;
  /** Per-channel shift, shape [C] (default: none, i.e. 0). */
  bias?: Tensor;
  /** Running mean, shape [C]: updated when normalising with the input's statistics, used otherwise. With runningVar. */
  runningMean?: Tensor;
  /** Running (unbiased) variance, shape [C]. */
  runningVar?: Tensor;
  /** Normalise each instance with its own statistics (true, the default, as torch) or with the running ones. */
  useInputStats?: boolean;
  /** running = (1 − momentum)·running + momentum·(the batch's average instance statistic) (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

export interface InstanceNormResult {
  /** The normalised output, shape of x. */
  y: Tensor;
  /** With the input's statistics: the mean of each (sample, channel), [N, C] (differentiable). */
  mean?: Tensor;
  /** With the input's statistics: 1/√(biased variance + eps) of each (sample, channel), [N, C]. */
  rstd?: Tensor;
  /** The updated running mean (a new tensor) with the input's statistics; the one given otherwise. */
  runningMean?: Tensor;
  /** The updated running variance (unbiased instance variances, averaged over the batch); the one given otherwise. */
  runningVar?: Tensor;
}

/**
 * Instance normalisation (torch.nn.functional.instance_norm) of x [N, C, *]: each (sample, channel)
 * normalised over its positions with its mean and biased variance, then weight and bias per channel.
 * Given running statistics, they come back updated (tensors are immutable) with momentum and the
 * unbiased variance, averaged over the batch as torch does; with useInputStats: false the running
 * statistics normalise instead.
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): InstanceNormResult {
  checkOptions('instanceNorm', options, INSTANCE_NORM_OP_KEYS);
  const { weight, bias, runningMean, runningVar } = options;
  const useInputStats = options.useInputStats ?? true;
  // Only a missing momentum takes the default: null (torch's None) is refused below, not made 0.1.
  const momentum = options.momentum === undefined ? 0.1 : options.momentum;
  const eps = options.eps ?? 1e-5;
  checkX('instanceNorm', x);
  if (x.rank < 2) throw sgError(`instanceNorm: x ${x.describe()} must be [N, C, ...] with at least 2 dimensions`, ShapeError);
  const C = x.shape[1];
  if (C === 0) throw sgError(`instanceNorm: x ${x.describe()} has no channels`, ShapeError);
  for (const [name, t] of [['weight', weight], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    checkParam('instanceNorm', name, t, [C], x);
  }
  if ((runningMean === undefined) !== (runningVar === undefined)) throw sgError('instanceNorm: runningMean and runningVar must be given together');
  if (typeof useInputStats !== 'boolean') throw sgError(`instanceNorm: useInputStats must be a boolean, got ${String(useInputStats)}`);
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) throw sgError(`instanceNorm: momentum must be a finite number, got ${String(momentum)}${momentum === null ? " (torch's momentum=None, a cumulative moving average, is not supported)" : ''}`);
  checkEps('instanceNorm', eps);
  if (!useInputStats) {
    if (!runningMean || !runningVar) {
      throw sgError('instanceNorm: useInputStats: false normalises with the running statistics; give runningMean and runningVar');
    }
    return { y: batchNorm(x, { weight, bias, runningMean, runningVar, eps, training: false }).y, runningMean, runningVar };
  }
  const L = numel(x.shape.slice(2));
  if (L <= 1) throw sgError(`instanceNorm: Expected more than 1 spatial element when training, got input size ${fmtShape(x.shape)} (${x.describe()})`, ShapeError);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const [y, mean, rstd] = apply(groupNormOp, inputs, { layout: { kind: 'group', groups: C }, eps, hasWeight: !!weight, hasBias: !!bias });
  if (!runningMean || !runningVar) return { y, mean, rstd };
  const [rm, rv] = apply(instanceNormRunningOp, [mean, rstd, runningMean, runningVar], { L, eps, momentum });
  return { y, mean, rstd, runningMean: rm, runningVar: rv };
}
