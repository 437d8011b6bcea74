// Shared by the CLI commands: the standard models, datasets, optimizers and schedules by name.

import * as nn from '../nn/index.js';
import * as optim from '../optim/index.js';
import * as data from '../data/index.js';
import * as models from '../models/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { sgError } from '../util/errors.js';

export type ModelName = 'mlp' | 'cnn' | 'vit';

/** What a run directory's checkpoint records about the run, enough to rebuild it for --resume. */
export interface RunConfig {
  model: ModelName | 'gpt' | 'clip';
  dataset: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: string;
  scheduler: string;
  weightDecay: number;
  seed: number;
  count: number;
  patience: number;
  /** compile's precision for the training step (runs from before it have none: f32). */
  precision?: 'f32' | 'mixed';
  /** Knowledge distillation: the teacher run's directory, the temperature and the weight α of the soft term. */
  teacher?: string;
  temperature?: number;
  alpha?: number;
}


/**
 * mlp: flatten → linear(in, 128) → relu → linear(128, classes).
 * cnn: [conv3×3(8) → batchNorm → relu → maxPool 2]  → [conv3×3(16) → batchNorm → relu → maxPool 2]
 *      → flatten → linear(16·H/4·W/4, classes).
 * vit: sg.models.vit — 7×7 patches of a 28×28 digit, dim 64, 4 pre-norm layers of 4 heads, class-token head.
 */
export function buildModel(name: ModelName, inputShape: number[], classes: number): nn.Module {
  const features = inputShape.reduce((a, b) => a * b, 1);
  if (name === 'mlp') {
    return nn.sequential(nn.flatten(), nn.linear(features, 128), nn.relu(), nn.linear(128, classes));
  }
  if (name === 'cnn') {
    if (inputShape.length !== 3) throw sgError(`the cnn model needs image inputs [C, H, W], got [${inputShape}]`);
    const [c, h, w] = inputShape;
    return nn.sequential(
      nn.conv2d(c, 8, 3, { padding: 1 }), nn.batchNorm2d(8), nn.relu(), nn.maxPool2d(2),
      nn.conv2d(8, 16, 3, { padding: 1 }), nn.batchNorm2d(16), nn.relu(), nn.maxPool2d(2),
      nn.flatten(), nn.linear(16 * Math.floor(h / 4) * Math.floor(w / 4), classes),
    );
  }
  if (name === 'vit') {
    if (inputShape.length !== 3 || inputShape[1] !== inputShape[2]) throw sgError(`the vit model needs square image inputs [C, H, H], got [${inputShape}]`);
    const [c, h] = inputShape;
    // The largest patch that leaves at least 4×4 patches: 7 for a 28×28 digit (16 patches).
    const patch = Array.from({ length: h }, (_, i) => i + 1).filter((p) => h % p === 0 && h / p >= 4).pop() ?? 1;
    return models.vit({ imageSize: h, patchSize: patch, inChannels: c, classes, dim: 64, depth: 4, heads: 4, mlpRatio: 2 });
  }
  throw sgError(`unknown model '${name}' (mlp, cnn or vit)`);
}

export interface LoadedData {
  train: data.Dataset;
  test: data.Dataset;
  numClasses: number;
  inputShape: number[];
}

/** A dataset by name, split 90/10 into train (fit carves validation out of it) and test. */
export async function loadDataset(name: string, opts: { count: number; seed: number }): Promise<LoadedData> {
  let ds: data.Dataset;
  if (name === 'mnist') ds = await data.mnist({ count: opts.count });
  else if (name === 'spiral') ds = data.spiral({ n: opts.count, seed: opts.seed });
  else if (name === 'moons') ds = data.moons({ n: opts.count, seed: opts.seed });
  else if (name === 'circles') ds = data.circles({ n: opts.count, seed: opts.seed });
  else if (name === 'xor') ds = data.xor({ n: opts.count, seed: opts.seed });
  else throw sgError(`unknown dataset '${name}' (mnist, spiral, moons, circles or xor)`);
  const split = data.trainValTestSplit(ds, { val: 0, test: 0.1, seed: opts.seed, stratify: true });
  return { train: split.train, test: split.test, numClasses: ds.numClasses ?? 2, inputShape: ds.xShape };
}

export function makeScheduler(name: string, epochs: number): optim.Scheduler | undefined {
  switch (name) {
    case 'constant': return undefined;
    case 'step': return optim.stepLR({ stepSize: Math.max(1, Math.floor(epochs / 3)), gamma: 0.1 });
    case 'cosine': return optim.cosineAnnealing({ tMax: epochs });
    case 'exponential': return optim.exponentialLR({ gamma: 0.9 });
    case 'linear': return optim.linearLR({ startFactor: 1, endFactor: 0.1, totalIters: epochs });
    case 'inverse-sqrt': return optim.inverseSqrt({ warmupSteps: 1 });
    case 'plateau': return optim.reduceOnPlateau({ patience: 1 });
    // At most three cosine cycles over the run, each restarting at the base rate (t0 = ⌈epochs/3⌉; with
    // fewer than 4 epochs every epoch is a restart, so the rate stays at base).
    case 'warm-restarts': return optim.cosineAnnealingWarmRestarts({ t0: Math.max(1, Math.ceil(epochs / 3)) });
    // base · (1 − e/epochs)²: a quadratic decay towards 0 at the end of the run (the last epoch has base/epochs²).
    case 'polynomial': return optim.polynomialLR({ totalIters: epochs, power: 2 });
    default: throw sgError(`unknown scheduler '${name}' (constant, step, cosine, exponential, linear, inverse-sqrt, plateau, warm-restarts, polynomial)`);
  }
}

export function makeOptimizer(name: string, params: Tensor[], o: { lr: number; weightDecay?: number; scheduler?: optim.Scheduler }): optim.Optimizer {
  const common = { lr: o.lr, weightDecay: o.weightDecay || undefined, scheduler: o.scheduler };
  switch (name) {
    case 'sgd': return optim.sgd(params, common);
    case 'momentum': return optim.sgd(params, { ...common, momentum: 0.9 });
    case 'nesterov': return optim.sgd(params, { ...common, momentum: 0.9, nesterov: true });
    case 'rmsprop': return optim.rmsprop(params, common);
    case 'adagrad': return optim.adagrad(params, common);
    case 'adam': return optim.adam(params, common);
    case 'adamw': return optim.adamW(params, { ...common, weightDecay: o.weightDecay ?? 1e-2 });
    default: throw sgError(`unknown optimizer '${name}' (sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw)`);
  }
}
