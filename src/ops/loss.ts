// Losses with torch.nn.functional semantics: crossEntropy (fused log-softmax + NLL, with class
// weights, ignoreIndex and label smoothing), binaryCrossEntropyWithLogits, mseLoss, l1Loss,
// huberLoss, klDiv, and CLIP's symmetric contrastive loss. `reduction` is 'mean' (default), 'sum' or
// 'none' (and 'batchmean' for klDiv, as torch).
// Kernels: shaders/loss.wgsl; crossEntropy's subgroup rung (forward and final sums, where the device
// has `subgroups`): shaders/loss_subgroup.wgsl. References: src/reference/loss.ts. Half storage
// (OpDef.half): cross_entropy reads f16 logits (loss, lse, stats f32), its backward writes f16 dlogits;
// bce_with_logits, mse / l1 / huber and kl_div read and write f16 (not the class weights nor pos_weight).

import { opCodes, wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { halfOverrides, rowVersion, ROW_THREADS } from './kernel-rules.js';
import { apply, apply1, hostValues, tensor, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/loss.js';
import { defineOp, type GradArgs, type OpDef } from './op.js';
import { fmtShape, numel, broadcastShapes, sameShape, type Meta } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx, type EncodeArgs } from '../gpu/dispatch.js';
import type { HostTensor } from '../reference/host.js';
import { abs, add, div, exp, expand, mul, neg, onesLike, scale, shift, sigmoid, step, sub, sumTo } from './elementwise.js';
import { logSoftmax, softmax } from './softmax.js';
import { softplus } from './activation.js';
import { mean, sum } from './reduce.js';
import { permute, reshape, transpose } from './shape-ops.js';
import { cosineSimilarityMatrix } from './metrics.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const CROSS_ENTROPY_KEYS = keysOf<CrossEntropyOptions>({ weight: 1, ignoreIndex: 1, labelSmoothing: 1, reduction: 1 });
export const BCE_WITH_LOGITS_KEYS = keysOf<BceWithLogitsOptions>({ reduction: 1, posWeight: 1, weight: 1 });
export const POINTWISE_LOSS_KEYS = keysOf<Opts<typeof mseLoss, 2>>({ reduction: 1 });
export const HUBER_LOSS_KEYS = keysOf<Opts<typeof huberLoss, 2>>({ delta: 1, reduction: 1 });

export type Reduction = ref.Reduction;

/** The `REDUCTION` code of each reduction: the REDUCTION_* constants of shaders/loss.wgsl. */
const REDUCTION_CODE = opCodes<Reduction>('loss.wgsl', 'REDUCTION', ['none', 'mean', 'sum']);

function checkTensor(t: unknown, op: string, arg: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw sgError(`${op}: ${arg} must be a Tensor, got ${typeof t}`);
}

function checkFloat(t: Tensor, op: string, arg: string): void {
  if (t.dtype !== 'f32') throw sgError(`${op}: ${arg} must be f32, got ${t.describe()}`, ShapeError);
}

function checkReduction(r: unknown, op: string, extra: string[] = []): asserts r is Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    const names = [...extra, 'mean', 'sum', 'none'].map((n) => `'${n}'`);
    throw sgError(`${op}: reduction must be ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}, got ${JSON.stringify(r)}`);
  }
}

function reduceLoss(l: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(l);
  if (reduction === 'sum') return sum(l);
  return l;
}

// ---- cross-entropy ------------------------------------------------------------------------------

export const crossEntropyKernels = {
  forward: wgslKernel('cross_entropy_forward'),
  forwardRows: wgslKernel('cross_entropy_forward_rows'),
  reduce: wgslKernel('cross_entropy_reduce'),
  reduceSerial: wgslKernel('cross_entropy_reduce_serial'),
  /** The forward and the final sums with subgroup reductions (shaders/loss_subgroup.wgsl). */
  forwardSubgroup: wgslKernel('cross_entropy_forward_subgroup'),
  reduceSubgroup: wgslKernel('cross_entropy_reduce_subgroup'),
  backward: wgslKernel('cross_entropy_backward'),
};

/** The kernels of each version of the 'crossEntropyRows' and 'crossEntropySum' rules (src/ops/kernel-rules.ts). */
const ceRowKernels = { thread: crossEntropyKernels.forwardRows, tree: crossEntropyKernels.forward, subgroup: crossEntropyKernels.forwardSubgroup };
const ceSumKernels = { thread: crossEntropyKernels.reduceSerial, tree: crossEntropyKernels.reduce, subgroup: crossEntropyKernels.reduceSubgroup };

interface CrossEntropyAttrs extends ref.CrossEntropyAttrs {
  hasWeight: boolean;
  /** cross_entropy_backward only: write the target term s·q alone (see ref.crossEntropyTargetTerm). */
  targetOnly?: boolean;
}

/**
 * The fused op on rows: inputs [logits (M, C), target i32 (M), weight (C)?]; outputs [loss ([] or
 * (M) for 'none'), lse (M), stats (2) = [Σ w_t over non-ignored rows, Σ_c w_c]]. lse and stats are
 * saved for the backward.
 */
