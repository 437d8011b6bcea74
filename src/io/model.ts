// sg.save / sg.load: a model's parameters and buffers (and, optionally, its optimizer's state) in one
// safetensors file with JSON metadata. Loading checks names, shapes and dtypes and reports every
// difference at once; nothing is written into the model unless the whole checkpoint fits.

import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Tensor } from '../tensor/tensor.js';
import { fromStorage } from '../tensor/tensor.js';
import { assign } from '../tensor/assign.js';
import { optimizerStateStorages } from '../graph/compile.js';
import { checkCompatible, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

const OPT_PREFIX = 'optimizer.';

/** Save `model` (and `optimizer`'s state, when it has taken compiled steps) atomically to `path`. */
export async function save(model: Module, path: string, opts: { optimizer?: Optimizer; metadata?: Record<string, unknown> } = {}): Promise<void> {
  const tensors: Record<string, Tensor> = { ...model.stateDict() };
  const extra: Tensor[] = [];
  const meta: Record<string, unknown> = { ...opts.metadata, model: model.kind };
  if (opts.optimizer) {
    const states = optimizerStateStorages(opts.optimizer);
    states?.arenas.forEach((s, k) => {
      const t = fromStorage(s.retain(), [s.byteLength / 4], 'f32', `${OPT_PREFIX}state${k}`);
      extra.push(t);
      tensors[`${OPT_PREFIX}state${k}`] = t;
    });
    meta.optimizer = { name: opts.optimizer.name, steps: opts.optimizer.steps, lr: opts.optimizer.lr };
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
export async function load(model: Module, path: string | Uint8Array, opts: { optimizer?: Optimizer } = {}): Promise<Record<string, unknown>> {
  const ck = await loadCheckpoint(path);
  const weights = Object.fromEntries(Object.entries(ck.tensors).filter(([k]) => !k.startsWith(OPT_PREFIX)));
  const expected = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }]));
  checkCompatible(expected, weights);
  await model.loadStateDict(weights);
  if (opts.optimizer) {
    const states = optimizerStateStorages(opts.optimizer);
    const saved = Object.keys(ck.tensors).filter((k) => k.startsWith(OPT_PREFIX));
    if (saved.length && states) {
      if (saved.length !== states.arenas.length) {
        throw new Error(`shadergrad: load: the checkpoint has ${saved.length} optimizer state tensors, ${opts.optimizer.name} keeps ${states.arenas.length}`);
      }
      for (let k = 0; k < saved.length; k++) {
        const src = ck.tensors[`${OPT_PREFIX}state${k}`];
        const dst = fromStorage(states.arenas[k].retain(), [states.arenas[k].byteLength / 4], 'f32');
        if (src.data.length !== dst.size) throw new Error(`shadergrad: load: optimizer state ${k} has ${src.data.length} values, expected ${dst.size}`);
        const { tensor } = await import('../tensor/tensor.js');
        await assign(dst, tensor(src.data, [dst.size]));
        dst.dispose();
      }
    }
  }
  return ck.metadata as Record<string, unknown>;
}
