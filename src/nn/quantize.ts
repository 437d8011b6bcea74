// Post-training int8 quantisation: sg.quantize(model, { calibration }) → an inference model in which
// every nn.Linear and nn.Conv2d runs int8 kernels (src/ops/quant.ts, shaders/quant.wgsl), as PyTorch's
// eager-mode static quantisation (torch.ao.quantization prepare → calibrate → convert) does with:
//   weights      per output channel, symmetric int8: scale_o = max|w_o| / 127, zero point 0, codes in
//                [−127, 127] (PerChannelMinMaxObserver with quant_min −127, quant_max 127)
//   activations  the input of each quantised layer, per tensor, affine: quint8 (0..255, default) or
//                qint8, from MinMaxObserver over the calibration batches (the range always contains 0)
//   output       f32: y = scale_x · scale_w[o] · Σ (x_q − zp_x)·w_q + bias, the sum exact in i32
// The other layers (activations, pooling, batch norm, ...) stay f32 and are shared with the source
// model; a quantised layer quantises its own input, so no quant/dequant stubs are needed. The result
// is for inference: training it is refused. sg.save writes its int8 weights as safetensors I8
// (src/io/quantized.ts).

import { Module } from './module.js';
import { Conv2d, Linear, expectFeatures } from './layers.js';
import { keep, tidy } from '../tensor/scope.js';
import { read, tensor, Tensor } from '../tensor/tensor.js';
import { max, min } from '../ops/reduce.js';
import { reshape } from '../ops/shape-ops.js';
import { qconv2d, qlinear, quantizePacked, resolveQuantDot, type QuantDotVersion, type QuantLayerTensors, type QuantKernel } from '../ops/quant.js';
import * as ref from '../reference/quant.js';
import { convOutSize, type ConvGeometry } from '../reference/conv.js';
import { checkOptions, keysOf } from '../util/options.js';
import { fmtShape } from '../util/shape.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const QUANTIZE_KEYS = keysOf<QuantizeOptions>({
  calibration: 1, observer: 1, batches: 1, batchSize: 1, activationDtype: 1, dot: 1, layers: 1, exclude: 1,
});

/** The layer types sg.quantize replaces by int8 ones. */
export const QUANTIZABLE = ['Linear', 'Conv2d'] as const;
export type QuantizableKind = (typeof QUANTIZABLE)[number];

/** A calibration dataset: an sg.data Dataset (inputs `x`, one sample shaped `xShape`, `length` samples). */
export interface CalibrationData {
  x: Float32Array | Int32Array;
  xShape: number[];
  length: number;
}

export interface QuantizeOptions {
  /** Representative inputs: an sg.data Dataset, or an array of input batches (tensors). */
  calibration: CalibrationData | Tensor[];
  /** How activation ranges are observed: 'minmax' (torch's MinMaxObserver; the only one). */
  observer?: 'minmax';
  /** Use at most this many calibration batches (default: all). */
  batches?: number;
  /** Batch size when `calibration` is a dataset (default 32). */
  batchSize?: number;
  /** Activation codes: 'quint8' (0..255, MinMaxObserver's default) or 'qint8' (−128..127). */
  activationDtype?: ref.QuantDtype;
  /**
   * The int8 dot product: 'dot4' (WGSL's dot4I8Packed, needs the language feature
   * packed_4x8_integer_dot_product), 'unpack' (portable) or 'auto' (default: dot4 where available).
   */
  dot?: 'auto' | QuantDotVersion;
  /** Layer types to quantise (default both: 'Linear', 'Conv2d'). */
  layers?: QuantizableKind[];
  /** Dotted paths of layers to keep in f32 (e.g. the last classifier layer). */
  exclude?: string[];
}

/** What every int8 layer holds (host copies for sizeBytes and saving; GPU tensors for the kernels). */
export abstract class QuantizedLayer extends Module {
  /** Packed weight codes (i32 words of 4 bytes); (scale_x · scale_w[o]), the bias (zeros without one), Σ w[o]. */
  protected readonly wq: Tensor;
  protected readonly perChannel: QuantLayerTensors;
  /** Which dot product the kernels use (set by QuantizedModule.setDot). */
  dot: QuantDotVersion = 'unpack';
  /** The kernel: 'blocked' (a 4 × 4 register block per thread, default) or 'direct' (one output per thread). */
  kernel: QuantKernel = 'blocked';

