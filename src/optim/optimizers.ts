// sg.optim: SGD (momentum, dampening, Nesterov), RMSprop (centered, momentum), Adam (AMSGrad) and
// AdamW, with weight decay, L1/L2/elastic-net penalties, gradient clipping and LR schedules.
//
// Each optimizer is usable two ways:
//   - inside compile() / train.fit: over the packed parameter arena, one dispatch per update kernel
//     (penalty → clipping → update), hyper-parameters refreshed in the uniform buffer every step;
//   - eagerly: `await opt.step(grads)` after sg.valueAndGrad, per parameter with the same kernels.
// The update kernels and their float64 references are in src/ops/optim.ts / src/reference/optim.ts.

import type { PlanOptimizer, Hyper } from '../graph/optimizer-state.js';
import { OptimizerState } from '../graph/optimizer-state.js';
import { fromStorage, type Tensor } from '../tensor/tensor.js';
import { assignAll } from '../tensor/assign.js';
import { full } from '../ops/elementwise.js';
import { reshape } from '../ops/shape-ops.js';
import { concat, slice } from '../ops/index-ops.js';
import {
  adamUpdate, clipGradNorm, clipGradValue, penaltyGrad, rmspropUpdate, sgdUpdate,
} from '../ops/optim.js';
import type { Scheduler } from './schedulers.js';
import { checkNonNegative, checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
/** The options every optimizer takes. */
const COMMON_KEYS = { lr: 1, weightDecay: 1, l1: 1, l2: 1, clipNorm: 1, clipValue: 1, scheduler: 1 } as const;
export const SGD_KEYS = keysOf<SgdOptions>({ ...COMMON_KEYS, momentum: 1, dampening: 1, nesterov: 1, maximize: 1 });
export const RMSPROP_KEYS = keysOf<RmspropOptions>({ ...COMMON_KEYS, alpha: 1, eps: 1, momentum: 1, centered: 1 });
export const ADAM_KEYS = keysOf<AdamOptions>({ ...COMMON_KEYS, beta1: 1, beta2: 1, eps: 1, amsgrad: 1 });

export interface CommonOptions {
  lr: number;
  /** L2-style decay added to the gradient (SGD, RMSprop, Adam) or decoupled (AdamW). */
  weightDecay?: number;
  /** L1 penalty λ₁·Σ|p| (its gradient λ₁·sign(p) is added to the gradient). */
  l1?: number;
  /** L2 penalty λ₂/2·Σp² (gradient λ₂·p). l1 + l2 = elastic net. */
  l2?: number;
  /** Clip gradients by their global L2 norm (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /** Clip each gradient value to [−c, c]. */
  clipValue?: number;
  scheduler?: Scheduler;
}

function checkCommon(name: string, o: CommonOptions): void {
  if (!(o.lr >= 0) || !Number.isFinite(o.lr)) throw sgError(`optim.${name}: lr must be a finite number ≥ 0, got ${o.lr}`);
  for (const k of ['weightDecay', 'l1', 'l2', 'clipNorm', 'clipValue'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0)) throw sgError(`optim.${name}: ${k} must be ≥ 0, got ${v}`);
  }
}

export abstract class Optimizer implements PlanOptimizer {
  readonly params: Tensor[];
  /** The base learning rate (a scheduler scales it per epoch). */
  lr: number;
  scheduler?: Scheduler;
  abstract readonly stateCount: number;
  /** PyTorch's names of the per-parameter state tensors, in arena order (exp_avg, momentum_buffer, ...). */
  abstract readonly stateNames: readonly string[];
  stateInit?: number[];
  private epochNow = 0;
  private ownState?: OptimizerState;

  constructor(readonly name: string, params: Tensor[], readonly options: CommonOptions) {
    checkCommon(name, options);
    if (!Array.isArray(params) || params.length === 0) throw sgError(`optim.${name}: no parameters to optimise (are they all frozen?)`);
    params.forEach((p, i) => {
      if (p.dtype !== 'f32') throw sgError(`optim.${name}: parameter ${i} ${p.describe()} is not f32`, ShapeError);
    });
    this.params = params;
    this.lr = options.lr;
    this.scheduler = options.scheduler;
  }

