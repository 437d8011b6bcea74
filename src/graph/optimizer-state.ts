// Optimizer state: one home, owned by the optimizer. What compile() needs from an optimizer
// (PlanOptimizer) and where its moments and step count live (OptimizerState), shared by its eager
// steps, every plan compiled with it, and checkpoints.

import { gpu } from '../gpu/device.js';
import { Storage } from '../memory/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { arenaLayout, type Arena } from './arena.js';
import { sgError } from '../util/errors.js';

/** Hyper-parameters an optimizer changes from step to step (learning rate, step count, ...). */
export type Hyper = Record<string, number>;

/**
 * What compile() needs from an optimizer: how many state arenas (each the size of the parameter
 * arena) it keeps, the update expressed in ops over the flat arenas, and the per-step hyper-parameters.
 * Before each step the plan copies `hyper(step)` into the attributes of the optimizer's ops that have
 * a field of the same name (lr, step, ...) and rewrites their uniform values, so a learning-rate
 * schedule needs no new pipeline, bind group or buffer.
 */
export interface PlanOptimizer {
  stateCount: number;
  /** Initial value of each state arena (default 0). */
  stateInit?: number[];
  update(param: Tensor, grad: Tensor, states: Tensor[], hyper: Hyper): { param: Tensor; states: Tensor[] };
  /** Hyper-parameters for step `step` (1-based). */
  hyper(step: number): Hyper;
  /**
   * Where the state arenas and the step count live (sg.optim optimizers own one, shared by their
   * eager steps, plans and checkpoints). A plain object without it gets one kept for it by compile().
   */
  readonly state?: OptimizerState;
}

/**
 * An optimizer's state: `count` arenas laid out like its parameter arena (parameter i at the same
 * 256-byte aligned float offset `offsets[i]`, alignment padding zero), and the number of steps taken.
 * Eager `opt.step(grads)`, every compiled plan of the optimizer, checkpoints (sg.save / sg.load) and
 * fit's NaN diagnosis read and write these same storages and this same counter, so the paths can be
 * mixed in any order and the optimizer behaves as one torch.optim optimizer.
 */
export class OptimizerState {
  /** Steps taken, by every path (Adam's bias correction, SGD's first momentum step). */
  step = 0;
  /** Float offset of each parameter inside an arena (as packArena lays the parameters out). */
  readonly offsets: number[];
  /** Floats per arena, padding included. */
  readonly size: number;
  private storages?: Storage[];

  constructor(readonly sizes: readonly number[], readonly count: number, readonly init: readonly number[] = []) {
    const layout = arenaLayout(sizes);
    this.offsets = layout.offsets;
    this.size = layout.size;
  }

  /** Whether the arenas exist on the live device (allocated by a first step, a compile or a load). */
  get allocated(): boolean {
    return this.storages !== undefined && this.storages.every((a) => a.live);
  }

  /** The state arenas, allocated and filled with their initial values on first use. */
  arenas(): Storage[] {
    if (this.storages && !this.storages.every((a) => a.live)) {
      // The device was lost (or sg.dispose()d): the moments went with it. Start from the initial
      // state on the new device; sg.load(model, path, { optimizer }) puts a checkpoint's back.
      this.storages = undefined;
      this.step = 0;
    }
    if (!this.storages) {
      const { device } = gpu();
      this.storages = Array.from({ length: this.count }, (_, k) => {
        const a = Storage.allocate(this.size * 4, `optimizer state ${k}`);
        device.queue.writeBuffer(a.buffer, a.offset, new Float32Array(this.size).fill(this.init[k] ?? 0));
        return a;
      });
    }
    return this.storages;
  }

  /** Parameter i's piece of arena k (a view sharing the arena's buffer). */
  slice(k: number, i: number): Storage {
    return this.arenas()[k].slice(this.offsets[i] * 4, this.sizes[i] * 4);
  }

  /** Back to the initial state (step 0, arenas at their initial values) in place: plans stay bound to the arenas. */
  clear(): void {
    this.step = 0;
    if (!this.storages) return;
    const { device } = gpu();
    this.storages.forEach((a, k) => device.queue.writeBuffer(a.buffer, a.offset, new Float32Array(this.size).fill(this.init[k] ?? 0)));
  }

  /** Give the arenas back to the pool and start again from step 0 (plans compiled before keep their own reference). */
  reset(): void {
    this.storages?.forEach((s) => s.release());
    this.storages = undefined;
    this.step = 0;
  }
}

/** State of PlanOptimizer objects that do not carry their own `state` (plain objects in tests). */
const looseStates = new WeakMap<PlanOptimizer, OptimizerState>();

/** The one state of `opt`: its own `state`, or (for a plain PlanOptimizer object) one kept for it here. */
export function optimizerStateOf(opt: PlanOptimizer, params?: Tensor[]): OptimizerState {
  if (opt.state) return opt.state;
  let s = looseStates.get(opt);
  if (!s) {
    if (!params) throw sgError('internal: the optimizer has no state yet');
    s = new OptimizerState(params.map((p) => p.size), opt.stateCount, opt.stateInit);
    looseStates.set(opt, s);
  }
  return s;
}

/**
 * The state of `opt` for compiling a step over this parameter arena, its arenas allocated (and
 * initialised) on first use. Throws when `opt` updates other parameters than `params`.
 */
export function optimizerStateFor(opt: PlanOptimizer, params: Tensor[], arena: Arena): OptimizerState {
  const own = (opt as { params?: Tensor[] }).params;
  if (own && (own.length !== params.length || own.some((p, i) => p !== params[i]))) {
    throw sgError(`compile: the optimizer updates ${own.length} parameters (${own.map((p) => p.describe()).join(', ')}); ` +
      `compile was given other \`params\` (${params.map((p) => p.describe()).join(', ')}): pass the optimizer's own parameters`);
  }
  const s = optimizerStateOf(opt, params);
  if (s.size !== arena.size || s.offsets.some((o, i) => o !== arena.offsets[i]) || s.count !== opt.stateCount) {
    throw sgError('compile: this optimizer already updates another set of parameters');
  }
  s.arenas();
  return s;
}
