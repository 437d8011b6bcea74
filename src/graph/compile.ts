// compile(): trace a training step (forward + loss + backward + optimizer update) once into a Plan —
// a fixed list of dispatches with every buffer already assigned — and replay it. One phase per file:
//
//   trace      trace.ts      call the step function on placeholder inputs; differentiate the loss
//                            w.r.t. the parameters; let the optimizer add its update ops over the arenas
//   schedule   schedule.ts   forward and backward (elementwise chains fused), then the optimizer;
//                            liveness over the values, slots reused after their last reader
//                            (src/memory/planner.ts), gradients written straight into their arena
//   record     record.ts     every op's encode() once; pipelines, bind groups and uniforms built once;
//                            the copies after the pass; the explain() rows
//   run        plan.ts       the Plan: write inputs, one command encoder, one compute pass, one submit;
//                            outputs read back through a ring of staging buffers every `readEvery` steps
//
// With `tune`, tune.ts chooses each tunable op's kernel version by timing the candidates on this adapter
// (or from its cache) between schedule and record; record then encodes the chosen versions.
// With `precision: 'mixed'`, precision.ts decides after the schedule which values are stored as f16
// (placement sizes them, record tells each encode()), and amp.ts's loss scaling seeds the backward with
// the scale and unscales / skips before the optimizer (shaders/amp.wgsl).
//
// Beside them: arena.ts (the packed parameter arena), optimizer-state.ts (an optimizer's moments and
// step count) and plan-views.ts (explain table, profiler, trace export).