  constructor(kind: string,
    /** The int8 codes in the f32 weight's layout and shape (torch's int_repr()). */
    readonly weightCodes: Int8Array, readonly weightShape: number[],
    /** Per-output-channel scales (zero points are 0). */
    readonly weightScale: Float32Array,
    readonly bias: Float32Array | null,
    /** The input's observed quantisation parameters. */
    readonly input: ref.ActivationQParams,
    packed: { words: Int32Array; shape: number[] }) {
    super(kind);
    this.training = false;
    const O = weightShape[0];
    this.wq = keep(tensor(packed.words, packed.shape, { dtype: 'i32' }));
    const per = weightCodes.length / O;
    const wsum = new Int32Array(O);
    weightCodes.forEach((c, i) => { wsum[Math.floor(i / per)] += c; });
    this.perChannel = {
      outScale: keep(tensor(weightScale.map((s) => Math.fround(input.scale * s)), [O])),
      bias: keep(tensor(bias ?? new Float32Array(O), [O])),
      wsum: keep(tensor(wsum, [O], { dtype: 'i32' })),
    };
  }

  /** Bytes of this layer's state: int8 weights, f32 scales, i32 zero points, f32 bias, the input's scale and zero point. */
  sizeBytes(): number {
    const O = this.weightShape[0];
    return this.weightCodes.length + 4 * O + 4 * O + (this.bias ? 4 * O : 0) + 8;
  }

  /** The activations' zero point as the kernels take it (minus the signed-byte shift). */
  protected xZero(): number {
    return this.input.zeroPoint - ref.codeShift(this.input.dtype);
  }

  override train(on = true): this {
    if (on) throw sgError(`${this.kind}: a quantized layer is for inference only; training it is refused (train the f32 model, then sg.quantize it again)`);
    this.training = false;
    return this;
  }
}

/** A linear weight's codes [O, K] as words of 4 bytes [O, ⌈K / 4⌉] (zero bytes past K). */
function packLinear(codes: Int8Array, O: number, K: number): { words: Int32Array; shape: number[] } {
  const K4 = Math.ceil(K / 4);
  const words = new Int32Array(O * K4);
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < K4; j++) {
      const b = [0, 1, 2, 3].map((k) => (4 * j + k < K ? codes[o * K + 4 * j + k] : 0));
      words[o * K4 + j] = ref.packWord(b[0], b[1], b[2], b[3]);
    }
  }
  return { words, shape: [O, K4] };
}

/** A conv weight's codes [O, C/G, KH, KW] as words [O, KH, KW, ⌈C/G / 4⌉]: the channels innermost, 4 a word. */
function packConv(codes: Int8Array, shape: number[]): { words: Int32Array; shape: number[] } {
  const [O, CG, KH, KW] = shape;
  const C4 = Math.ceil(CG / 4);
  const words = new Int32Array(O * KH * KW * C4);
  for (let o = 0; o < O; o++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        for (let j = 0; j < C4; j++) {
          const b = [0, 1, 2, 3].map((k) => {
            const c = 4 * j + k;
            return c < CG ? codes[((o * CG + c) * KH + kh) * KW + kw] : 0;
          });
          words[((o * KH + kh) * KW + kw) * C4 + j] = ref.packWord(b[0], b[1], b[2], b[3]);
        }
      }
    }
  }
  return { words, shape: [O, KH, KW, C4] };
}

