// sg.train.fit and evaluate: the training loop of the course, on compiled plans.
//
//   - the training and validation sets live on the GPU; a step uploads only its batch's indices;
//   - one compiled plan per batch size runs forward + loss + backward + optimizer in one submit;
//   - losses and accuracies come back through the plan's staging ring, read every `readEvery` steps;
//   - validation runs an evaluation plan (model.eval(): dropout off, batch norm running statistics);
//   - early stopping (patience, minDelta, restore best), LR schedules per epoch, seeds, callbacks,
//     and the course's diagnosis checks (initial loss ≈ log C; overfitBatch);
//   - stopping and pausing from outside: an AbortSignal, a FitController (pause / resume / stop) and
//     the module's `stopTraining` flag, each honoured after the step in flight.

import { Module } from '../nn/module.js';
import { compile, type CompileOptions } from '../graph/compile.js';
import type { ScalerState } from '../graph/amp.js';
import { NonFiniteError, type Plan } from '../graph/plan.js';
import { fromStorage, realise, tensor, type Tensor } from '../tensor/tensor.js';
import { assignAll } from '../tensor/assign.js';
import { copy } from '../ops/elementwise.js';
import { zerosLike } from '../ops/creation.js';
import { indexSelect } from '../ops/index-ops.js';
import { argmax } from '../ops/reduce.js';
import { lossByName, type LossName } from './losses.js';
import { epochBatches, GpuDataset } from './loader.js';
import type { AnyDataset } from '../data/datasets.js';
import { trainValTestSplit } from '../data/split.js';
import { confusionMatrix, precision, recall, f1 } from '../metrics/classification.js';
import { averagePrecision, precisionRecallCurve, rocAuc, rocCurve, type PrecisionRecallCurve, type RocCurve } from '../metrics/curves.js';
import { softmax } from '../ops/softmax.js';
import type { Optimizer } from '../optim/optimizers.js';
import { manualSeed } from '../util/random.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { load as loadModel, saveWithState } from '../io/model.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { sgError } from '../util/errors.js';
import { gpu } from '../gpu/device.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const FIT_KEYS = keysOf<FitOptions>({
    data: 1, validationData: 1, validationSplit: 1, loss: 1, optimizer: 1, epochs: 1, batchSize: 1, shuffle: 1, dropLast: 1,
    earlyStopping: 1, metrics: 1, seed: 1, augment: 1, readEvery: 1, onStepEnd: 1, onEpochEnd: 1, onWarning: 1,
    checkpoint: 1, resumeFrom: 1, diagnose: 1, accumulate: 1, signal: 1, control: 1, onReadBack: 1, tune: 1, tuneBudgetMs: 1, precision: 1, scaler: 1,
  });
export const EARLY_STOPPING_KEYS = keysOf<EarlyStopping>({ patience: 1, minDelta: 1, monitor: 1, restoreBest: 1 });
export const EVALUATE_KEYS = keysOf<EvaluateOptions>({ loss: 1, batchSize: 1, metrics: 1, resident: 1 });
export const OVERFIT_BATCH_KEYS = keysOf<Opts<typeof overfitBatch, 2>>({ loss: 1, optimizer: 1, batchSize: 1, steps: 1 });

export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1';

export interface EarlyStopping {
  patience: number;
  minDelta?: number;
  /** Default: 'valLoss' when there is validation data, else 'trainLoss'. */
  monitor?: 'valLoss' | 'valAccuracy' | 'trainLoss';
  /** Put back the weights of the best epoch at the end (default true). */
  restoreBest?: boolean;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valPrecision?: number;
  valRecall?: number;
  valF1?: number;
  lr: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface StepInfo {
  epoch: number;
  step: number;
  /**
   * The step's loss when the caller has it. fit's onStepEnd leaves it undefined: a step's loss is read
   * back later, without waiting on the GPU — onReadBack delivers it.
   */
  loss?: number;
}

/** Why fit returned: every epoch ran, early stopping, `model.stopTraining`, or an abort (signal / control.stop()). */
export type StopReason = 'completed' | 'earlyStopping' | 'stopTraining' | 'aborted';

/**
 * Pause, resume and stop a running fit from outside it (a button, a worker message):
 *
 *   const ctl = new sg.train.FitController();
 *   const run = sg.train.fit(model, { ..., control: ctl });
 *   await ctl.pause();   // resolves once fit has parked: after the step in flight, its losses read back
 *   ctl.resume();
 *   ctl.stop();          // = aborting ctl.signal: fit resolves with the history so far
 *
 * fit checks the controller after every step (yielding to the event loop first, so a click or a
 * message is seen within one step) and between epochs. A stopped controller stays stopped: a new run
 * takes a new controller. One controller may drive one fit at a time.
 */
export class FitController {
  private readonly abort = new AbortController();
  private requested = false;
  private isParked = false;
  private running = 0;
  private wake: (() => void) | undefined;
  private parkedWaiters: (() => void)[] = [];
  private readonly listeners = new Set<(e: FitControlEvent) => void>();

