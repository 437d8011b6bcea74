// sg.optim: SGD (momentum, dampening, Nesterov), RMSprop (centered, momentum), Adagrad (lr decay),
// Adam (AMSGrad) and AdamW, with weight decay, L1/L2/elastic-net penalties, gradient clipping and LR schedules.
//
// Each optimizer is usable two ways:
//   - inside compile() / train.fit: over the packed parameter arena, one dispatch per update kernel
//     (penalty → clipping → update), hyper-parameters refreshed in the uniform buffer every step;
//   - eagerly: `await opt.step(grads)` after sg.valueAndGrad, per parameter with the same kernels.
// The update kernels and their float64 references are in src/ops/optim.ts / src/reference/optim.ts.

import type { PlanOptimizer, Hyper } from '../graph/optimizer-state.js';
import { OptimizerState } from '../graph/optimizer-state.js';
import { fromStorage, Tensor } from '../tensor/tensor.js';
import { assignAll } from '../tensor/assign.js';
import { full } from '../ops/elementwise.js';
import { reshape } from '../ops/shape-ops.js';
import { concat, slice } from '../ops/index-ops.js';
import {
  adagradUpdate, adamUpdate, clipGradNorm, clipGradValue, penaltyGrad, rmspropUpdate, sgdUpdate,
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
export const ADAGRAD_KEYS = keysOf<AdagradOptions>({ ...COMMON_KEYS, lrDecay: 1, eps: 1, initialAccumulatorValue: 1, maximize: 1 });

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

/**
 * A parameter group, as torch.optim's: its parameters and the options that differ from the
 * optimizer's (lr, weightDecay, and the rule's own: momentum, betas, eps, ...). Clipping, l1 / l2 and
 * the scheduler are the optimizer's, for all groups.
 */
export type ParamGroup<O extends CommonOptions = CommonOptions> = { params: Tensor[] } &
  Partial<Omit<O, 'scheduler' | 'clipNorm' | 'clipValue' | 'l1' | 'l2'>>;

/** The groups' options as the rules use them, with the index range of their parameters. */
interface Group<O> {
  options: O;
  first: number;
  end: number;
}

function checkCommon(name: string, o: CommonOptions): void {
  if (!(o.lr >= 0) || !Number.isFinite(o.lr)) throw sgError(`optim.${name}: lr must be a finite number ≥ 0, got ${o.lr}`);
  for (const k of ['weightDecay', 'l1', 'l2', 'clipNorm', 'clipValue'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0)) throw sgError(`optim.${name}: ${k} must be ≥ 0, got ${v}`);
  }
}

export abstract class Optimizer<O extends CommonOptions = CommonOptions> implements PlanOptimizer {
  readonly params: Tensor[];
  /** The parameter groups (one when the optimizer was given a list of tensors). */
  protected readonly groups: Group<O>[];
  /** The base learning rate (a scheduler scales it per epoch). */
  lr: number;
  scheduler?: Scheduler;
  abstract readonly stateCount: number;
  /** PyTorch's names of the per-parameter state tensors, in arena order (exp_avg, momentum_buffer, ...). */
  abstract readonly stateNames: readonly string[];
  stateInit?: number[];
  private epochNow = 0;
  private ownState?: OptimizerState;