export const crossEntropyOp: OpDef<CrossEntropyAttrs> = defineOp<CrossEntropyAttrs>({
  name: 'cross_entropy',
  kernels: [...Object.values(ceRowKernels), ...Object.values(ceSumKernels)],
  infer: ([z, t, w], attrs) => {
    if (z.shape.length !== 2 || z.dtype !== 'f32') throw sgError(`cross_entropy: logits must be f32 (M, C), got ${fmtShape(z.shape)} ${z.dtype}`, ShapeError);
    const [M, C] = z.shape;
    if (t.dtype !== 'i32' || !sameShape(t.shape, [M])) throw sgError(`cross_entropy: target must be i32 [${M}], got ${fmtShape(t.shape)} ${t.dtype}`, ShapeError);
    if (attrs.hasWeight !== !!w) throw sgError('cross_entropy: internal: hasWeight does not match the inputs');
    if (w && (w.dtype !== 'f32' || !sameShape(w.shape, [C]))) throw sgError(`cross_entropy: weight must be f32 [${C}], got ${fmtShape(w.shape)} ${w.dtype}`, ShapeError);
    return [{ shape: attrs.reduction === 'none' ? [M] : [], dtype: 'f32' }, { shape: [M], dtype: 'f32' }, { shape: [2], dtype: 'f32' }];
  },
  // f16 storage: the logits (every version); the loss, lse and stats stay f32.
  half: (ins, outs) => ({ reads: ins.map((_, k) => k === 0), writes: outs.map(() => false) }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [M, C] = inMeta[0].shape;
    const weight = attrs.hasWeight ? inputs[2] : inputs[0]; // a placeholder when there are no weights
    const overrides = { HAS_WEIGHT: attrs.hasWeight ? 1 : 0 };
    const rows = attrs.reduction === 'none' ? outputs[0] : ctx.scratch(M * 4);
    const rowWeight = ctx.scratch(M * 4);
    // One thread per row, or one workgroup per row (src/ops/kernel-rules.ts).
    const version = rowVersion('crossEntropyRows', C, M);
    ctx.dispatch(ceRowKernels[version], {
      bind: { logits: inputs[0], targets: inputs[1], class_weight: weight, row_loss: rows, row_weight: rowWeight, lse: outputs[1] },
      params: { M, C, ignore_index: attrs.ignoreIndex, smoothing: attrs.labelSmoothing },
      overrides: { ...overrides, ...halfOverrides({ LOGITS_HALF: half?.inputs[0] }) },
      grid: grid1d(M, version === 'thread' ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim),
    });
    const loss: BufferRef = attrs.reduction === 'none' ? ctx.scratch(16) : outputs[0];
    // The final sums: one thread, or a 256-thread workgroup (the 'crossEntropySum' rule).
    ctx.dispatch(ceSumKernels[rowVersion('crossEntropySum', M, 1)], {
      bind: { row_loss_in: rows, row_weight_in: rowWeight, class_weight: weight, loss, stats: outputs[2] },
      params: { M, C }, overrides: { ...overrides, REDUCTION: REDUCTION_CODE[attrs.reduction] }, grid: [1],
    });
  },
  // dz from the fused backward kernel; a gradient reaching the saved lse adds softmax(z)·dlse.
  // No gradient for the integer targets, nor (as in torch) for the class weights.
  grad: ({ inputs, outputs, dys: [dloss, dlse], attrs }) => {
    const [z, t, w] = inputs;
    let dz: Tensor | null = null;
    if (dloss) dz = apply1(crossEntropyBackwardOp, [z, t, outputs[1], outputs[2], dloss, ...(w ? [w] : [])], attrs);
    if (dlse) {
      const M = z.shape[0];
      const g = mul(exp(sub(z, reshape(outputs[1], [M, 1]))), reshape(dlse, [M, 1]));
      dz = dz ? add(dz, g) : g;
    }
    return inputs.map((_, i) => (i === 0 ? dz : null));
  },
  reference: ([z, t, w], attrs) => ref.crossEntropyForward(z, t, w ?? null, attrs),
  referenceBackward: ({ inputs: [z, t, w], dys: [dloss, dlse], attrs }) =>
    [ref.crossEntropyBackward(z, t, w ?? null, dloss, dlse, attrs), null, ...(w ? [null] : [])],
  cost: ([z]) => ({ flops: 8 * numel(z.shape), bytes: 4 * (numel(z.shape) + 4 * z.shape[0] + z.shape[1]) }),
});

/**
 * Second derivatives of the fused cross-entropy. The backward is dz = a ⊙ p − b with p = softmax(z)
 * and b = s·q (the target term, from the same kernel with TARGET_ONLY), a = Σ_c b (per row); a and
 * b do not depend on z. So for an incoming v: d/dz = a·p·(v − Σ_j v·p) (the log-sum-exp Hessian),
 * and dz is linear in dloss: d/ddloss = Σ v·dz(dloss = 1) (over each row for 'none'). Written in
 * ops, so it can be differentiated again. The lse input is not used (p is recomputed from z, so the
 * z gradient is the total one); targets and class weights get none (as torch).
 */
function crossEntropyBackwardGrad({ inputs, dys: [v], attrs }: GradArgs<CrossEntropyAttrs>): (Tensor | null)[] {
  const [z, t, lse, stats, dloss, w] = inputs;
  const none = inputs.map(() => null);
  if (!v) return none;
  const rest = w ? [w] : [];
  const unit = apply1(crossEntropyBackwardOp, [z, t, lse, stats, onesLike(dloss), ...rest], attrs);
  const vu = mul(v, unit);
  const gd = attrs.reduction === 'none' ? sum(vu, 1) : sum(vu);
  const out: (Tensor | null)[] = [...none];
  out[4] = gd;
  if (!attrs.targetOnly) {
    const b = apply1(crossEntropyBackwardOp, [z, t, lse, stats, dloss, ...rest], { ...attrs, targetOnly: true });
    const a = sum(b, 1, true);
    const p = softmax(z, -1);
    out[0] = mul(mul(a, p), sub(v, sum(mul(v, p), 1, true)));
  }
  return out;
}

