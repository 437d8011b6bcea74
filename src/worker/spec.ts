// A serialisable description of a simple sequential model and its optimizer: what a page sends to a
// worker that serves no model function of its own (sg.worker.serve() with no `model`), e.g.
//
//   await w.build({ seed: 1, layers: [{ type: 'linear', in: 2, out: 16 }, { type: 'tanh' }, { type: 'linear', in: 16, out: 2 }],
//                   optimizer: { type: 'adam', lr: 0.01 } });

import { Module } from '../nn/module.js';
import {
  linear, relu, tanh, sigmoid, gelu, silu, elu, leakyRelu, flatten, dropout, conv2d, maxPool2d, batchNorm1d,
  batchNorm2d, sequential, softmax, logSoftmax,
} from '../nn/layers.js';
import { adam, adamW, sgd, rmsprop, adagrad, type Optimizer } from '../optim/optimizers.js';
import { manualSeed } from '../util/random.js';
import { sgError } from '../util/errors.js';

export type LayerSpec =
  | { type: 'linear'; in: number; out: number; bias?: boolean }
  | { type: 'conv2d'; in: number; out: number; kernel: number; stride?: number; padding?: number }
  | { type: 'maxPool2d'; kernel: number; stride?: number }
  | { type: 'batchNorm1d' | 'batchNorm2d'; features: number }
  | { type: 'dropout'; p: number }
  | { type: 'leakyRelu'; slope?: number }
  | { type: 'elu'; alpha?: number }
  | { type: 'flatten' | 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'silu' | 'softmax' | 'logSoftmax' };

export interface OptimizerSpec {
  type: 'adam' | 'adamW' | 'sgd' | 'rmsprop' | 'adagrad';
  lr: number;
  weightDecay?: number;
  /** sgd only. */
  momentum?: number;
}

/** What sg.worker.serve() builds without a `model` function: `proxy.build(spec)`. */
export interface ModelSpec {
  layers: LayerSpec[];
  /** Default: Adam, lr 1e-3. */
  optimizer?: OptimizerSpec;
  /** sg.manualSeed before the layers are made: the same spec and seed give the same weights. */
  seed?: number;
}

const NO_ARGS = new Set(['flatten', 'relu', 'tanh', 'sigmoid', 'gelu', 'silu', 'softmax', 'logSoftmax']);

function positive(where: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw sgError(`${where} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function layerOf(s: LayerSpec, i: number): Module {
  const where = `worker.build: layers[${i}] (${JSON.stringify(s)})`;
  if (!s || typeof s !== 'object' || typeof s.type !== 'string') throw sgError(`${where}: expected { type: 'linear' | 'relu' | … }`);
  switch (s.type) {
    case 'linear': return linear(positive(`${where}: in`, s.in), positive(`${where}: out`, s.out), { bias: s.bias ?? true });
    case 'conv2d': return conv2d(positive(`${where}: in`, s.in), positive(`${where}: out`, s.out), positive(`${where}: kernel`, s.kernel), { stride: s.stride ?? 1, padding: s.padding ?? 0 });
    case 'maxPool2d': return maxPool2d(positive(`${where}: kernel`, s.kernel), s.stride === undefined ? {} : { stride: s.stride });
    case 'batchNorm1d': return batchNorm1d(positive(`${where}: features`, s.features));
    case 'batchNorm2d': return batchNorm2d(positive(`${where}: features`, s.features));
    case 'dropout': return dropout(s.p);
    case 'leakyRelu': return leakyRelu(s.slope);
    case 'elu': return elu(s.alpha);
    case 'flatten': return flatten();
    case 'relu': return relu();
    case 'tanh': return tanh();
    case 'sigmoid': return sigmoid();
    case 'gelu': return gelu();
    case 'silu': return silu();
    case 'softmax': return softmax();
    case 'logSoftmax': return logSoftmax();
    default:
      throw sgError(`${where}: unknown layer type ${JSON.stringify((s as { type: string }).type)}; known: linear, conv2d, maxPool2d, batchNorm1d, batchNorm2d, dropout, leakyRelu, elu, ${[...NO_ARGS].join(', ')}`);
  }
}

/** nn.sequential of the spec's layers. */
export function modelFromSpec(spec: ModelSpec): Module {
  if (!spec || !Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw sgError(`worker.build: expected a model spec { layers: [{ type: 'linear', in, out }, …] } (the worker's serve() has no model function), got ${JSON.stringify(spec)?.slice(0, 120)}`);
  }
  if (spec.seed !== undefined) manualSeed(spec.seed);
  return sequential(...spec.layers.map(layerOf));
}

export function optimizerFromSpec(model: Module, spec: OptimizerSpec | undefined): Optimizer {
  const s = spec ?? { type: 'adam', lr: 1e-3 };
  const where = `worker.build: optimizer ${JSON.stringify(s)}`;
  if (!(typeof s.lr === 'number' && s.lr >= 0)) throw sgError(`${where}: lr must be a number ≥ 0`);
  const params = model.parameters();
  switch (s.type) {
    case 'adam': return adam(params, { lr: s.lr, weightDecay: s.weightDecay });
    case 'adamW': return adamW(params, { lr: s.lr, weightDecay: s.weightDecay ?? 1e-2 });
    case 'sgd': return sgd(params, { lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
    case 'rmsprop': return rmsprop(params, { lr: s.lr, weightDecay: s.weightDecay });
    case 'adagrad': return adagrad(params, { lr: s.lr, weightDecay: s.weightDecay });
    default: throw sgError(`${where}: unknown type; known: adam, adamW, sgd, rmsprop, adagrad`);
  }
}
