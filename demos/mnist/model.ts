// The MNIST models, optimizers and schedules: built in the worker (train.worker.ts); the page uses
// buildScheduler for the planned learning-rate curve (no GPU needed).
import * as sg from 'shadergrad';

export type ModelKind = 'mlp' | 'cnn';
export type OptName = 'adam' | 'adamW' | 'sgd' | 'rmsprop' | 'adagrad';
export type Schedule = 'constant' | 'cosine' | 'step';

/** What proxy.build(config) sends: the model and its optimizer. */
export interface BuildConfig {
  model: ModelKind;
  hidden: number;
  optimizer: OptName;
  lr: number;
  schedule: Schedule;
  epochs: number;
}

export function buildModel(kind: ModelKind, hidden: number): sg.nn.Module {
  sg.manualSeed(1);
  const nn = sg.nn;
  if (kind === 'mlp') return nn.sequential(nn.flatten(), nn.linear(784, hidden), nn.relu(), nn.linear(hidden, 10));
  return nn.sequential(
    nn.conv2d(1, 8, 3, { padding: 1 }), nn.relu(), nn.maxPool2d(2),
    nn.conv2d(8, 16, 3, { padding: 1 }), nn.relu(), nn.maxPool2d(2),
    nn.flatten(), nn.linear(16 * 7 * 7, 10));
}

/** Also used on the page, for the planned learning-rate curve (sg.optim.lrCurve needs no GPU). */
export function buildScheduler(s: Schedule, epochs: number): sg.optim.Scheduler {
  if (s === 'cosine') return sg.optim.cosineAnnealing({ tMax: epochs });
  if (s === 'step') return sg.optim.stepLR({ stepSize: Math.max(1, Math.floor(epochs / 3)), gamma: 0.3 });
  return sg.optim.constant();
}

export function buildOptimizer(c: BuildConfig, params: sg.Tensor[]): sg.optim.Optimizer {
  const scheduler = buildScheduler(c.schedule, c.epochs);
  if (c.optimizer === 'sgd') return sg.optim.sgd(params, { lr: c.lr, momentum: 0.9, scheduler });
  if (c.optimizer === 'rmsprop') return sg.optim.rmsprop(params, { lr: c.lr, scheduler });
  if (c.optimizer === 'adagrad') return sg.optim.adagrad(params, { lr: c.lr, scheduler });
  if (c.optimizer === 'adamW') return sg.optim.adamW(params, { lr: c.lr, weightDecay: 1e-2, scheduler });
  return sg.optim.adam(params, { lr: c.lr, scheduler });
}

