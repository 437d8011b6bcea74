// sg.save / sg.load: a model's parameters and buffers (and, optionally, its optimizer's state) in one
// safetensors file with JSON metadata. Loading checks names, shapes and dtypes and reports every
// difference at once; nothing is written into the model unless the whole checkpoint fits.

import type { Module } from '../nn/module.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import type { Optimizer } from '../optim/optimizers.js';
import { read, tensor, type Tensor } from '../tensor/tensor.js';
import { assign } from '../tensor/assign.js';
import { checkCompatible, loadCheckpoint, saveCheckpoint, type LoadedTensor, type TensorSpec } from './checkpoint.js';
import { checkOptimizerCheckpoint, isModelKey, loadOptimizerCheckpoint, optimizerCheckpoint } from './optimizer-state.js';
import { sgError, ShapeError } from '../util/errors.js';
import { QuantizedModule } from '../nn/quantize.js';
import { loadIntoQuantized, saveQuantized } from './quantized.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const SAVE_KEYS = keysOf<Opts<typeof save, 2>>({ optimizer: 1, metadata: 1 });
export const LOAD_KEYS = keysOf<Opts<typeof load, 2>>({ optimizer: 1 });
/** Metadata key of the model's non-persistent buffers (dropout keys): {name: {dtype, shape, data}}. */
const EXTRA_STATE_KEY = 'extraState';

/** The model's non-persistent buffers as JSON (they are a few integers: random keys). */
async function extraStateJson(model: Module): Promise<Record<string, { dtype: string; shape: number[]; data: number[] }> | undefined> {
  const extra = Object.entries(model.extraState());
  if (!extra.length) return undefined;
  const values = await read(...extra.map(([, t]) => t));
  return Object.fromEntries(extra.map(([name, t], i) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(values[i]) }]));
}

/** Restore non-persistent buffers saved by sg.save (files from PyTorch have none: the model keeps its own). */
async function loadExtraState(model: Module, saved: unknown): Promise<void> {
  if (saved === undefined) return;
  const own = model.extraState();
  const entries = typeof saved === 'object' && saved !== null ? Object.entries(saved as Record<string, { dtype?: unknown; shape?: unknown; data?: unknown }>) : [];
  for (const [name, v] of entries) {
    const t = own[name];
    if (!t) continue; // state of a layer this model does not have (e.g. dropout removed): nothing to restore
    if (v.dtype !== t.dtype || !Array.isArray(v.shape) || v.shape.join() !== t.shape.join() || !Array.isArray(v.data) || v.data.length !== t.size) {
      throw sgError(`load: extra state '${name}' in the checkpoint is ${JSON.stringify(v.shape)} ${String(v.dtype)}, the model's is [${t.shape.join(', ')}] ${t.dtype}`, ShapeError);
    }
    await assign(t, tensor(t.dtype === 'i32' ? Int32Array.from(v.data as number[]) : Float32Array.from(v.data as number[]), t.shape, { dtype: t.dtype }));
  }
}

/**
 * Save `model` (and `optimizer`'s state, when it has taken compiled steps) atomically to `path`. The
 * model's tensors have exactly PyTorch's state_dict keys, shapes and dtypes (i32 buffers are written as
 * I64, PyTorch's integer dtype), so `model.load_state_dict(safetensors.torch.load_file(path))` loads
 * them; non-persistent state (dropout keys) goes into the metadata.
 */
export async function save(model: Module, path: string, opts: SaveOptions = {}): Promise<void> {
  if (model instanceof QuantizedModule) return saveQuantizedModel(model, path, opts);
  return saveWithState(model, path, opts, {});
}

/** @internal sg.save plus namespaced non-model tensors (fit's checkpoints: `fit.best.<i>`). */
export async function saveWithState(model: Module, path: string, opts: SaveOptions, stateTensors: Record<string, Tensor>): Promise<void> {
  checkOptions('save', opts, SAVE_KEYS);
  const tensors: Record<string, Tensor> = { ...model.stateDict() };
  const extra: Tensor[] = [];
  const meta: Record<string, unknown> = { ...opts.metadata, model: model.kind };
  const extraState = await extraStateJson(model);
  if (extraState) meta[EXTRA_STATE_KEY] = extraState;
  if (opts.optimizer) {
    // Optimizer state under `optimizer.` (see optimizer-state.ts): moments, step count, schedule position.
    const o = optimizerCheckpoint(opts.optimizer);
    Object.values(o.tensors).forEach((t) => extra.push(t));
    Object.assign(tensors, o.tensors);
    meta.optimizer = o.metadata;
  }
  for (const [k, t] of Object.entries(stateTensors)) {
    if (isModelKey(k)) throw sgError(`save: state tensor "${k}" must be under a namespace (fit.)`);
    tensors[k] = t;
  }
  try {
    await saveCheckpoint(path, { tensors, metadata: meta, int64: true });
  } finally {
    extra.forEach((t) => t.dispose());
  }
}

