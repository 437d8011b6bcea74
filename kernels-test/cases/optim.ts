// Optimizer family (shaders/optim.wgsl): SGD (plain, weight decay, maximize, momentum on the first
// and a later step, dampening, Nesterov), RMSprop (plain, momentum, centered, both), Adagrad (first
// step, lr decay at a later step, weight decay + maximize, a zero sum), Adam / AdamW
// (bias correction at steps 1, 3 and 1000, weight decay coupled and decoupled, amsgrad, maximize),
// L1 / L2 / elastic-net penalties (gradient and value), clip_grad_norm_ (q = 1, 2, 3, ∞; clipping
// and not) and clip_grad_value_. Sizes 1, 7, prime, 255/256/257 around the 256-thread workgroup,
// 1237, a 2-D arena, and 66000 (256 partial sums, each thread striding more than once).
// An update is a multi-output op with no gradient: one case per output, each checked against the
// float64 reference.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

const arena = (shape: number[], range: [number, number] = [-1, 1]): InputSpec => ({ shape, range });
/** Second-moment style states are ≥ 0. */
const positive = (shape: number[], lo = 0.01, hi = 1): InputSpec => ({ shape, range: [lo, hi] });

type Outputs = Record<string, Tensor | null | undefined>;

/** One case per named output of an update (the harness compares one tensor per case). */
function perOutput(name: string, inputs: InputSpec[], run: (...xs: Tensor[]) => Outputs, keys: string[], extra: Partial<Case> = {}): Case[] {
  return keys.map((key) => ({
    name: `${name} → ${key}`,
    inputs,
    fn: (...xs: Tensor[]) => {
      const t = run(...xs)[key];
      if (!t) throw new Error(`${name}: no output '${key}'`);
      return t;
    },
    grad: false,
    ...extra,
  }));
}

// ---- SGD ---------------------------------------------------------------------------------------
const sgdCases: Case[] = [
  ...[[1], [7], [255], [256], [257], [1237]].flatMap((shape) =>
    perOutput(`sgd plain [${shape}]`, [arena(shape), arena(shape)], (p, g) => sgd(p, g, null, { lr: 0.1 }), ['param'])),
  ...perOutput('sgd weightDecay 0.01 + maximize [131]', [arena([131]), arena([131])],
    (p, g) => sgd(p, g, null, { lr: 0.05, weightDecay: 0.01, maximize: true }), ['param']),
  ...perOutput('sgd momentum 0.9 first step (buffer = grad) [257]', [arena([257]), arena([257]), arena([257])],
    (p, g, b) => sgd(p, g, b, { lr: 0.1, momentum: 0.9, dampening: 0.3, firstStep: true }), ['param', 'momentumBuf']),
  ...perOutput('sgd momentum 0.9 dampening 0.3 wd 1e-2, later step [1237]', [arena([1237]), arena([1237]), arena([1237])],
    (p, g, b) => sgd(p, g, b, { lr: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 1e-2, step: 4 }), ['param', 'momentumBuf']),
  ...perOutput('sgd nesterov 0.8 later step [3, 5]', [arena([3, 5]), arena([3, 5]), arena([3, 5])],
    (p, g, b) => sgd(p, g, b, { lr: 0.2, momentum: 0.8, nesterov: true, firstStep: false }), ['param', 'momentumBuf']),
  ...perOutput('sgd nesterov first step + maximize [1]', [arena([1]), arena([1]), arena([1])],
    (p, g, b) => sgd(p, g, b, { lr: 0.2, momentum: 0.8, nesterov: true, maximize: true, firstStep: true }), ['param', 'momentumBuf']),
];

function sgd(p: Tensor, g: Tensor, b: Tensor | null, o: sg.SgdUpdateOptions): Outputs {
  return sg.sgdUpdate(p, g, b, o);
}