  /** Aborted by stop(); also accepted wherever an AbortSignal is (fit's own `signal`, fetch, …). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }
  /** A pause was requested and not yet resumed. */
  get paused(): boolean {
    return this.requested;
  }
  /** The fit is parked now (waiting for resume() or stop()). */
  get parked(): boolean {
    return this.isParked;
  }
  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Ask the running fit to pause after the step in flight. Resolves once it is parked (every submitted
   * step finished and its loss read back), or at once when no fit runs with this controller (a fit
   * started later parks before its first step), or when fit ends instead (stop, error, last step).
   */
  pause(): Promise<void> {
    this.requested = true;
    if (this.isParked || this.running === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.parkedWaiters.push(resolve));
  }

  /** Let a paused fit go on (a no-op when not paused). */
  resume(): void {
    this.requested = false;
    this.wake?.();
  }

  /** End the fit after the step in flight; it resolves with the history so far (stopReason 'aborted'). */
  stop(reason?: unknown): void {
    this.requested = false;
    if (!this.stopped) this.abort.abort(reason ?? new DOMException('fit stopped by FitController.stop()', 'AbortError'));
    this.wake?.();
    this.releaseWaiters();
  }

  /** Follow the run: 'paused' (with where), 'resumed'. Returns a function that unsubscribes. */
  subscribe(listener: (e: FitControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal fit registers itself for its duration. */
  attach(): () => void {
    if (this.running > 0) throw sgError('fit: this FitController already drives a running fit (one controller per fit; make another)');
    this.running++;
    return () => {
      this.running--;
      this.releaseWaiters();
    };
  }

  /** @internal Park until resume() or an abort of `signal` (fit's own) or of this controller. */
  async park(at: { epoch: number; step: number }, signal?: AbortSignal): Promise<void> {
    if (!this.requested || this.stopped || signal?.aborted) return;
    this.isParked = true;
    this.emit({ type: 'paused', ...at });
    this.releaseWaiters();
    const onAbort = () => this.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (this.requested && !this.stopped && !signal?.aborted) await new Promise<void>((r) => (this.wake = r));
    } finally {
      this.wake = undefined;
      this.isParked = false;
      signal?.removeEventListener('abort', onAbort);
    }
    if (!this.stopped && !signal?.aborted) this.emit({ type: 'resumed', ...at });
  }

  private emit(e: FitControlEvent): void {
    for (const l of this.listeners) l(e);
  }

  private releaseWaiters(): void {
    const w = this.parkedWaiters;
    this.parkedWaiters = [];
    w.forEach((r) => r());
  }
}

/** What a FitController reports: fit parked after step `step` of `epoch` (step 0: before the epoch's first step), or went on. */
export interface FitControlEvent {
  type: 'paused' | 'resumed';
  epoch: number;
  step: number;
}

/** Let the event loop run (messages, clicks, timers) between two steps: a macrotask, not a microtask. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; scheduler?: { yield?: () => Promise<void> } };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  if (typeof g.scheduler?.yield === 'function') return g.scheduler.yield();
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(null);
  });
}

/** A loss for fit / evaluate: (output, target, input) → a scalar tensor. */
export type LossFunction = (output: Tensor, target: Tensor, input: Tensor) => Tensor;

export interface FitOptions {
  /** The training set (or a promise of one, e.g. sg.data.mnist()); x f32, or i32 token ids (data.text). */
  data: AnyDataset | Promise<AnyDataset>;
  /** Validation data; or carve it out of `data` with validationSplit (stratified for classes). */
  validationData?: AnyDataset;
  validationSplit?: number;
  /**
   * A loss by name, or a function of the model's output, the batch's targets and its inputs (after
   * `augment`): the inputs let a loss run another model on the same batch (a teacher, for
   * sg.train.distillationLoss).
   */
  loss: LossName | LossFunction;
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  shuffle?: boolean;
  dropLast?: boolean;
  earlyStopping?: EarlyStopping;
  metrics?: MetricName[];
  /** Seed for shuffling and the split (and sg.manualSeed if `seedAll`). */
  seed?: number;
  /** GPU augmentation applied to each training batch inside the plan. */
  augment?: (x: Tensor) => Tensor;
  /** Read losses back every N steps (default 1: every loss is recorded). */
  readEvery?: number;
  /**
   * Gradient accumulation: `batchSize` is a micro-batch and the optimizer steps once every
   * `accumulate` micro-batches with their mean gradient (one batch `accumulate` times larger). Only
   * full micro-batches are used (dropLast); a group left open at the end of an epoch continues into
   * the next, one left at the end of training is not applied (a warning says so). Default 1.
   */
  accumulate?: number;
  onStepEnd?: (s: StepInfo) => void;
  onEpochEnd?: (r: EpochRecord, history: EpochRecord[]) => void | Promise<void>;
  /** Warnings from the diagnosis checks (default: console.warn). */
  onWarning?: (message: string) => void;
  /**
   * Write a checkpoint to this path after every epoch (atomically, sg.save's format): the model, the
   * optimizer's state (moments, step count, schedule position, plateau counters) and fit's position
   * (epoch, history, early-stopping state and best weights). `resumeFrom` continues from it.
   */
  checkpoint?: string;
  /**
   * Continue the run saved in this checkpoint (a path, or the file's bytes) written by `checkpoint`:
   * model, optimizer and fit's position are restored, and training goes on with epoch (saved + 1)
   * up to `epochs` (the total, as in the first call). The result equals an uninterrupted run's
   * within f32 rounding; the returned history holds every epoch, its `steps` only the new ones.
   */
  resumeFrom?: string | Uint8Array;
  /**
   * Name the op behind a NaN/Inf loss (default true): fit keeps a GPU copy of the weights and the
   * optimizer state at the start of each read-back window (every 32 read steps and every epoch), and
   * on a non-finite loss replays the window's steps from that copy, checking every intermediate of
   * each batch before its update. The model is left with the weights from before the failing step.
   */
  diagnose?: boolean;
  /**
   * Abort training: fit ends after the step in flight (within one step), reads back the losses of
   * the steps run and resolves with the history so far (`stopReason: 'aborted'`, `stoppedAt`). An
   * already-aborted signal returns at once, before any work. With a signal or a control, fit yields
   * to the event loop after every step so that the abort is seen.
   */
  signal?: AbortSignal;
  /** Pause, resume and stop from outside (see FitController); its stop() aborts like `signal`. */
  control?: FitController;
  /**
   * Called with the per-step losses just read back (every 32 read steps, at the end of an epoch and
   * before a pause or a stop) — for live charts; the same records go to `history.steps`.
   */
  onReadBack?: (steps: { epoch: number; step: number; loss: number }[]) => void;
  /** Kernel choice of the training step's plan: compile's `tune` (README, "Kernel choice: autotune"). */
  tune?: CompileOptions['tune'];
  /** compile's `tuneBudgetMs` for the training step. */
  tuneBudgetMs?: number;
  /**
   * compile's `precision` for the training step: 'mixed' stores activations and their gradients as f16
   * with loss scaling (README, "Mixed precision"); parameters, optimizer state and evaluation stay f32.
   */
  precision?: CompileOptions['precision'];
  /** compile's `scaler` (torch.cuda.amp.GradScaler's options) with precision: 'mixed'. */
  scaler?: CompileOptions['scaler'];
}

export interface History {
  epochs: EpochRecord[];
  stoppedEarly: boolean;
  /**
   * Why fit returned: 'completed' (every epoch ran), 'earlyStopping', 'stopTraining' (a callback set
   * `model.stopTraining = true`) or 'aborted' (`signal` aborted, or `control.stop()`). After a stop
   * mid-epoch, `epochs` holds the completed epochs only (no partial record, no validation, no
   * checkpoint of the partial epoch: a `checkpoint` file stays at the last completed epoch) while the
   * model keeps the weights of the last step run and `steps` its read-back losses; early stopping's
   * best weights are restored only when early stopping ended the run.
   */
  stopReason: StopReason;
  /** Where a stop (abort or stopTraining) ended the run: after step `step` of `epoch` (step 0: before its first step). */
  stoppedAt?: { epoch: number; step: number };
  bestEpoch: number;
  /** Per-step losses that were read back; `step` counts from 1 within its epoch (onStepEnd's `step`). */
  steps: { epoch: number; step: number; loss: number }[];
  warnings: string[];
  /** precision: 'mixed': the loss scaler at the end (scale, steps skipped on overflow, ...). */
  scaler?: ScalerState;
}

interface Task {
  classification: boolean;
  numClasses: number;
}

function taskOf(ds: AnyDataset, loss: FitOptions['loss']): Task {
  const classification = ds.y instanceof Int32Array && (loss === 'crossEntropy' || typeof loss === 'function');
  return { classification, numClasses: ds.numClasses ?? 0 };
}

function checkInput(model: Module, ds: AnyDataset): void {
  if (!(model instanceof Module)) throw sgError('fit: `model` must be an sg.nn module');
  if (!ds || !(ds.x instanceof Float32Array || ds.x instanceof Int32Array)) throw sgError('fit: `data` must be a dataset (sg.data.fromArrays, sg.data.mnist, ...)');
  if (ds.length === 0) throw sgError('fit: the training set is empty');
}

/** Train `model`. Returns the per-epoch history. */
export async function fit(model: Module, options: FitOptions): Promise<History> {
  checkOptions('train.fit', options, FIT_KEYS);
  checkOptions('train.fit: earlyStopping', options.earlyStopping, EARLY_STOPPING_KEYS);
  if (options.control !== undefined && !(options.control instanceof FitController)) throw sgError('fit: `control` must be an sg.train.FitController');
  if (options.signal !== undefined && (typeof options.signal !== 'object' || typeof options.signal?.aborted !== 'boolean')) throw sgError('fit: `signal` must be an AbortSignal');
  const ctl = options.control;
  const aborted = () => !!(options.signal?.aborted || ctl?.stopped);
  const history: History = { epochs: [], stoppedEarly: false, stopReason: 'completed', bestEpoch: 0, steps: [], warnings: [] };
  const abortedBeforeStart = (): History => ({ ...history, stopReason: 'aborted', stoppedAt: { epoch: 1, step: 0 } });
  if (aborted()) return abortedBeforeStart();
  const opts = { ...options, data: await options.data };
  if (aborted()) return abortedBeforeStart();
  checkInput(model, opts.data);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw sgError(`fit: epochs must be a positive integer, got ${opts.epochs}`);
  if (opts.seed !== undefined) manualSeed(opts.seed);
  let trainSet = opts.data;
  let valSet = opts.validationData;
  if (!valSet && opts.validationSplit) {
    if (!(opts.validationSplit > 0 && opts.validationSplit < 1)) throw sgError(`fit: validationSplit must be in (0, 1), got ${opts.validationSplit}`);
    const split = trainValTestSplit(opts.data, { val: opts.validationSplit, test: 0, seed: opts.seed ?? 0, stratify: opts.data.y instanceof Int32Array && opts.data.yShape.length === 0 });
    trainSet = split.train;
    valSet = split.val;
  }
  const task = taskOf(trainSet, opts.loss);
  const lossFn = typeof opts.loss === 'function' ? opts.loss : lossByName(opts.loss);
  const warn = (m: string) => {
    history.warnings.push(m);
    (opts.onWarning ?? console.warn)(`shadergrad: ${m}`);
  };
  const train = new GpuDataset(trainSet, 'train');
  const val = valSet ? new GpuDataset(valSet, 'validation') : undefined;
  const readEvery = Math.max(1, opts.readEvery ?? 1);
  const plans = new Map<number, Plan>();
  const optimizer = opts.optimizer;
  const accumulate = opts.accumulate ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw sgError(`fit: accumulate must be an integer ≥ 1, got ${String(opts.accumulate)}`);

  const trainPlan = async (batch: number): Promise<Plan> => {
    let p = plans.get(batch);
    if (!p) {
      model.train();
      p = await compile((idx) => {
        let xb = indexSelect(train.x, 0, idx);
        if (opts.augment) xb = opts.augment(xb);
        const yb = indexSelect(train.y, 0, idx);
        const out = model.forward(xb);
        const res: Record<string, Tensor> = { loss: lossFn(out, yb, xb) };
        if (task.classification) res.pred = argmax(out, 1);
        return res;
      }, {
        inputs: [{ shape: [batch], dtype: 'i32', name: 'batch indices' }], params: optimizer.params, optimizer,
        readEvery, label: `train step (batch ${batch})`, accumulate, tune: opts.tune, tuneBudgetMs: opts.tuneBudgetMs,
        precision: opts.precision, scaler: opts.scaler,
      });
      plans.set(batch, p);
    }
    return p;
  };

  let best = Infinity;
  let bestSnapshot: Tensor[] | undefined;
  let sinceBest = 0;
  const es = opts.earlyStopping;
  const monitor = es?.monitor ?? (val ? 'valLoss' : 'trainLoss');
  const sign = monitor === 'valAccuracy' ? -1 : 1;
  let firstEpoch = 1;

  // NaN diagnosis: the weights, buffers and optimizer state at the start of the current read-back
  // window (GPU copies), and every step run since.
  const diagnose = opts.diagnose ?? true;
  let snapshot: { model: Record<string, Tensor>; state: Tensor[]; step: number } | undefined;
  let window: { plan: Plan; idx: Int32Array; run: number }[] = [];
  let runs = 0;
  const stateViews = () => {
    const st = optimizer.state;
    return st.arenas().map((a) => fromStorage(a.retain(), [st.size], 'f32'));
  };
  const dropSnapshot = () => {
    if (snapshot) [...Object.values(snapshot.model), ...snapshot.state].forEach((t) => t.dispose());
    snapshot = undefined;
  };
  const takeSnapshot = async () => {
    dropSnapshot();
    const views = stateViews();
    // f32 entries by the copy kernel; an i32 buffer (batch norm's num_batches_tracked) by a buffer copy.
    const exact: [Tensor, Tensor][] = [];
    const model0 = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => {
      if (t.dtype === 'f32') return [k, copy(t)];
      const c = zerosLike(t);
      exact.push([c, t]);
      return [k, c];
    }));
    const state0 = views.map((v) => copy(v));
    await Promise.all([realise(...Object.values(model0), ...state0), assignAll(exact)]);
    views.forEach((v) => v.dispose());
    snapshot = { model: model0, state: state0, step: optimizer.state.step };
    window = [];
  };
  const restoreSnapshot = async () => {
    const s = snapshot!;
    const own = model.stateDict();
    const views = stateViews();
    try {
      await assignAll([...Object.entries(s.model).map(([k, t]) => [own[k], t] as [Tensor, Tensor]), ...views.map((v, k) => [v, s.state[k]] as [Tensor, Tensor])]);
    } finally {
      views.forEach((v) => v.dispose());
    }
    optimizer.state.step = s.step;
  };

