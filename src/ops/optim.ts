// The optimizer family: SGD, RMSprop, Adagrad, Adam/AdamW updates (torch.optim semantics), L1/L2 penalties
// and gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), as functional ops over
// flat tensors. The training library packs every parameter into one arena, its gradients into
// another and each optimizer state into one more, so each update here is ONE dispatch over all of them.
//
// Every update returns NEW tensors (a multi-output op: the parameters, then the states). The
// per-step hyper-parameters (`lr`, `step`) are plain numeric attributes that encode() turns into
// uniform values, so a compiled plan refreshes them each step without a new pipeline (see
// PlanOptimizer in src/graph/optimizer-state.ts); momentum / centered / amsgrad pick the entry point.
//
// Penalty convention: penaltyValue = l1·Σ|θ| + l2/2·Σθ², whose gradient l1·sign(θ) + l2·θ is exactly
// what penaltyGrad adds to the gradient (torch's weight_decay λ adds λ·θ, the l2 term with l2 = λ).
// Kernels: shaders/optim.wgsl. References: src/reference/optim.ts.

import { wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { apply, apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/optim.js';
import { defineOp } from './op.js';
import { fmtShape, numel, type Meta, sameShape } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx } from '../gpu/dispatch.js';
import { abs, add, ge, mul, scale, sign } from './elementwise.js';
import { checkOptions, keysOf } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const CLIP_GRAD_NORM_KEYS = keysOf<ClipGradNormOptions>({ normType: 1 });
export const PENALTY_KEYS = keysOf<PenaltyOptions>({ l1: 1, l2: 1 });

const WG = 256;
const NO_GRAD = { none: 'an optimizer step is not differentiated' };

// ---- kernels -----------------------------------------------------------------------------------

const sgdKernels = {
  plain: wgslKernel('sgd_update'),
  momentum: wgslKernel('sgd_update_momentum'),
};
const rmspropKernels = {
  plain: wgslKernel('rmsprop_update'),
  momentum: wgslKernel('rmsprop_update_momentum'),
  centered: wgslKernel('rmsprop_update_centered'),
  centeredMomentum: wgslKernel('rmsprop_update_centered_momentum'),
};
/** The 9-buffer updates split into a state pass and an apply pass, for adapters with 8 storage buffers. */
const twoPassKernels = {
  rmspropState: wgslKernel('rmsprop_state_centered_momentum'),
  rmspropApply: wgslKernel('rmsprop_apply_momentum'),
  adamState: wgslKernel('adam_state_amsgrad'),
  adamApply: wgslKernel('adam_apply_amsgrad'),
};

/**
 * Dispatch a 9-buffer update (param, grad, param_out and three states in and out) in one pass, or,
 * where the adapter allows fewer storage buffers per stage, as its state pass then its apply pass,
 * which reads the new states at `applyReads` (slot name → output index).
 */
function dispatchUpdate9(ctx: EncodeCtx, one: KernelDef, state: KernelDef, apply: KernelDef, applyReads: Record<string, number>,
  inputs: BufferRef[], outputs: BufferRef[], params: Record<string, number>, n: number): void {
  const grid = grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim);
  const bind = updateBindings(inputs, outputs);
  if (ctx.limits.maxStorageBuffers >= 9) {
    ctx.dispatch(one, { bind, params, grid });
    return;
  }
  const { param_out: _, ...stateBind } = bind;
  ctx.dispatch(state, { bind: stateBind, params, grid });
  const applyBind: Record<string, BufferRef> = { param: inputs[0], param_out: outputs[0] };
  for (const [slot, k] of Object.entries(applyReads)) applyBind[slot] = outputs[k];
  ctx.dispatch(apply, { bind: applyBind, params, grid });
}

const adagradKernel = wgslKernel('adagrad_update');

const adamKernels = {
  plain: wgslKernel('adam_update'),
  vec4: wgslKernel('adam_update_vec4'),
  amsgrad: wgslKernel('adam_update_amsgrad'),
};

const penaltyGradKernel = wgslKernel('penalty_grad');
const penaltyPartialKernel = wgslKernel('penalty_value_partial');
const penaltyFinishKernel = wgslKernel('penalty_value_finish');
const clipNormPartialKernel = wgslKernel('clip_grad_norm_partial');
const clipNormScaleKernel = wgslKernel('clip_grad_norm_scale');
const clipValueKernel = wgslKernel('clip_grad_value');