  /**
   * The optimizer's one state: `stateCount` arenas in the parameter-arena layout and the step count.
   * Eager steps, compiled plans and checkpoints all use it.
   */
  get state(): OptimizerState {
    this.ownState ??= new OptimizerState(this.params.map((p) => p.size), this.stateCount, this.stateInit);
    return this.ownState;
  }

  /** Tell the optimizer which epoch starts (schedules are per epoch). */
  setEpoch(epoch: number): void {
    this.epochNow = epoch;
  }

  /** The epoch last given to setEpoch (0 before training). */
  get epoch(): number {
    return this.epochNow;
  }

  /** Give a metric to a plateau scheduler after each epoch. */
  observe(metric: number): void {
    this.scheduler?.step?.(metric);
  }

  /** The learning rate in force now. */
  currentLr(): number {
    return this.scheduler ? this.scheduler.lrAt(this.epochNow, this.lr) : this.lr;
  }

  /** Steps taken (compiled and eager: one counter). */
  get steps(): number {
    return this.ownState?.step ?? 0;
  }

  /** Release the state arenas (the optimizer starts again from step 0 if used after this). */
  dispose(): void {
    this.ownState?.reset();
  }

  hyper(step: number): Hyper {
    return { lr: this.currentLr(), step };
  }

  /** Penalties and clipping, then the update rule: the whole optimizer step in ops. */
  update(param: Tensor, grad: Tensor, states: Tensor[], hyper: Hyper): { param: Tensor; states: Tensor[] } {
    const { l1 = 0, l2 = 0, clipNorm, clipValue } = this.options;
    let g = grad;
    if (l1 || l2) g = penaltyGrad(param, g, { l1, l2 });
    if (clipValue !== undefined) g = clipGradValue(g, clipValue);
    if (clipNorm !== undefined) g = clipGradNorm(g, clipNorm).grad;
    return this.rule(param, g, states, hyper.lr, hyper.step);
  }

