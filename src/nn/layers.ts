// Layers built on the public ops. Constructors follow torch.nn (in/out features, kernel sizes, ...);
// weights are laid out as PyTorch does ([out, in], [out, in/groups, kh, kw]) and initialised as
// PyTorch does unless an `init` is given.

import { Module } from './module.js';
import * as init from './init.js';
import { tensor as tensorOf, type Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../util/shape.js';
import { add, relu as reluOp, sigmoid as sigmoidOp, tanh as tanhOp } from '../ops/elementwise.js';
import { linear as linearOp } from '../ops/matmul.js';
import { flatten as flattenOp, reshape, unsqueeze } from '../ops/shape-ops.js';
import { conv2d as conv2dOp, type Conv2dOptions } from '../ops/conv.js';
import { avgPool2d as avgPoolOp, globalAvgPool2d as gapOp, maxPool2d as maxPoolOp, type AvgPool2dOptions, type MaxPool2dOptions } from '../ops/pool.js';
import { elu as eluOp, gelu as geluOp, leakyRelu as leakyReluOp, silu as siluOp, softplus as softplusOp, type GeluOptions, type SoftplusOptions, GELU_KEYS, SOFTPLUS_KEYS } from '../ops/activation.js';
import { logSoftmax as logSoftmaxOp, softmax as softmaxOp } from '../ops/softmax.js';
import { batchNorm as batchNormOp } from '../ops/batchnorm.js';
import { augment as augmentOp, dropout as dropoutOp, randomKey, seedNext, type AugmentOptions, RANDOM_AUGMENT_KEYS } from '../ops/dropout.js';
import { layerNorm as layerNormOp } from '../ops/layernorm.js';
import { groupNorm as groupNormOp, instanceNorm as instanceNormOp, rmsNorm as rmsNormOp } from '../ops/norm.js';
import { embedding as embeddingOp, narrow, pad } from '../ops/index-ops.js';
import { deferStateUpdate } from '../graph/state.js';
import { checkOptions, optionsChecked, keysOf, type Opts } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const LINEAR_KEYS = keysOf<LinearOptions>({ bias: 1, init: 1, biasInit: 1, seed: 1 });
export const CONV2D_KEYS = keysOf<Conv2dLayerOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1, bias: 1, init: 1, seed: 1 });
export const MAX_POOL2D_KEYS = keysOf<Opts<typeof maxPool2d, 1>>({ stride: 1, padding: 1, ceilMode: 1 });
export const AVG_POOL2D_KEYS = keysOf<Opts<typeof avgPool2d, 1>>({ stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 });
export const BATCH_NORM_KEYS = keysOf<BatchNormLayerOptions>({ eps: 1, momentum: 1, affine: 1 });
export const LAYER_NORM_KEYS = keysOf<LayerNormLayerOptions>({ eps: 1, affine: 1, bias: 1 });
export const RMS_NORM_KEYS = keysOf<RMSNormLayerOptions>({ eps: 1, affine: 1 });
export const GROUP_NORM_KEYS = keysOf<GroupNormLayerOptions>({ eps: 1, affine: 1 });
export const INSTANCE_NORM_KEYS = keysOf<InstanceNormLayerOptions>({ eps: 1, momentum: 1, affine: 1, trackRunningStats: 1 });
export const EMBEDDING_KEYS = keysOf<Opts<typeof embedding, 2>>({ seed: 1 });

/** Check the trailing dimension(s) of a layer input; the message names the layer and both shapes. */
export function expectFeatures(kind: string, x: Tensor, dims: number[], what: string): void {
  const tail = x.shape.slice(x.rank - dims.length);
  if (x.rank < dims.length || tail.some((d, i) => d !== dims[i])) {
    throw sgError(`${kind}: input ${x.describe()} must end with ${fmtShape(dims)} (${what})`, ShapeError);
  }
}

export interface LinearOptions {
  bias?: boolean;
  /** Weight initializer (default: PyTorch's kaiming-uniform with a = √5, i.e. U(±1/√in)). */
  init?: 'default' | 'xavierUniform' | 'xavierNormal' | 'kaimingUniform' | 'kaimingNormal';
  /** Bias initializer: 'default' (PyTorch's U(±1/√in)) or 'zeros' (as nn.MultiheadAttention's out_proj). */
  biasInit?: 'default' | 'zeros';
  seed?: number;
}

