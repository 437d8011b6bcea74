// The optimizer's part of a checkpoint (sg.save / sg.load with { optimizer }, and fit's checkpoints).
//
// The model's tensors keep PyTorch's state_dict names, unprefixed. Everything else lives under a
// namespace that sg.load separates from the model's names:
//
//   optimizer.state.<i>.<name>   parameter i's state tensor, PyTorch's name and the parameter's shape
//                                (exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer, square_avg, grad_avg, sum)
//   fit.best.<i>                 fit's early-stopping snapshot of parameter i (restoreBest)
//
// and in the JSON metadata:
//
//   optimizer: { name, step, epoch, lr, params, state: [names], scheduler: { name, state } }
//   fit:       fit's position (see src/train/fit.ts)
//
// `step` is the optimizer's step count (Adam's bias correction, SGD's first momentum step), `epoch` the
// one given to setEpoch (the schedule's position), `scheduler.state` a stateful scheduler's counters
// (reduceOnPlateau). Loading writes the state into the optimizer's own arenas, so it does not matter
// whether the optimizer was compiled into a plan (or fit) before or after the load.

import type { Optimizer } from '../optim/optimizers.js';
import { fromStorage, tensor, type Tensor } from '../tensor/tensor.js';
import { assignAll } from '../tensor/assign.js';
import type { LoadedCheckpoint } from './checkpoint.js';

/** Key prefixes of the non-model tensors in a checkpoint. */
export const STATE_NAMESPACES = ['optimizer.', 'fit.'] as const;

/** Whether a checkpoint key names a model tensor (PyTorch state_dict name), not optimizer / fit state. */
export function isModelKey(key: string): boolean {
  return !STATE_NAMESPACES.some((p) => key.startsWith(p));
}

export interface OptimizerMetadata {
  name: string;
  step: number;
  epoch: number;
  lr: number;
  params: number;
  state: string[];
  scheduler?: { name: string; state?: Record<string, number | string> };
  /** With parameter groups: each group's parameter count and lr (the state tensors are per parameter). */
  groups?: { params: number; lr: number }[];
}

const stateKey = (i: number, name: string) => `optimizer.state.${i}.${name}`;

/**
 * The optimizer's state as checkpoint tensors (views of its arenas: dispose them after saving) and
 * its metadata. Before its first step an optimizer has no state tensors.
 */
export function optimizerCheckpoint(opt: Optimizer): { tensors: Record<string, Tensor>; metadata: OptimizerMetadata } {
  const st = opt.state;
  const tensors: Record<string, Tensor> = {};
  if (st.allocated) {
    opt.stateNames.forEach((name, k) => {
      opt.params.forEach((p, i) => {
        tensors[stateKey(i, name)] = fromStorage(st.slice(k, i), [...p.shape], 'f32', stateKey(i, name));
      });
    });
  }
  const metadata: OptimizerMetadata = {
    name: opt.name, step: st.step, epoch: opt.epoch, lr: opt.lr, params: opt.params.length, state: [...opt.stateNames],
  };
  if (opt.scheduler) metadata.scheduler = { name: opt.scheduler.name, state: opt.scheduler.stateDict?.() };
  const groups = opt.paramGroups;
  if (groups.length > 1) metadata.groups = groups.map((g) => ({ params: g.params.length, lr: g.lr }));
  return { tensors, metadata };
}

/**
 * Check that a loaded checkpoint holds state for `opt` (same optimizer kind, parameter count and
 * shapes, state tensors, scheduler). Throws one error listing every problem; changes nothing.
 */
export function checkOptimizerCheckpoint(opt: Optimizer, ck: LoadedCheckpoint): OptimizerMetadata {
  const meta = ck.metadata.optimizer as Partial<OptimizerMetadata> | undefined;
  const where = `shadergrad: load: optimizer ${opt.name}`;
  if (!meta || typeof meta !== 'object' || typeof meta.step !== 'number' || !Array.isArray(meta.state)) {
    throw new Error(`${where}: the checkpoint holds no optimizer state (save it with sg.save(model, path, { optimizer }), ` +
      'or load without { optimizer } to start the optimizer afresh)');
  }
  const problems: string[] = [];
  if (meta.name !== opt.name) problems.push(`it was saved by ${String(meta.name)}`);
  if (meta.params !== opt.params.length) problems.push(`it has state for ${String(meta.params)} parameters, the optimizer updates ${opt.params.length}`);
  const sizes = opt.paramGroups.map((g) => g.params.length);
  if (Array.isArray(meta.groups) && meta.groups.map((g) => g.params).join() !== sizes.join()) {
    problems.push(`it was saved with parameter groups of [${meta.groups.map((g) => g.params).join(', ')}] parameters, the optimizer's are [${sizes.join(', ')}]`);
  }
  if (meta.state.join() !== opt.stateNames.join()) {
    problems.push(`its state tensors are [${meta.state.join(', ')}], the optimizer keeps [${opt.stateNames.join(', ')}] (momentum / amsgrad / centered differ?)`);
  }
  if (!problems.length) {
    const saved = Object.keys(ck.tensors).filter((k) => k.startsWith('optimizer.'));
    if (saved.length || meta.step > 0) {
      opt.stateNames.forEach((name) => opt.params.forEach((p, i) => {
        const t = ck.tensors[stateKey(i, name)];
        if (!t) problems.push(`missing "${stateKey(i, name)}"`);
        else if (t.shape.join() !== p.shape.join() || t.dtype !== 'f32') {
          problems.push(`"${stateKey(i, name)}" is [${t.shape.join(', ')}] ${t.dtype}, parameter ${i} is ${p.describe()}`);
        }
      }));
    }
  }
  const sch = meta.scheduler;
  if (sch?.state && opt.scheduler?.loadStateDict && sch.name !== opt.scheduler.name) {
    problems.push(`its scheduler was ${sch.name}, the optimizer's is ${opt.scheduler.name}`);
  }
  if (problems.length) throw new Error(`${where}: the checkpoint's optimizer state does not fit: ${problems.join('; ')}`);
  return meta as OptimizerMetadata;
}

/** Write checked optimizer state into `opt`: its state arenas, step count, epoch, base lr and scheduler. */
export async function loadOptimizerCheckpoint(opt: Optimizer, ck: LoadedCheckpoint, meta: OptimizerMetadata): Promise<void> {
  const st = opt.state;
  const pairs: [Tensor, Tensor][] = [];
  if (ck.tensors[stateKey(0, opt.stateNames[0] ?? '')]) {
    opt.stateNames.forEach((name, k) => opt.params.forEach((p, i) => {
      const src = ck.tensors[stateKey(i, name)];
      pairs.push([fromStorage(st.slice(k, i), [...p.shape], 'f32'), tensor(src.data, src.shape)]);
    }));
  } else {
    st.clear(); // saved before its first step: the initial state
  }
  try {
    if (pairs.length) await assignAll(pairs);
  } finally {
    pairs.flat().forEach((t) => t.dispose());
  }
  st.step = meta.step;
  opt.setEpoch(meta.epoch ?? 0);
  if (typeof meta.lr === 'number') opt.lr = meta.lr;
  if (meta.scheduler?.state && opt.scheduler?.loadStateDict) opt.scheduler.loadStateDict(meta.scheduler.state);
}