  // Resume: model, optimizer (moments, step count, schedule) and fit's own position.
  if (opts.resumeFrom !== undefined) {
    const ck = await loadCheckpoint(opts.resumeFrom);
    const saved = ck.metadata.fit as FitPosition | undefined;
    if (!saved || typeof saved.epoch !== 'number') {
      throw sgError('fit: resumeFrom: the checkpoint holds no fit position (write it with fit({ checkpoint }); sg.load restores a model saved with sg.save)');
    }
    await loadModel(model, opts.resumeFrom, { optimizer });
    firstEpoch = saved.epoch + 1;
    history.epochs.push(...saved.history);
    history.bestEpoch = saved.bestEpoch;
    history.stoppedEarly = saved.stoppedEarly;
    if (saved.stoppedEarly) history.stopReason = 'earlyStopping';
    history.warnings.push(...saved.warnings);
    best = Number(saved.best);
    sinceBest = saved.sinceBest;
    const bestKeys = optimizer.params.map((_, i) => `fit.best.${i}`);
    if (bestKeys.every((k) => ck.tensors[k])) bestSnapshot = bestKeys.map((k) => tensor(ck.tensors[k].data, ck.tensors[k].shape));
  }
  const saveCheckpointNow = async (epoch: number) => {
    const position: FitPosition = {
      epoch, epochs: opts.epochs, history: history.epochs, bestEpoch: history.bestEpoch, best: Number.isFinite(best) ? best : String(best),
      sinceBest, stoppedEarly: history.stoppedEarly, warnings: history.warnings,
    };
    const extra = Object.fromEntries((bestSnapshot ?? []).map((t, i) => [`fit.best.${i}`, t]));
    await saveWithState(model, opts.checkpoint!, { optimizer, metadata: { fit: position } }, extra);
  };

