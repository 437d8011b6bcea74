// Trace: call the step function once on placeholder inputs, differentiate the loss w.r.t. the
// parameters, and let the optimizer add its update ops over the flat arenas. Nothing runs: the
// result is a lazy graph (its outputs, gradients, optimizer update and state updates) for
// src/graph/schedule.ts to order and place.

import { Storage } from '../memory/pool.js';
import { fmtShape, numel, type DType } from '../util/shape.js';
import { fromStorage, realise, Tensor, tracePlan, withTracing } from '../tensor/tensor.js';
import type { Arena } from './arena.js';
import { gradients } from './autodiff.js';
import { reshape } from '../ops/shape-ops.js';
import { slice } from '../ops/index-ops.js';
import type { Hyper, PlanOptimizer } from './optimizer-state.js';
import { collectStateUpdates } from './state.js';
import { sgError, ShapeError } from '../util/errors.js';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  name?: string;
}

export type StepOutputs = Tensor | Record<string, Tensor>;

/** The graph of one step, traced. */
export interface TracedStep {
  /** The step function's outputs and their names (a bare tensor is named 'loss'). */
  outputNames: string[];
  outputs: Tensor[];
  /** Gradient of the loss w.r.t. each parameter (none without `params`). */
  grads: Tensor[];
  /** The optimizer's new parameter arena and state arenas (with an optimizer). */
  update?: { param: Tensor; states: Tensor[] };
  /** `[target, value]`: state the step overwrites (batch norm running statistics, dropout keys). */
  stateUpdates: [Tensor, Tensor][];
  /** Loss scaling: the backward's seed, the scale S (kept f32: 2¹⁶ is past f16's range). */
  seed?: Tensor;
}

/** What the trace differentiates and updates: the parameters, their arenas and the optimizer. */
export interface TraceTargets {
  params: Tensor[];
  optimizer?: PlanOptimizer;
  paramArena?: Arena;
  gradArena?: Storage;
  stateArenas: Storage[];
  /** The hyper-parameters the optimizer's ops are traced with (rewritten before every step). */
  hyper?: Hyper;
  /** Mixed precision's loss scaler state ([scale, ...], src/graph/amp.ts): the backward is seeded with the scale. */
  lossScale?: Storage;
}

/** One placeholder tensor per argument of the step function, each in its own buffer. */
export function placeholders(specs: InputSpec[]): Tensor[] {
  return specs.map((spec, i) => {
    const shape = [...spec.shape];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw sgError(`compile: input ${i} has an invalid shape ${fmtShape(shape)}`, ShapeError);
    return fromStorage(Storage.allocate(numel(shape) * 4, spec.name ?? `input ${i}`), shape, spec.dtype ?? 'f32', spec.name ?? `input${i}`);
  });
}

/** Call `fn` on the placeholders with tracing on, and add the gradients and the optimizer's update. */
export async function traceStep(fn: (...inputs: Tensor[]) => StepOutputs, inputs: Tensor[], targets: TraceTargets): Promise<TracedStep> {
  const { params, optimizer, paramArena, gradArena, stateArenas, hyper, lossScale } = targets;
  const { result: traced, updates: stateUpdates } = collectStateUpdates(() => tracePlan(() => withTracing(() => {
    const out = fn(...inputs);
    const named: Record<string, Tensor> = out instanceof Tensor ? { loss: out } : { ...out };
    for (const [k, t] of Object.entries(named)) {
      if (!(t instanceof Tensor)) throw sgError(`compile: output '${k}' is not a Tensor`);
    }
    let grads: Tensor[] = [];
    let update: { param: Tensor; states: Tensor[] } | undefined;
    let seed: Tensor | undefined;
    if (params.length) {
      const loss = named.loss;
      if (!loss) throw new Error("shadergrad: compile: with `params`, the step function must return the loss (a tensor, or { loss, ... })");
      // Loss scaling: d(S·loss)/dθ, S read from the scaler's state on the GPU (unscaled before the optimizer).
      if (lossScale && loss.size !== 1) throw sgError(`compile: the loss must be a single value, got ${loss.describe()}; reduce it with sg.sum or sg.mean first`);
      seed = lossScale ? reshape(slice(fromStorage(lossScale.retain(), [4], 'f32', 'loss scale'), 0, 0, 1), loss.shape) : undefined;
      grads = gradients(loss, params, seed);
    }
    if (optimizer && paramArena && gradArena) {
      const P = paramArena.size;
      const flatParam = fromStorage(paramArena.storage.retain(), [P], 'f32', 'parameter arena');
      const flatGrad = fromStorage(gradArena.retain(), [P], 'f32', 'gradient arena');
      const states = stateArenas.map((s, k) => fromStorage(s.retain(), [P], 'f32', `optimizer state ${k}`));
      update = optimizer.update(flatParam, flatGrad, states, hyper!);
    }
    return { named, grads, update, seed };
  })));
  // State tensors (running statistics, dropout keys) may still be lazy results of an earlier eager
  // step: realise them now, so the plan reads and overwrites their buffers instead of recomputing them.
  const lazyState = stateUpdates.map(([t]) => t).filter((t) => !t.storage);
  if (lazyState.length) await realise(...lazyState);
  const outputNames = Object.keys(traced.named);
  return {
    outputNames, outputs: outputNames.map((k) => traced.named[k]), grads: traced.grads, update: traced.update, stateUpdates,
    seed: traced.seed,
  };
}
