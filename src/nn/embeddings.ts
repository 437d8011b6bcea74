// Positions and patches for transformers: sinusoidal and learned positional encodings, the patch
// embedding of a Vision Transformer and its class token. Inputs are batch-first token sequences
// [B, T, D] (PyTorch's batch_first=True). Parameter names follow the common PyTorch implementations
// (timm's VisionTransformer: `patch_embed.proj`, `cls_token`, `pos_embed`), and exportPytorch writes
// the same small torch.nn modules, so state dicts load both ways.

import { Module } from './module.js';
import { Conv2d } from './layers.js';
import * as init from './init.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { add, expand } from '../ops/elementwise.js';
import { concat, narrow } from '../ops/index-ops.js';
import { reshape, transpose } from '../ops/shape-ops.js';
import { mean } from '../ops/reduce.js';
import { checkOptions, keysOf } from '../util/options.js';
import { raise, ShapeError } from '../util/errors.js';

export interface PositionalOptions {
  /** learned: draw the initial table from N(0, std²) with this seed (default: the global generator). */
  seed?: number;
}
export const POSITIONAL_KEYS = keysOf<PositionalOptions>({ seed: 1 });

function checkSize(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) raise(where, `${name} must be an integer ≥ 1, got ${v}`);
}

/** A [B, T, D] sequence that fits a table of `maxLen` positions of `dim` features. */
function checkSequence(where: string, x: Tensor, maxLen: number, dim: number): number {
  if (x.rank !== 3 || x.shape[2] !== dim) raise(where, `x ${x.describe()} must be [batch, tokens, ${dim}]`, ShapeError);
  if (x.shape[1] > maxLen) raise(where, `x ${x.describe()} has ${x.shape[1]} tokens, more than maxLen ${maxLen}`, ShapeError);
  return x.shape[1];
}

/**
 * The sinusoidal table of "Attention Is All You Need": PE[p, 2i] = sin(p / 10000^(2i/D)),
 * PE[p, 2i+1] = cos(p / 10000^(2i/D)), computed in float64, stored as f32.
 */