/**
 * A layer's weight: PyTorch's default (kaiming-uniform with a = √5, i.e. U(±1/√fanIn) = U(±bound)),
 * or the named initializer (kaiming ones for a following ReLU).
 */
function initWeight(shape: number[], bound: number, opts: { init?: LinearOptions['init']; seed?: number }): Tensor {
  const o = { seed: opts.seed };
  switch (opts.init ?? 'default') {
    case 'default': return init.uniform(shape, -bound, bound, o);
    case 'xavierUniform': return init.xavierUniform(shape, 1, o);
    case 'xavierNormal': return init.xavierNormal(shape, 1, o);
    case 'kaimingUniform': return init.kaimingUniform(shape, { ...o, nonlinearity: 'relu' });
    case 'kaimingNormal': return init.kaimingNormal(shape, { ...o, nonlinearity: 'relu' });
    default: throw sgError(`unknown initializer '${opts.init}'`);
  }
}

/** y = x·Wᵀ + b, W: [out, in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super('Linear');
    checkOptions('nn.Linear', opts, LINEAR_KEYS);
    for (const [v, n] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v < 1) throw sgError(`Linear: ${n} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.addParameter('weight', initWeight([outFeatures, inFeatures], bound, opts));
    const biasInit = opts.biasInit ?? 'default';
    if (biasInit !== 'default' && biasInit !== 'zeros') throw sgError(`Linear: biasInit must be 'default' or 'zeros', got ${JSON.stringify(biasInit)}`);
    if (opts.bias ?? true) {
      this.bias = this.addParameter('bias', biasInit === 'zeros' ? init.zeros([outFeatures]) : init.uniform([outFeatures], -bound, bound, { seed: opts.seed }));
    }
  }

  forward(x: Tensor): Tensor {
    expectFeatures('Linear', x, [this.inFeatures], `in features of Linear(${this.inFeatures}, ${this.outFeatures})`);
    // One dispatch: x·Wᵀ + b in the tiled matmul's epilogue (ops/matmul.ts `linear`).
    return linearOp(x, this.param('weight'), this.bias ? this.param('bias') : undefined);
  }

  protected override describeArgs(): string {
    return `${this.inFeatures}, ${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}

/** Modules applied in order. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super('Sequential');
    this.layers = layers;
    layers.forEach((l, i) => this.addChild(String(i), l));
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }
}

/** A module from a function (activations, reshapes). */
export class Lambda extends Module {
  /**
   * @param config the layer's options as torch.nn names them in camelCase (`{ negativeSlope: 0.1 }`,
   *   `{ kernelSize: 2, stride: 2 }`): what sg.io.exportPytorch writes as the torch.nn constructor's arguments.
   */
  constructor(kind: string, private readonly fn: (x: Tensor) => Tensor, private readonly args = '', readonly config: Record<string, unknown> = {}) {
    super(kind);
  }

  forward(x: Tensor): Tensor {
    return this.fn(x);
  }

  protected override describeArgs(): string {
    return this.args;
  }
}

/** x + body(x) (with an optional projection on the skip path when shapes differ). */
export class Residual extends Module {
  constructor(readonly body: Module, readonly shortcut?: Module) {
    super('Residual');
    this.addChild('body', body);
    if (shortcut) this.addChild('shortcut', shortcut);
  }

  forward(x: Tensor): Tensor {
    const y = this.body.forward(x);
    const s = this.shortcut ? this.shortcut.forward(x) : x;
    if (y.shape.join() !== s.shape.join()) {
      throw sgError(`Residual: body output ${y.describe()} and skip ${s.describe()} differ; give a shortcut module`);
    }
    return add(y, s);
  }
}

export const relu = () => new Lambda('ReLU', reluOp);
export const sigmoid = () => new Lambda('Sigmoid', sigmoidOp);
export const tanh = () => new Lambda('Tanh', tanhOp);
/** Flatten dimensions startDim..endDim (default: all but the batch). */
export const flatten = (startDim = 1, endDim = -1) =>
  new Lambda('Flatten', (x) => flattenOp(x, startDim, endDim), `${startDim}, ${endDim}`, { startDim, endDim });