/**
 * Load a checkpoint written by sg.save — or a PyTorch state_dict saved with
 * `safetensors.torch.save_file(model.state_dict(), path)` for the same architecture — into `model` (and
 * the state of `optimizer`, if both have it). Returns the checkpoint's metadata.
 */
export async function load(model: Module, path: string | Uint8Array, opts: LoadOptions = {}): Promise<Record<string, unknown>> {
  checkOptions('load', opts, LOAD_KEYS);
  if (model instanceof QuantizedModule) {
    // An int8 model (sg.quantize): its I8 weights and quantisation parameters (src/io/quantized.ts).
    if (opts.optimizer) throw sgError('load: a quantized model has no optimizer state (it is for inference only)');
    return loadIntoQuantized(model, path);
  }
  const ck = await loadCheckpoint(path);
  const expected = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }]));
  const { weights, extraState } = upgradeLegacyNames(
    Object.fromEntries(Object.entries(ck.tensors).filter(([k]) => isModelKey(k))), expected, model);
  checkCompatible(expected, weights);
  // The optimizer's part is checked too before anything is written.
  const optMeta = opts.optimizer ? checkOptimizerCheckpoint(opts.optimizer, ck) : undefined;
  await model.loadStateDict(weights);
  await loadExtraState(model, ck.metadata[EXTRA_STATE_KEY] ?? extraState);
  if (opts.optimizer && optMeta) await loadOptimizerCheckpoint(opts.optimizer, ck, optMeta);
  return ck.metadata as Record<string, unknown>;
}

/**
 * Checkpoints saved before shadergrad used PyTorch's state_dict names: batch norm's buffers were
 * `runningMean` / `runningVar` (with no `num_batches_tracked`) and dropout's random key was a tensor
 * `N.key`. They are renamed for the model at hand; a missing `num_batches_tracked` becomes 0, as
 * torch's BatchNorm does for its own old checkpoints; a key tensor becomes the layer's extra state.
 * Names the model does not know are left for checkCompatible to report.
 */
function upgradeLegacyNames(
  loaded: Record<string, LoadedTensor>, expected: Record<string, TensorSpec>, model: Module,
): { weights: Record<string, LoadedTensor>; extraState?: Record<string, { dtype: string; shape: number[]; data: number[] }> } {
  const weights: Record<string, LoadedTensor> = {};
  const extra: Record<string, { dtype: string; shape: number[]; data: number[] }> = {};
  const own = model.extraState();
  const renamed = (k: string) => k.replace(/(^|\.)runningMean$/, '$1running_mean').replace(/(^|\.)runningVar$/, '$1running_var');
  for (const [k, t] of Object.entries(loaded)) {
    const n = renamed(k);
    if (n !== k && n in expected && !(n in loaded)) weights[n] = t;
    else if (!(k in expected) && k in own) extra[k] = { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) };
    else weights[k] = t;
  }
  for (const [k, spec] of Object.entries(expected)) {
    const prefix = k.slice(0, k.length - 'num_batches_tracked'.length);
    if (k.endsWith('num_batches_tracked') && !(k in weights) && `${prefix}running_mean` in weights && !(`${prefix}running_mean` in loaded)) {
      weights[k] = { shape: [...spec.shape], dtype: 'i32', data: new Int32Array(spec.shape.reduce((a, b) => a * b, 1)), sourceDtype: 'I64' };
    }
  }
  return { weights, extraState: Object.keys(extra).length ? extra : undefined };
}

/** sg.save of an int8 model: I8 weights with their scales and zero points (src/io/quantized.ts). */
async function saveQuantizedModel(model: QuantizedModule, path: string, opts: SaveOptions): Promise<void> {
  checkOptions('save', opts, SAVE_KEYS);
  if (opts.optimizer) throw sgError('save: a quantized model has no optimizer state to save (it is for inference only)');
  return saveQuantized(model, path, opts.metadata);
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