  // Stops from outside: the abort signals, model.stopTraining (reset now, set by a callback), pause.
  model.stopTraining = false;
  const detach = ctl?.attach();
  const yieldEachStep = !!(opts.signal || ctl);
  const inFlight: Promise<unknown>[] = [];
  let stop: 'stopTraining' | 'aborted' | undefined;
  const stopRequested = () => (aborted() ? 'aborted' : model.stopTraining ? 'stopTraining' : undefined);
  /** After a step or an epoch: see a stop, or park on a pause (after `settle`: reading back what ran). */
  const interrupt = async (at: { epoch: number; step: number }, settle: () => Promise<void>): Promise<boolean> => {
    if (yieldEachStep) await yieldToEventLoop();
    stop = stopRequested();
    if (!stop && ctl?.paused) {
      await settle();
      await ctl.park(at, opts.signal);
      stop = stopRequested();
    }
    if (stop) {
      await settle();
      history.stopReason = stop;
      history.stoppedAt = at;
    }
    return stop !== undefined;
  };

  try {
    for (let epoch = firstEpoch; epoch <= opts.epochs && !history.stoppedEarly && !stop; epoch++) {
      if (await interrupt({ epoch, step: 0 }, async () => undefined)) break;
      optimizer.setEpoch(epoch - 1);
      const lr = optimizer.currentLr();
      const t0 = performance.now();
      // With accumulation every micro-batch is full, so that one plan (one accumulator) serves them all.
      const dropLast = opts.dropLast || accumulate > 1;
      const batches = epochBatches(train.length, { batchSize: opts.batchSize, shuffle: opts.shuffle, dropLast, seed: opts.seed }, epoch);
      let lossSum = 0;
      let lossCount = 0;
      let correct = 0;
      let seen = 0;
      let step = 0;
      // `step` finds the plan's record (plan.step, counted per plan); `epochStep` is the step's number in its
      // epoch (1-based, onStepEnd's `step`), the one history.steps and onReadBack report.
      const pendingPreds: { plan: Plan; idx: Int32Array; step: number; epochStep: number; run: number }[] = [];
      const drain = async () => {
        for (const plan of new Set(pendingPreds.map((p) => p.plan))) await plan.flush();
        const read: { epoch: number; step: number; loss: number }[] = [];
        for (const p of pendingPreds) {
          const rec = p.plan.history.find((h) => h.step === p.step);
          if (!rec) continue;
          const loss = rec.values.loss[0];
          if (!Number.isFinite(loss)) await diagnoseNonFinite(p.run, loss, epoch, p.epochStep);
          lossSum += loss * p.idx.length;
          lossCount += p.idx.length;
          history.steps.push({ epoch, step: p.epochStep, loss });
          read.push({ epoch, step: p.epochStep, loss });
          if (task.classification && rec.values.pred) {
            const pred = rec.values.pred;
            for (let i = 0; i < p.idx.length; i++) if (pred[i] === trainSet.y[p.idx[i]]) correct++;
            seen += p.idx.length;
          }
        }
        for (const plan of plans.values()) plan.history.length = 0;
        pendingPreds.length = 0;
        if (read.length) opts.onReadBack?.(read);
        // Every step so far gave a finite loss: the next window starts from here.
        if (diagnose && window.length) await takeSnapshot();
        else if (!diagnose) window = [];
      };
      for (const idx of batches) {
        const plan = await trainPlan(idx.length);
        if (diagnose && !snapshot) await takeSnapshot();
        plan.run(idx);
        if (yieldEachStep) {
          // Stoppable: keep at most two steps queued on the GPU, so that a pause or a stop also waits
          // for at most the step in flight (without a control the CPU runs up to a read-back window ahead).
          inFlight.push(gpu().device.queue.onSubmittedWorkDone().catch(() => undefined));
          if (inFlight.length > 2) await inFlight.shift();
        }
        step++;
        runs++;
        window.push({ plan, idx, run: runs });
        if (plan.step % readEvery === 0) pendingPreds.push({ plan, idx, step: plan.step, epochStep: step, run: runs });
        opts.onStepEnd?.({ epoch, step });
        if (pendingPreds.length >= 32) await drain();
        if (await interrupt({ epoch, step }, async () => {
          // Every submitted step done and read: losses recorded, the ring idle, a NaN still named.
          await drain();
          for (const p of plans.values()) await p.flush();
        })) break;
      }
      if (stop) break;
      await drain();
      const seconds = (performance.now() - t0) / 1000;
      const record: EpochRecord = {
        epoch, trainLoss: lossCount ? lossSum / lossCount : NaN, lr, seconds,
        samplesPerSecond: batches.reduce((n, b) => n + b.length, 0) / seconds,
      };
      if (task.classification && seen) record.trainAccuracy = correct / seen;
      if (epoch === 1 && task.classification && task.numClasses > 1 && history.steps.length) {
        const first = history.steps[0].loss;
        const expected = Math.log(task.numClasses);
        if (Math.abs(first - expected) > 0.5 * expected) {
          warn(`initial loss ${first.toFixed(3)} is far from log(${task.numClasses}) = ${expected.toFixed(3)}: check the weight initialisation and the loss (logits, not probabilities)`);
        }
      }
      if (val) {
        const e = await evaluate(model, val.data, { loss: opts.loss, batchSize: opts.batchSize, resident: val, metrics: opts.metrics });
        record.valLoss = e.loss;
        record.valAccuracy = e.accuracy;
        record.valPrecision = e.precision;
        record.valRecall = e.recall;
        record.valF1 = e.f1;
      }
      history.epochs.push(record);
      optimizer.observe(record.valLoss ?? record.trainLoss);
      await opts.onEpochEnd?.(record, history.epochs);
      const metric = monitor === 'valLoss' ? record.valLoss : monitor === 'valAccuracy' ? record.valAccuracy : record.trainLoss;
      if (metric !== undefined && Number.isFinite(metric)) {
        const score = sign * metric;
        if (score < best - (es?.minDelta ?? 0)) {
          best = score;
          history.bestEpoch = epoch;
          sinceBest = 0;
          if (es && (es.restoreBest ?? true)) {
            bestSnapshot?.forEach((t) => t.dispose());
            // Realise the copies now: the plan overwrites the parameters in place on the next step.
            bestSnapshot = optimizer.params.map((p) => copy(p));
            await realise(...bestSnapshot);
          }
        } else if (es && ++sinceBest >= es.patience) {
          history.stoppedEarly = true; // ends the loop, after this epoch's checkpoint
        }
      }
      if (opts.checkpoint) await saveCheckpointNow(epoch);
      if (history.stoppedEarly) history.stopReason = 'earlyStopping';
    }
    // model.stopTraining set by the last epoch's onEpochEnd (a stop the loop did not get to see).
    if (!stop && history.stopReason === 'completed' && model.stopTraining) {
      history.stopReason = 'stopTraining';
      history.stoppedAt = { epoch: (history.epochs.at(-1)?.epoch ?? 0) + 1, step: 0 };
    }
    if (bestSnapshot && history.stoppedEarly) await assignAll(optimizer.params.map((p, i) => [p, bestSnapshot![i]] as [Tensor, Tensor]));
    if (accumulate > 1 && runs % accumulate !== 0) {
      warn(`accumulate: the last ${runs % accumulate} micro-batch(es) did not complete a group of ${accumulate} and were not applied`);
    }
  } finally {
    detach?.();
    bestSnapshot?.forEach((t) => t.dispose());
    dropSnapshot();
    for (const p of plans.values()) p.dispose();
    train.dispose();
    val?.dispose();
    model.train();
  }
  noteScaler();
  return history;