export const linear = (inFeatures: number, outFeatures: number, opts?: LinearOptions) => new Linear(inFeatures, outFeatures, opts);
export const sequential = (...layers: Module[]) => new Sequential(...layers);
export const residual = (body: Module, shortcut?: Module) => new Residual(body, shortcut);

// ---- convolution and pooling ----------------------------------------------------------------------

export interface Conv2dLayerOptions extends Omit<Conv2dOptions, 'version'> {
  bias?: boolean;
  init?: LinearOptions['init'];
  seed?: number;
}

/** torch.nn.Conv2d: weight [out, in/groups, kh, kw], PyTorch's default initialisation. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  readonly kernel: [number, number];

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], readonly opts: Conv2dLayerOptions = {}) {
    super('Conv2d');
    checkOptions('nn.Conv2d', opts, CONV2D_KEYS);
    const groups = opts.groups ?? 1;
    for (const [v, n] of [[inChannels, 'inChannels'], [outChannels, 'outChannels'], [groups, 'groups']] as const) {
      if (!Number.isInteger(v) || v < 1) throw sgError(`Conv2d: ${n} must be a positive integer, got ${v}`);
    }
    if (inChannels % groups || outChannels % groups) {
      throw sgError(`Conv2d: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.kernel = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const shape = [outChannels, inChannels / groups, ...this.kernel];
    const fanIn = (inChannels / groups) * this.kernel[0] * this.kernel[1];
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.addParameter('weight', initWeight(shape, bound, opts));
    if (opts.bias ?? true) this.bias = this.addParameter('bias', init.uniform([outChannels], -bound, bound, { seed: opts.seed }));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw sgError(`Conv2d(${this.inChannels}, ${this.outChannels}): input ${x.describe()} must be [N, ${this.inChannels}, H, W]`, ShapeError);
    }
    const { bias: _b, init: _i, seed: _s, ...conv } = this.opts;
    return conv2dOp(x, this.param('weight'), this.bias ? this.param('bias') : null, conv);
  }

  protected override describeArgs(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel ${this.kernel.join('×')}`;
  }
}

export const conv2d = (inChannels: number, outChannels: number, kernelSize: number | [number, number], opts?: Conv2dLayerOptions) =>
  new Conv2d(inChannels, outChannels, kernelSize, opts);
export const maxPool2d = (kernelSize: number | [number, number], opts: Omit<MaxPool2dOptions, 'kernelSize'> = {}) =>
  optionsChecked('nn.MaxPool2d', opts, MAX_POOL2D_KEYS) &&
  new Lambda('MaxPool2d', (x) => maxPoolOp(x, { kernelSize, ...opts }), `${kernelSize}`, { kernelSize, ...opts });
export const avgPool2d = (kernelSize: number | [number, number], opts: Omit<AvgPool2dOptions, 'kernelSize'> = {}) =>
  optionsChecked('nn.AvgPool2d', opts, AVG_POOL2D_KEYS) &&
  new Lambda('AvgPool2d', (x) => avgPoolOp(x, { kernelSize, ...opts }), `${kernelSize}`, { kernelSize, ...opts });
/** Global average pooling to [N, C, 1, 1] (torch.nn.AdaptiveAvgPool2d(1)). */
export const globalAvgPool2d = () => new Lambda('GlobalAvgPool2d', gapOp);
export const leakyRelu = (negativeSlope = 0.01) =>
  new Lambda('LeakyReLU', (x) => leakyReluOp(x, negativeSlope), `${negativeSlope}`, { negativeSlope });
export const elu = (alpha = 1) => new Lambda('ELU', (x) => eluOp(x, alpha), `${alpha}`, { alpha });
export const gelu = (opts: GeluOptions = {}) => optionsChecked('nn.GELU', opts, GELU_KEYS) && new Lambda('GELU', (x) => geluOp(x, opts), opts.approximate ?? 'none', { ...opts });
export const softplus = (opts: SoftplusOptions = {}) => optionsChecked('nn.Softplus', opts, SOFTPLUS_KEYS) && new Lambda('Softplus', (x) => softplusOp(x, opts), '', { ...opts });
export const silu = () => new Lambda('SiLU', siluOp);
/**
 * The axis of nn.softmax() / nn.logSoftmax() given none: the last, which is torch's implicit choice for 1-D
 * and 2-D inputs. For more dimensions torch's (deprecated) implicit choice is dim 0 for 3-D and dim 1
 * otherwise, so rather than silently differ, an input of rank ≥ 3 needs the axis spelled out.
 */