/** nn.Linear in int8: y = x·Wᵀ + b with W's codes and x quantised on the GPU. */
export class QuantizedLinear extends QuantizedLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(codes: Int8Array, shape: number[], scale: Float32Array, bias: Float32Array | null, input: ref.ActivationQParams) {
    super('QuantizedLinear', codes, shape, scale, bias, input, packLinear(codes, shape[0], shape[1]));
    [this.outFeatures, this.inFeatures] = shape;
  }

  forward(x: Tensor): Tensor {
    expectFeatures('QuantizedLinear', x, [this.inFeatures], `in features of QuantizedLinear(${this.inFeatures}, ${this.outFeatures})`);
    if (x.dtype !== 'f32') throw sgError(`QuantizedLinear: input ${x.describe()} must be f32`, ShapeError);
    const lead = x.shape.slice(0, -1);
    const M = lead.reduce((a, b) => a * b, 1);
    const codes = quantizePacked(reshape(x, [M, this.inFeatures, 1, 1]), { ...this.input, groups: 1 });
    const y = qlinear(reshape(codes, [M, Math.ceil(this.inFeatures / 4)]), this.wq, this.perChannel,
      { xZero: this.xZero(), version: this.dot, kernel: this.kernel });
    return reshape(y, [...lead, this.outFeatures]);
  }

  protected override describeArgs(): string {
    return `${this.inFeatures}, ${this.outFeatures}, ${this.input.dtype} input, scale=${this.input.scale}, zero_point=${this.input.zeroPoint}`;
  }
}

/** Stride, padding, dilation and groups of an nn.Conv2d as numbers; padding 'same' resolved. */
export function convGeometry(layer: Conv2d, where: string): ConvGeometry {
  const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
    v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  const o = layer.opts;
  const dilation = pair(o.dilation, 1);
  let padding: [number, number];
  if (o.padding === 'valid') padding = [0, 0];
  else if (o.padding === 'same') {
    const total = [dilation[0] * (layer.kernel[0] - 1), dilation[1] * (layer.kernel[1] - 1)];
    if (total[0] % 2 || total[1] % 2) {
      throw sgError(`${where}: padding 'same' with an odd total padding ${fmtShape(total)} (asymmetric, as torch pads it) ` +
        'is not supported by the int8 convolution; give the layer an explicit padding or exclude it');
    }
    padding = [total[0] / 2, total[1] / 2];
  } else padding = pair(o.padding, 0);
  return { stride: pair(o.stride, 1), padding, dilation, groups: o.groups ?? 1 };
}

/** nn.Conv2d in int8: a direct convolution over x's codes (channels packed 4 per word). */
export class QuantizedConv2d extends QuantizedLayer {
  constructor(codes: Int8Array, shape: number[], scale: Float32Array, bias: Float32Array | null, input: ref.ActivationQParams,
    readonly inChannels: number, readonly geometry: ConvGeometry) {
    super('QuantizedConv2d', codes, shape, scale, bias, input, packConv(codes, shape));
  }

  forward(x: Tensor): Tensor {
    const [O, , KH, KW] = this.weightShape;
    if ((x.rank !== 4 && x.rank !== 3) || x.shape[x.rank - 3] !== this.inChannels) {
      throw sgError(`QuantizedConv2d(${this.inChannels}, ${O}): input ${x.describe()} must be [N, ${this.inChannels}, H, W]`, ShapeError);
    }
    if (x.dtype !== 'f32') throw sgError(`QuantizedConv2d: input ${x.describe()} must be f32`, ShapeError);
    const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
    const [, , H, W] = x4.shape;
    const g = this.geometry;
    const OH = convOutSize(H, KH, g.stride[0], g.padding[0], g.dilation[0]);
    const OW = convOutSize(W, KW, g.stride[1], g.padding[1], g.dilation[1]);
    if (OH < 1 || OW < 1) {
      throw sgError(`QuantizedConv2d: input ${x.describe()} is smaller than the kernel ${KH}×${KW} (dilation ${fmtShape(g.dilation)}, padding ${fmtShape(g.padding)})`, ShapeError);
    }
    const codes = quantizePacked(x4, { ...this.input, groups: g.groups });
    const y = qconv2d(codes, this.wq, this.perChannel, {
      ...g, xZero: this.xZero(), inputHW: [H, W], outputHW: [OH, OW], version: this.dot, kernel: this.kernel,
    });
    return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
  }

  protected override describeArgs(): string {
    return `${this.inChannels}, ${this.weightShape[0]}, kernel ${this.weightShape[2]}×${this.weightShape[3]}, ${this.input.dtype} input`;
  }
}

// ---- the quantised model ---------------------------------------------------------------------------------

/** Every module of a tree with its dotted path ('' for the root). */
export function walkModules(m: Module, prefix = ''): [string, Module][] {
  const out: [string, Module][] = [[prefix, m]];
  for (const [n, c] of m.namedChildren()) out.push(...walkModules(c, prefix ? `${prefix}.${n}` : n));
  return out;
}