  /** The loss scaler as the newest plan read it (mixed precision). */
  function noteScaler(): void {
    let newest: Plan['scaler'];
    for (const p of plans.values()) {
      const s = p.scaler;
      if (s && (!newest || s.order > newest.order)) newest = s;
    }
    if (newest) {
      const { step: _s, order: _o, ...state } = newest;
      history.scaler = state;
    }
  }

  async function diagnoseNonFinite(failing: number, loss: number, epoch: number, step: number): Promise<never> {
    // Replay in debug mode (every intermediate kept, forward and backward) to name the op that went
    // non-finite. The weights now are already the failing step's result (NaN, typically): replay from
    // the window's snapshot instead, checking each batch before running its update, up to the failing one.
    let where = '';
    try {
      const steps = snapshot ? window.filter((w) => w.run <= failing) : [];
      if (snapshot) await restoreSnapshot();
      const batch = steps.length ? steps[steps.length - 1].idx.length : (window.find((w) => w.run === failing)?.idx.length ?? 1);
      const debugPlan = (n: number) => compile((i) => {
        let xb = indexSelect(train.x, 0, i);
        if (opts.augment) xb = opts.augment(xb);
        return lossFn(model.forward(xb), indexSelect(train.y, 0, i), xb);
      }, { inputs: [{ shape: [n], dtype: 'i32' }], params: optimizer.params, debug: true, label: 'non-finite diagnosis' });
      const dbg = await debugPlan(batch);
      const dbgs = new Map<number, Plan>([[batch, dbg]]);
      try {
        for (const w of steps) {
          let d = dbgs.get(w.idx.length);
          if (!d) {
            d = await debugPlan(w.idx.length);
            dbgs.set(w.idx.length, d);
          }
          d.run(w.idx);
          try {
            await d.checkFinite();
          } catch (e) {
            if (!(e instanceof NonFiniteError)) throw e;
            const at = w.run === failing ? '' : ` (replaying step ${w.run - steps[0].run + 1} of ${steps.length} since the last finite read-back)`;
            where = ` — ${e.message.replace(/^shadergrad: step \d+: /, '')}${at}`;
            break;
          }
          if (w.run < failing) w.plan.run(w.idx); // this batch's update: the next batch sees its weights
        }
        if (!where && !steps.length) {
          // No snapshot (diagnose: false): check the batch with the weights as they are now.
          const w = window.find((x) => x.run === failing);
          if (w) {
            dbg.run(w.idx);
            await dbg.checkFinite().catch((e) => {
              if (!(e instanceof NonFiniteError)) throw e;
              where = ` — ${e.message.replace(/^shadergrad: step \d+: /, '')} (checked with the weights after the failing step)`;
            });
          }
        }
      } finally {
        for (const d of dbgs.values()) d.dispose();
      }
    } catch (e) {
      where = ` (diagnosis failed: ${(e as Error).message})`;
    }
    throw new NonFiniteError(`shadergrad: fit: the loss became ${loss} at epoch ${epoch}, step ${step}${where}. ` +
      'Lower the learning rate, clip gradients, or check the data for NaN/Inf.');
  }
}