// ---- RMSprop -----------------------------------------------------------------------------------
const rmspropCases: Case[] = [
  ...[[1], [256], [257]].flatMap((shape) =>
    perOutput(`rmsprop plain [${shape}]`, [arena(shape), arena(shape), positive(shape)],
      (p, g, v) => sg.rmspropUpdate(p, g, v, null, null, { lr: 0.01 }), ['param', 'squareAvg'])),
  ...perOutput('rmsprop alpha 0.9 eps 1e-3 wd 0.1 maximize [1237]', [arena([1237]), arena([1237]), positive([1237])],
    (p, g, v) => sg.rmspropUpdate(p, g, v, null, null, { lr: 0.01, alpha: 0.9, eps: 1e-3, weightDecay: 0.1, maximize: true }), ['param', 'squareAvg']),
  ...perOutput('rmsprop momentum 0.9 [255]', [arena([255]), arena([255]), positive([255]), arena([255])],
    (p, g, v, b) => sg.rmspropUpdate(p, g, v, b, null, { lr: 0.01, momentum: 0.9 }), ['param', 'squareAvg', 'momentumBuf']),
  ...perOutput('rmsprop centered [7]', [arena([7]), arena([7]), positive([7], 0.5, 1), arena([7], [-0.4, 0.4])],
    (p, g, v, a) => sg.rmspropUpdate(p, g, v, null, a, { lr: 0.01, centered: true }), ['param', 'squareAvg', 'gradAvg']),
  ...perOutput('rmsprop centered + momentum 0.5 + wd [1237]', [arena([1237]), arena([1237]), positive([1237], 0.5, 1), arena([1237]), arena([1237], [-0.4, 0.4])],
    (p, g, v, b, a) => sg.rmspropUpdate(p, g, v, b, a, { lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.01 }),
    ['param', 'squareAvg', 'momentumBuf', 'gradAvg']),
];

// ---- Adagrad -----------------------------------------------------------------------------------
// The sum is ≥ 0 (it starts at initialAccumulatorValue ≥ 0); steps past the first decay the rate.
const adagradCases: Case[] = [
  ...[[1], [255], [256], [257]].flatMap((shape) =>
    perOutput(`adagrad step 1 [${shape}]`, [arena(shape), arena(shape), positive(shape)],
      (p, g, s) => sg.adagradUpdate(p, g, s, { lr: 0.01, step: 1 }), ['param', 'sum'])),
  ...perOutput('adagrad lrDecay 0.1 step 7 [1237]', [arena([1237]), arena([1237]), positive([1237])],
    (p, g, s) => sg.adagradUpdate(p, g, s, { lr: 0.1, lrDecay: 0.1, step: 7 }), ['param', 'sum']),
  ...perOutput('adagrad wd 0.05 + maximize + eps 1e-3 step 3 [3, 5]', [arena([3, 5]), arena([3, 5]), positive([3, 5])],
    (p, g, s) => sg.adagradUpdate(p, g, s, { lr: 0.1, weightDecay: 0.05, maximize: true, eps: 1e-3, step: 3 }), ['param', 'sum']),
  // A zero sum on the first step (initialAccumulatorValue 0): the denominator is |g| + ε.
  ...perOutput('adagrad zero sum (initialAccumulatorValue 0) [131]', [arena([131]), arena([131]), { shape: [131], values: new Array(131).fill(0) }],
    (p, g, s) => sg.adagradUpdate(p, g, s, { lr: 0.5, step: 1 }), ['param', 'sum']),
];

// ---- Adam / AdamW ------------------------------------------------------------------------------
const adamInputs = (shape: number[], amsgrad = false): InputSpec[] =>
  [arena(shape), arena(shape), arena(shape, [-0.5, 0.5]), positive(shape), ...(amsgrad ? [positive(shape)] : [])];

const adamCases: Case[] = [
  ...[[1], [255], [257]].flatMap((shape) =>
    perOutput(`adam step 1 [${shape}]`, adamInputs(shape), (p, g, m, v) => sg.adamUpdate(p, g, m, v, null, { lr: 1e-3, step: 1 }),
      ['param', 'expAvg', 'expAvgSq'])),
  ...perOutput('adam step 3, wd 0.1 (coupled), betas 0.8/0.99 [1237]', adamInputs([1237]),
    (p, g, m, v) => sg.adamUpdate(p, g, m, v, null, { lr: 1e-2, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, step: 3 }), ['param', 'expAvg', 'expAvgSq']),
  ...perOutput('adam step 1000, eps 1e-6, maximize [256]', adamInputs([256]),
    (p, g, m, v) => sg.adamUpdate(p, g, m, v, null, { lr: 1e-2, eps: 1e-6, step: 1000, maximize: true }), ['param']),
  ...perOutput('adam amsgrad step 2 [1237]', adamInputs([1237], true),
    (p, g, m, v, vmax) => sg.adamUpdate(p, g, m, v, vmax, { lr: 1e-2, amsgrad: true, step: 2 }), ['param', 'expAvg', 'expAvgSq', 'maxExpAvgSq']),
  ...perOutput('adamW default wd 1e-2 step 5 [3, 5]', adamInputs([3, 5]),
    (p, g, m, v) => sg.adamWUpdate(p, g, m, v, null, { lr: 0.1, step: 5 }), ['param', 'expAvg', 'expAvgSq']),
  ...perOutput('adamW wd 0.5 amsgrad step 1 [7]', adamInputs([7], true),
    (p, g, m, v, vmax) => sg.adamWUpdate(p, g, m, v, vmax, { lr: 0.1, weightDecay: 0.5, amsgrad: true, step: 1 }),
    ['param', 'expAvg', 'expAvgSq', 'maxExpAvgSq']),
  // beta1 ≥ 0.5 takes torch.lerp's other branch; beta1 = 0 is plain RMS scaling.
  ...perOutput('adam beta1 0.3 and 0 [257]', adamInputs([257]),
    (p, g, m, v) => sg.adamUpdate(sg.adamUpdate(p, g, m, v, null, { lr: 1e-2, beta1: 0.3, step: 2 }).param, g, m, v, null,
      { lr: 1e-2, beta1: 0, step: 2 }), ['param']),
  // n a multiple of 4: adam_update_vec4 (four elements per thread), both lerp branches, coupled decay.
  ...perOutput('adam vec4 step 3, wd 0.1, beta1 0.3 [1236]', adamInputs([1236]),
    (p, g, m, v) => sg.adamUpdate(p, g, m, v, null, { lr: 1e-2, beta1: 0.3, weightDecay: 0.1, step: 3 }), ['param', 'expAvg', 'expAvgSq']),
  ...perOutput('adamW vec4 maximize step 2 [4, 5]', adamInputs([4, 5]),
    (p, g, m, v) => sg.adamWUpdate(p, g, m, v, null, { lr: 0.1, weightDecay: 0.2, maximize: true, step: 2 }), ['param', 'expAvg', 'expAvgSq']),
];