import { gpu } from '../gpu/device.js';
import { noteSubmit, Storage } from '../memory/pool.js';
import type { Node, Tensor } from '../tensor/tensor.js';
import { checkOptions, keysOf } from '../util/options.js';
import { arenaOf, packArena } from './arena.js';
import { optimizerStateFor, type Hyper, type PlanOptimizer } from './optimizer-state.js';
import { Plan } from './plan.js';
import { idealStep, type DebugValue } from './plan-views.js';
import { recordStep } from './record.js';
import { TUNE_BUDGET_MS, tunePlan, type TuneMode } from './tune.js';
import { bufferAt, placeValues, rootOf, scheduleStep, type Placement } from './schedule.js';
import { placeholders, traceStep, type InputSpec, type StepOutputs, type TracedStep } from './trace.js';
import { planHalfStorage, type Precision } from './precision.js';
import { lossScalingFor, scalerOptions, type GradScalerOptions } from './amp.js';
import { sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const COMPILE_KEYS = keysOf<CompileOptions>({ inputs: 1, params: 1, optimizer: 1, readEvery: 1, ringSize: 1, debug: 1, fuse: 1, label: 1, accumulate: 1, tune: 1, tuneBudgetMs: 1, precision: 1, scaler: 1 });
export const INPUT_SPEC_KEYS = keysOf<InputSpec>({ shape: 1, dtype: 1, name: 1 });

export interface CompileOptions {
  /** One placeholder per argument of the step function. */
  inputs: InputSpec[];
  /** Trainable parameters: gradients of the loss are taken w.r.t. these. */
  params?: Tensor[];
  optimizer?: PlanOptimizer;
  /** Read the outputs back every N steps (default 1). */
  readEvery?: number;
  /** Staging buffers in the readback ring at the start (default 8; grows up to 64 if the CPU runs ahead). */
  ringSize?: number;
  /** Keep every intermediate in its own buffer (and fuse nothing) so checkFinite() can name the first op producing NaN/Inf. */
  debug?: boolean;
  /** Fuse chains of elementwise ops into one kernel (default true). */
  fuse?: boolean;
  /**
   * Gradient accumulation: each run() is a micro-batch, the optimizer steps on every k-th run with
   * the mean of the k gradients (one batch k times larger, for a loss that is a mean over the batch).
   * Batch-norm statistics and dropout keys still update on every run, as in PyTorch. Default 1.
   */
  accumulate?: number;
  label?: string;
  /**
   * Kernel choice (README, "Kernel choice: autotune"): false (default) the fixed rules; true: time every
   * correct version of each tunable op + shape on this adapter and run the fastest, cached per adapter
   * (a cached choice is not timed again); 'cached': cached choices, the fixed rules elsewhere, no timing.
   */
  tune?: TuneMode;
  /** With tune: true, the most wall time tuning may take, in ms (default 5000); sites past it keep the fixed rule. */
  tuneBudgetMs?: number;
  /**
   * 'f32' (default), or 'mixed': intermediate values stored as f16 where every kernel touching them
   * can (f32 arithmetic; parameters, gradients and optimizer state stay f32), and with an optimizer,
   * dynamic loss scaling as PyTorch's GradScaler (README, "Mixed precision"). With `debug`, values
   * stay f32 (checkFinite reads them) and only the loss scaling runs.
   */
  precision?: Precision;
  /** Mixed precision's loss scaler: torch.cuda.amp.GradScaler's arguments (src/graph/amp.ts). */
  scaler?: GradScalerOptions;
}

/**
 * Trace `fn` once into a Plan. `fn` receives placeholder tensors for `options.inputs` and returns
 * the loss (a one-element tensor) or a record of named outputs with a `loss` entry. With `params`,
 * the plan computes their gradients; with an `optimizer`, it also updates them in place.
 */
export async function compile(fn: (...inputs: Tensor[]) => StepOutputs, options: CompileOptions): Promise<Plan> {
  checkOptions('compile', options, COMPILE_KEYS);
  if (Array.isArray(options.inputs)) options.inputs.forEach((s, i) => checkOptions(`compile: inputs[${i}]`, s, INPUT_SPEC_KEYS));
  const { device } = gpu();
  const label = options.label ?? 'step';
  const params = options.params ?? [];
  const { optimizer } = options;
  if (optimizer && params.length === 0) throw sgError('compile: an optimizer needs `params`');
  const accumulate = options.accumulate ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw sgError(`compile: accumulate must be an integer ≥ 1, got ${String(options.accumulate)}`);
  if (accumulate > 1 && !optimizer) throw sgError('compile: accumulate needs an optimizer (it sets how many runs make one optimizer step)');
  const tune = options.tune ?? false;
  if (tune !== true && tune !== false && tune !== 'cached') {
    throw sgError(`compile: tune must be true, false or 'cached', got ${JSON.stringify(options.tune)}`);
  }
  if (options.tuneBudgetMs !== undefined) {
    const b = options.tuneBudgetMs;
    if (typeof b !== 'number' || !(b >= 0) || !Number.isFinite(b)) throw sgError(`compile: tuneBudgetMs must be a number of milliseconds ≥ 0, got ${String(b)}`);
    if (tune !== true) throw sgError(`compile: tuneBudgetMs limits timing, which only tune: true does (tune is ${JSON.stringify(tune)})`);
  }
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'mixed') throw sgError(`compile: precision must be 'f32' or 'mixed', got ${JSON.stringify(options.precision)}`);
  if (options.scaler !== undefined && precision !== 'mixed') throw sgError(`compile: scaler (loss scaling) is for precision: 'mixed' (precision is '${precision}')`);
  const scalerOpts = precision === 'mixed' ? scalerOptions(options.scaler) : undefined;
  const inputs = placeholders(options.inputs);

  // Parameters and their gradients live in arenas; the optimizer's state in arenas laid out alike.
  const paramArena = params.length ? arenaOf(params) ?? await packArena(params) : undefined;
  const gradArena = paramArena ? Storage.allocate(paramArena.size * 4, 'gradients') : undefined;
  const stateArenas = paramArena && optimizer ? optimizerStateFor(optimizer, params, paramArena).arenas() : [];
  const hyper: Hyper | undefined = optimizer ? { ...optimizer.hyper(1) } : undefined;

  // Loss scaling runs where an optimizer steps on the gradients.
  const scaling = scalerOpts?.enabled && optimizer ? lossScalingFor(optimizer, scalerOpts) : undefined;
  const traced = await traceStep(fn, inputs, { params, optimizer, paramArena, gradArena, stateArenas, hyper, lossScale: scaling?.state });
  const schedule = scheduleStep(traced, !options.debug && options.fuse !== false);
  const half = precision === 'mixed' && !options.debug ? planHalfStorage(schedule.order, keptF32(traced, schedule.order)) : undefined;
  const place = placeValues({ traced, order: schedule.order, inputs, params, paramArena, gradArena, debug: !!options.debug, label, bytesOf: half?.bytes });
  const tuned = tune ? await tunePlan(schedule.main, { mode: tune, budgetMs: options.tuneBudgetMs ?? TUNE_BUDGET_MS, label, halfOf: half?.flags }) : undefined;
  const record = () => recordStep({ traced, schedule, place, paramArena, gradArena, stateArenas, accumulate, half, scaling });
  const { dispatches, prepared, rows, afterPassCopies, dynamic, scratchBuffers, accumulation } = await (tuned ? tuned.record(record) : record());
  if (tuned) for (const r of rows) r.tuned = tuned.notes.get(r.nodeId);

  // A zeroed gradient arena (its alignment padding is never written), and accumulator.
  const init = device.createCommandEncoder();
  if (gradArena) init.clearBuffer(gradArena.buffer, gradArena.offset, Math.ceil(gradArena.byteLength / 4) * 4);
  if (accumulation) init.clearBuffer(accumulation.acc.buffer, accumulation.acc.offset, accumulation.acc.byteLength);
  device.queue.submit([init.finish()]);
  noteSubmit();

  const outputRefs = traced.outputs.map((o) => ({ ...bufferAt(place.of(o).ref), bytes: o.size * 4, dtype: o.dtype }));
  // Keep what the plan binds: the gradient slices, the graph's constant sources, the inputs and arenas.
  const keep: Storage[] = [...place.gradSlices];
  for (const n of schedule.order) for (const t of n.inputs) if (t.node.storage[t.index]) keep.push(t.node.storage[t.index]!.retain());
  for (const t of inputs) keep.push(t.storage!.retain());
  if (gradArena) keep.push(gradArena);
  if (accumulation) keep.push(accumulation.acc);
  for (const a of stateArenas) keep.push(a.retain());
  if (scaling) keep.push(scaling.state.retain());
  const fixedBytes = inputs.reduce((n, t) => n + t.size * 4, 0) + (paramArena ? paramArena.size * 4 * (2 + stateArenas.length) : 0);

  return new Plan({
    label, inputs, outputNames: traced.outputNames, outputRefs, dispatches, prepared, dynamic, hyper, optimizer,
    owned: [...place.slotBuffers, ...scratchBuffers], keep, rows, memory: { ...place.memory, fixedBytes },
    readEvery: Math.max(1, Math.floor(options.readEvery ?? 1)), ringSize: Math.max(1, options.ringSize ?? 8),
    debugValues: options.debug ? debugValues(schedule.order, place) : undefined,
    afterPassCopies,
    written: [...(traced.update ? params : []), ...traced.stateUpdates.map(([t]) => t)],
    accumulation,
    ideal: idealStep(traced, params, stateArenas.length),
    precision, halfValues: half?.values.size ?? 0,
    scaler: scaling ? { scaling, optimizer: optimizer! } : undefined,
  });
}