/**
 * Run `fn` with the modules at `swaps`' paths of `root` replaced (setSubmodule), in eval mode; the
 * tree and each module's training flag are restored afterwards, whatever happens.
 */
function withSwapped<T>(root: Module, swaps: Map<string, Module>, fn: () => T): T {
  const modes = walkModules(root).map(([, m]) => [m, m.training] as const);
  const restored: [string, Module][] = [];
  try {
    for (const [m] of modes) m.training = false;
    for (const [path, m] of swaps) if (path !== '') restored.push([path, root.setSubmodule(path, m)]);
    return fn();
  } finally {
    for (const [path, old] of restored.reverse()) root.setSubmodule(path, old);
    for (const [m, t] of modes) m.training = t;
  }
}

/**
 * The result of sg.quantize: an inference model whose forward gives the source model's outputs with its
 * Linear / Conv2d layers in int8. The source model's other layers are shared, not copied.
 */
export class QuantizedModule extends Module {
  private swaps: Map<string, Module>;
  private int8: Map<string, QuantizedLayer>;
  private left: Map<string, string>;

  constructor(
    /** The f32 model it was made from (its other layers run as they are). */
    readonly source: Module,
    layers: ReadonlyMap<string, QuantizedLayer>,
    skipped: ReadonlyMap<string, string>,
    dot: QuantDotVersion,
  ) {
    super(`Quantized${source.kind}`);
    this.training = false;
    this.int8 = new Map(layers);
    this.left = new Map(skipped);
    this.swaps = new Map(layers);
    this.setDot(dot);
  }

  /** The int8 layers by their dotted path in the source model ('' when the source is itself one layer). */
  get layers(): ReadonlyMap<string, QuantizedLayer> {
    return this.int8;
  }

  /** Layers of a quantisable type left in f32, with the reason. */
  get skipped(): ReadonlyMap<string, string> {
    return this.left;
  }

  /** @internal Take the int8 layers of `other` (made from the same source model): sg.load into this model. */
  adopt(other: QuantizedModule): void {
    if (other.source !== this.source) throw sgError(`${this.kind}: internal: adopt() needs a model quantized from the same source`);
    const dot = this.dot;
    this.int8 = new Map(other.int8);
    this.left = new Map(other.left);
    this.swaps = new Map(other.int8);
    for (const l of this.int8.values()) l.dot = dot;
  }

  /** Which dot product the int8 kernels use: 'dot4' (dot4I8Packed) or 'unpack' (portable). */
  get dot(): QuantDotVersion {
    return [...this.layers.values()][0]?.dot ?? 'unpack';
  }

  /** Choose the dot product ('auto': dot4 where the WGSL language feature exists). */
  setDot(version: 'auto' | QuantDotVersion): this {
    const v = resolveQuantDot(version, `${this.kind}.setDot`);
    for (const l of this.layers.values()) l.dot = v;
    return this;
  }

  forward(x: Tensor): Tensor {
    const root = this.swaps.get('');
    if (root) return root.forward(x);
    return withSwapped(this.source, this.swaps, () => this.source.forward(x));
  }

  override train(on = true): this {
    if (on) {
      throw sgError(`${this.kind}: a quantized model (sg.quantize) is for inference only; training it is refused ` +
        '(train the f32 model, then quantize it again)');
    }
    this.training = false;
    return this;
  }

  /**
   * Bytes of the model's state: the int8 layers' weights (1 byte each) with their f32 scales, i32 zero
   * points, f32 biases and input scale / zero point, plus the f32 (4 bytes) or i32 tensors of the rest.
   */
  sizeBytes(): number {
    let bytes = 0;
    const counted = new Set<string>();
    for (const [name, t] of Object.entries(this.source.stateDict())) {
      const owner = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
      const layer = this.int8.get(owner);
      if (!layer) bytes += 4 * t.size;
      else if (!counted.has(owner)) {
        bytes += layer.sizeBytes();
        counted.add(owner);
      }
    }
    return bytes;
  }

  override toString(indent = ''): string {
    const lines = [...this.layers].map(([p, l]) => `${indent}  (${p || 'root'}): ${l.toString()}`);
    return `${this.kind}(\n${lines.join('\n')}\n${indent})`;
  }
}