/** fit's position in a checkpoint's metadata (`fit`), written by the `checkpoint` option. */
interface FitPosition {
  /** The last epoch completed. */
  epoch: number;
  epochs: number;
  history: EpochRecord[];
  bestEpoch: number;
  /** The early-stopping score of the best epoch ('Infinity' before any). */
  best: number | string;
  sinceBest: number;
  stoppedEarly: boolean;
  warnings: string[];
}

export interface EvaluateOptions {
  loss?: FitOptions['loss'];
  batchSize?: number;
  metrics?: MetricName[];
  /** @internal a dataset already on the GPU */
  resident?: GpuDataset;
}

export interface Evaluation {
  loss?: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  /** Rows: true class, columns: predicted class. */
  confusion?: number[][];
  predictions?: Int32Array;
  /** Classification: softmax of the model's outputs, [N, C] row-major. */
  probabilities?: Float32Array;
  /**
   * Classification: one-vs-rest ROC AUC and average precision (scikit-learn's roc_auc_score /
   * average_precision_score of each class's probability), their macro means, and the curves — over the
   * classes present in the data (scikit-learn refuses a class without samples; here it is left out).
   */
  rocAuc?: number;
  averagePrecision?: number;
  curves?: ClassCurves[];
}

/** One class's one-vs-rest curves (sg.metrics.rocCurve / precisionRecallCurve on its probability). */
export interface ClassCurves {
  class: number;
  roc: RocCurve;
  pr: PrecisionRecallCurve;
  rocAuc: number;
  averagePrecision: number;
}

