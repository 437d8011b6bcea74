// Weight initialisation (torch.nn.init semantics), seeded. Each initializer returns a new f32
// tensor of the given shape; fan-in/fan-out follow PyTorch (for conv weights [O, I, kh, kw]:
// fan_in = I·kh·kw, fan_out = O·kh·kw). `manualSeed(n)` makes every later initialisation reproducible.

import { globalRandom, Random } from '../util/random.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { fmtShape, numel } from '../util/shape.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const WEIGHT_INIT_KEYS = keysOf<InitOptions>({ seed: 1, name: 1 });
export const KAIMING_KEYS = keysOf<KaimingOptions>({ seed: 1, name: 1, a: 1, mode: 1, nonlinearity: 1 });

export interface InitOptions {
  /** Use a private generator with this seed instead of the global one. */
  seed?: number;
  name?: string;
}

export type Nonlinearity = 'linear' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** torch.nn.init.calculate_gain */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw sgError(`calculateGain: unknown nonlinearity '${nonlinearity}'`);
  }
}

/** [fanIn, fanOut] of a weight shape, as torch.nn.init._calculate_fan_in_and_fan_out. */
export function fans(shape: number[]): [number, number] {
  if (shape.length < 2) throw sgError(`init: fan in/out needs at least 2 dimensions, got ${fmtShape(shape)}`, ShapeError);
  const receptive = numel(shape.slice(2));
  return [shape[1] * receptive, shape[0] * receptive];
}

function make(shape: number[], opts: InitOptions, draw: (r: Random) => number): Tensor {
  checkOptions('nn.init', opts, WEIGHT_INIT_KEYS);
  const r = opts.seed !== undefined ? new Random(opts.seed) : globalRandom();
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(r);
  return tensor(data, shape, { name: opts.name });
}

export const zeros = (shape: number[], opts: InitOptions = {}) => make(shape, opts, () => 0);
export const ones = (shape: number[], opts: InitOptions = {}) => make(shape, opts, () => 1);
export const constant = (shape: number[], value: number, opts: InitOptions = {}) => make(shape, opts, () => value);

/** U(low, high) */
export function uniform(shape: number[], low = 0, high = 1, opts: InitOptions = {}): Tensor {
  if (!(high >= low)) throw sgError(`init.uniform: high (${high}) must be ≥ low (${low})`);
  return make(shape, opts, (r) => low + (high - low) * r.next());
}

/** N(mean, std²) */
export function normal(shape: number[], mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  if (!(std >= 0)) throw sgError(`init.normal: std must be ≥ 0, got ${std}`);
  return make(shape, opts, (r) => r.normal(mean, std));
}

/** Glorot/Xavier uniform: U(±gain·√(6 / (fanIn + fanOut))) */
export function xavierUniform(shape: number[], gain = 1, opts: InitOptions = {}): Tensor {
  const [fi, fo] = fans(shape);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform(shape, -a, a, opts);
}

/** Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)) */
export function xavierNormal(shape: number[], gain = 1, opts: InitOptions = {}): Tensor {
  const [fi, fo] = fans(shape);
  return normal(shape, 0, gain * Math.sqrt(2 / (fi + fo)), opts);
}

export interface KaimingOptions extends InitOptions {
  /** negative slope of the rectifier after this layer (leakyRelu), default 0 */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(shape: number[], o: KaimingOptions): number {
  const [fi, fo] = fans(shape);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fi : fo;
  const gain = calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(±gain·√(3 / fan)) */
export function kaimingUniform(shape: number[], opts: KaimingOptions = {}): Tensor {
  checkOptions('nn.init.kaimingUniform', opts, KAIMING_KEYS);
  const bound = Math.sqrt(3) * kaimingStd(shape, opts);
  return uniform(shape, -bound, bound, { seed: opts.seed, name: opts.name });
}

/** He/Kaiming normal: N(0, gain² / fan) */
export function kaimingNormal(shape: number[], opts: KaimingOptions = {}): Tensor {
  checkOptions('nn.init.kaimingNormal', opts, KAIMING_KEYS);
  return normal(shape, 0, kaimingStd(shape, opts), { seed: opts.seed, name: opts.name });
}