// ---- sg.quantize -------------------------------------------------------------------------------------------

/** Records the input range of one layer while calibrating. */
class Observed extends Module {
  stats: Tensor[] = [];
  constructor(readonly inner: Module) {
    super(inner.kind);
  }

  forward(x: Tensor): Tensor {
    this.stats.push(min(x), max(x));
    return this.inner.forward(x);
  }
}

/** The calibration batches (tensors), at most `batches` of them. */
function* calibrationBatches(cal: QuantizeOptions['calibration'], batchSize: number, batches: number): Generator<Tensor> {
  if (Array.isArray(cal)) {
    for (const [i, t] of cal.slice(0, batches).entries()) {
      if (!(t instanceof Tensor)) throw sgError(`quantize: calibration[${i}] must be a Tensor (an input batch), got ${t === null ? 'null' : typeof t}`);
      yield t;
    }
    return;
  }
  const per = cal.xShape.reduce((a, b) => a * b, 1);
  for (let b = 0, start = 0; b < batches && start < cal.length; b++, start += batchSize) {
    const n = Math.min(batchSize, cal.length - start);
    yield tensor(cal.x.subarray(start * per, (start + n) * per), [n, ...cal.xShape], { dtype: cal.x instanceof Int32Array ? 'i32' : 'f32' });
  }
}

function checkCalibration(cal: unknown): void {
  if (Array.isArray(cal)) {
    if (cal.length === 0) throw sgError('quantize: calibration is an empty array; give at least one input batch (or a dataset)');
    return;
  }
  const d = cal as Partial<CalibrationData> | null;
  if (!d || typeof d !== 'object' || !(d.x instanceof Float32Array || d.x instanceof Int32Array) || !Array.isArray(d.xShape) || typeof d.length !== 'number') {
    throw sgError('quantize: calibration must be an sg.data Dataset ({x, xShape, length, ...}) or an array of input tensors, ' +
      `got ${cal === null ? 'null' : typeof cal}`);
  }
  if (d.length === 0) throw sgError(`quantize: the calibration dataset is empty (length 0, xShape ${fmtShape(d.xShape)})`);
}

/**
 * Post-training static quantisation (PyTorch's eager-mode prepare → calibrate → convert): run the f32
 * `model` in eval mode on the calibration batches, observing the range of each Linear / Conv2d input
 * (MinMaxObserver), and return a QuantizedModule in which those layers run int8 kernels with
 * per-channel symmetric int8 weights. Layers never called during calibration (modules that use a
 * layer's weight directly) stay f32 and are listed in `skipped`.
 */