function implicitAxis(kind: string, x: Tensor): number {
  if (x.rank <= 2) return -1;
  throw sgError(`nn.${kind}(): no axis given for input ${x.describe()}; torch's implicit choice for ${x.rank}-D input ` +
    `(dim ${x.rank === 3 ? 0 : 1}) is deprecated and differs from the last axis: pass it, e.g. nn.${kind}(-1) or nn.${kind}(1)`, ShapeError);
}
export const softmax = (axis?: number) =>
  new Lambda('Softmax', (x) => softmaxOp(x, axis ?? implicitAxis('softmax', x)), `${axis ?? ''}`, { dim: axis ?? -1 });
export const logSoftmax = (axis?: number) =>
  new Lambda('LogSoftmax', (x) => logSoftmaxOp(x, axis ?? implicitAxis('logSoftmax', x)), `${axis ?? ''}`, { dim: axis ?? -1 });

// ---- normalisation, dropout, embedding --------------------------------------------------------------

export interface BatchNormLayerOptions {
  eps?: number;
  /**
   * Running statistics: running = (1 − momentum)·running + momentum·statistic (default 0.1). null is
   * torch's momentum=None: a cumulative moving average, factor 1/num_batches_tracked (after its increment).
   */
  momentum?: number | null;
  /** Learnable γ and β (default true). */
  affine?: boolean;
}

/**
 * A norm layer's momentum: a finite number, or undefined for the default 0.1; null (torch's
 * momentum=None, a cumulative moving average with factor 1/num_batches_tracked) where `allowNull`
 * (BatchNorm). InstanceNorm refuses null as torch does: before this check `momentum ?? 0.1` silently
 * made it 0.1.
 */
function checkMomentum(kind: string, momentum: unknown, allowNull = false): void {
  if (momentum === undefined || (typeof momentum === 'number' && Number.isFinite(momentum))) return;
  if (momentum === null && allowNull) return;
  const none = momentum === null ? " (torch's momentum=None, a cumulative moving average, is not supported: give a number)" : '';
  throw sgError(`${kind}: momentum must be a finite number${allowNull ? ' or null' : ''}, got ${String(momentum)}${none}`);
}

/**
 * torch.nn.BatchNorm1d / BatchNorm2d: in training, normalise with the batch statistics (biased
 * variance) and update the running statistics (unbiased variance, momentum); in eval, use them.
 * Buffers as PyTorch names them: `running_mean`, `running_var` and `num_batches_tracked` (the count of
 * training forwards; i32 here, int64 in PyTorch — sg.save writes it as I64).
 */
export class BatchNorm extends Module {
  constructor(kind: string, readonly numFeatures: number, readonly rank: number[], readonly opts: BatchNormLayerOptions = {}) {
    super(kind);
    checkOptions(`nn.${kind}`, opts, BATCH_NORM_KEYS);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw sgError(`${kind}: numFeatures must be a positive integer, got ${numFeatures}`);
    checkMomentum(kind, opts.momentum, true);
    if (opts.affine ?? true) {
      this.addParameter('weight', init.ones([numFeatures]));
      this.addParameter('bias', init.zeros([numFeatures]));
    }
    this.addBuffer('running_mean', init.zeros([numFeatures]));
    this.addBuffer('running_var', init.ones([numFeatures]));
    this.addBuffer('num_batches_tracked', tensorOf(new Int32Array(1), [], { dtype: 'i32' }));
  }