/** Workgroups of a reduction's first pass: one per 256 elements, at most 256 (pass 2 combines them in one workgroup). */
function partialCount(n: number): number {
  return Math.min(WG, Math.max(1, Math.ceil(n / WG)));
}

// ---- argument checks ---------------------------------------------------------------------------

const fail: Fail = failIn();

/** Every tensor must be f32 with the shape of the first (the parameters). */
function checkArena(op: string, named: [string, Tensor][]): void {
  const [firstName, first] = named[0];
  for (const [name, t] of named) {
    if (!t || typeof t !== 'object' || !('shape' in t)) fail(op, `${name} must be a Tensor, got ${String(t)}`);
    if (t.dtype !== 'f32') fail(op, `${name} must be f32, got ${t.describe()}`);
    if (!sameShape(t.shape, first.shape)) {
      fail(op, `${name} ${t.describe()} must have the shape of ${firstName} ${first.describe()}`);
    }
  }
}

/** The same check on metas, for infer() (names come from the op's attributes). */
function inferArena(op: string, names: string[], inputs: Meta[]): void {
  if (inputs.length !== names.length) fail(op, `expects ${names.length} inputs (${names.join(', ')}), got ${inputs.length}`);
  inputs.forEach((m, i) => {
    if (m.dtype !== 'f32') fail(op, `${names[i]} must be f32, got ${m.dtype}`);
    if (!sameShape(m.shape, inputs[0].shape)) {
      fail(op, `${names[i]} has shape ${fmtShape(m.shape)}, expected the shape of ${names[0]} ${fmtShape(inputs[0].shape)}`);
    }
  });
}

function checkNumber(op: string, name: string, v: unknown, ok: (x: number) => boolean, expected: string): void {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) fail(op, `${name} must be ${expected}, got ${String(v)}`);
}

const nonNegative = (x: number) => Number.isFinite(x) && x >= 0;

function checkLr(op: string, lr: unknown): void {
  checkNumber(op, 'lr', lr, nonNegative, 'a finite number ≥ 0');
}

/** A state tensor that must be given exactly when `needed`. */
function checkState(op: string, name: string, t: Tensor | null | undefined, needed: boolean, why: string): void {
  if (needed && !t) fail(op, `${name} is required when ${why}`);
  if (!needed && t) fail(op, `${name} was given but is only used when ${why}`);
}

const flag = (b: boolean) => (b ? 1 : 0);

// ---- SGD ---------------------------------------------------------------------------------------

export interface SgdUpdateOptions {
  lr: number;
  /** μ (default 0: no momentum buffer). */
  momentum?: number;
  /** τ (default 0). */
  dampening?: number;
  nesterov?: boolean;
  /** λ: adds λ·θ to the gradient. */
  weightDecay?: number;
  maximize?: boolean;
  /** True on the first step: the momentum buffer starts as the gradient (torch: no buffer yet). */
  firstStep?: boolean;
  /** Alternatively the 1-based step number (step 1 = first step). */
  step?: number;
  /** Which parameter group this update serves: a compiled plan writes that group's `lr@<g>` each step. */
  hyperGroup?: number;
}

interface SgdAttrs {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
  /** 1 on the first step; a compiled plan overwrites it with the step count. */
  step: number;
  hyperGroup: number;
}

/** Output metas of an update op: every input but the gradient (input 1), as f32. */
function updateOutputs(op: string, names: string[], inputs: Meta[]): Meta[] {
  inferArena(op, names, inputs);
  return inputs.filter((_, i) => i !== 1).map((m) => ({ shape: m.shape, dtype: 'f32' as const }));
}

/** Bindings of an update kernel: param, grad, param_out, then one state{k} / state{k}_out pair per state. */
function updateBindings(inputs: BufferRef[], outputs: BufferRef[], suffix = ''): Record<string, BufferRef> {
  const bind: Record<string, BufferRef> = { [`param${suffix}`]: inputs[0], [`grad${suffix}`]: inputs[1], [`param_out${suffix}`]: outputs[0] };
  for (let k = 0; k < outputs.length - 1; k++) {
    bind[`state${k}${suffix}`] = inputs[2 + k];
    bind[`state${k}_out${suffix}`] = outputs[1 + k];
  }
  return bind;
}

