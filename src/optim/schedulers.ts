// Learning-rate schedules (torch.optim.lr_scheduler semantics), as closed-form functions of the epoch.
//
// A schedule does not own the learning rate: the optimizer keeps the base rate and asks
// `scheduler.lrAt(epoch, baseLr)` for the rate in force. `epoch` counts from 0 (PyTorch's
// `last_epoch` after `epoch` calls to `scheduler.step()`), so at whole epochs every value here equals
// what PyTorch's scheduler gives after that many `step()` calls.
//
// Per epoch: train.fit calls `optimizer.setEpoch(e)` before epoch e (0-based) and, after it,
// `optimizer.observe(metric)` → `scheduler.step(metric)` (only reduceOnPlateau uses the metric).
// Per step: pass a fractional epoch, `epoch + batch / batchesPerEpoch`, or any other counter (e.g.
// the step number for inverseSqrt / warmup counted in steps). Continuous schedules (exponential,
// cosine, linear, inverse-sqrt, the warmup ramp) are evaluated at that point; step-wise schedules
// (stepLR, multiStepLR) change only when a whole epoch is reached.

import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const STEP_LR_KEYS = keysOf<Opts<typeof stepLR, 0>>({ stepSize: 1, gamma: 1 });
export const MULTI_STEP_LR_KEYS = keysOf<Opts<typeof multiStepLR, 0>>({ milestones: 1, gamma: 1 });
export const EXPONENTIAL_LR_KEYS = keysOf<Opts<typeof exponentialLR, 0>>({ gamma: 1 });
export const COSINE_ANNEALING_KEYS = keysOf<Opts<typeof cosineAnnealing, 0>>({ tMax: 1, etaMin: 1 });
export const LINEAR_LR_KEYS = keysOf<Opts<typeof linearLR, 0>>({ startFactor: 1, endFactor: 1, totalIters: 1 });
export const INVERSE_SQRT_KEYS = keysOf<Opts<typeof inverseSqrt, 0>>({ warmupSteps: 1 });
export const WARMUP_KEYS = keysOf<Opts<typeof warmup, 1>>({ steps: 1, startFactor: 1 });
export const REDUCE_ON_PLATEAU_KEYS = keysOf<PlateauOptions>({ mode: 1, factor: 1, patience: 1, threshold: 1, thresholdMode: 1, cooldown: 1, minLr: 1, eps: 1 });

export interface Scheduler {
  /** e.g. "cosineAnnealing(tMax=10, etaMin=0)" — for reports and logs. */
  readonly name: string;
  /** The learning rate at `epoch` (≥ 0, may be fractional) for base rate `baseLr`. */
  lrAt(epoch: number, baseLr: number): number;
  /** Metric-driven schedules (reduceOnPlateau) take the epoch's metric here. */
  step?(metric: number): void;
  /** Forget any state (reduceOnPlateau), e.g. before a new training run. */
  reset?(): void;
  /** A stateful schedule's counters, JSON-safe (saved in checkpoints by sg.save with { optimizer }). */
  stateDict?(): Record<string, number | string>;
  /** Put back counters from stateDict() (sg.load). */
  loadStateDict?(state: Record<string, number | string>): void;
}

const fail: Fail = failIn('optim');

function checkCall(fn: string, epoch: number, baseLr: number): void {
  if (!(epoch >= 0) || !Number.isFinite(epoch)) fail(`${fn}.lrAt`, `epoch must be a finite number ≥ 0, got ${epoch}`);
  if (!(baseLr >= 0) || !Number.isFinite(baseLr)) fail(`${fn}.lrAt`, `baseLr must be a finite number ≥ 0, got ${baseLr}`);
}

function positiveInt(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) fail(fn, `${name} must be a positive integer, got ${v}`);
}

function positive(fn: string, name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) fail(fn, `${name} must be a finite number > 0, got ${v}`);
}

/** The base learning rate at every epoch. */
export function constant(): Scheduler {
  return {
    name: 'constant',
    lrAt(epoch, baseLr) {
      checkCall('constant', epoch, baseLr);
      return baseLr;
    },
  };
}

/** torch StepLR: lr = base · γ^⌊epoch / stepSize⌋. */
export function stepLR(opts: { stepSize: number; gamma?: number }): Scheduler {
  checkOptions('optim.stepLR', opts, STEP_LR_KEYS);
  const { stepSize, gamma = 0.1 } = opts;
  positiveInt('stepLR', 'stepSize', stepSize);
  if (!(gamma >= 0) || !Number.isFinite(gamma)) fail('stepLR', `gamma must be a finite number ≥ 0, got ${gamma}`);
  return {
    name: `stepLR(stepSize=${stepSize}, gamma=${gamma})`,
    lrAt(epoch, baseLr) {
      checkCall('stepLR', epoch, baseLr);
      return baseLr * gamma ** Math.floor(Math.floor(epoch) / stepSize);
    },
  };
}