  forward(x: Tensor): Tensor {
    if (!this.rank.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      const want = this.rank.map((r) => (r === 2 ? `[N, ${this.numFeatures}]` : r === 3 ? `[N, ${this.numFeatures}, L]` : `[N, ${this.numFeatures}, H, W]`)).join(' or ');
      throw sgError(`${this.kind}(${this.numFeatures}): input ${x.describe()} must be ${want}`, ShapeError);
    }
    const affine = this.opts.affine ?? true;
    // num_batches_tracked += 1 on the GPU (no i32 arithmetic op: seedNext adds 1 to [count, 0] as a
    // 64-bit integer, and the low word is the new count), so compiled steps count too. With momentum
    // null the running statistics move by 1/(the new count), as torch's cumulative average.
    const count = this.buffer('num_batches_tracked');
    const next = this.training ? reshape(narrow(seedNext(pad(reshape(count, [1]), [0, 1])), 0, 0, 1), []) : undefined;
    const cumulative = this.opts.momentum === null;
    const r = batchNormOp(x, {
      weight: affine ? this.param('weight') : undefined, bias: affine ? this.param('bias') : undefined,
      runningMean: this.buffer('running_mean'), runningVar: this.buffer('running_var'), training: this.training,
      momentum: this.opts.momentum === undefined ? 0.1 : this.opts.momentum, eps: this.opts.eps ?? 1e-5,
      numBatchesTracked: cumulative ? (next ?? count) : undefined,
    });
    if (this.training && r.runningMean && r.runningVar && next) {
      if (!deferStateUpdate(this.buffer('running_mean'), r.runningMean)) this.setBuffer('running_mean', r.runningMean);
      if (!deferStateUpdate(this.buffer('running_var'), r.runningVar)) this.setBuffer('running_var', r.runningVar);
      if (!deferStateUpdate(count, next)) this.setBuffer('num_batches_tracked', next);
    }
    return r.y;
  }

  protected override describeArgs(): string {
    return `${this.numFeatures}`;
  }
}

export const batchNorm1d = (numFeatures: number, opts?: BatchNormLayerOptions) => new BatchNorm('BatchNorm1d', numFeatures, [2, 3], opts);
export const batchNorm2d = (numFeatures: number, opts?: BatchNormLayerOptions) => new BatchNorm('BatchNorm2d', numFeatures, [4], opts);

/**
 * Inverted dropout (torch.nn.Dropout): active in training, identity in eval. The layer keeps its
 * random key as state; every forward in training advances it, so each step (eager or compiled)
 * draws a new mask.
 */
export class Dropout extends Module {
  constructor(readonly p: number) {
    super('Dropout');
    if (!(p >= 0 && p < 1)) throw sgError(`Dropout: p must be in [0, 1), got ${p}`);
    this.addBuffer('key', randomKey(), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropoutOp(x, this.p, { seed: this.nextKey() });
  }

  protected override describeArgs(): string {
    return `p=${this.p}`;
  }
}

export const dropout = (p = 0.5) => new Dropout(p);

export interface LayerNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learnable weight (ones) and bias (zeros) (default true; torch's elementwise_affine). */
  affine?: boolean;
  /** With affine, a learnable bias too (default true; torch ≥ 2.1's `bias`). */
  bias?: boolean;
}

/** torch.nn.LayerNorm over the trailing `normalizedShape` dims, with learnable γ, β. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | number[], readonly opts: LayerNormLayerOptions = {}) {
    super('LayerNorm');
    checkOptions('nn.LayerNorm', opts, LAYER_NORM_KEYS);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (opts.affine ?? true) {
      this.addParameter('weight', init.ones(this.normalizedShape));
      if (opts.bias ?? true) this.addParameter('bias', init.zeros(this.normalizedShape));
    }
  }

  forward(x: Tensor): Tensor {
    const affine = this.opts.affine ?? true;
    const bias = affine && (this.opts.bias ?? true);
    return layerNormOp(x, this.normalizedShape, affine ? this.param('weight') : null, bias ? this.param('bias') : null, this.opts.eps ?? 1e-5);
  }

  protected override describeArgs(): string {
    return fmtShape(this.normalizedShape);
  }
}

export const layerNorm = (normalizedShape: number | number[], opts?: LayerNormLayerOptions) => new LayerNorm(normalizedShape, opts);

export interface RMSNormLayerOptions {
  /** Added to the mean square (default: none, i.e. torch.finfo(float32).eps = 2⁻²³, as torch). */
  eps?: number;
  /** A learnable weight of shape normalizedShape, initialised to ones (default true; torch's elementwise_affine). */
  affine?: boolean;
}