/** One-vs-rest curves of every class present in `labels`, from probabilities [N, C]. */
export function classCurves(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): ClassCurves[] {
  const n = labels.length;
  const out: ClassCurves[] = [];
  const column = new Float64Array(n);
  const is = new Int32Array(n);
  for (let c = 0; c < classes; c++) {
    let positives = 0;
    for (let i = 0; i < n; i++) {
      column[i] = probabilities[i * classes + c];
      is[i] = labels[i] === c ? 1 : 0;
      positives += is[i];
    }
    if (positives === 0 || positives === n) continue;
    const roc = rocCurve(column, is) as RocCurve;
    out.push({
      class: c, roc, pr: precisionRecallCurve(column, is) as PrecisionRecallCurve,
      rocAuc: rocAuc(column, is) as number, averagePrecision: averagePrecision(column, is) as number,
    });
  }
  return out;
}

/** Evaluate `model` (in eval mode) on a dataset: loss and classification metrics. */
export async function evaluate(model: Module, ds: AnyDataset, opts: EvaluateOptions = {}): Promise<Evaluation> {
  checkOptions('train.evaluate', opts, EVALUATE_KEYS);
  const data = opts.resident ?? new GpuDataset(ds, 'evaluation');
  const batchSize = opts.batchSize ?? 256;
  const lossFn = opts.loss ? (typeof opts.loss === 'function' ? opts.loss : lossByName(opts.loss)) : undefined;
  const classification = ds.y instanceof Int32Array;
  const wasTraining = model.training;
  model.eval();
  const plans = new Map<number, Plan>();
  try {
    const preds = new Int32Array(ds.length);
    let probs: Float32Array | undefined;
    let lossSum = 0;
    const batches = epochBatches(ds.length, { batchSize, shuffle: false }, 0);
    let offset = 0;
    for (const idx of batches) {
      let plan = plans.get(idx.length);
      if (!plan) {
        plan = await compile((i) => {
          const xb = indexSelect(data.x, 0, i);
          const out = model.forward(xb);
          const res: Record<string, Tensor> = {};
          if (lossFn) res.loss = lossFn(out, indexSelect(data.y, 0, i), xb);
          if (classification) {
            res.pred = argmax(out, 1);
            // Class probabilities for the one-vs-rest curves (scores [N, C], C ≥ 2).
            if (out.rank === 2 && out.shape[1] >= 2) res.prob = softmax(out, 1);
          }
          if (!Object.keys(res).length) res.out = out;
          return res;
        }, { inputs: [{ shape: [idx.length], dtype: 'i32', name: 'batch indices' }], label: `evaluate (batch ${idx.length})` });
        plans.set(idx.length, plan);
      }
      plan.run(idx);
      const [rec] = await plan.drain();
      if (rec.values.loss) lossSum += rec.values.loss[0] * idx.length;
      if (rec.values.pred) preds.set(rec.values.pred as Int32Array, offset);
      if (rec.values.prob) {
        const p = rec.values.prob as Float32Array;
        probs ??= new Float32Array(ds.length * (p.length / idx.length));
        probs.set(p, offset * (p.length / idx.length));
      }
      offset += idx.length;
    }
    const res: Evaluation = {};
    if (lossFn) res.loss = lossSum / ds.length;
    if (classification) {
      const k = ds.numClasses ?? Math.max(...(ds.y as Int32Array)) + 1;
      const cm = confusionMatrix(preds, ds.y as Int32Array, k);
      let diag = 0;
      for (let c = 0; c < k; c++) diag += cm[c][c];
      res.accuracy = diag / ds.length;
      res.precision = precision(cm, { average: 'macro' }) as number;
      res.recall = recall(cm, { average: 'macro' }) as number;
      res.f1 = f1(cm, { average: 'macro' }) as number;
      res.confusion = cm;
      res.predictions = preds;
      if (probs) {
        const C = probs.length / ds.length;
        res.probabilities = probs;
        res.curves = classCurves(probs, ds.y as Int32Array, C);
        if (res.curves.length) {
          res.rocAuc = res.curves.reduce((a, c) => a + c.rocAuc, 0) / res.curves.length;
          res.averagePrecision = res.curves.reduce((a, c) => a + c.averagePrecision, 0) / res.curves.length;
        }
      }
    }
    return res;
  } finally {
    for (const p of plans.values()) p.dispose();
    if (!opts.resident) data.dispose();
    model.train(wasTraining);
  }
}

