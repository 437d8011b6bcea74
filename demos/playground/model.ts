// What the playground's page and its worker share: the data set, the model and the optimizer of a
// Settings. The page makes the data to draw it; the worker (./train.worker.ts) makes the same data,
// model and optimizer to train them — both from the settings alone, so they agree.
import * as sg from 'shadergrad';
import type { Settings } from './presets.js';

/** What the worker's build() gets: the settings and the number of classes of their data set. */
export interface BuildConfig extends Settings {
  classes: number;
}

/** sg.nn.dropout, once the library has it (the control is hidden otherwise). */
export const nnDropout = Reflect.get(sg.nn, 'dropout') as ((p: number) => sg.nn.Module) | undefined;

export function makeData(s: Settings): sg.data.Dataset {
  const o = { n: s.n, noise: s.noise, seed: s.seed };
  switch (s.dataset) {
    case 'spiral': return sg.data.spiral({ ...o, classes: 3 });
    case 'moons': return sg.data.moons(o);
    case 'circles': return sg.data.circles(o);
    case 'xor': return sg.data.xor(o);
  }
}

export async function makeModel(s: Settings, classes: number): Promise<sg.nn.Module> {
  sg.manualSeed(s.seed);
  const nn = sg.nn;
  const act = () => (s.activation === 'relu' ? nn.relu() : s.activation === 'tanh' ? nn.tanh() : nn.sigmoid());
  const init = s.init === 'zeros' ? 'default' : s.init;
  const layers: sg.nn.Module[] = [];
  let width = 2;
  for (let i = 0; i < s.layers; i++) {
    layers.push(nn.linear(width, s.width, { init }), act());
    if (s.dropout > 0 && nnDropout) layers.push(nnDropout(s.dropout));
    width = s.width;
  }
  layers.push(nn.linear(width, classes, { init }));
  const model = nn.sequential(...layers);
  if (s.init === 'zeros') for (const p of model.parameters()) await sg.assign(p, sg.zerosLike(p));
  return model;
}

export function makeOptimizer(s: Settings, params: sg.Tensor[]): sg.optim.Optimizer {
  const scheduler = s.schedule === 'cosine' ? sg.optim.cosineAnnealing({ tMax: s.epochs })
    : s.schedule === 'step' ? sg.optim.stepLR({ stepSize: Math.max(1, Math.round(s.epochs / 3)), gamma: 0.3 })
      : sg.optim.constant();
  const common = { lr: s.lr, l1: s.l1, l2: s.l2, scheduler };
  if (s.optimizer === 'sgd') return sg.optim.sgd(params, common);
  if (s.optimizer === 'momentum') return sg.optim.sgd(params, { ...common, momentum: 0.9 });
  if (s.optimizer === 'rmsprop') return sg.optim.rmsprop(params, common);
  return sg.optim.adam(params, common);
}