/**
 * torch MultiStepLR: lr = base · γ^(number of milestones ≤ epoch). A milestone listed twice
 * counts twice, as in PyTorch.
 */
export function multiStepLR(opts: { milestones: number[]; gamma?: number }): Scheduler {
  checkOptions('optim.multiStepLR', opts, MULTI_STEP_LR_KEYS);
  const { gamma = 0.1 } = opts;
  if (!Array.isArray(opts.milestones)) fail('multiStepLR', 'milestones must be an array of epochs');
  opts.milestones.forEach((m) => {
    if (!Number.isInteger(m) || m < 0) fail('multiStepLR', `milestones must be integers ≥ 0, got ${m}`);
  });
  if (!(gamma >= 0) || !Number.isFinite(gamma)) fail('multiStepLR', `gamma must be a finite number ≥ 0, got ${gamma}`);
  const milestones = [...opts.milestones].sort((a, b) => a - b);
  return {
    name: `multiStepLR(milestones=[${milestones.join(', ')}], gamma=${gamma})`,
    lrAt(epoch, baseLr) {
      checkCall('multiStepLR', epoch, baseLr);
      const e = Math.floor(epoch);
      let passed = 0;
      for (const m of milestones) if (m <= e) passed++;
      return baseLr * gamma ** passed;
    },
  };
}

/** torch ExponentialLR: lr = base · γ^epoch. */
export function exponentialLR(opts: { gamma: number }): Scheduler {
  checkOptions('optim.exponentialLR', opts, EXPONENTIAL_LR_KEYS);
  const { gamma } = opts;
  if (!(gamma >= 0) || !Number.isFinite(gamma)) fail('exponentialLR', `gamma must be a finite number ≥ 0, got ${gamma}`);
  return {
    name: `exponentialLR(gamma=${gamma})`,
    lrAt(epoch, baseLr) {
      checkCall('exponentialLR', epoch, baseLr);
      return baseLr * gamma ** epoch;
    },
  };
}

/**
 * torch CosineAnnealingLR, closed form (SGDR without restarts):
 *   lr = ηmin + (base − ηmin) · (1 + cos(π · epoch / tMax)) / 2.
 * It reaches ηmin at epoch tMax and, like PyTorch, climbs back towards base after it (period 2·tMax).
 */
export function cosineAnnealing(opts: { tMax: number; etaMin?: number }): Scheduler {
  checkOptions('optim.cosineAnnealing', opts, COSINE_ANNEALING_KEYS);
  const { tMax, etaMin = 0 } = opts;
  positive('cosineAnnealing', 'tMax', tMax);
  if (!(etaMin >= 0) || !Number.isFinite(etaMin)) fail('cosineAnnealing', `etaMin must be a finite number ≥ 0, got ${etaMin}`);
  return {
    name: `cosineAnnealing(tMax=${tMax}, etaMin=${etaMin})`,
    lrAt(epoch, baseLr) {
      checkCall('cosineAnnealing', epoch, baseLr);
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
    },
  };
}

/**
 * torch LinearLR: the factor goes linearly from startFactor (epoch 0) to endFactor (epoch totalIters)
 * and stays there: lr = base · (start + (end − start) · min(epoch, totalIters) / totalIters).
 */
export function linearLR(opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}): Scheduler {
  checkOptions('optim.linearLR', opts, LINEAR_LR_KEYS);
  const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = opts;
  if (!(startFactor > 0 && startFactor <= 1)) fail('linearLR', `startFactor must be in (0, 1], got ${startFactor}`);
  if (!(endFactor >= 0 && endFactor <= 1)) fail('linearLR', `endFactor must be in [0, 1], got ${endFactor}`);
  positiveInt('linearLR', 'totalIters', totalIters);
  return {
    name: `linearLR(startFactor=${+startFactor.toFixed(6)}, endFactor=${endFactor}, totalIters=${totalIters})`,
    lrAt(epoch, baseLr) {
      checkCall('linearLR', epoch, baseLr);
      return baseLr * (startFactor + ((endFactor - startFactor) * Math.min(epoch, totalIters)) / totalIters);
    },
  };
}

/**
 * Inverse square root ("Noam", Attention Is All You Need), normalised so the peak is the base rate:
 *   t = epoch + 1,   lr = base · √w · min(1/√t, t / w^1.5)
 * i.e. a linear warmup base·t/w for t ≤ w, then base·√(w/t). With w = 1 it is plain base/√t.
 * Usually counted in optimizer steps (pass the step number as `epoch`).
 */