/**
 * The course's sanity check: train on one small batch for `steps` steps; a working model and loss
 * drive the loss towards 0. Returns the losses.
 */
export async function overfitBatch(model: Module, ds: AnyDataset, opts: { loss: FitOptions['loss']; optimizer: Optimizer; batchSize?: number; steps?: number }): Promise<number[]> {
  checkOptions('train.overfitBatch', opts, OVERFIT_BATCH_KEYS);
  const n = Math.min(opts.batchSize ?? 16, ds.length);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const data = new GpuDataset(ds, 'overfit batch');
  const lossFn = typeof opts.loss === 'function' ? opts.loss : lossByName(opts.loss);
  model.train();
  const plan = await compile((i) => {
    const xb = indexSelect(data.x, 0, i);
    return lossFn(model.forward(xb), indexSelect(data.y, 0, i), xb);
  }, {
    inputs: [{ shape: [n], dtype: 'i32' }], params: opts.optimizer.params, optimizer: opts.optimizer, label: 'overfit one batch',
  });
  try {
    const losses: number[] = [];
    for (let s = 0; s < (opts.steps ?? 100); s++) {
      plan.run(idx);
      if ((s + 1) % 16 === 0) losses.push(...(await plan.drain()).map((h) => h.values.loss[0]));
    }
    losses.push(...(await plan.drain()).map((h) => h.values.loss[0]));
    return losses;
  } finally {
    plan.dispose();
    data.dispose();
  }
}