  protected abstract rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number): { param: Tensor; states: Tensor[] };

  /**
   * One eager step: `grads[i]` is the gradient of `params[i]` (from sg.valueAndGrad). The parameters
   * and gradients are laid out as in a compiled plan's arena (each at its 256-byte aligned offset,
   * zero padding between), so the update runs over the optimizer's own state arenas, the same
   * storages and step counter its compiled plans use. Clipping by norm uses the global norm over
   * all parameters, as torch.nn.utils.clip_grad_norm_ does.
   */
  async step(grads: Tensor[]): Promise<void> {
    if (grads.length !== this.params.length) {
      throw sgError(`optim.${this.name}.step: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    grads.forEach((g, i) => {
      if (g.shape.join() !== this.params[i].shape.join()) {
        throw sgError(`optim.${this.name}.step: gradient ${i} ${g.describe()} does not match parameter ${this.params[i].describe()}`, ShapeError);
      }
    });
    const st = this.state;
    const arenas = st.arenas();
    const step = st.step + 1;
    const end = (i: number) => (i + 1 < st.offsets.length ? st.offsets[i + 1] : st.size);
    // Flatten into the arena layout so penalties, clipping and the rule see the plan's arena.
    const flat = (ts: Tensor[]) => concat(ts.flatMap((t, i) => {
      const pad = end(i) - st.offsets[i] - t.size;
      return pad > 0 ? [reshape(t, [t.size]), full([pad], 0)] : [reshape(t, [t.size])];
    }), 0);
    const P = flat(this.params);
    const G = flat(grads);
    const S = arenas.map((a, k) => fromStorage(a.retain(), [st.size], 'f32', `optimizer state ${k}`));
    try {
      const out = this.update(P, G, S, this.hyper(step));
      const pairs: [Tensor, Tensor][] = this.params.map((p, i) => [p, reshape(slice(out.param, 0, st.offsets[i], st.offsets[i] + p.size), p.shape)]);
      out.states.forEach((s, k) => pairs.push([S[k], s]));
      await assignAll(pairs);
      st.step = step;
    } finally {
      S.forEach((t) => t.dispose());
    }
  }
}

export interface SgdOptions extends CommonOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** torch.optim.SGD */
export class SGD extends Optimizer {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[], readonly o: SgdOptions) {
    checkOptions('optim.sgd', o, SGD_KEYS);
    super('sgd', params, o);
    checkNonNegative('optim.sgd', o, ['momentum']);
    if (o.nesterov && (!(o.momentum! > 0) || (o.dampening ?? 0) !== 0)) {
      throw sgError('optim.sgd: Nesterov momentum requires momentum > 0 and dampening = 0');
    }
    this.stateCount = o.momentum ? 1 : 0;
    this.stateNames = o.momentum ? ['momentum_buffer'] : [];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number) {
    const r = sgdUpdate(param, grad, states[0] ?? null, {
      lr, momentum: this.o.momentum ?? 0, dampening: this.o.dampening ?? 0, nesterov: this.o.nesterov ?? false,
      weightDecay: this.o.weightDecay ?? 0, maximize: this.o.maximize ?? false, step,
    });
    return { param: r.param, states: r.momentumBuf ? [r.momentumBuf] : [] };
  }
}

export interface RmspropOptions extends CommonOptions {
  alpha?: number;
  eps?: number;
  momentum?: number;
  centered?: boolean;
}

/** torch.optim.RMSprop */
export class RMSprop extends Optimizer {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[], readonly o: RmspropOptions) {
    checkOptions('optim.rmsprop', o, RMSPROP_KEYS);
    super('rmsprop', params, o);
    checkNonNegative('optim.rmsprop', o, ['alpha', 'eps', 'momentum']);
    this.stateCount = 1 + (o.momentum ? 1 : 0) + (o.centered ? 1 : 0);
    this.stateNames = ['square_avg', ...(o.momentum ? ['momentum_buffer'] : []), ...(o.centered ? ['grad_avg'] : [])];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number) {
    let k = 1;
    const mom = this.o.momentum ? states[k++] : undefined;
    const avg = this.o.centered ? states[k++] : undefined;
    const r = rmspropUpdate(param, grad, states[0], mom, avg, {
      lr, alpha: this.o.alpha ?? 0.99, eps: this.o.eps ?? 1e-8, weightDecay: this.o.weightDecay ?? 0,
      momentum: this.o.momentum ?? 0, centered: this.o.centered ?? false,
    });
    const next = [r.squareAvg];
    if (mom) next.push(r.momentumBuf!);
    if (avg) next.push(r.gradAvg!);
    return { param: r.param, states: next };
  }
}

export interface AdamOptions extends CommonOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
}

/** torch.optim.Adam (decoupled = false) and torch.optim.AdamW (decoupled = true). */
export class Adam extends Optimizer {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[], readonly o: AdamOptions, readonly decoupled = false) {
    checkOptions(decoupled ? 'optim.adamW' : 'optim.adam', o, ADAM_KEYS);
    super(decoupled ? 'adamW' : 'adam', params, o);
    for (const [k, v] of [['beta1', o.beta1], ['beta2', o.beta2]] as const) {
      if (v !== undefined && !(v >= 0 && v < 1)) throw sgError(`optim.${this.name}: ${k} must be in [0, 1), got ${v}`);
    }
    if (o.eps !== undefined && !(o.eps > 0)) throw sgError(`optim.${this.name}: eps must be > 0, got ${o.eps}`);
    this.stateCount = o.amsgrad ? 3 : 2;
    this.stateNames = o.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number) {
    const r = adamUpdate(param, grad, states[0], states[1], this.o.amsgrad ? states[2] : undefined, {
      lr, beta1: this.o.beta1 ?? 0.9, beta2: this.o.beta2 ?? 0.999, eps: this.o.eps ?? 1e-8,
      weightDecay: this.o.weightDecay ?? (this.decoupled ? 1e-2 : 0), amsgrad: this.o.amsgrad ?? false, step,
      decoupled: this.decoupled,
    });
    return { param: r.param, states: this.o.amsgrad ? [r.expAvg, r.expAvgSq, r.maxExpAvgSq!] : [r.expAvg, r.expAvgSq] };
  }
}

export const sgd = (params: Tensor[], o: SgdOptions) => new SGD(params, o);
export const rmsprop = (params: Tensor[], o: RmspropOptions) => new RMSprop(params, o);
export const adam = (params: Tensor[], o: AdamOptions) => new Adam(params, o, false);
export const adamW = (params: Tensor[], o: AdamOptions) => new Adam(params, o, true);