export function inverseSqrt(opts: { warmupSteps: number }): Scheduler {
  checkOptions('optim.inverseSqrt', opts, INVERSE_SQRT_KEYS);
  const { warmupSteps: w } = opts;
  if (!(w >= 1) || !Number.isFinite(w)) fail('inverseSqrt', `warmupSteps must be a finite number ≥ 1, got ${w}`);
  return {
    name: `inverseSqrt(warmupSteps=${w})`,
    lrAt(epoch, baseLr) {
      checkCall('inverseSqrt', epoch, baseLr);
      const t = epoch + 1;
      return baseLr * Math.sqrt(w) * Math.min(1 / Math.sqrt(t), t / w ** 1.5);
    },
  };
}

/**
 * Linear warmup, then `inner` (as torch SequentialLR([LinearLR(startFactor, 1, steps), inner],
 * milestones=[steps])): for epoch < steps, lr = base · (startFactor + (1 − startFactor) · epoch/steps);
 * from epoch `steps` on, lr = inner.lrAt(epoch − steps) — the inner schedule starts at its own epoch 0.
 * Metrics given to step() are passed on to the inner schedule.
 */
export function warmup(inner: Scheduler, opts: { steps: number; startFactor?: number }): Scheduler {
  if (!inner || typeof inner.lrAt !== 'function') fail('warmup', 'the first argument must be a scheduler (e.g. optim.cosineAnnealing({ tMax: 10 }))');
  checkOptions('optim.warmup', opts, WARMUP_KEYS);
  const { steps, startFactor = 1 / 3 } = opts;
  if (!Number.isInteger(steps) || steps < 0) fail('warmup', `steps must be an integer ≥ 0, got ${steps}`);
  if (!(startFactor >= 0 && startFactor <= 1)) fail('warmup', `startFactor must be in [0, 1], got ${startFactor}`);
  const s: Scheduler = {
    name: `warmup(steps=${steps}, startFactor=${+startFactor.toFixed(6)}) then ${inner.name}`,
    lrAt(epoch, baseLr) {
      checkCall('warmup', epoch, baseLr);
      if (epoch < steps) return baseLr * (startFactor + ((1 - startFactor) * epoch) / steps);
      return inner.lrAt(epoch - steps, baseLr);
    },
  };
  if (inner.step) s.step = (metric) => inner.step!(metric);
  if (inner.reset) s.reset = () => inner.reset!();
  if (inner.stateDict) s.stateDict = () => inner.stateDict!();
  if (inner.loadStateDict) s.loadStateDict = (state) => inner.loadStateDict!(state);
  return s;
}

export interface PlateauOptions {
  /** 'min': reduce when the metric stops decreasing (a loss); 'max': stops increasing (an accuracy). */
  mode?: 'min' | 'max';
  /** new lr = lr · factor (must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated; the rate drops after patience + 1 bad epochs. */
  patience?: number;
  /** Minimum change that counts as an improvement (see thresholdMode). */
  threshold?: number;
  /** 'rel': better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** Lower bound on the learning rate. */
  minLr?: number;
  /** A reduction smaller than eps is skipped. */
  eps?: number;
}

/** The stateful scheduler returned by reduceOnPlateau (its counters can be inspected). */
export interface PlateauScheduler extends Scheduler {
  step(metric: number): void;
  reset(): void;
  stateDict(): Record<string, number | string>;
  loadStateDict(state: Record<string, number | string>): void;
  /** Best metric seen so far (±Infinity before the first step). */
  readonly best: number;
  readonly badEpochs: number;
  readonly cooldownCounter: number;
  /** Number of times the rate was reduced (the rate from the last base given to lrAt; a reduction skipped by eps is not one). */
  readonly reductions: number;
}

/**
 * torch ReduceLROnPlateau: after each epoch, step(metric) compares the metric with the best so far;
 * after more than `patience` epochs without improvement the rate is multiplied by `factor`
 * (not below minLr), then `cooldown` epochs are ignored. lrAt ignores `epoch`.
 */