/** dlogits from inputs [logits, target, lse, stats, dloss, weight?] (or, with targetOnly, the target term). */
export const crossEntropyBackwardOp: OpDef<CrossEntropyAttrs> = defineOp<CrossEntropyAttrs>({
  name: 'cross_entropy_backward',
  kernels: [crossEntropyKernels.backward],
  infer: ([z]) => [{ shape: [...z.shape], dtype: 'f32' }],
  // f16 storage: the logits read, dlogits written (a thread per word of it); lse, stats, dloss f32.
  half: (ins) => ({ reads: ins.map((_, k) => k === 0), writes: [true] }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [M, C] = inMeta[0].shape;
    const halfOut = half?.outputs[0] ?? false;
    ctx.dispatch(crossEntropyKernels.backward, {
      bind: { logits: inputs[0], targets: inputs[1], class_weight: attrs.hasWeight ? inputs[5] : inputs[0], lse_in: inputs[2],
        stats_in: inputs[3], dloss: inputs[4], dlogits: outputs[0] },
      params: { M, C, ignore_index: attrs.ignoreIndex, smoothing: attrs.labelSmoothing },
      overrides: {
        HAS_WEIGHT: attrs.hasWeight ? 1 : 0, REDUCTION: REDUCTION_CODE[attrs.reduction], TARGET_ONLY: attrs.targetOnly ? 1 : 0,
        ...halfOverrides({ LOGITS_HALF: half?.inputs[0], DLOGITS_HALF: halfOut }),
      },
      grid: grid1d(halfOut ? Math.ceil((M * C) / 2) : M * C, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: crossEntropyBackwardGrad,
  reference: ([z, t, , , dloss, w], attrs) => [attrs.targetOnly
    ? ref.crossEntropyTargetTerm(z, t, w ?? null, dloss, attrs)
    : ref.crossEntropyBackward(z, t, w ?? null, dloss, null, attrs)],
  referenceBackward: ({ inputs: [z, t, , , dloss, w], dys: [v], attrs }) => {
    const out: (HostTensor | null)[] = [null, null, null, null, null, ...(w ? [null] : [])];
    if (!v) return out;
    const [gz, gd] = ref.crossEntropyBackwardBackward(z, t, w ?? null, dloss, v, attrs);
    if (attrs.targetOnly) {
      // Linear in dloss, constant in z.
      const unit = ref.crossEntropyTargetTerm(z, t, w ?? null, { data: dloss.data.map(() => 1), shape: dloss.shape }, attrs);
      const g = { data: new Float64Array(dloss.data.length), shape: [...dloss.shape] };
      const C = z.shape[1];
      for (let k = 0; k < unit.data.length; k++) g.data[attrs.reduction === 'none' ? Math.floor(k / C) : 0] += v.data[k] * unit.data[k];
      out[4] = g;
    } else {
      out[0] = gz;
      out[4] = gd;
    }
    return out;
  },
  cost: ([z]) => ({ flops: 8 * numel(z.shape), bytes: 4 * (2 * numel(z.shape) + 3 * z.shape[0] + z.shape[1]) }),
});

export interface CrossEntropyOptions {
  /** A rescaling weight per class, f32 [C] (no gradient flows to it with class-index targets, as in torch). */
  weight?: Tensor;
  /** Targets equal to this value add nothing to the loss nor to the mean's denominator (default -100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target becomes (1-ε)·one-hot + ε/C (default 0). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** Throw a clear error for labels outside [0, C) that are not the ignore index, when their values are known. */
function checkLabels(op: string, target: Tensor, C: number, ignoreIndex: number): void {
  const values = hostValues(target);
  if (!values) return; // computed on the GPU: the kernels never index with a bad label, the loss becomes NaN
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== ignoreIndex && (v < 0 || v >= C)) throw ref.badLabelError(op, v, i, C, ignoreIndex);
  }
}

/**
 * Cross-entropy between logits and class-index targets, like torch.nn.functional.cross_entropy:
 * logits [N, C] with target i32 [N], logits [N, C, d1, ...] with target [N, d1, ...], or logits
 * [C] with a scalar target. One fused kernel computes log-softmax and the NLL per row; the
 * backward is one kernel computing (softmax − smoothed one-hot)·weight·scale, and its own gradient
 * (second derivatives) is written in ops. A target of f32 class probabilities with the logits'
 * shape gives torch's soft-target loss (see crossEntropyProbs).
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkTensor(logits, op, 'logits');
  checkTensor(target, op, 'target');
  checkOptions(op, options, CROSS_ENTROPY_KEYS);
  const { weight, ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean' } = options;
  checkReduction(reduction, op);
  checkFloat(logits, op, 'logits');
  if (target.dtype === 'f32') return crossEntropyProbs(logits, target, options);
  if (target.dtype !== 'i32') {
    throw sgError(`${op}: target must hold class indices as i32, got ${target.describe()} ` +
      "(make it with sg.tensor(values, shape, { dtype: 'i32' })), or class probabilities as f32 of the logits' shape", ShapeError);
  }
  if (!Number.isInteger(ignoreIndex)) throw sgError(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw sgError(`${op}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  }
  if (logits.rank === 0) throw sgError(`${op}: logits must have a class dimension, got ${logits.describe()}`, ShapeError);
  const C = logits.rank === 1 ? logits.shape[0] : logits.shape[1];
  const wantTarget = logits.rank === 1 ? [] : [logits.shape[0], ...logits.shape.slice(2)];
  if (!sameShape(target.shape, wantTarget)) {
    throw sgError(`${op}: target ${target.describe()} does not match logits ${logits.describe()}: ` +
      `expected target shape ${fmtShape(wantTarget)} (the logits' shape without the class dimension 1)`);
  }
  if (C === 0 || numel(wantTarget) === 0) throw sgError(`${op}: logits ${logits.describe()} must have at least one class and one row`, ShapeError);
  if (weight !== undefined) {
    checkTensor(weight, op, 'weight');
    if (weight.dtype !== 'f32' || !sameShape(weight.shape, [C])) {
      throw sgError(`${op}: weight must be f32 [${C}] (one per class), got ${weight.describe()}`, ShapeError);
    }
  }
  checkLabels(op, target, C, ignoreIndex);
  // Rows of classes: move the class dimension last ([N, d1.., C]) and flatten to (M, C).
  const M = numel(wantTarget);
  let z = logits;
  if (logits.rank > 2) z = permute(logits, [0, ...logits.shape.slice(2).map((_, i) => i + 2), 1]);
  z = reshape(z, [M, C]);
  const t = reshape(target, [M]);
  const attrs: CrossEntropyAttrs = { reduction, ignoreIndex, labelSmoothing, hasWeight: weight !== undefined };
  const [loss] = apply(crossEntropyOp, weight ? [z, t, weight] : [z, t], attrs);
  return reduction === 'none' ? reshape(loss, wantTarget) : loss;
}

/**
 * crossEntropy with class-probability targets (torch's soft targets): target f32 of the logits' shape,
 * l_i = −Σ_c w_c·((1−ε)·q_ic + ε/C)·log_softmax(z)_ic; 'mean' divides by the number of rows N·d1·…
 * (not by the weights, as torch). Composed of logSoftmax and elementwise ops, so it is differentiable
 * for the logits and the targets to any order. ignoreIndex does not apply: a negative one is ignored
 * (torch's default -100 among them), one ≥ 0 is refused, as torch refuses it.
 */
function crossEntropyProbs(logits: Tensor, target: Tensor, options: CrossEntropyOptions): Tensor {
  const op = 'crossEntropy';
  const { weight, ignoreIndex, labelSmoothing = 0, reduction = 'mean' } = options;
  // torch accepts a negative ignore_index with probability targets (its default -100 included) and
  // ignores it; only one that could name a class (≥ 0) is an error ("ignore_index is not supported
  // for floating point target"). Refusing every ignoreIndex broke ported calls passing -100.
  if (ignoreIndex !== undefined && !(Number.isInteger(ignoreIndex) && ignoreIndex < 0)) {
    throw sgError(`${op}: ignoreIndex (${ignoreIndex}) applies to class-index targets only; ` +
      `target ${target.describe()} holds class probabilities (a negative ignoreIndex is accepted and ignored, as torch)`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw sgError(`${op}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  }
  if (logits.rank === 0) throw sgError(`${op}: logits must have a class dimension, got ${logits.describe()}`, ShapeError);
  if (!sameShape(target.shape, logits.shape)) {
    throw sgError(`${op}: class-probability target ${target.describe()} must have the shape of logits ` +
      `${logits.describe()} (or give class indices as i32 ${fmtShape(logits.rank === 1 ? [] : [logits.shape[0], ...logits.shape.slice(2)])})`, ShapeError);
  }
  const C = logits.rank === 1 ? logits.shape[0] : logits.shape[1];
  const batch = logits.rank === 1 ? [] : [logits.shape[0], ...logits.shape.slice(2)];
  const M = numel(batch);
  if (C === 0 || M === 0) throw sgError(`${op}: logits ${logits.describe()} must have at least one class and one row`, ShapeError);
  if (weight !== undefined) {
    checkTensor(weight, op, 'weight');
    if (weight.dtype !== 'f32' || !sameShape(weight.shape, [C])) {
      throw sgError(`${op}: weight must be f32 [${C}] (one per class), got ${weight.describe()}`, ShapeError);
    }
  }
  // Rows of classes (M, C), the class dimension last.
  const rows = (t: Tensor) => {
    let r = t;
    if (t.rank > 2) r = permute(t, [0, ...t.shape.slice(2).map((_, i) => i + 2), 1]);
    return reshape(r, [M, C]);
  };
  let q = rows(target);
  if (labelSmoothing > 0) q = shift(scale(q, 1 - labelSmoothing), labelSmoothing / C);
  if (weight) q = mul(q, reshape(weight, [1, C]));
  const l = neg(sum(mul(logSoftmax(rows(logits), -1), q), 1));
  if (reduction === 'none') return reshape(l, batch);
  return reduction === 'sum' ? sum(l) : mean(l);
}

// ---- elementwise losses: mse, l1, huber ---------------------------------------------------------

interface PointwiseAttrs {
  delta: number;
}

function pointwiseKernels(kind: ref.PointwiseKind) {
  return { forward: wgslKernel(`${kind}_forward`), backward: wgslKernel(`${kind}_backward`) };
}

/**
 * d/d(a - b) of each loss's slope, as a tensor (or null where it is 0 almost everywhere): the
 * second derivative used to differentiate the backward op.
 */
function curvature(kind: ref.PointwiseKind, a: Tensor, b: Tensor, delta: number): Tensor | number | null {
  if (kind === 'mse') return 2;
  if (kind === 'l1') return null;
  return step(shift(neg(abs(sub(a, b))), delta)); // 1 where |a - b| < δ
}

function definePointwise(kind: ref.PointwiseKind) {
  const kernels = pointwiseKernels(kind);
  // inputNames / outputName: the *_HALF overrides of the kernel's tensor bindings, in op order.
  const encodeWith = (k: KernelDef, inputNames: string[], outputName: string,
    bind: (inputs: BufferRef[], outputs: BufferRef[]) => Record<string, BufferRef>) =>
    (ctx: EncodeCtx, args: EncodeArgs<PointwiseAttrs>) => {
      const n = numel(args.outMeta[0].shape);
      if (n === 0) return;
      const halfOut = args.half?.outputs[0] ?? false;
      const flags: Record<string, boolean | undefined> = { [outputName]: halfOut };
      inputNames.forEach((name, i) => { flags[name] = args.half?.inputs[i]; });
      ctx.dispatch(k, {
        bind: bind(args.inputs, args.outputs), params: { n, delta: args.attrs.delta }, overrides: halfOverrides(flags),
        grid: grid1d(halfOut ? Math.ceil(n / 2) : n, 256, ctx.limits.maxWorkgroupsPerDim),
      });
    };
  // f16 storage: every input and the output (a thread per word of it).
  const halfAll = (ins: Meta[]) => ({ reads: ins.map(() => true), writes: [true] });

  // inputs [a, b, g] → d/da of Σ g·loss(a, b). It is linear in g, so its gradient for g is itself.
  const backwardOp: OpDef<PointwiseAttrs> = defineOp<PointwiseAttrs>({
    name: `${kind}_loss_backward`,
    kernels: [kernels.backward],
    infer: ([a]) => [{ shape: [...a.shape], dtype: 'f32' }],
    encode: encodeWith(kernels.backward, ['A_HALF', 'B_HALF', 'DELEM_HALF'], 'DA_HALF', (i, o) => ({ a: i[0], b: i[1], delem: i[2], da: o[0] })),
    half: halfAll,
    grad: ({ inputs: [a, b, g], dys: [v], attrs }) => {
      if (!v) return [null, null, null];
      const c = curvature(kind, a, b, attrs.delta);
      const daa = c === null ? null : typeof c === 'number' ? scale(mul(v, g), c) : mul(mul(v, g), c);
      return [daa, daa && neg(daa), apply1(backwardOp, [a, b, v], attrs)];
    },
    reference: ([a, b, g], { delta }) => [ref.pointwiseBackward(kind, a, b, g, delta)],
    referenceBackward: ({ inputs: [a, b, g], dys: [v], attrs: { delta } }) => {
      if (!v) return [null, null, null];
      const da = { data: new Float64Array(a.data.length), shape: [...a.shape] };
      for (let i = 0; i < a.data.length; i++) {
        const d = a.data[i] - b.data[i];
        const c = kind === 'mse' ? 2 : kind === 'l1' ? 0 : Math.abs(d) < delta ? 1 : 0;
        da.data[i] = c * g.data[i] * v.data[i];
      }
      const db = { data: da.data.map((x) => -x), shape: [...a.shape] };
      return [da, db, ref.pointwiseBackward(kind, a, b, v, delta)];
    },
    cost: ([a]) => ({ flops: 3 * numel(a.shape), bytes: 16 * numel(a.shape) }),
  });

  const forwardOp = defineOp<PointwiseAttrs>({
    name: `${kind}_loss`,
    kernels: [kernels.forward],
    infer: ([a, b]) => {
      if (!sameShape(a.shape, b.shape)) throw sgError(`${kind}_loss: input ${fmtShape(a.shape)} and target ${fmtShape(b.shape)} differ in shape`, ShapeError);
      return [{ shape: [...a.shape], dtype: 'f32' }];
    },
    encode: encodeWith(kernels.forward, ['A_HALF', 'B_HALF'], 'ELEM_LOSS_HALF', (i, o) => ({ a: i[0], b: i[1], elem_loss: o[0] })),
    half: halfAll,
    grad: ({ inputs: [a, b], dys: [g], attrs }) => {
      if (!g) return [null, null];
      const da = apply1(backwardOp, [a, b, g], attrs);
      return [da, neg(da)];
    },
    reference: ([a, b], { delta }) => [ref.pointwiseForward(kind, a, b, delta)],
    referenceBackward: ({ inputs: [a, b], dys: [g], attrs: { delta } }) => {
      if (!g) return [null, null];
      const da = ref.pointwiseBackward(kind, a, b, g, delta);
      return [da, { data: da.data.map((x) => -x), shape: [...da.shape] }];
    },
    cost: ([a]) => ({ flops: 3 * numel(a.shape), bytes: 12 * numel(a.shape) }),
  });
  return { forwardOp, backwardOp };
}

const pointwiseOps = { mse: definePointwise('mse'), l1: definePointwise('l1'), huber: definePointwise('huber') };

function pointwiseLoss(kind: ref.PointwiseKind, op: string, input: Tensor, target: Tensor, reduction: Reduction, delta: number): Tensor {
  checkTensor(input, op, 'input');
  checkTensor(target, op, 'target');
  checkReduction(reduction, op);
  checkFloat(input, op, 'input');
  checkFloat(target, op, 'target');
  if (!sameShape(input.shape, target.shape)) {
    throw sgError(`${op}: input ${input.describe()} and target ${target.describe()} must have the same shape`, ShapeError);
  }
  return reduceLoss(apply1(pointwiseOps[kind].forwardOp, [input, target], { delta }), reduction);
}

/** Mean squared error (a - b)², like torch.nn.functional.mse_loss. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkOptions('mseLoss', options, POINTWISE_LOSS_KEYS);
  const { reduction = 'mean' } = options;
  return pointwiseLoss('mse', 'mseLoss', input, target, reduction, 0);
}

/** Mean absolute error |a - b|, like torch.nn.functional.l1_loss. */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkOptions('l1Loss', options, POINTWISE_LOSS_KEYS);
  const { reduction = 'mean' } = options;
  return pointwiseLoss('l1', 'l1Loss', input, target, reduction, 0);
}

/** ½d² where |d| < δ, else δ(|d| - ½δ), d = a - b, like torch.nn.functional.huber_loss. */
export function huberLoss(input: Tensor, target: Tensor, options: { delta?: number; reduction?: Reduction } = {}): Tensor {
  checkOptions('huberLoss', options, HUBER_LOSS_KEYS);
  const { delta = 1, reduction = 'mean' } = options;
  if (!(delta > 0) || !Number.isFinite(delta)) throw sgError(`huberLoss: delta must be a positive number, got ${delta}`);
  return pointwiseLoss('huber', 'huberLoss', input, target, reduction, delta);
}

// ---- Kullback-Leibler divergence ----------------------------------------------------------------

export const klKernels = { forward: wgslKernel('kl_forward'), backward: wgslKernel('kl_backward') };

interface KlAttrs {
  /** The target holds log-probabilities (torch's log_target). */
  logTarget: boolean;
}

/** torch's kl_div reductions: 'batchmean' (Σ / input.shape[0]) besides the other losses' three. */
export type KlReduction = Reduction | 'batchmean';

export interface KlDivOptions {
  /** 'mean' (default, as torch: Σ / number of elements), 'batchmean' (Σ / input.shape[0]: the KL divergence per sample), 'sum' or 'none'. */
  reduction?: KlReduction;
  /** The target holds log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

export const KL_DIV_KEYS = keysOf<KlDivOptions>({ reduction: 1, logTarget: 1 });

/** One dispatch of a KL kernel over n elements; `pairs`: a thread per word (some output is f16). */
function encodeKl(ctx: EncodeCtx, k: KernelDef, n: number, pairs: boolean, logTarget: boolean,
  bind: Record<string, BufferRef>, flags: Record<string, boolean | undefined>): void {
  if (n === 0) return;
  ctx.dispatch(k, {
    bind, params: { n, delta: 0 }, overrides: { LOG_TARGET: logTarget ? 1 : 0, ...halfOverrides(flags) },
    grid: grid1d(pairs ? Math.ceil(n / 2) : n, 256, ctx.limits.maxWorkgroupsPerDim),
  });
}

/**
 * Second derivatives of KL, in ops (so they can be differentiated again): the gradient of
 * Σ vx·dx + vt·dt for x, t and g (src/reference/loss.ts, klBackwardBackward):
 *   probability target      ∂dx/∂t = ∂dt/∂x = −g          ∂dt/∂t = g/t                 ∂dx/∂x = 0
 *   log-probability target  ∂dx/∂t = ∂dt/∂x = −g·e^t      ∂dt/∂t = g·e^t·(t − x + 2)
 * Both outputs are linear in g: d/dg = dx(g = vx) + dt(g = vt), from the backward kernel itself.
 */
function klBackwardGrad({ inputs: [x, t, g], dys: [vx, vt], attrs }: GradArgs<KlAttrs>): (Tensor | null)[] {
  if (!vx && !vt) return [null, null, null];
  const cross = attrs.logTarget ? neg(mul(g, exp(t))) : neg(g); // ∂dx/∂t = ∂dt/∂x
  const acc = (a: Tensor | null, b: Tensor | null) => (a && b ? add(a, b) : a ?? b);
  const dtdt = attrs.logTarget ? mul(mul(g, exp(t)), shift(sub(t, x), 2)) : div(g, t);
  const gx = vt ? mul(vt, cross) : null;
  const gt = acc(vx ? mul(vx, cross) : null, vt ? mul(vt, dtdt) : null);
  const gg = acc(vx ? apply(klBackwardOp, [x, t, vx], attrs)[0] : null, vt ? apply(klBackwardOp, [x, t, vt], attrs)[1] : null);
  return [gx, gt, gg];
}

/** inputs [x, t, g] → [d/dx, d/dt] of Σ g·kl(x, t). */
export const klBackwardOp: OpDef<KlAttrs> = defineOp<KlAttrs>({
  name: 'kl_div_backward',
  kernels: [klKernels.backward],
  infer: ([x]) => [{ shape: [...x.shape], dtype: 'f32' }, { shape: [...x.shape], dtype: 'f32' }],
  // f16 storage: x, t, g read and both outputs written (a thread per word when either is f16).
  half: () => ({ reads: [true, true, true], writes: [true, true] }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const [dx, dt] = [half?.outputs[0] ?? false, half?.outputs[1] ?? false];
    encodeKl(ctx, klKernels.backward, numel(inMeta[0].shape), dx || dt, attrs.logTarget,
      { a: inputs[0], b: inputs[1], delem: inputs[2], da: outputs[0], kl_db: outputs[1] },
      { A_HALF: half?.inputs[0], B_HALF: half?.inputs[1], DELEM_HALF: half?.inputs[2], DA_HALF: dx, DB_HALF: dt });
  },
  grad: klBackwardGrad,
  reference: ([x, t, g], { logTarget }) => ref.klBackward(x, t, g, logTarget),
  referenceBackward: ({ inputs: [x, t, g], dys: [vx, vt], attrs: { logTarget } }) =>
    (vx || vt ? ref.klBackwardBackward(x, t, g, vx, vt, logTarget) : [null, null, null]),
  cost: ([x]) => ({ flops: 10 * numel(x.shape), bytes: 20 * numel(x.shape) }),
});

/** inputs [x, t] → the per-element loss. */
export const klOp: OpDef<KlAttrs> = defineOp<KlAttrs>({
  name: 'kl_div',
  kernels: [klKernels.forward],
  infer: ([x, t]) => {
    if (!sameShape(x.shape, t.shape)) throw sgError(`kl_div: input ${fmtShape(x.shape)} and target ${fmtShape(t.shape)} differ in shape`, ShapeError);
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  half: () => ({ reads: [true, true], writes: [true] }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const out = half?.outputs[0] ?? false;
    encodeKl(ctx, klKernels.forward, numel(inMeta[0].shape), out, attrs.logTarget,
      { a: inputs[0], b: inputs[1], elem_loss: outputs[0] }, { A_HALF: half?.inputs[0], B_HALF: half?.inputs[1], ELEM_LOSS_HALF: out });
  },
  // Unlike mse / l1 / huber, d/dt is not −d/dx: the backward kernel writes both.
  grad: ({ inputs: [x, t], dys: [g], attrs }) => (g ? apply(klBackwardOp, [x, t, g], attrs) : [null, null]),
  reference: ([x, t], { logTarget }) => [ref.klForward(x, t, logTarget)],
  referenceBackward: ({ inputs: [x, t], dys: [g], attrs: { logTarget } }) => (g ? ref.klBackward(x, t, g, logTarget) : [null, null]),
  cost: ([x]) => ({ flops: 6 * numel(x.shape), bytes: 12 * numel(x.shape) }),
});

/**
 * The Kullback-Leibler divergence loss, like torch.nn.functional.kl_div: `input` holds
 * log-probabilities log q, `target` probabilities p (or log p with `logTarget`), of the same shape;
 * per element p·(log p − log q) computed as torch does, xlogy(p, p) − p·input (0 where p = 0), or
 * e^t·(t − input) with logTarget. Reductions: 'mean' (torch's default: over every element), 'batchmean'
 * (Σ / input.shape[0], the divergence per sample; Σ for a 0-d input, as torch), 'sum', 'none'.
 * Differentiable for the input and the target, as torch's autograd: d/dinput = −p·g (or −e^t·g),
 * d/dtarget = g·(log p + 1 − input) (or g·e^t·(t − input + 1)), and NaN for a target p = 0 (torch's
 * xlogy backward divides 0 by 0 there), and twice.
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  checkTensor(input, op, 'input');
  checkTensor(target, op, 'target');
  checkOptions(op, options, KL_DIV_KEYS);
  const { reduction = 'mean', logTarget = false } = options;
  if (reduction !== 'batchmean') checkReduction(reduction, op, ['batchmean']);
  if (typeof logTarget !== 'boolean') throw sgError(`${op}: logTarget must be true or false, got ${JSON.stringify(logTarget)}`);
  checkFloat(input, op, 'input (log-probabilities)');
  checkFloat(target, op, logTarget ? 'target (log-probabilities)' : 'target (probabilities)');
  if (!sameShape(input.shape, target.shape)) {
    throw sgError(`${op}: input ${input.describe()} and target ${target.describe()} must have the same shape`, ShapeError);
  }
  const l = apply1(klOp, [input, target], { logTarget });
  if (reduction !== 'batchmean') return reduceLoss(l, reduction);
  return input.rank === 0 ? sum(l) : scale(sum(l), 1 / input.shape[0]);
}

/**
 * x's values with no gradient (torch's x.detach()): a view of x whose gradient rule passes nothing
 * back. For distillation's teacher (src/train/distill.ts).
 */
export const stopGradientOp = defineOp<null>({
  name: 'stop_gradient',
  alias: true,
  kernels: [],
  infer: ([x]) => [{ shape: [...x.shape], dtype: x.dtype }],
  grad: { none: 'the gradient is stopped here (detach)', zero: true },
  reference: ([x]) => [{ data: Float64Array.from(x.data), shape: [...x.shape] }],
  referenceBackward: { none: 'the gradient is stopped here (detach)', zero: true },
  cost: () => ({ flops: 0, bytes: 0 }),
});

export function stopGradient(x: Tensor): Tensor {
  checkTensor(x, 'stopGradient', 'x');
  return apply1(stopGradientOp, [x], null);
}

// ---- binary cross-entropy with logits -----------------------------------------------------------

export const bceKernels = {
  forward: wgslKernel('bce_with_logits_forward'),
  backward: wgslKernel('bce_with_logits_backward'),
};

interface BceAttrs {
  hasPosWeight: boolean;
}

/**
 * Second derivatives of BCE with logits, in ops (so they can be differentiated again): the gradient
 * of Σ vx·dx + vy·dy + vpw·dpw for x, y, g and pw, with s = σ(x), P = pw broadcast to x:
 *   ∂dx/∂x = g·s(1−s)(1 + (P−1)y)   ∂dx/∂y = ∂dy/∂x = −g·(P(1−s) + s)   ∂dx/∂P = ∂dpw/∂x = −g·y(1−s)
 *   ∂dy/∂P = ∂dpw/∂y = g·softplus(−x), the rest 0; every output is linear in g.
 */
function bceBackwardGrad({ inputs: [x, y, g, pw], dys: [vx, vy, vpw], attrs }: GradArgs<BceAttrs>): (Tensor | null)[] {
  if (!vx && !vy && !vpw) return [null, null, null, ...(pw ? [null] : [])];
  const P = pw ? expand(pw, x.shape) : null;
  const s = sigmoid(x);
  const oneMinusS = shift(neg(s), 1);
  const acc = (terms: (Tensor | null)[]) => terms.reduce<Tensor | null>((a, t) => (t ? (a ? add(a, t) : t) : a), null);
  // −(P(1−s) + s) and −y(1−s) and softplus(−x), each only where needed.
  const dxdy = P ? neg(add(mul(P, oneMinusS), s)) : null; // without pw: −1
  const dxdp = mul(neg(y), oneMinusS);
  const spNeg = softplus(neg(x));
  const dxdx = mul(mul(s, oneMinusS), P ? add(mul(sub(P, 1), y), 1) : onesLike(x));
  const gx = acc([vx && mul(vx, dxdx), vy && (dxdy ? mul(vy, dxdy) : neg(vy)), pw && vpw ? mul(vpw, dxdp) : null]);
  const gy = acc([vx && (dxdy ? mul(vx, dxdy) : neg(vx)), pw && vpw ? mul(vpw, spNeg) : null]);
  const unit = apply(bceBackwardOp, pw ? [x, y, onesLike(g), pw] : [x, y, onesLike(g)], attrs);
  const gg = acc([vx && mul(vx, unit[0]), vy && mul(vy, unit[1]), pw && vpw ? mul(vpw, unit[2]) : null]);
  const out: (Tensor | null)[] = [gx && mul(gx, g), gy && mul(gy, g), gg];
  if (pw) {
    const gp = acc([vx && mul(vx, dxdp), vy && mul(vy, spNeg)]);
    out.push(gp && sumTo(mul(gp, g), pw.shape));
  }
  return out;
}

/** inputs [x, y, g, pw?] → [d/dx, d/dy, per-element d/dpw?] of Σ g·bce(x, y, pw). */
export const bceBackwardOp: OpDef<BceAttrs> = defineOp<BceAttrs>({
  name: 'bce_with_logits_backward',
  kernels: [bceKernels.backward],
  infer: ([x], { hasPosWeight }) => {
    const m = { shape: [...x.shape], dtype: 'f32' as const };
    return hasPosWeight ? [m, m, m] : [m, m];
  },
  // f16 storage: x, y, g read and every output written (a thread per word when any output is f16); pw f32.
  half: (ins, outs) => ({ reads: ins.map((_, k) => k < 3), writes: outs.map(() => true) }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const n = numel(inMeta[0].shape);
    if (n === 0) return;
    const pw = attrs.hasPosWeight ? inputs[3] : inputs[0];
    const out = (k: number) => (k < outputs.length && half?.outputs[k]) || false;
    const pairs = out(0) || out(1) || out(2);
    ctx.dispatch(bceKernels.backward, {
      bind: { a: inputs[0], b: inputs[1], pos_weight: pw, bce_dl: inputs[2], bce_dx: outputs[0], bce_dy: outputs[1],
        bce_dpw: attrs.hasPosWeight ? outputs[2] : ctx.scratch(16) },
      params: { n, pw_size: attrs.hasPosWeight ? numel(inMeta[3].shape) : 1 },
      overrides: {
        HAS_POS_WEIGHT: attrs.hasPosWeight ? 1 : 0,
        ...halfOverrides({ A_HALF: half?.inputs[0], B_HALF: half?.inputs[1], BCE_DL_HALF: half?.inputs[2],
          BCE_DX_HALF: out(0), BCE_DY_HALF: out(1), BCE_DPW_HALF: out(2) }),
      },
      grid: grid1d(pairs ? Math.ceil(n / 2) : n, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: bceBackwardGrad,
  reference: ([x, y, g, pw]) => ref.bceWithLogitsBackward(x, y, pw ?? null, g),
  referenceBackward: ({ inputs: [x, y, g, pw], dys: [vx, vy, vpw] }) =>
    (vx || vy || vpw ? ref.bceWithLogitsBackwardBackward(x, y, pw ?? null, g, vx, vy, vpw ?? null) : [null, null, null, ...(pw ? [null] : [])]),
  cost: ([x]) => ({ flops: 20 * numel(x.shape), bytes: 28 * numel(x.shape) }),
});

/** inputs [x, y, pw?] → per-element loss. */
export const bceOp: OpDef<BceAttrs> = defineOp<BceAttrs>({
  name: 'bce_with_logits',
  kernels: [bceKernels.forward],
  infer: ([x, y, pw], { hasPosWeight }) => {
    if (!sameShape(x.shape, y.shape)) throw sgError(`bce_with_logits: logits ${fmtShape(x.shape)} and target ${fmtShape(y.shape)} differ in shape`, ShapeError);
    if (hasPosWeight !== !!pw) throw sgError('bce_with_logits: internal: hasPosWeight does not match the inputs');
    if (pw && numel(x.shape) % Math.max(1, numel(pw.shape)) !== 0) {
      throw sgError(`bce_with_logits: posWeight ${fmtShape(pw.shape)} does not repeat over logits ${fmtShape(x.shape)}`, ShapeError);
    }
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  // f16 storage: x and y read, the loss written (a thread per word of it); pw f32.
  half: (ins) => ({ reads: ins.map((_, k) => k < 2), writes: [true] }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const n = numel(inMeta[0].shape);
    if (n === 0) return;
    const halfOut = half?.outputs[0] ?? false;
    ctx.dispatch(bceKernels.forward, {
      bind: { a: inputs[0], b: inputs[1], pos_weight: attrs.hasPosWeight ? inputs[2] : inputs[0], bce_loss: outputs[0] },
      params: { n, pw_size: attrs.hasPosWeight ? numel(inMeta[2].shape) : 1 },
      overrides: {
        HAS_POS_WEIGHT: attrs.hasPosWeight ? 1 : 0,
        ...halfOverrides({ A_HALF: half?.inputs[0], B_HALF: half?.inputs[1], BCE_LOSS_HALF: halfOut }),
      },
      grid: grid1d(halfOut ? Math.ceil(n / 2) : n, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: ({ inputs: [x, y, pw], dys: [g], attrs }) => {
    if (!g) return [null, null, ...(pw ? [null] : [])];
    const [dx, dy, dpw] = apply(bceBackwardOp, pw ? [x, y, g, pw] : [x, y, g], attrs);
    return pw ? [dx, dy, sumTo(dpw, pw.shape)] : [dx, dy];
  },
  reference: ([x, y, pw]) => [ref.bceWithLogitsForward(x, y, pw ?? null)],
  referenceBackward: ({ inputs: [x, y, pw], dys: [g] }) => {
    if (!g) return [null, null, ...(pw ? [null] : [])];
    const [dx, dy, dpw] = ref.bceWithLogitsBackward(x, y, pw ?? null, g);
    return pw ? [dx, dy, ref.sumRepeats(dpw, pw.shape)] : [dx, dy];
  },
  cost: ([x]) => ({ flops: 12 * numel(x.shape), bytes: 12 * numel(x.shape) }),
});

/**
 * Binary cross-entropy on logits, like torch.nn.functional.binary_cross_entropy_with_logits:
 * -w·[pw·y·log σ(x) + (1 - y)·log(1 - σ(x))], computed in the stable softplus form. `posWeight`
 * broadcasts against the logits (typically [C] for logits [N, C]); `weight` (w) rescales each
 * element's loss and broadcasts against the logits too. Differentiable twice (for x, y, pw and w).
 */
export interface BceWithLogitsOptions {
  reduction?: Reduction;
  /** Weight of the positive term per class (torch's pos_weight), broadcast to the logits, e.g. [C]. */
  posWeight?: Tensor;
  /**
   * A rescaling weight per element (torch's weight), broadcast to the logits: each element's loss
   * is multiplied by it before the reduction ('mean' still divides by the number of elements).
   */
  weight?: Tensor;
}

/** A float tensor option (`weight`, `posWeight`) that must broadcast to the logits' shape. */
function checkBroadcastsToLogits(t: Tensor, name: string, logits: Tensor, op: string): void {
  checkTensor(t, op, name);
  checkFloat(t, op, name);
  const b = broadcastShapes(t.shape, logits.shape, op, [name, 'logits']);
  if (!sameShape(b, logits.shape)) {
    throw sgError(`${op}: ${name} ${t.describe()} must broadcast to the logits' shape ${fmtShape(logits.shape)}`, ShapeError);
  }
}

export function binaryCrossEntropyWithLogits(
  logits: Tensor, target: Tensor, options: BceWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkOptions(op, options, BCE_WITH_LOGITS_KEYS);
  const { reduction = 'mean', posWeight, weight } = options;
  checkTensor(logits, op, 'logits');
  checkTensor(target, op, 'target');
  checkReduction(reduction, op);
  checkFloat(logits, op, 'logits');
  checkFloat(target, op, 'target (probabilities in [0, 1])');
  if (!sameShape(logits.shape, target.shape)) {
    throw sgError(`${op}: target ${target.describe()} must have the shape of logits ${logits.describe()}`, ShapeError);
  }
  let pw = posWeight;
  if (pw !== undefined) {
    checkBroadcastsToLogits(pw, 'posWeight', logits, op);
    // The kernel reads pw at i % size, right for a pw whose shape (without leading 1s) is a suffix
    // of the logits' shape; any other broadcast is materialised first.
    const core = pw.shape.slice(pw.shape.findIndex((d) => d !== 1) === -1 ? pw.rank : pw.shape.findIndex((d) => d !== 1));
    if (!sameShape(core, logits.shape.slice(logits.rank - core.length))) pw = expand(pw, logits.shape);
  }
  if (weight !== undefined) checkBroadcastsToLogits(weight, 'weight', logits, op);
  let l = apply1(bceOp, pw ? [logits, target, pw] : [logits, target], { hasPosWeight: pw !== undefined });
  if (weight !== undefined) l = mul(l, weight); // torch: loss = weight · ℓ, then the reduction
  return reduceLoss(l, reduction);
}

// ---- CLIP's contrastive loss --------------------------------------------------------------------

/**
 * CLIP's symmetric cross-entropy: logits = cos(image_i, text_j)·exp(logTemperature), loss =
 * (CE(logits, arange) + CE(logitsᵀ, arange)) / 2. Differentiable for both embeddings and the
 * (learned) log temperature, a one-element tensor.
 */
export function clipLoss(imageEmb: Tensor, textEmb: Tensor, logTemperature: Tensor): Tensor {
  const op = 'clipLoss';
  checkTensor(imageEmb, op, 'imageEmb');
  checkTensor(textEmb, op, 'textEmb');
  checkTensor(logTemperature, op, 'logTemperature');
  for (const [t, n] of [[imageEmb, 'imageEmb'], [textEmb, 'textEmb'], [logTemperature, 'logTemperature']] as const) checkFloat(t, op, n);
  if (imageEmb.rank !== 2 || !sameShape(imageEmb.shape, textEmb.shape)) {
    throw sgError(`${op}: imageEmb ${imageEmb.describe()} and textEmb ${textEmb.describe()} must both be [N, D] with the same N and D`, ShapeError);
  }
  if (logTemperature.size !== 1) throw sgError(`${op}: logTemperature must have one element, got ${logTemperature.describe()}`, ShapeError);
  return symmetricCrossEntropy(mul(cosineSimilarityMatrix(imageEmb, textEmb), exp(reshape(logTemperature, []))));
}

/**
 * The two directions of a contrastive [N, N] logit matrix: (CE(logits, targets) + CE(logitsᵀ,
 * targetsᵀ)) / 2, rows against columns. targets: the diagonal (pair i is row i with column i) or an
 * f32 [N, N] distribution per row (sg.models.clipTargets for same-class pairs).
 */
export function symmetricCrossEntropy(logits: Tensor, targets?: Tensor): Tensor {
  const N = logits.shape[0];
  const t = targets ?? tensor(Int32Array.from({ length: N }, (_, i) => i), [N], { dtype: 'i32' });
  return scale(add(crossEntropy(logits, t), crossEntropy(transpose(logits), targets ? transpose(targets) : t)), 0.5);
}