const sgdNames = (a: SgdAttrs) => (a.momentum !== 0 ? ['param', 'grad', 'momentumBuf'] : ['param', 'grad']);

const sgdOp = defineOp<SgdAttrs>({
  name: 'sgdUpdate',
  kernels: [sgdKernels.plain, sgdKernels.momentum],
  infer: (inputs, attrs) => updateOutputs('sgdUpdate', sgdNames(attrs), inputs),
  encode: (ctx, { inputs, outputs, outMeta, attrs: a }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    const momentum = a.momentum !== 0;
    ctx.dispatch(momentum ? sgdKernels.momentum : sgdKernels.plain, {
      bind: updateBindings(inputs, outputs),
      params: {
        n, lr: a.lr, momentum: a.momentum, dampening: a.dampening, weight_decay: a.weightDecay,
        nesterov: flag(a.nesterov), maximize: flag(a.maximize), first_step: flag(a.step <= 1),
      },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: NO_GRAD,
  reference: ([param, grad, buf], a) => {
    const r = ref.sgdStep(param, grad, buf ?? null, { ...a, firstStep: a.step <= 1 });
    return r.momentumBuf ? [r.param, r.momentumBuf] : [r.param];
  },
  referenceBackward: NO_GRAD,
  cost: (ins, outs, a) => ({ flops: numel(ins[0].shape) * (a.momentum !== 0 ? 8 : 4), bytes: 4 * numel(ins[0].shape) * (ins.length + outs.length) }),
});

/**
 * One torch.optim.SGD step over a flat arena: returns the new parameters and (with momentum) the
 * new momentum buffer. `momentumBuf` is required exactly when momentum ≠ 0; on the first step
 * (`firstStep: true` or `step: 1`) its values are not read and the buffer becomes the gradient.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuf: Tensor | null | undefined, options: SgdUpdateOptions): { param: Tensor; momentumBuf: Tensor | null } {
  const op = 'sgdUpdate';
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0, maximize = false, hyperGroup = 0 } = options ?? ({} as SgdUpdateOptions);
  checkLr(op, lr);
  checkNumber(op, 'momentum', momentum, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'dampening', dampening, Number.isFinite, 'a finite number');
  checkNumber(op, 'weightDecay', weightDecay, nonNegative, 'a finite number ≥ 0');
  if (nesterov && (momentum <= 0 || dampening !== 0)) fail(op, `Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening})`);
  let step = options.step;
  if (step !== undefined) checkNumber(op, 'step', step, (s) => Number.isInteger(s) && s >= 1, 'an integer ≥ 1');
  if (options.firstStep !== undefined) {
    if (step !== undefined && options.firstStep !== (step === 1)) fail(op, `firstStep ${options.firstStep} contradicts step ${step}`);
    step ??= options.firstStep ? 1 : 2;
  }
  if (momentum !== 0 && step === undefined) fail(op, 'pass firstStep (or step) when momentum ≠ 0: the first step initialises the momentum buffer');
  checkState(op, 'momentumBuf', momentumBuf, momentum !== 0, 'momentum ≠ 0');
  const named: [string, Tensor][] = [['param', param], ['grad', grad]];
  if (momentumBuf) named.push(['momentumBuf', momentumBuf]);
  checkArena(op, named);
  const outs = apply(sgdOp, named.map(([, t]) => t), {
    lr, momentum, dampening, nesterov, weightDecay, maximize, step: step ?? 1, hyperGroup,
  });
  return { param: outs[0], momentumBuf: outs[1] ?? null };
}

// ---- RMSprop -----------------------------------------------------------------------------------

export interface RmspropUpdateOptions {
  lr: number;
  /** Smoothing constant α (default 0.99). */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  /** μ (default 0): with μ > 0 a momentum buffer is kept. */
  momentum?: number;
  /** Normalise by the variance estimate v − ḡ² (keeps a gradient average ḡ). */
  centered?: boolean;
  maximize?: boolean;
  /** Which parameter group this update serves: a compiled plan writes that group's `lr@<g>` each step. */
  hyperGroup?: number;
}

type RmspropAttrs = ref.RmspropHyper & { hyperGroup: number };

function rmspropNames(a: RmspropAttrs): string[] {
  const names = ['param', 'grad', 'squareAvg'];
  if (a.momentum > 0) names.push('momentumBuf');
  if (a.centered) names.push('gradAvg');
  return names;
}

const rmspropOp = defineOp<RmspropAttrs>({
  name: 'rmspropUpdate',
  kernels: [...Object.values(rmspropKernels), twoPassKernels.rmspropState, twoPassKernels.rmspropApply],
  infer: (inputs, attrs) => updateOutputs('rmspropUpdate', rmspropNames(attrs), inputs),
  encode: (ctx, { inputs, outputs, outMeta, attrs: a }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    // inputs: param, grad, squareAvg, [momentumBuf], [gradAvg]; outputs: the same without grad.
    const mom = a.momentum > 0;
    const params = { n, lr: a.lr, alpha: a.alpha, eps: a.eps, weight_decay: a.weightDecay, momentum: a.momentum, maximize: flag(a.maximize) };
    if (a.centered && mom) {
      // θ from the new momentum buffer: output 2 (param, squareAvg, momentumBuf, gradAvg).
      dispatchUpdate9(ctx, rmspropKernels.centeredMomentum, twoPassKernels.rmspropState, twoPassKernels.rmspropApply, { state1: 2 },
        inputs, outputs, params, n);
      return;
    }
    const kernel = a.centered ? rmspropKernels.centered : (mom ? rmspropKernels.momentum : rmspropKernels.plain);
    ctx.dispatch(kernel, { bind: updateBindings(inputs, outputs), params, grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim) });
  },
  grad: NO_GRAD,
  reference: (ins, a) => {
    let k = 3;
    const mom = a.momentum > 0 ? ins[k++] : null;
    const avg = a.centered ? ins[k++] : null;
    const r = ref.rmspropStep(ins[0], ins[1], ins[2], mom, avg, a);
    return [r.param, r.squareAvg, ...(r.momentumBuf ? [r.momentumBuf] : []), ...(r.gradAvg ? [r.gradAvg] : [])];
  },
  referenceBackward: NO_GRAD,
  cost: (ins, outs) => ({ flops: numel(ins[0].shape) * 12, bytes: 4 * numel(ins[0].shape) * (ins.length + outs.length) }),
});

/**
 * One torch.optim.RMSprop step over a flat arena. `momentumBuf` is required exactly when
 * momentum > 0 and `gradAvg` exactly when centered; the result holds the new value of each.
 */
export function rmspropUpdate(
  param: Tensor, grad: Tensor, squareAvg: Tensor, momentumBuf: Tensor | null | undefined, gradAvg: Tensor | null | undefined,
  options: RmspropUpdateOptions,
): { param: Tensor; squareAvg: Tensor; momentumBuf?: Tensor; gradAvg?: Tensor } {
  const op = 'rmspropUpdate';
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false, maximize = false, hyperGroup = 0 } = options ?? ({} as RmspropUpdateOptions);
  checkLr(op, lr);
  checkNumber(op, 'alpha', alpha, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  checkNumber(op, 'eps', eps, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  checkNumber(op, 'weightDecay', weightDecay, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'momentum', momentum, nonNegative, 'a finite number ≥ 0');
  checkState(op, 'momentumBuf', momentumBuf, momentum > 0, 'momentum > 0');
  checkState(op, 'gradAvg', gradAvg, centered, 'centered is true');
  const named: [string, Tensor][] = [['param', param], ['grad', grad], ['squareAvg', squareAvg]];
  if (momentumBuf) named.push(['momentumBuf', momentumBuf]);
  if (gradAvg) named.push(['gradAvg', gradAvg]);
  checkArena(op, named);
  const outs = apply(rmspropOp, named.map(([, t]) => t), { lr, alpha, eps, weightDecay, momentum, centered, maximize, hyperGroup });
  const result: { param: Tensor; squareAvg: Tensor; momentumBuf?: Tensor; gradAvg?: Tensor } = { param: outs[0], squareAvg: outs[1] };
  let k = 2;
  if (momentum > 0) result.momentumBuf = outs[k++];
  if (centered) result.gradAvg = outs[k++];
  return result;
}

// ---- Adagrad -----------------------------------------------------------------------------------

export interface AdagradUpdateOptions {
  lr: number;
  /** The step's rate is lr / (1 + (t − 1)·lrDecay) (default 0: no decay). */
  lrDecay?: number;
  /** Added to √sum (default 1e-10, torch's). */
  eps?: number;
  /** λ: adds λ·θ to the gradient. */
  weightDecay?: number;
  maximize?: boolean;
  /** 1-based step number t, for the decayed rate. */
  step: number;
  /** Which parameter group this update serves: a compiled plan writes that group's `lr@<g>` each step. */
  hyperGroup?: number;
}

type AdagradAttrs = ref.AdagradHyper & { hyperGroup: number };

const adagradOp = defineOp<AdagradAttrs>({
  name: 'adagradUpdate',
  kernels: [adagradKernel],
  infer: (inputs) => updateOutputs('adagradUpdate', ['param', 'grad', 'sum'], inputs),
  encode: (ctx, { inputs, outputs, outMeta, attrs: a }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    // The step's rate in float64 from lr and t (a plan rewrites both each step), as torch computes it in Python.
    const clr = a.lr / (1 + (a.step - 1) * a.lrDecay);
    ctx.dispatch(adagradKernel, {
      bind: updateBindings(inputs, outputs),
      params: { n, clr, eps: a.eps, weight_decay: a.weightDecay, maximize: flag(a.maximize) },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: NO_GRAD,
  reference: ([param, grad, sum], a) => {
    const r = ref.adagradStep(param, grad, sum, a);
    return [r.param, r.sum];
  },
  referenceBackward: NO_GRAD,
  cost: (ins, outs) => ({ flops: numel(ins[0].shape) * 8, bytes: 4 * numel(ins[0].shape) * (ins.length + outs.length) }),
});

/**
 * One torch.optim.Adagrad step over a flat arena: sum ← sum + g², θ ← θ − clr·g / (√sum + ε) with
 * clr = lr / (1 + (t − 1)·lrDecay); returns the new parameters and sum.
 */
export function adagradUpdate(param: Tensor, grad: Tensor, sum: Tensor, options: AdagradUpdateOptions): { param: Tensor; sum: Tensor } {
  const op = 'adagradUpdate';
  const { lr, lrDecay = 0, eps = 1e-10, weightDecay = 0, maximize = false, step, hyperGroup = 0 } = options ?? ({} as AdagradUpdateOptions);
  checkLr(op, lr);
  checkNumber(op, 'lrDecay', lrDecay, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'eps', eps, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'weightDecay', weightDecay, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'step', step, (s) => Number.isInteger(s) && s >= 1, 'an integer ≥ 1 (the 1-based step number)');
  checkArena(op, [['param', param], ['grad', grad], ['sum', sum]]);
  const [p, s] = apply(adagradOp, [param, grad, sum], { lr, lrDecay, eps, weightDecay, maximize, step, hyperGroup });
  return { param: p, sum: s };
}

// ---- Adam / AdamW ------------------------------------------------------------------------------

export interface AdamUpdateOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** λ: added to the gradient as λ·θ (Adam), or θ ← θ·(1 − lr·λ) when decoupled (AdamW). */
  weightDecay?: number;
  /** Keep the running maximum of the second moment (needs maxExpAvgSq). */
  amsgrad?: boolean;
  /** 1-based step number t, for the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ. */
  step: number;
  /** AdamW's decoupled weight decay. */
  decoupled?: boolean;
  maximize?: boolean;
  /** Which parameter group this update serves: a compiled plan writes that group's `lr@<g>` each step. */
  hyperGroup?: number;
}

type AdamAttrs = ref.AdamHyper & { hyperGroup: number };

const adamNames = (a: AdamAttrs) => ['param', 'grad', 'expAvg', 'expAvgSq', ...(a.amsgrad ? ['maxExpAvgSq'] : [])];

const adamOp = defineOp<AdamAttrs>({
  name: 'adamUpdate',
  kernels: [adamKernels.plain, adamKernels.vec4, adamKernels.amsgrad, twoPassKernels.adamState, twoPassKernels.adamApply],
  infer: (inputs, attrs) => updateOutputs('adamUpdate', adamNames(attrs), inputs),
  encode: (ctx, { inputs, outputs, outMeta, attrs: a }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    // The per-step scalars in float64, as torch computes them in Python.
    const bc1 = 1 - Math.pow(a.beta1, a.step);
    const bc2 = 1 - Math.pow(a.beta2, a.step);
    const params = {
      n, beta1: a.beta1, beta2: a.beta2, eps: a.eps,
      grad_decay: a.decoupled ? 0 : a.weightDecay,
      param_scale: a.decoupled ? 1 - a.lr * a.weightDecay : 1,
      step_size: a.lr / bc1, bias_correction2_sqrt: Math.sqrt(bc2), maximize: flag(a.maximize),
    };
    if (a.amsgrad) {
      // θ from the new m and v̂max: outputs 1 and 3 (param, expAvg, expAvgSq, maxExpAvgSq).
      dispatchUpdate9(ctx, adamKernels.amsgrad, twoPassKernels.adamState, twoPassKernels.adamApply, { state0: 1, state2: 3 },
        inputs, outputs, params, n);
      return;
    }
    // Four elements per thread when n allows (a plan's arenas always do).
    const vec4 = n % 4 === 0;
    ctx.dispatch(vec4 ? adamKernels.vec4 : adamKernels.plain, {
      bind: updateBindings(inputs, outputs, vec4 ? '_v' : ''), params, grid: grid1d(vec4 ? n / 4 : n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: NO_GRAD,
  reference: (ins, a) => {
    const r = ref.adamStep(ins[0], ins[1], ins[2], ins[3], a.amsgrad ? ins[4] : null, a);
    return [r.param, r.expAvg, r.expAvgSq, ...(r.maxExpAvgSq ? [r.maxExpAvgSq] : [])];
  },
  referenceBackward: NO_GRAD,
  cost: (ins, outs) => ({ flops: numel(ins[0].shape) * 16, bytes: 4 * numel(ins[0].shape) * (ins.length + outs.length) }),
});

/**
 * One torch.optim.Adam step (AdamW with `decoupled: true`) over a flat arena. `maxExpAvgSq` is
 * required exactly when amsgrad. Bias correction: θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).
 */
export function adamUpdate(
  param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null | undefined, options: AdamUpdateOptions,
): { param: Tensor; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor } {
  const op = options?.decoupled ? 'adamWUpdate' : 'adamUpdate';
  const {
    lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, amsgrad = false, step, decoupled = false, maximize = false, hyperGroup = 0,
  } = options ?? ({} as AdamUpdateOptions);
  checkLr(op, lr);
  checkNumber(op, 'beta1', beta1, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber(op, 'beta2', beta2, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber(op, 'eps', eps, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  checkNumber(op, 'weightDecay', weightDecay, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'step', step, (s) => Number.isInteger(s) && s >= 1, 'an integer ≥ 1 (the 1-based step number)');
  checkState(op, 'maxExpAvgSq', maxExpAvgSq, amsgrad, 'amsgrad is true');
  const named: [string, Tensor][] = [['param', param], ['grad', grad], ['expAvg', expAvg], ['expAvgSq', expAvgSq]];
  if (maxExpAvgSq) named.push(['maxExpAvgSq', maxExpAvgSq]);
  checkArena(op, named);
  const outs = apply(adamOp, named.map(([, t]) => t), { lr, beta1, beta2, eps, weightDecay, amsgrad, step, decoupled, maximize, hyperGroup });
  const result: { param: Tensor; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor } = { param: outs[0], expAvg: outs[1], expAvgSq: outs[2] };
  if (amsgrad) result.maxExpAvgSq = outs[3];
  return result;
}

/** torch.optim.AdamW: adamUpdate with decoupled weight decay, default weightDecay 1e-2. */
export function adamWUpdate(
  param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null | undefined,
  options: Omit<AdamUpdateOptions, 'decoupled'>,
): { param: Tensor; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor } {
  return adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq, { weightDecay: 1e-2, ...options, decoupled: true });
}

// ---- penalties ---------------------------------------------------------------------------------

export interface PenaltyOptions {
  /** λ₁ of the L1 penalty λ₁·Σ|θ| (gradient λ₁·sign(θ)). */
  l1?: number;
  /** λ₂ of the L2 penalty λ₂/2·Σθ² (gradient λ₂·θ, like torch's weight_decay = λ₂). */
  l2?: number;
}

type PenaltyAttrs = Required<PenaltyOptions>;

function penaltyAttrs(op: string, o: PenaltyOptions | undefined): PenaltyAttrs {
  checkOptions(op, o, PENALTY_KEYS);
  const { l1 = 0, l2 = 0 } = o ?? {};
  checkNumber(op, 'l1', l1, nonNegative, 'a finite number ≥ 0');
  checkNumber(op, 'l2', l2, nonNegative, 'a finite number ≥ 0');
  return { l1, l2 };
}

const penaltyGradOp = defineOp<PenaltyAttrs>({
  name: 'penaltyGrad',
  kernels: [penaltyGradKernel],
  infer: (inputs) => {
    inferArena('penaltyGrad', ['param', 'grad'], inputs);
    return [{ shape: inputs[0].shape, dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, outMeta, attrs }) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    ctx.dispatch(penaltyGradKernel, {
      bind: { param: inputs[0], grad: inputs[1], grad_out: outputs[0] },
      params: { n, l1: attrs.l1, l2: attrs.l2, nparts: 0 },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // ∂/∂grad = 1; ∂/∂θ = l2 (sign(θ) is flat almost everywhere).
  grad: ({ dys: [dy], attrs }) => (dy ? [scale(dy, attrs.l2), dy] : [null, null]),
  reference: ([param, grad], attrs) => [ref.penaltyGrad(param, grad, attrs)],
  referenceBackward: ({ dys: [dy], attrs }) => (dy ? ref.penaltyGradBackward(dy, attrs) : [null, null]),
  cost: ([p]) => ({ flops: 4 * numel(p.shape), bytes: 12 * numel(p.shape) }),
});

/** grad + l1·sign(θ) + l2·θ: the gradient of penaltyValue added to `grad` (elastic net with both). */
export function penaltyGrad(param: Tensor, grad: Tensor, options: PenaltyOptions = {}): Tensor {
  const attrs = penaltyAttrs('penaltyGrad', options);
  checkArena('penaltyGrad', [['param', param], ['grad', grad]]);
  return apply1(penaltyGradOp, [param, grad], attrs);
}

const penaltyValueOp = defineOp<PenaltyAttrs>({
  name: 'penaltyValue',
  kernels: [penaltyPartialKernel, penaltyFinishKernel],
  infer: (inputs) => {
    inferArena('penaltyValue', ['param'], inputs);
    return [{ shape: [], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const n = numel(inMeta[0].shape);
    if (n === 0) {
      ctx.fill(outputs[0], 4, 0);
      return;
    }
    const nparts = partialCount(n);
    const partials = ctx.scratch(nparts * 4);
    const params = { n, l1: attrs.l1, l2: attrs.l2, nparts };
    ctx.dispatch(penaltyPartialKernel, { bind: { param: inputs[0], partials }, params, grid: [nparts] });
    ctx.dispatch(penaltyFinishKernel, { bind: { partials_in: partials, value: outputs[0] }, params, grid: [1] });
  },
  // d/dθ (l1·Σ|θ| + l2/2·Σθ²) = l1·sign(θ) + l2·θ, the term penaltyGrad adds; times the scalar dy.
  grad: ({ inputs: [p], dys: [dy], attrs }) => (dy ? [mul(dy, add(scale(sign(p), attrs.l1), scale(p, attrs.l2)))] : [null]),
  reference: ([param], attrs) => [ref.penaltyValue(param, attrs)],
  referenceBackward: ({ inputs: [param], dys: [dy], attrs }) => [dy ? ref.penaltyValueBackward(param, dy, attrs) : null],
  cost: ([p]) => ({ flops: 5 * numel(p.shape), bytes: 4 * numel(p.shape) + 4 }),
});

/** The penalty l1·Σ|θ| + l2/2·Σθ² as a scalar (differentiable: its gradient is penaltyGrad's term). */
export function penaltyValue(param: Tensor, options: PenaltyOptions = {}): Tensor {
  const attrs = penaltyAttrs('penaltyValue', options);
  checkArena('penaltyValue', [['param', param]]);
  return apply1(penaltyValueOp, [param], attrs);
}

// ---- clipping ----------------------------------------------------------------------------------

export interface ClipGradNormOptions {
  /** q of the q-norm: any number > 0, or Infinity for max |g| (default 2). */
  normType?: number;
}

interface ClipNormAttrs {
  maxNorm: number;
  normType: number;
}

const clipNormOp = defineOp<ClipNormAttrs>({
  name: 'clipGradNorm',
  kernels: [clipNormPartialKernel, clipNormScaleKernel],
  infer: (inputs) => {
    inferArena('clipGradNorm', ['grad'], inputs);
    return [{ shape: inputs[0].shape, dtype: 'f32' }, { shape: [], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const n = numel(inMeta[0].shape);
    if (n === 0) {
      ctx.fill(outputs[1], 4, 0);
      return;
    }
    const nparts = partialCount(n);
    const partials = ctx.scratch(nparts * 4);
    const inf = attrs.normType === Infinity;
    const params = { n, nparts, norm_type: inf ? 0 : attrs.normType, inf_norm: flag(inf), max_norm: attrs.maxNorm, clip_value: 0 };
    ctx.dispatch(clipNormPartialKernel, { bind: { grad_in: inputs[0], partials }, params, grid: [nparts] });
    ctx.dispatch(clipNormScaleKernel, {
      bind: { grad_in: inputs[0], partials, grad_out: outputs[0], total_norm: outputs[1] }, params,
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: { none: 'gradient clipping is an optimizer step, not differentiated' },
  reference: ([grad], attrs) => {
    const r = ref.clipGradNorm(grad, attrs.maxNorm, attrs.normType);
    return [r.grad, r.totalNorm];
  },
  referenceBackward: { none: 'gradient clipping is an optimizer step, not differentiated' },
  cost: ([g]) => ({ flops: 4 * numel(g.shape), bytes: 12 * numel(g.shape) + 4 }),
});

/**
 * torch.nn.utils.clip_grad_norm_ over a flat gradient: the total q-norm ‖g‖ (before clipping) and
 * g·min(1, maxNorm / (‖g‖ + 1e-6)). Two dispatches, no CPU round-trip.
 */
export function clipGradNorm(grad: Tensor, maxNorm: number, options: ClipGradNormOptions = {}): { grad: Tensor; totalNorm: Tensor } {
  const op = 'clipGradNorm';
  checkOptions(op, options, CLIP_GRAD_NORM_KEYS);
  const { normType = 2 } = options;
  checkNumber(op, 'maxNorm', maxNorm, (x) => x >= 0, 'a number ≥ 0');
  checkNumber(op, 'normType', normType, (x) => x > 0, 'a number > 0 (or Infinity)');
  checkArena(op, [['grad', grad]]);
  const [g, totalNorm] = apply(clipNormOp, [grad], { maxNorm, normType });
  return { grad: g, totalNorm };
}

interface ClipValueAttrs {
  clipValue: number;
}

const clipValueOp = defineOp<ClipValueAttrs>({
  name: 'clipGradValue',
  kernels: [clipValueKernel],
  infer: (inputs) => {
    inferArena('clipGradValue', ['grad'], inputs);
    return [{ shape: inputs[0].shape, dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const n = numel(inMeta[0].shape);
    if (n === 0) return;
    ctx.dispatch(clipValueKernel, {
      bind: { grad_in: inputs[0], clipped: outputs[0] },
      params: { n, nparts: 0, norm_type: 0, inf_norm: 0, max_norm: 0, clip_value: attrs.clipValue },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // clamp passes the gradient where −c ≤ g ≤ c (inclusive, as torch.clamp).
  grad: ({ inputs: [g], dys: [dy], attrs }) => [dy ? mul(dy, ge(attrs.clipValue, abs(g))) : null],
  reference: ([grad], attrs) => [ref.clipGradValue(grad, attrs.clipValue)],
  referenceBackward: ({ inputs: [grad], dys: [dy], attrs }) => [dy ? ref.clipGradValueBackward(grad, dy, attrs.clipValue) : null],
  cost: ([g]) => ({ flops: 2 * numel(g.shape), bytes: 8 * numel(g.shape) }),
});

/** torch.nn.utils.clip_grad_value_: clamp every gradient value to [−clipValue, clipValue]. */
export function clipGradValue(grad: Tensor, clipValue: number): Tensor {
  checkNumber('clipGradValue', 'clipValue', clipValue, (x) => x >= 0, 'a number ≥ 0');
  checkArena('clipGradValue', [['grad', grad]]);
  return apply1(clipValueOp, [grad], { clipValue });
}