  constructor(readonly name: string, params: Tensor[] | ParamGroup<O>[], readonly options: O, keys: readonly string[]) {
    checkCommon(name, options);
    if (!Array.isArray(params) || params.length === 0) throw sgError(`optim.${name}: no parameters to optimise (are they all frozen?)`);
    const grouped = !(params[0] instanceof Tensor);
    const groups = (grouped ? params : [{ params }]) as ParamGroup<O>[];
    const groupKeys = ['params', ...keys.filter((k) => !['scheduler', 'clipNorm', 'clipValue', 'l1', 'l2'].includes(k))];
    this.params = [];
    this.groups = groups.map((g, k) => {
      const where = `optim.${name}: param group ${k}`;
      if (grouped) {
        checkOptions(where, g, groupKeys);
        if (!Array.isArray(g.params) || g.params.length === 0) throw sgError(`${where}: params must be a non-empty list of tensors`);
      }
      const { params: ps, ...own } = g;
      const merged = { ...options, ...own } as O;
      if (grouped) checkCommon(`${name}: param group ${k}`, merged);
      const first = this.params.length;
      ps.forEach((p, i) => {
        if (!(p instanceof Tensor)) throw sgError(`${where}: params[${i}] is not a Tensor`);
        if (p.dtype !== 'f32') throw sgError(`optim.${name}: parameter ${first + i} ${p.describe()} is not f32`, ShapeError);
        if (this.params.includes(p)) throw sgError(`${where}: params[${i}] ${p.describe()} appears in more than one group (torch: "some parameters appear in more than one parameter group")`);
        this.params.push(p);
      });
      return { options: merged, first, end: this.params.length };
    });
    this.lr = this.groups[0].options.lr; // the first group's (its own, if it sets one)
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

  /** torch's param_groups: each group's parameters and options (one group for a list of tensors). */
  get paramGroups(): ({ params: Tensor[] } & O)[] {
    return this.groups.map((g) => ({ ...g.options, params: this.params.slice(g.first, g.end) }));
  }

  /** The learning rate of group `k` now (its own lr through the scheduler, as torch schedules each group). */
  groupLr(k: number): number {
    const base = k === 0 ? this.lr : this.groups[k].options.lr;
    return this.scheduler ? this.scheduler.lrAt(this.epochNow, base) : base;
  }

  /** `lr` and `step`, and `lr@<g>` for each further parameter group g (written into its updates). */
  hyper(step: number): Hyper {
    const h: Hyper = { lr: this.currentLr(), step };
    for (let k = 1; k < this.groups.length; k++) h[`lr@${k}`] = this.groupLr(k);
    return h;
  }

  /**
   * Penalties and clipping (over all parameters, as torch.nn.utils.clip_grad_norm_), then the update
   * rule: the whole optimizer step in ops. With parameter groups, each group's range of the arenas
   * is updated with its own options and the ranges are joined again.
   */
  update(param: Tensor, grad: Tensor, states: Tensor[], hyper: Hyper): { param: Tensor; states: Tensor[] } {
    const { l1 = 0, l2 = 0, clipNorm, clipValue } = this.options;
    let g = grad;
    if (l1 || l2) g = penaltyGrad(param, g, { l1, l2 });
    if (clipValue !== undefined) g = clipGradValue(g, clipValue);
    if (clipNorm !== undefined) g = clipGradNorm(g, clipNorm).grad;
    if (this.groups.length === 1) return this.rule(param, g, states, hyper.lr, hyper.step, this.groups[0].options, 0);
    const { offsets, size } = this.state;
    const parts = this.groups.map((grp, k) => {
      const a = offsets[grp.first];
      const b = grp.end < offsets.length ? offsets[grp.end] : size;
      const lr = k === 0 ? hyper.lr : (hyper[`lr@${k}`] ?? grp.options.lr);
      return this.rule(slice(param, 0, a, b), slice(g, 0, a, b), states.map((s) => slice(s, 0, a, b)), lr, hyper.step, grp.options, k);
    });
    return { param: concat(parts.map((p) => p.param), 0), states: states.map((_, j) => concat(parts.map((p) => p.states[j]), 0)) };
  }

  /** One group's update over its range of the arenas, with that group's options (`group` for a plan's hyper-parameters). */
  protected abstract rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number, o: O, group: number): { param: Tensor; states: Tensor[] };

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
export class SGD extends Optimizer<SgdOptions> {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[] | ParamGroup<SgdOptions>[], readonly o: SgdOptions) {
    checkOptions('optim.sgd', o, SGD_KEYS);
    super('sgd', params, o, SGD_KEYS);
    for (const [k, g] of this.groups.map((x, i) => [i, x.options] as const)) {
      const where = this.groups.length > 1 ? `optim.sgd: param group ${k}` : 'optim.sgd';
      checkNonNegative(where, g, ['momentum']);
      if (g.nesterov && (!(g.momentum! > 0) || (g.dampening ?? 0) !== 0)) {
        throw sgError(`${where}: Nesterov momentum requires momentum > 0 and dampening = 0`);
      }
    }
    this.stateCount = sameState('sgd', this.groups, (g) => (g.momentum ? 1 : 0), 'momentum on in some groups and off in others');
    this.stateNames = this.stateCount ? ['momentum_buffer'] : [];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number, o: SgdOptions, group: number) {
    const r = sgdUpdate(param, grad, states[0] ?? null, {
      lr, momentum: o.momentum ?? 0, dampening: o.dampening ?? 0, nesterov: o.nesterov ?? false,
      weightDecay: o.weightDecay ?? 0, maximize: o.maximize ?? false, step, hyperGroup: group,
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
export class RMSprop extends Optimizer<RmspropOptions> {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[] | ParamGroup<RmspropOptions>[], readonly o: RmspropOptions) {
    checkOptions('optim.rmsprop', o, RMSPROP_KEYS);
    super('rmsprop', params, o, RMSPROP_KEYS);
    this.groups.forEach((g, k) => checkNonNegative(this.groups.length > 1 ? `optim.rmsprop: param group ${k}` : 'optim.rmsprop', g.options, ['alpha', 'eps', 'momentum']));
    const mom = sameState('rmsprop', this.groups, (g) => (g.momentum ? 1 : 0), 'momentum on in some groups and off in others');
    const centered = sameState('rmsprop', this.groups, (g) => (g.centered ? 1 : 0), 'centered in some groups only');
    this.stateCount = 1 + mom + centered;
    this.stateNames = ['square_avg', ...(mom ? ['momentum_buffer'] : []), ...(centered ? ['grad_avg'] : [])];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, _step: number, o: RmspropOptions, group: number) {
    let k = 1;
    const mom = o.momentum ? states[k++] : undefined;
    const avg = o.centered ? states[k++] : undefined;
    const r = rmspropUpdate(param, grad, states[0], mom, avg, {
      lr, alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0,
      momentum: o.momentum ?? 0, centered: o.centered ?? false, hyperGroup: group,
    });
    const next = [r.squareAvg];
    if (mom) next.push(r.momentumBuf!);
    if (avg) next.push(r.gradAvg!);
    return { param: r.param, states: next };
  }
}

export interface AdagradOptions extends CommonOptions {
  /** The rate of step t is lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay?: number;
  /** Added to √sum (default 1e-10). */
  eps?: number;
  /** The value the sum of squared gradients starts at (default 0). */
  initialAccumulatorValue?: number;
  maximize?: boolean;
}

/** Adagrad's options with torch's default lr (0.01). */
export type AdagradArgs = Omit<AdagradOptions, 'lr'> & { lr?: number };

/**
 * torch.optim.Adagrad: sum ← sum + g², θ ← θ − clr·g / (√sum + ε), clr = lr / (1 + (t − 1)·lrDecay).
 * The sum starts at initialAccumulatorValue (torch fills it in __init__); the step count t is the
 * optimizer's one counter, so eager steps, plans and checkpoints decay the rate alike.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  readonly stateCount = 1;
  readonly stateNames = ['sum'] as const;
  constructor(params: Tensor[] | ParamGroup<AdagradOptions>[], readonly o: AdagradArgs = {}) {
    checkOptions('optim.adagrad', o, ADAGRAD_KEYS);
    super('adagrad', params, { lr: 0.01, ...o }, ADAGRAD_KEYS);
    this.groups.forEach((g, k) => checkNonNegative(this.groups.length > 1 ? `optim.adagrad: param group ${k}` : 'optim.adagrad', g.options,
      ['lrDecay', 'eps', 'initialAccumulatorValue']));
    // One state arena for all groups, filled with one initial value.
    this.stateInit = [sameState('adagrad', this.groups, (g) => g.initialAccumulatorValue ?? 0, 'initialAccumulatorValue differs between groups')];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number, o: AdagradOptions, group: number) {
    const r = adagradUpdate(param, grad, states[0], {
      lr, lrDecay: o.lrDecay ?? 0, eps: o.eps ?? 1e-10, weightDecay: o.weightDecay ?? 0, maximize: o.maximize ?? false, step, hyperGroup: group,
    });
    return { param: r.param, states: [r.sum] };
  }
}

export interface AdamOptions extends CommonOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
}

/** torch.optim.Adam (decoupled = false) and torch.optim.AdamW (decoupled = true). */
export class Adam extends Optimizer<AdamOptions> {
  readonly stateCount: number;
  readonly stateNames: readonly string[];
  constructor(params: Tensor[] | ParamGroup<AdamOptions>[], readonly o: AdamOptions, readonly decoupled = false) {
    checkOptions(decoupled ? 'optim.adamW' : 'optim.adam', o, ADAM_KEYS);
    super(decoupled ? 'adamW' : 'adam', params, o, ADAM_KEYS);
    this.groups.forEach(({ options: g }, i) => {
      const where = this.groups.length > 1 ? `optim.${this.name}: param group ${i}` : `optim.${this.name}`;
      for (const [k, v] of [['beta1', g.beta1], ['beta2', g.beta2]] as const) {
        if (v !== undefined && !(v >= 0 && v < 1)) throw sgError(`${where}: ${k} must be in [0, 1), got ${v}`);
      }
      if (g.eps !== undefined && !(g.eps > 0)) throw sgError(`${where}: eps must be > 0, got ${g.eps}`);
    });
    this.stateCount = 2 + sameState(this.name, this.groups, (g) => (g.amsgrad ? 1 : 0), 'amsgrad in some groups only');
    this.stateNames = this.stateCount === 3 ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected rule(param: Tensor, grad: Tensor, states: Tensor[], lr: number, step: number, o: AdamOptions, group: number) {
    const r = adamUpdate(param, grad, states[0], states[1], o.amsgrad ? states[2] : undefined, {
      lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? (this.decoupled ? 1e-2 : 0), amsgrad: o.amsgrad ?? false, step,
      decoupled: this.decoupled, hyperGroup: group,
    });
    return { param: r.param, states: o.amsgrad ? [r.expAvg, r.expAvgSq, r.maxExpAvgSq!] : [r.expAvg, r.expAvgSq] };
  }
}

/**
 * The state arenas are laid out once for all groups, so the state a group keeps must be the same in
 * every group (momentum buffers in all or none, ...). torch creates state per parameter lazily and
 * allows the mix; here it is refused by name.
 */
function sameState<O>(name: string, groups: Group<O>[], count: (o: O) => number, what: string): number {
  const n = groups.map((g) => count(g.options));
  if (n.some((v) => v !== n[0])) throw sgError(`optim.${name}: parameter groups must keep the same state (${what}); make separate optimizers instead`);
  return n[0];
}

export const sgd = (params: Tensor[] | ParamGroup<SgdOptions>[], o: SgdOptions) => new SGD(params, o);
export const rmsprop = (params: Tensor[] | ParamGroup<RmspropOptions>[], o: RmspropOptions) => new RMSprop(params, o);
export const adagrad = (params: Tensor[] | ParamGroup<AdagradOptions>[], o: AdagradArgs = {}) => new Adagrad(params, o);
export const adam = (params: Tensor[] | ParamGroup<AdamOptions>[], o: AdamOptions) => new Adam(params, o, false);
export const adamW = (params: Tensor[] | ParamGroup<AdamOptions>[], o: AdamOptions) => new Adam(params, o, true);