export function reduceOnPlateau(opts: PlateauOptions = {}): PlateauScheduler {
  checkOptions('optim.reduceOnPlateau', opts, REDUCE_ON_PLATEAU_KEYS);
  const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = opts;
  if (mode !== 'min' && mode !== 'max') fail('reduceOnPlateau', `mode must be 'min' or 'max', got '${mode}'`);
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') fail('reduceOnPlateau', `thresholdMode must be 'rel' or 'abs', got '${thresholdMode}'`);
  if (!(factor >= 0 && factor < 1)) fail('reduceOnPlateau', `factor must be in [0, 1), got ${factor}`);
  if (!Number.isInteger(patience) || patience < 0) fail('reduceOnPlateau', `patience must be an integer ≥ 0, got ${patience}`);
  if (!Number.isInteger(cooldown) || cooldown < 0) fail('reduceOnPlateau', `cooldown must be an integer ≥ 0, got ${cooldown}`);
  if (!(threshold >= 0) || !Number.isFinite(threshold)) fail('reduceOnPlateau', `threshold must be a finite number ≥ 0, got ${threshold}`);
  if (!(minLr >= 0) || !Number.isFinite(minLr)) fail('reduceOnPlateau', `minLr must be a finite number ≥ 0, got ${minLr}`);
  if (!(eps >= 0) || !Number.isFinite(eps)) fail('reduceOnPlateau', `eps must be a finite number ≥ 0, got ${eps}`);

  const worst = mode === 'min' ? Infinity : -Infinity;
  let best = worst;
  let badEpochs = 0;
  let cooldownCounter = 0;
  // The times the rate was due for a reduction (torch calls _reduce_lr), whether or not a group's rate
  // then moved: each group's rate replays them from its own base (replay), so the eps check is per
  // group as in torch. (Counting only the reductions of the last base seen, as before, let a group
  // with a tiny rate, skipped by eps, stop the reductions of every group: torch reduces
  // groups [0.5, 2e-8] to [0.25, 2e-8] where that gave [0.5, 2e-8].)
  let triggers = 0;
  let lastBase: number | undefined;

  const isBetter = (a: number): boolean => {
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  };
  // A group's rate and the reductions that moved it, after `triggers` calls of torch's _reduce_lr
  // from base: each new_lr = max(lr·factor, minLr), kept only if lr − new_lr > eps.
  const replay = (base: number): { lr: number; applied: number } => {
    let lr = base;
    let applied = 0;
    for (let i = 0; i < triggers; i++) {
      const next = Math.max(lr * factor, minLr);
      if (lr - next > eps) {
        lr = next;
        applied++;
      }
    }
    return { lr, applied };
  };

  return {
    name: `reduceOnPlateau(mode=${mode}, factor=${factor}, patience=${patience}, threshold=${threshold}, thresholdMode=${thresholdMode}, cooldown=${cooldown}, minLr=${minLr})`,
    lrAt(epoch, baseLr) {
      checkCall('reduceOnPlateau', epoch, baseLr);
      lastBase = baseLr;
      return replay(baseLr).lr;
    },
    step(metric: number) {
      if (typeof metric !== 'number') fail('reduceOnPlateau.step', `metric must be a number, got ${typeof metric}`);
      if (isBetter(metric)) {
        best = metric;
        badEpochs = 0;
      } else {
        badEpochs++;
      }
      if (cooldownCounter > 0) {
        cooldownCounter--;
        badEpochs = 0; // bad epochs during cooldown do not count
      }
      if (badEpochs > patience) {
        triggers++;
        cooldownCounter = cooldown;
        badEpochs = 0;
      }
    },
    reset() {
      best = worst;
      badEpochs = 0;
      cooldownCounter = 0;
      triggers = 0;
    },
    // ±Infinity (no metric seen yet) is kept as a string: JSON has no infinities. `reductions` holds
    // the reductions due (each group's rate is replayed from them).
    stateDict() {
      const st: Record<string, number | string> = {
        best: Number.isFinite(best) ? best : String(best), badEpochs, cooldownCounter, reductions: triggers,
      };
      if (lastBase !== undefined) st.lastBase = lastBase;
      return st;
    },
    loadStateDict(st) {
      const num = (k: string, v: unknown): number => {
        const x = typeof v === 'string' ? Number(v) : v;
        if (typeof x !== 'number' || Number.isNaN(x)) fail('reduceOnPlateau.loadStateDict', `${k} must be a number, got ${JSON.stringify(v)}`);
        return x;
      };
      best = num('best', st.best);
      badEpochs = num('badEpochs', st.badEpochs);
      cooldownCounter = num('cooldownCounter', st.cooldownCounter);
      triggers = num('reductions', st.reductions);
      lastBase = st.lastBase === undefined ? undefined : num('lastBase', st.lastBase);
    },
    get best() {
      return best;
    },
    get badEpochs() {
      return badEpochs;
    },
    get cooldownCounter() {
      return cooldownCounter;
    },
    // The reductions applied to the rate of the last base seen (all those due before any lrAt).
    get reductions() {
      return lastBase === undefined ? triggers : replay(lastBase).applied;
    },
  };
}

/** The rates of a (metric-free) schedule for epochs 0 … epochs−1: for plots and reports. */
export function lrCurve(scheduler: Scheduler, epochs: number, baseLr = 1): number[] {
  if (!Number.isInteger(epochs) || epochs < 0) fail('lrCurve', `epochs must be an integer ≥ 0, got ${epochs}`);
  return Array.from({ length: epochs }, (_, e) => scheduler.lrAt(e, baseLr));
}