export async function quantize(model: Module, options: QuantizeOptions): Promise<QuantizedModule> {
  if (!(model instanceof Module)) throw sgError(`quantize: model must be an sg.nn Module, got ${model === null ? 'null' : typeof model}`);
  if (typeof options !== 'object' || options === null) throw sgError('quantize: options { calibration, ... } are required');
  checkOptions('quantize', options, QUANTIZE_KEYS);
  const observer = options.observer ?? 'minmax';
  if (observer !== 'minmax') throw sgError(`quantize: observer must be 'minmax' (torch's MinMaxObserver), got ${JSON.stringify(observer)}`);
  const dtype = options.activationDtype ?? 'quint8';
  if (dtype !== 'quint8' && dtype !== 'qint8') throw sgError(`quantize: activationDtype must be 'quint8' or 'qint8', got ${JSON.stringify(dtype)}`);
  const batchSize = options.batchSize ?? 32;
  const batches = options.batches ?? Infinity;
  for (const [v, n] of [[batchSize, 'batchSize'], [batches, 'batches']] as const) {
    if (!(v === Infinity || (Number.isInteger(v) && v >= 1))) throw sgError(`quantize: ${n} must be a positive integer, got ${v}`);
  }
  const kinds = options.layers ?? [...QUANTIZABLE];
  if (!Array.isArray(kinds) || kinds.length === 0) throw sgError(`quantize: layers must be a non-empty list of layer types (${QUANTIZABLE.join(', ')})`);
  for (const k of kinds) {
    if (!(QUANTIZABLE as readonly string[]).includes(k)) {
      throw sgError(`quantize: layer type ${JSON.stringify(k)} is not supported (int8 kernels exist for ${QUANTIZABLE.join(' and ')})`);
    }
  }
  const exclude = new Set(options.exclude ?? []);
  const dot = resolveQuantDot(options.dot, 'quantize');
  checkCalibration(options.calibration);

  // The layers to quantise: exact nn.Linear / nn.Conv2d (subclasses such as LoRA layers differ).
  const all = walkModules(model);
  for (const p of exclude) if (!all.some(([path]) => path === p)) throw sgError(`quantize: exclude names no module '${p}' of the model`);
  const targets = all.filter(([path, m]) => !exclude.has(path) &&
    ((m.constructor === Linear && kinds.includes('Linear')) || (m.constructor === Conv2d && kinds.includes('Conv2d'))));
  if (targets.length === 0) {
    const have = [...new Set(all.map(([, m]) => m.kind))].join(', ');
    throw sgError(`quantize: the model has no ${kinds.join(' or ')} layer to quantize (its modules: ${have})` +
      (exclude.size ? `, after excluding ${[...exclude].join(', ')}` : ''));
  }
  for (const [path, m] of targets) if (m instanceof Conv2d) convGeometry(m, `quantize: layer '${path || 'root'}' (Conv2d)`);

  // Calibrate: each target wrapped in an observer; the min and max of every input are read back per batch.
  const observed = new Map(targets.map(([path, m]) => [path, new Observed(m)]));
  const ranges = new Map<string, [number, number]>();
  let seen = 0;
  for (const xb of calibrationBatches(options.calibration, batchSize, batches)) {
    seen++;
    const counts: number[] = [];
    const stats = tidy(() => {
      const root = observed.get('');
      withSwapped(model, observed, () => (root ? root.forward(xb) : model.forward(xb)));
      return [...observed.values()].flatMap((o) => {
        counts.push(o.stats.length / 2);
        return o.stats.splice(0);
      });
    });
    try {
      const values = stats.length ? await read(...stats) : [];
      let i = 0;
      [...observed.keys()].forEach((path, k) => {
        for (let c = 0; c < counts[k]; c++) {
          const lo = values[i++][0];
          const hi = values[i++][0];
          const r = ranges.get(path);
          ranges.set(path, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
        }
      });
    } finally {
      stats.forEach((t) => t.dispose());
      if (!Array.isArray(options.calibration)) xb.dispose();
    }
  }
  if (seen === 0) throw sgError('quantize: no calibration batch was run (batches must be at least 1)');

  // Convert: weights per channel (host), activation parameters from the observed ranges.
  const layers = new Map<string, QuantizedLayer>();
  const skipped = new Map<string, string>();
  const weights = await read(...targets.flatMap(([, m]) => {
    const l = m as Linear | Conv2d;
    return l.bias ? [l.weight, l.bias] : [l.weight];
  }));
  let w = 0;
  for (const [path, m] of targets) {
    const l = m as Linear | Conv2d;
    const wv = weights[w++] as Float32Array;
    const bias = l.bias ? (weights[w++] as Float32Array) : null;
    const range = ranges.get(path);
    if (!range) {
      skipped.set(path, `${m.kind} never called during calibration (its parent uses its weight directly): left in f32`);
      continue;
    }
    if (!Number.isFinite(range[0]) || !Number.isFinite(range[1])) {
      throw sgError(`quantize: the input of layer '${path || 'root'}' (${m.kind}) had a non-finite value during calibration ` +
        `(observed range [${range[0]}, ${range[1]}])`);
    }
    const input = { ...ref.minMaxQParams(range[0], range[1], dtype), dtype };
    const { scale, codes } = ref.quantizeWeightPerChannel(wv, l.weight.shape[0]);
    layers.set(path, m instanceof Linear
      ? new QuantizedLinear(codes, [...l.weight.shape], scale, bias, input)
      : new QuantizedConv2d(codes, [...l.weight.shape], scale, bias, input, (m as Conv2d).inChannels, convGeometry(m as Conv2d, path)));
  }
  if (layers.size === 0) {
    throw sgError(`quantize: none of the layers ${targets.map(([p]) => `'${p || 'root'}'`).join(', ')} was called during calibration`);
  }
  return new QuantizedModule(model, layers, skipped, dot);
}