export function sinusoidalTable(maxLen: number, dim: number): Float32Array {
  const pe = new Float32Array(maxLen * dim);
  for (let p = 0; p < maxLen; p++) {
    for (let j = 0; j < dim; j++) {
      const angle = p * Math.exp(-Math.log(10000) * (2 * Math.floor(j / 2)) / dim);
      pe[p * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}

/** x + PE[:T]: fixed sinusoidal positions, no parameters (and nothing in the state dict). */
export class SinusoidalPositionalEncoding extends Module {
  private readonly table: Float32Array;
  constructor(readonly maxLen: number, readonly dim: number) {
    super('SinusoidalPositionalEncoding');
    checkSize('nn.SinusoidalPositionalEncoding', 'maxLen', maxLen);
    checkSize('nn.SinusoidalPositionalEncoding', 'dim', dim);
    this.table = sinusoidalTable(maxLen, dim);
  }

  forward(x: Tensor): Tensor {
    const T = checkSequence('nn.SinusoidalPositionalEncoding', x, this.maxLen, this.dim);
    return add(x, tensor(this.table.subarray(0, T * this.dim), [T, this.dim]));
  }

  protected override describeArgs(): string {
    return `maxLen=${this.maxLen}, dim=${this.dim}`;
  }
}

/** x + pos_embed[:, :T]: learned positions, a parameter `pos_embed` [1, maxLen, D] initialised N(0, 0.02²). */
export class LearnedPositionalEmbedding extends Module {
  constructor(readonly maxLen: number, readonly dim: number, opts: PositionalOptions = {}) {
    super('LearnedPositionalEmbedding');
    checkOptions('nn.LearnedPositionalEmbedding', opts, POSITIONAL_KEYS);
    checkSize('nn.LearnedPositionalEmbedding', 'maxLen', maxLen);
    checkSize('nn.LearnedPositionalEmbedding', 'dim', dim);
    this.addParameter('pos_embed', init.normal([1, maxLen, dim], 0, 0.02, { seed: opts.seed }));
  }

  forward(x: Tensor): Tensor {
    const T = checkSequence('nn.LearnedPositionalEmbedding', x, this.maxLen, this.dim);
    const table = this.param('pos_embed');
    return add(x, T === this.maxLen ? table : narrow(table, 1, 0, T));
  }

  protected override describeArgs(): string {
    return `maxLen=${this.maxLen}, dim=${this.dim}`;
  }
}

/**
 * A Vision Transformer's patch embedding: a `patchSize` × `patchSize` convolution with stride
 * `patchSize` (child `proj`), then [B, D, H/p, W/p] → [B, N, D] tokens in row-major patch order.
 */
export class PatchEmbedding extends Module {
  readonly proj: Conv2d;
  constructor(readonly inChannels: number, readonly dim: number, readonly patchSize: number, opts: PositionalOptions = {}) {
    super('PatchEmbedding');
    checkOptions('nn.PatchEmbedding', opts, POSITIONAL_KEYS);
    checkSize('nn.PatchEmbedding', 'patchSize', patchSize);
    this.proj = this.addChild('proj', new Conv2d(inChannels, dim, patchSize, { stride: patchSize, seed: opts.seed }));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[2] % this.patchSize !== 0 || x.shape[3] % this.patchSize !== 0) {
      raise('nn.PatchEmbedding', `x ${x.describe()} must be [batch, ${this.inChannels}, H, W] with H and W multiples of ${this.patchSize}`, ShapeError);
    }
    const y = this.proj.forward(x);
    const [B, D, h, w] = y.shape;
    return transpose(reshape(y, [B, D, h * w]));
  }

  protected override describeArgs(): string {
    return `${this.inChannels}, ${this.dim}, patchSize=${this.patchSize}`;
  }
}

/** Prepends a learned class token `cls_token` [1, 1, D] (initialised 0, as timm) to [B, N, D] tokens. */
export class ClassToken extends Module {
  constructor(readonly dim: number) {
    super('ClassToken');
    checkSize('nn.ClassToken', 'dim', dim);
    this.addParameter('cls_token', init.zeros([1, 1, dim]));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) raise('nn.ClassToken', `x ${x.describe()} must be [batch, tokens, ${this.dim}]`, ShapeError);
    return concat([expand(this.param('cls_token'), [x.shape[0], 1, this.dim]), x], 1);
  }

  protected override describeArgs(): string {
    return `${this.dim}`;
  }
}

/**
 * [B, T, D] tokens → [B, D]: the class token (mode 'cls', token 0, as ViT's head reads it) or the mean
 * over tokens ('mean', as global average pooling).
 */
export class TokenPool extends Module {
  constructor(readonly mode: 'cls' | 'mean' = 'cls') {
    super('TokenPool');
    if (mode !== 'cls' && mode !== 'mean') raise('nn.TokenPool', `mode must be 'cls' or 'mean', got ${JSON.stringify(mode)}`);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 3) raise('nn.TokenPool', `x ${x.describe()} must be [batch, tokens, dim]`, ShapeError);
    return this.mode === 'mean' ? mean(x, 1) : reshape(narrow(x, 1, 0, 1), [x.shape[0], x.shape[2]]);
  }

  protected override describeArgs(): string {
    return `'${this.mode}'`;
  }
}

export const tokenPool = (mode: 'cls' | 'mean' = 'cls') => new TokenPool(mode);
export const sinusoidalPositionalEncoding = (maxLen: number, dim: number) => new SinusoidalPositionalEncoding(maxLen, dim);
export const learnedPositionalEmbedding = (maxLen: number, dim: number, opts?: PositionalOptions) => new LearnedPositionalEmbedding(maxLen, dim, opts);
export const patchEmbedding = (inChannels: number, dim: number, patchSize: number, opts?: PositionalOptions) =>
  new PatchEmbedding(inChannels, dim, patchSize, opts);
export const classToken = (dim: number) => new ClassToken(dim);