// ---- penalties ---------------------------------------------------------------------------------
const penaltyCases: Case[] = [
  ...[[1], [257], [1237]].map((shape): Case => ({
    name: `penaltyGrad elastic net l1 0.1 l2 0.01 [${shape}]`, inputs: [arena(shape), arena(shape)],
    fn: (p, g) => sg.penaltyGrad(p, g, { l1: 0.1, l2: 0.01 }),
  })),
  { name: 'penaltyGrad l1 only [7]', inputs: [arena([7]), arena([7])], fn: (p, g) => sg.penaltyGrad(p, g, { l1: 0.3 }) },
  { name: 'penaltyGrad l2 only [3, 5]', inputs: [arena([3, 5]), arena([3, 5])], fn: (p, g) => sg.penaltyGrad(p, g, { l2: 0.7 }) },
  { name: 'penaltyValue elastic net [1]', inputs: [arena([1])], fn: (p) => sg.penaltyValue(p, { l1: 0.1, l2: 0.01 }) },
  { name: 'penaltyValue l1 only [255]', inputs: [arena([255])], fn: (p) => sg.penaltyValue(p, { l1: 0.2 }) },
  { name: 'penaltyValue l2 only [257]', inputs: [arena([257])], fn: (p) => sg.penaltyValue(p, { l2: 0.5 }) },
  { name: 'penaltyValue elastic net [1237]', inputs: [arena([1237])], fn: (p) => sg.penaltyValue(p, { l1: 0.05, l2: 0.3 }) },
  { name: 'penaltyValue 66000 (256 partials, strided)', inputs: [arena([66000])], fn: (p) => sg.penaltyValue(p, { l1: 1e-3, l2: 1e-2 }) },
];

// ---- clipping ----------------------------------------------------------------------------------
const clipCases: Case[] = [
  ...perOutput('clipGradNorm 2-norm clips [1237]', [arena([1237])], (g) => sg.clipGradNorm(g, 1), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm 2-norm below max (no change) [257]', [arena([257])], (g) => sg.clipGradNorm(g, 100), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm size 1 [1]', [arena([1])], (g) => sg.clipGradNorm(g, 0.05), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm 1-norm [256]', [arena([256])], (g) => sg.clipGradNorm(g, 10, { normType: 1 }), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm 3-norm [255]', [arena([255])], (g) => sg.clipGradNorm(g, 0.5, { normType: 3 }), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm inf-norm [3, 5]', [arena([3, 5], [-3, 3])], (g) => sg.clipGradNorm(g, 0.7, { normType: Infinity }), ['grad', 'totalNorm']),
  ...perOutput('clipGradNorm 66000 (256 partials, strided)', [arena([66000])], (g) => sg.clipGradNorm(g, 2), ['grad', 'totalNorm']),
  ...[[1], [256], [1237]].map((shape): Case => ({
    name: `clipGradValue 0.5 [${shape}]`, inputs: [arena(shape)], fn: (g) => sg.clipGradValue(g, 0.5),
  })),
  { name: 'clipGradValue large c (nothing clipped) [7]', inputs: [arena([7])], fn: (g) => sg.clipGradValue(g, 10) },
];

export const cases: Case[] = [...sgdCases, ...rmspropCases, ...adagradCases, ...adamCases, ...penaltyCases, ...clipCases];
