// sg.save / sg.load: a model's parameters and buffers (and, optionally, its optimizer's state) in one
// safetensors file with JSON metadata. Loading checks names, shapes and dtypes and reports every
// difference at once; nothing is written into the model unless the whole checkpoint fits.

import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkCompatible, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkOptimizerCheckpoint, isModelKey, loadOptimizerCheckpoint, optimizerCheckpoint } from './optimizer-state.js';

/** Save `model` (and `optimizer`'s state: moments, step count, schedule position) atomically to `path`. */
export async function save(model: Module, path: string, opts: SaveOptions = {}): Promise<void> {
  return saveWithState(model, path, opts, {});
}

/** @internal sg.save plus namespaced non-model tensors (fit's checkpoints: `fit.best.<i>`). */
export async function saveWithState(model: Module, path: string, opts: SaveOptions, stateTensors: Record<string, Tensor>): Promise<void> {
  const tensors: Record<string, Tensor> = { ...model.stateDict() };
  const extra: Tensor[] = [];
  const meta: Record<string, unknown> = { ...opts.metadata, model: model.kind };
  if (opts.optimizer) {
    // Optimizer state under `optimizer.` (see optimizer-state.ts): moments, step count, schedule position.
    const o = optimizerCheckpoint(opts.optimizer);
    Object.values(o.tensors).forEach((t) => extra.push(t));
    Object.assign(tensors, o.tensors);
    meta.optimizer = o.metadata;
  }
  for (const [k, t] of Object.entries(stateTensors)) {
    if (isModelKey(k)) throw new Error(`shadergrad: save: state tensor "${k}" must be under a namespace (fit.)`);
    tensors[k] = t;
  }
  try {
    await saveCheckpoint(path, { tensors, metadata: meta });
  } finally {
    extra.forEach((t) => t.dispose());
  }
}

/**
 * Load a checkpoint written by sg.save into `model` (and the state of `optimizer`, if both have it).
 * Returns the checkpoint's metadata.
 */
export async function load(model: Module, path: string | Uint8Array, opts: LoadOptions = {}): Promise<Record<string, unknown>> {
  const ck = await loadCheckpoint(path);
  const weights = Object.fromEntries(Object.entries(ck.tensors).filter(([k]) => isModelKey(k)));
  const expected = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }]));
  checkCompatible(expected, weights);
  // The optimizer's part is checked too before anything is written.
  const optMeta = opts.optimizer ? checkOptimizerCheckpoint(opts.optimizer, ck) : undefined;
  await model.loadStateDict(weights);
  if (opts.optimizer && optMeta) await loadOptimizerCheckpoint(opts.optimizer, ck, optMeta);
  return ck.metadata as Record<string, unknown>;
}

export interface SaveOptions {
  /** Also save this optimizer's state (moments, step count, epoch, base lr, scheduler counters) under `optimizer.`. */
  optimizer?: Optimizer;
  metadata?: Record<string, unknown>;
}

export interface LoadOptions {
  /** Restore this optimizer's state too (whether or not it was compiled or used yet). */
  optimizer?: Optimizer;
}
