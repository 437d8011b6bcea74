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

// ---- More torch schedules: CosineAnnealingWarmRestarts, PolynomialLR, ConstantLR, LambdaLR, MultiplicativeLR ----
// Checked against torch 1.13 over 50 steps and at fractional epochs in kernels-test/node/schedulers-extra.test.ts
// (fixtures: kernels-test/fixtures/schedulers-extra/make.py). OneCycleLR and CyclicLR are not here: torch
// cycles the optimizer's momentum with them by default (cycle_momentum=True), and a Scheduler schedules
// only the learning rate.

export const COSINE_WARM_RESTARTS_KEYS = keysOf<Opts<typeof cosineAnnealingWarmRestarts, 0>>({ t0: 1, tMult: 1, etaMin: 1 });
export const POLYNOMIAL_LR_KEYS = keysOf<Opts<typeof polynomialLR, 0>>({ totalIters: 1, power: 1 });
export const CONSTANT_LR_KEYS = keysOf<Opts<typeof constantLR, 0>>({ factor: 1, totalIters: 1 });

/** A value as an error message shows it: numbers as they print, anything else as JSON ('3' → "3"). */
const shown = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'function' ? 'a function' : JSON.stringify(v) ?? String(v));

/**
 * torch CosineAnnealingWarmRestarts (SGDR, Loshchilov & Hutter 2017): cosine annealing from base to ηmin
 * over a cycle of T_i epochs, then a restart at base; the first cycle is t0 epochs, each next one tMult
 * times longer (T_i = t0 · tMult^i). With T_cur the epochs since the last restart:
 *   lr = ηmin + (base − ηmin) · (1 + cos(π · T_cur / T_i)) / 2.
 * A fractional epoch (per-step use) is placed in its cycle as torch's step(epoch) with a float epoch does:
 * T_cur is fractional, so the rate falls smoothly within a cycle and jumps back to base at each restart.
 * At whole epochs it is the rate torch gives after that many step() calls. (torch's step(epoch) finds the
 * cycle with int(math.log(...)) for tMult > 1, which can land one cycle short exactly at a restart, e.g.
 * t0 1, tMult 10, epoch 111 gives ηmin where step() gives base; the cycle is found exactly here.)
 */
export function cosineAnnealingWarmRestarts(opts: { t0: number; tMult?: number; etaMin?: number }): Scheduler {
  checkOptions('optim.cosineAnnealingWarmRestarts', opts, COSINE_WARM_RESTARTS_KEYS);
  const { t0, tMult = 1, etaMin = 0 } = opts ?? ({} as { t0: number });
  if (!Number.isInteger(t0) || t0 < 1) fail('cosineAnnealingWarmRestarts', `t0 (torch's T_0, the first cycle's epochs) must be a positive integer, got ${shown(t0)}`);
  if (!Number.isInteger(tMult) || tMult < 1) fail('cosineAnnealingWarmRestarts', `tMult (torch's T_mult) must be an integer ≥ 1, got ${shown(tMult)}`);
  if (typeof etaMin !== 'number' || !(etaMin >= 0) || !Number.isFinite(etaMin)) fail('cosineAnnealingWarmRestarts', `etaMin must be a finite number ≥ 0, got ${shown(etaMin)}`);
  return {
    name: `cosineAnnealingWarmRestarts(t0=${t0}, tMult=${tMult}, etaMin=${etaMin})`,
    lrAt(epoch, baseLr) {
      checkCall('cosineAnnealingWarmRestarts', epoch, baseLr);
      let tCur: number;
      let tI = t0;
      if (tMult === 1) {
        tCur = epoch % t0;
      } else {
        // Walk the cycles (their number grows as log(epoch), so this is a few iterations).
        let start = 0;
        while (epoch >= start + tI) {
          start += tI;
          tI *= tMult;
        }
        tCur = epoch - start;
      }
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
    },
  };
}

/**
 * torch PolynomialLR: lr = base · (1 − min(epoch, totalIters) / totalIters)^power, reaching 0 at epoch
 * totalIters and staying there. Continuous (a fractional epoch is evaluated at that point, as torch's
 * closed form). totalIters 0 keeps the base rate, as torch's step() does (its closed form divides by 0).
 */
export function polynomialLR(opts: { totalIters?: number; power?: number } = {}): Scheduler {
  checkOptions('optim.polynomialLR', opts, POLYNOMIAL_LR_KEYS);
  const { totalIters = 5, power = 1 } = opts ?? {};
  if (!Number.isInteger(totalIters) || totalIters < 0) fail('polynomialLR', `totalIters must be an integer ≥ 0, got ${shown(totalIters)}`);
  if (typeof power !== 'number' || !(power >= 0) || !Number.isFinite(power)) fail('polynomialLR', `power must be a finite number ≥ 0, got ${shown(power)}`);
  return {
    name: `polynomialLR(totalIters=${totalIters}, power=${power})`,
    lrAt(epoch, baseLr) {
      checkCall('polynomialLR', epoch, baseLr);
      if (totalIters === 0) return baseLr;
      return baseLr * (1 - Math.min(totalIters, epoch) / totalIters) ** power;
    },
  };
}