/** torch.nn.RMSNorm over the trailing `normalizedShape` dims: x / √(mean(x²) + eps) · weight. */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | number[], readonly opts: RMSNormLayerOptions = {}) {
    super('RMSNorm');
    checkOptions('nn.RMSNorm', opts, RMS_NORM_KEYS);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (!this.normalizedShape.length || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw sgError(`RMSNorm: normalizedShape must be a positive size or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    if (opts.affine ?? true) this.addParameter('weight', init.ones(this.normalizedShape));
  }

  forward(x: Tensor): Tensor {
    expectFeatures('RMSNorm', x, this.normalizedShape, `normalizedShape of RMSNorm(${fmtShape(this.normalizedShape)})`);
    return rmsNormOp(x, this.normalizedShape, (this.opts.affine ?? true) ? this.param('weight') : null, this.opts.eps);
  }

  protected override describeArgs(): string {
    return fmtShape(this.normalizedShape);
  }
}

export const rmsNorm = (normalizedShape: number | number[], opts?: RMSNormLayerOptions) => new RMSNorm(normalizedShape, opts);

export interface GroupNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** A learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
}

/** torch.nn.GroupNorm: the channels of [N, C, *] inputs in numGroups groups, each normalised over its channels and positions. */
export class GroupNorm extends Module {
  constructor(readonly numGroups: number, readonly numChannels: number, readonly opts: GroupNormLayerOptions = {}) {
    super('GroupNorm');
    checkOptions('nn.GroupNorm', opts, GROUP_NORM_KEYS);
    for (const [v, n] of [[numGroups, 'numGroups'], [numChannels, 'numChannels']] as const) {
      if (!Number.isInteger(v) || v < 1) throw sgError(`GroupNorm: ${n} must be a positive integer, got ${v}`);
    }
    if (numChannels % numGroups) throw sgError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    if (opts.affine ?? true) {
      this.addParameter('weight', init.ones([numChannels]));
      this.addParameter('bias', init.zeros([numChannels]));
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[1] !== this.numChannels) {
      throw sgError(`GroupNorm(${this.numGroups}, ${this.numChannels}): input ${x.describe()} must be [N, ${this.numChannels}, ...]`, ShapeError);
    }
    const affine = this.opts.affine ?? true;
    return groupNormOp(x, this.numGroups, affine ? this.param('weight') : null, affine ? this.param('bias') : null, this.opts.eps ?? 1e-5);
  }

  protected override describeArgs(): string {
    return `${this.numGroups}, ${this.numChannels}`;
  }
}

export const groupNorm = (numGroups: number, numChannels: number, opts?: GroupNormLayerOptions) => new GroupNorm(numGroups, numChannels, opts);

export interface InstanceNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running statistics: running = (1 − momentum)·running + momentum·statistic (default 0.1). */
  momentum?: number;
  /** A learnable per-channel weight (ones) and bias (zeros) (default false, as torch). */
  affine?: boolean;
  /** Keep running statistics, updated in training and used in eval (default false, as torch). */
  trackRunningStats?: boolean;
}

/**
 * torch.nn.InstanceNorm1d / InstanceNorm2d: each (sample, channel) normalised over its positions, for
 * batched ([N, C, L] / [N, C, H, W]) and unbatched ([C, L] / [C, H, W]) inputs. With trackRunningStats,
 * training updates the running statistics (unbiased variance, averaged over the batch) and eval uses
 * them; the buffers are named as torch's: `running_mean`, `running_var` and `num_batches_tracked`, which
 * torch's instance norm keeps at 0 (it never counts), and so does this layer.
 */
export class InstanceNorm extends Module {
  constructor(kind: 'InstanceNorm1d' | 'InstanceNorm2d', readonly numFeatures: number, readonly opts: InstanceNormLayerOptions = {}) {
    super(kind);
    checkOptions(`nn.${kind}`, opts, INSTANCE_NORM_KEYS);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw sgError(`${kind}: numFeatures must be a positive integer, got ${numFeatures}`);
    checkMomentum(kind, opts.momentum);
    if (opts.affine ?? false) {
      this.addParameter('weight', init.ones([numFeatures]));
      this.addParameter('bias', init.zeros([numFeatures]));
    }
    if (opts.trackRunningStats ?? false) {
      this.addBuffer('running_mean', init.zeros([numFeatures]));
      this.addBuffer('running_var', init.ones([numFeatures]));
      this.addBuffer('num_batches_tracked', tensorOf(new Int32Array(1), [], { dtype: 'i32' }));
    }
  }

  forward(x: Tensor): Tensor {
    const batched = this.kind === 'InstanceNorm1d' ? 3 : 4;
    const affine = this.opts.affine ?? false;
    const track = this.opts.trackRunningStats ?? false;
    const unbatched = x.rank === batched - 1;
    // torch checks the channels only where weights or running statistics need them (else it warns).
    if ((x.rank !== batched && !unbatched) || ((affine || track) && x.shape[unbatched ? 0 : 1] !== this.numFeatures)) {
      const spatial = batched === 3 ? 'L' : 'H, W';
      throw sgError(`${this.kind}(${this.numFeatures}): input ${x.describe()} must be [N, ${this.numFeatures}, ${spatial}] or [${this.numFeatures}, ${spatial}]`, ShapeError);
    }
    const useInputStats = this.training || !track;
    const r = instanceNormOp(unbatched ? unsqueeze(x, 0) : x, {
      ...(affine ? { weight: this.param('weight'), bias: this.param('bias') } : {}),
      ...(track ? { runningMean: this.buffer('running_mean'), runningVar: this.buffer('running_var') } : {}),
      useInputStats, momentum: this.opts.momentum === undefined ? 0.1 : this.opts.momentum, eps: this.opts.eps ?? 1e-5,
    });
    if (track && useInputStats && r.runningMean && r.runningVar) {
      if (!deferStateUpdate(this.buffer('running_mean'), r.runningMean)) this.setBuffer('running_mean', r.runningMean);
      if (!deferStateUpdate(this.buffer('running_var'), r.runningVar)) this.setBuffer('running_var', r.runningVar);
    }
    return unbatched ? reshape(r.y, x.shape) : r.y;
  }

  protected override describeArgs(): string {
    return `${this.numFeatures}`;
  }
}

export const instanceNorm1d = (numFeatures: number, opts?: InstanceNormLayerOptions) => new InstanceNorm('InstanceNorm1d', numFeatures, opts);
export const instanceNorm2d = (numFeatures: number, opts?: InstanceNormLayerOptions) => new InstanceNorm('InstanceNorm2d', numFeatures, opts);

/** torch.nn.Embedding: a [numEmbeddings, dim] table looked up by i32 indices, initialised N(0, 1). */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly dim: number, opts: { seed?: number } = {}) {
    super('Embedding');
    checkOptions('nn.Embedding', opts, EMBEDDING_KEYS);
    this.weight = this.addParameter('weight', init.normal([numEmbeddings, dim], 0, 1, { seed: opts.seed }));
  }

  forward(indices: Tensor): Tensor {
    return embeddingOp(indices, this.param('weight'));
  }

  protected override describeArgs(): string {
    return `${this.numEmbeddings}, ${this.dim}`;
  }
}

export const embedding = (numEmbeddings: number, dim: number, opts?: { seed?: number }) => new Embedding(numEmbeddings, dim, opts);

/**
 * Training-time augmentation of NCHW image batches on the GPU: random shift, horizontal flip and
 * Gaussian noise (identity in eval). Like Dropout it keeps a random key that advances every step.
 * Use it in fit: `augment: (x) => aug.forward(x)`, or as the first layer of a model.
 */
export class RandomAugment extends Module {
  constructor(readonly opts: AugmentOptions) {
    super('RandomAugment');
    checkOptions('nn.RandomAugment', opts, RANDOM_AUGMENT_KEYS);
    this.addBuffer('key', randomKey(), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    if (!this.training) return x;
    return augmentOp(x, this.nextKey(), this.opts);
  }

  protected override describeArgs(): string {
    return `shift=${this.opts.shift ?? 0}, flip=${this.opts.flip ?? 0}, noise=${this.opts.noise ?? 0}`;
  }
}

export const randomAugment = (opts: AugmentOptions) => new RandomAugment(opts);