/**
 * Values a mixed-precision plan keeps in f32: what is read back, the gradients, state and optimizer
 * values, the loss scale seeding the backward, and what the nodes reading the seed write: they hold S
 * times the loss's own gradient (a mean's backward expands S before dividing by n), and S = 2¹⁶ is
 * past f16's range — as PyTorch's autocast computes the loss and its gradient in f32.
 */
function keptF32(traced: TracedStep, order: Node[]): Set<Tensor> {
  const keep = new Set([...traced.outputs, ...traced.grads, ...traced.stateUpdates.map(([, v]) => v),
    ...(traced.update ? [traced.update.param, ...traced.update.states] : [])].map(rootOf));
  if (traced.seed) {
    const seed = rootOf(traced.seed);
    keep.add(seed);
    for (const n of order) if (n.inputs.some((t) => rootOf(t) === seed)) n.tensors.forEach((t) => keep.add(rootOf(t)));
  }
  return keep;
}

/** Every intermediate of the plan (debug mode: each in its own buffer), for plan.checkFinite(). */
function debugValues(order: Node[], place: Placement): DebugValue[] {
  return order.filter((n) => !n.op.alias).flatMap((n) => n.tensors.map((t, index) => {
    const p = place.of(t);
    const { buffer, offset } = bufferAt(p.ref);
    return { node: n, index, storage: p.storage ?? new Storage(buffer, Math.max(4, t.size * 4), offset) };
  }));
}