/**
 * torch ConstantLR: lr = base · factor for epoch < totalIters, then base. Step-wise: a fractional epoch
 * keeps the factor until totalIters is reached. factor must be in (0, 1] and totalIters ≥ 1: torch's step()
 * divides by factor at totalIters (factor 0 raises ZeroDivisionError there), and with total_iters 0 its
 * step() keeps the factor forever while its closed form gives base.
 */
export function constantLR(opts: { factor?: number; totalIters?: number } = {}): Scheduler {
  checkOptions('optim.constantLR', opts, CONSTANT_LR_KEYS);
  const { factor = 1 / 3, totalIters = 5 } = opts ?? {};
  if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) fail('constantLR', `factor must be a number in (0, 1], got ${shown(factor)}`);
  if (!Number.isInteger(totalIters) || totalIters < 1) fail('constantLR', `totalIters must be a positive integer, got ${shown(totalIters)}`);
  return {
    name: `constantLR(factor=${+factor.toFixed(6)}, totalIters=${totalIters})`,
    lrAt(epoch, baseLr) {
      checkCall('constantLR', epoch, baseLr);
      return epoch >= totalIters ? baseLr : baseLr * factor;
    },
  };
}

function checkFn(where: string, fn: unknown): asserts fn is (epoch: number) => number {
  if (typeof fn !== 'function') fail(where, `fn must be a function (epoch) => factor (torch's lr_lambda), got ${shown(fn)}`);
}

function factorOf(where: string, fn: (epoch: number) => number, epoch: number): number {
  const f = fn(epoch);
  if (typeof f !== 'number' || !(f >= 0) || !Number.isFinite(f)) fail(where, `fn(${epoch}) must return a finite number ≥ 0, got ${shown(f)}`);
  return f;
}

/**
 * torch LambdaLR: lr = base · fn(epoch). fn is called with the epoch given to lrAt, so with per-step use
 * (a fractional epoch) it sees fractional epochs, as torch's step(epoch) with a float epoch passes them on.
 * fn must return a finite factor ≥ 0. (torch's list of functions, one per parameter group, has no
 * equivalent: each group's rate is its own base · fn(epoch).)
 */
export function lambdaLR(fn: (epoch: number) => number): Scheduler {
  checkFn('lambdaLR', fn);
  return {
    name: `lambdaLR(${fn.name || 'fn'})`,
    lrAt(epoch, baseLr) {
      checkCall('lambdaLR', epoch, baseLr);
      return baseLr * factorOf('lambdaLR', fn, epoch);
    },
  };
}

/**
 * torch MultiplicativeLR: each step multiplies the rate by fn(epoch), so at whole epoch e
 *   lr = base · fn(1) · fn(2) · … · fn(e)   (epoch 0: base; fn(0) is never called, as in torch).
 * Step-wise: a fractional epoch gives the rate of its whole epoch ⌊epoch⌋ (torch's step(epoch) with a
 * float would multiply the current rate by fn(float), a value that depends on the calls before it).
 * fn is called once per whole epoch, in order, and the factors are kept (fn should be a pure function of
 * the epoch, as it is for torch, which calls it once per step()); it must return a finite factor ≥ 0.
 */
export function multiplicativeLR(fn: (epoch: number) => number): Scheduler {
  checkFn('multiplicativeLR', fn);
  // factors[k] = fn(k + 1), each asked once. The rate is multiplied left to right from the base rate, as
  // torch's successive steps do (((base · fn(1)) · fn(2)) · …); the last rate of each base rate is kept so
  // that a counter moving forwards (per-step use) costs one multiplication per new epoch.
  const factors: number[] = [];
  const last = new Map<number, { e: number; lr: number }>();
  return {
    name: `multiplicativeLR(${fn.name || 'fn'})`,
    lrAt(epoch, baseLr) {
      checkCall('multiplicativeLR', epoch, baseLr);
      const e = Math.floor(epoch);
      while (factors.length < e) factors.push(factorOf('multiplicativeLR', fn, factors.length + 1));
      const from = last.get(baseLr);
      let k = from && from.e <= e ? from.e : 0;
      let lr = from && from.e <= e ? from.lr : baseLr;
      for (; k < e; k++) lr *= factors[k];
      last.set(baseLr, { e, lr });
      return lr;
    },
  };
}
