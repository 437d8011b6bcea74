// Transformer modules with torch.nn's names, layouts and defaults, so state dicts load both ways:
//
//   MultiheadAttention        in_proj_weight [3E, E] (q, k, v rows in that order; or q/k/v_proj_weight
//                             when kdim / vdim differ from E), in_proj_bias [3E], out_proj.weight/bias
//   TransformerEncoderLayer   self_attn.*, linear1.*, linear2.*, norm1.*, norm2.*
//   TransformerEncoder        layers.<i>.* (clones of one layer, as torch's deepcopy), norm.*
//
// Attention itself is sg.scaledDotProductAttention (composite, fused or rows rung by the kernel
// rules); with needWeights the weights are computed as the composite rung does and returned.
//
// Masks follow torch.nn.MultiheadAttention: an i32 tensor is boolean with nonzero = True = the key is
// NOT attended to (the opposite of scaled_dot_product_attention's boolean mask), an f32 tensor is
// added to the scores. Both masks become one additive f32 bias [N | 1, H | 1, L, S], as torch merges
// them. A query whose every key is masked gets zero weights and a zero attention output (torch's SDPA
// since 2.5; torch's MultiheadAttention with need_weights=True gives NaN there).
//
// The decoder-only (GPT) block is TransformerEncoderLayer with `causal: true`: the same parameters as
// torch's layer, every forward causal (torch: pass mask=generate_square_subsequent_mask(T),
// is_causal=True). Causal attention without a mask tensor runs the kernels' causal path.

import { Module } from './module.js';
import { Dropout, LayerNorm, Linear } from './layers.js';
import * as init from './init.js';
import { assignAll } from '../tensor/assign.js';
import { Tensor } from '../tensor/tensor.js';
import { add, gt, relu as reluOp, where } from '../ops/elementwise.js';
import { linear as linearOp, matmul } from '../ops/matmul.js';
import { permute, reshape, transpose, unsqueeze, squeeze } from '../ops/shape-ops.js';
import { narrow } from '../ops/index-ops.js';
import { mean } from '../ops/reduce.js';
import { arange } from '../ops/creation.js';
import { gelu as geluOp } from '../ops/activation.js';
import { attentionWeights, scaledDotProductAttention } from '../ops/attention.js';
import { dropout as dropoutOp, randomKey } from '../ops/dropout.js';
import { checkOptions, keysOf } from '../util/options.js';
import { fmtShape } from '../util/shape.js';
import { sgError, ShapeError } from '../util/errors.js';

export interface MultiheadAttentionOptions {
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** Inputs and outputs [N, L, E] (true) or [L, N, E] (default false, as torch). */
  batchFirst?: boolean;
  /** Features of the key input (default embedDim). */
  kdim?: number;
  /** Features of the value input (default embedDim). */
  vdim?: number;
  /** Seed of the initial weights (default: sg.manualSeed's generator). */
  seed?: number;
}

export interface AttentionMasks {
  /** [N, S] (or [S] unbatched): i32 nonzero = that key is padding, ignored; f32 added to its scores. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S] (or [numHeads, L, S] unbatched): i32 nonzero = not attended; f32 added. */
  attnMask?: Tensor | null;
  /** Causal self-attention: key j is not attended by query i when j > i (added to attnMask when both are given). */
  isCausal?: boolean;
}

export interface AttentionCallOptions extends AttentionMasks {
  /** Also return the attention weights (default true, as torch). */
  needWeights?: boolean;
  /** Weights averaged over heads [N, L, S] (default true) or per head [N, H, L, S]. */
  averageAttnWeights?: boolean;
}

export const MULTIHEAD_ATTENTION_KEYS = keysOf<MultiheadAttentionOptions>({ bias: 1, dropout: 1, batchFirst: 1, kdim: 1, vdim: 1, seed: 1 });
export const ATTENTION_MASK_KEYS = keysOf<AttentionMasks>({ keyPaddingMask: 1, attnMask: 1, isCausal: 1 });
export const ATTENTION_CALL_KEYS = keysOf<AttentionCallOptions>({ keyPaddingMask: 1, attnMask: 1, isCausal: 1, needWeights: 1, averageAttnWeights: 1 });

const positiveInt = (kind: string, name: string, v: unknown) => {
  if (!Number.isInteger(v) || (v as number) < 1) throw sgError(`${kind}: ${name} must be a positive integer, got ${String(v)}`);
};

/**
 * torch.nn.Transformer.generate_square_subsequent_mask(T): an f32 [T, T] mask with −∞ above the
 * diagonal and 0 on and below it (query i attends to keys 0..i).
 */
export function generateSquareSubsequentMask(T: number): Tensor {
  positiveInt('generateSquareSubsequentMask', 'T', T);
  return causalBias(T, T);
}

/** −∞ where key j > query i, else 0: [L, S], top-left aligned (torch's is_causal). */
function causalBias(L: number, S: number): Tensor {
  const f32 = { dtype: 'f32' } as const;
  return where(gt(reshape(arange(0, S, 1, f32), [1, S]), reshape(arange(0, L, 1, f32), [L, 1])), -Infinity, 0);
}

/** A mask as an additive f32 bias: i32 (torch's bool, nonzero = masked out) → −∞ / 0. */
function additive(m: Tensor, what: string): Tensor {
  if (!(m instanceof Tensor)) throw sgError(`MultiheadAttention: ${what} must be a Tensor, got ${typeof m}`);
  if (m.dtype === 'i32') return where(m, -Infinity, 0);
  return m;
}

/**
 * torch.nn.MultiheadAttention: numHeads heads of dimension embedDim / numHeads over projected
 * queries, keys and values, concatenated and projected by out_proj. forward(query, key, value)
 * returns the attention output (torch's need_weights=False); attention(...) returns it with the
 * weights ({ output, weights }, torch's tuple). Initialised as torch: in_proj xavier-uniform, biases 0,
 * out_proj.weight as nn.Linear.
 */
export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly outProj: Linear;
  /** One packed [3E, E] input projection (kdim = vdim = E), as torch's _qkv_same_embed_dim. */
  readonly packed: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, readonly opts: MultiheadAttentionOptions = {}) {
    super('MultiheadAttention');
    checkOptions('nn.MultiheadAttention', opts, MULTIHEAD_ATTENTION_KEYS);
    positiveInt('MultiheadAttention', 'embedDim', embedDim);
    positiveInt('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads) throw sgError(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    positiveInt('MultiheadAttention', 'kdim', this.kdim);
    positiveInt('MultiheadAttention', 'vdim', this.vdim);
    this.dropout = opts.dropout ?? 0;
    if (typeof this.dropout !== 'number' || !(this.dropout >= 0 && this.dropout < 1)) {
      throw sgError(`MultiheadAttention: dropout must be a probability in [0, 1), got ${String(opts.dropout)}`);
    }
    this.batchFirst = opts.batchFirst ?? false;
    this.packed = this.kdim === embedDim && this.vdim === embedDim;
    const seed = { seed: opts.seed };
    const E = embedDim;
    if (this.packed) {
      this.addParameter('in_proj_weight', init.xavierUniform([3 * E, E], 1, seed));
    } else {
      this.addParameter('q_proj_weight', init.xavierUniform([E, E], 1, seed));
      this.addParameter('k_proj_weight', init.xavierUniform([E, this.kdim], 1, seed));
      this.addParameter('v_proj_weight', init.xavierUniform([E, this.vdim], 1, seed));
    }
    const bias = opts.bias ?? true;
    if (bias) this.addParameter('in_proj_bias', init.zeros([3 * E]));
    this.outProj = this.addChild('out_proj', new Linear(E, E, { bias, biasInit: 'zeros', seed: opts.seed }));
    if (this.dropout > 0) this.addBuffer('key', randomKey(), { persistent: false });
  }

  /**
   * The attention output for query [L, N, E] ([N, L, E] with batchFirst; [L, E] unbatched), key and
   * value [S, N, kdim / vdim] (default: self-attention, key = value = query).
   */
  override forward(query: Tensor, key: Tensor = query, value: Tensor = key, masks: AttentionMasks = {}): Tensor {
    checkOptions('MultiheadAttention.forward', masks, ATTENTION_MASK_KEYS);
    return this.run(query, key, value, masks, false, true).output;
  }

  /** torch's module call: { output, weights } (weights null unless needWeights, the default). */
  attention(query: Tensor, key: Tensor = query, value: Tensor = key, options: AttentionCallOptions = {}): { output: Tensor; weights: Tensor | null } {
    checkOptions('MultiheadAttention.attention', options, ATTENTION_CALL_KEYS);
    const { needWeights = true, averageAttnWeights = true, ...masks } = options;
    return this.run(query, key, value, masks, needWeights, averageAttnWeights);
  }

  private run(query: Tensor, key: Tensor, value: Tensor, masks: AttentionMasks, needWeights: boolean, average: boolean): { output: Tensor; weights: Tensor | null } {
    const { L, S, N, batched } = this.checkInputs(query, key, value);
    const E = this.embedDim;
    const H = this.numHeads;
    // Batch first: [N, L, E] (an unbatched input becomes a batch of one).
    const toBatch = (t: Tensor) => (!batched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
    const [q0, k0, v0] = [toBatch(query), key === query ? null : toBatch(key), value === key ? null : toBatch(value)];
    const heads = (t: Tensor, len: number) => permute(reshape(t, [N, len, H, this.headDim]), [0, 2, 1, 3]); // [N, H, len, Dh]
    const b = this.opts.bias ?? true ? this.param('in_proj_bias') : null;
    const part = (i: number) => (b ? narrow(b, 0, i * E, E) : null);
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (this.packed && !k0 && !v0) {
      // Self-attention: one [N, L, 3E] projection, split into q, k, v heads by one permute.
      const qkv = permute(reshape(linearOp(q0, this.param('in_proj_weight'), b), [N, L, 3, H, this.headDim]), [2, 0, 3, 1, 4]);
      [q, k, v] = [0, 1, 2].map((i) => reshape(narrow(qkv, 0, i, 1), [N, H, L, this.headDim]));
    } else {
      const w = (i: number, name: string) => (this.packed ? narrow(this.param('in_proj_weight'), 0, i * E, E) : this.param(name));
      const kIn = k0 ?? q0;
      q = heads(linearOp(q0, w(0, 'q_proj_weight'), part(0)), L);
      k = heads(linearOp(kIn, w(1, 'k_proj_weight'), part(1)), S);
      v = heads(linearOp(v0 ?? kIn, w(2, 'v_proj_weight'), part(2)), S);
    }
    const bias = this.bias(masks, { L, S, N, batched });
    const causal = (masks.isCausal ?? false) && !bias;
    const p = this.training ? this.dropout : 0;
    const dropKey = p > 0 ? this.nextKey() : undefined;
    let o: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      // The weights torch returns: after dropout, averaged over heads unless asked per head.
      let w = attentionWeights(q, k, { causal, mask: bias });
      if (p > 0) w = dropoutOp(w, p, { seed: dropKey });
      o = matmul(w, v);
      weights = average ? mean(w, 1) : w;
      if (!batched) weights = squeeze(weights, 0);
    } else {
      o = scaledDotProductAttention(q, k, v, { causal, mask: bias, dropout: p, ...(dropKey ? { seed: dropKey } : {}) });
    }
    const merged = reshape(permute(o, [0, 2, 1, 3]), [N, L, E]);
    const out = this.outProj.forward(merged);
    const output = !batched ? reshape(out, [L, E]) : this.batchFirst ? out : transpose(out, 0, 1);
    return { output, weights };
  }

  private checkInputs(query: Tensor, key: Tensor, value: Tensor): { L: number; S: number; N: number; batched: boolean } {
    const named = [['query', query, this.embedDim], ['key', key, this.kdim], ['value', value, this.vdim]] as const;
    for (const [name, t] of named) {
      if (!(t instanceof Tensor)) throw sgError(`MultiheadAttention: ${name} must be a Tensor, got ${typeof t}`);
    }
    const layout = this.batchFirst ? '[N, L, E]' : '[L, N, E]';
    if (query.rank !== 2 && query.rank !== 3) {
      throw sgError(`MultiheadAttention: query ${query.describe()} must be ${layout} or unbatched [L, E]`, ShapeError);
    }
    const batched = query.rank === 3;
    for (const [name, t, dim] of named) {
      if (t.rank !== query.rank || t.shape[t.rank - 1] !== dim) {
        const want = batched ? (this.batchFirst ? `[N, ${name === 'query' ? 'L' : 'S'}, ${dim}]` : `[${name === 'query' ? 'L' : 'S'}, N, ${dim}]`) : `[${name === 'query' ? 'L' : 'S'}, ${dim}]`;
        throw sgError(`MultiheadAttention(${this.embedDim}, ${this.numHeads}): ${name} ${t.describe()} must be ${want} (query ${query.describe()})`, ShapeError);
      }
    }
    const seqAxis = batched && this.batchFirst ? 1 : 0;
    const N = batched ? query.shape[this.batchFirst ? 0 : 1] : 1;
    if (batched && (key.shape[1 - seqAxis] !== N || value.shape[1 - seqAxis] !== N)) {
      throw sgError(`MultiheadAttention: query ${query.describe()}, key ${key.describe()} and value ${value.describe()} must have the same batch size N`, ShapeError);
    }
    if (key.shape[seqAxis] !== value.shape[seqAxis]) {
      throw sgError(`MultiheadAttention: key ${key.describe()} and value ${value.describe()} must have the same sequence length S`, ShapeError);
    }
    return { L: query.shape[seqAxis], S: key.shape[seqAxis], N, batched };
  }

  /** The masks as one additive f32 bias broadcastable to [N, H, L, S] (null when there is none). */
  private bias(masks: AttentionMasks, { L, S, N, batched }: { L: number; S: number; N: number; batched: boolean }): Tensor | null {
    const H = this.numHeads;
    let bias: Tensor | null = null;
    const { attnMask, keyPaddingMask } = masks;
    if (attnMask !== undefined && attnMask !== null) {
      const m = additive(attnMask, 'attnMask');
      const heads = batched ? N * H : H;
      if (m.rank === 2 && m.shape[0] === L && m.shape[1] === S) bias = m;
      else if (m.rank === 3 && m.shape[0] === heads && m.shape[1] === L && m.shape[2] === S) bias = reshape(m, [N, H, L, S]);
      else throw sgError(`MultiheadAttention: attnMask ${attnMask.describe()} must be [L, S] = ${fmtShape([L, S])} or [${batched ? 'N·numHeads' : 'numHeads'}, L, S] = ${fmtShape([heads, L, S])}`, ShapeError);
    }
    if (masks.isCausal !== undefined && typeof masks.isCausal !== 'boolean') {
      throw sgError(`MultiheadAttention: isCausal must be true or false, got ${String(masks.isCausal)}`);
    }
    if (keyPaddingMask !== undefined && keyPaddingMask !== null) {
      const m = additive(keyPaddingMask, 'keyPaddingMask');
      const want = batched ? [N, S] : [S];
      if (m.rank !== want.length || m.shape.some((d, i) => d !== want[i])) {
        throw sgError(`MultiheadAttention: keyPaddingMask ${keyPaddingMask.describe()} must be ${batched ? '[N, S]' : '[S]'} = ${fmtShape(want)}`, ShapeError);
      }
      const kp = reshape(m, [N, 1, 1, S]);
      bias = bias ? add(bias, kp) : kp;
    }
    // Causal with other masks: the causal bias joins them (without, the kernels' causal path runs).
    if (masks.isCausal && bias) bias = add(bias, causalBias(L, S));
    return bias;
  }

  protected override describeArgs(): string {
    return `${this.embedDim}, ${this.numHeads}${this.packed ? '' : `, kdim=${this.kdim}, vdim=${this.vdim}`}${this.dropout ? `, dropout=${this.dropout}` : ''}`;
  }
}

export const multiheadAttention = (embedDim: number, numHeads: number, opts?: MultiheadAttentionOptions) => new MultiheadAttention(embedDim, numHeads, opts);

// ---- the encoder layer and the encoder ----------------------------------------------------------------

export interface TransformerEncoderLayerOptions {
  /** Hidden size of the feed-forward block (default 2048, as torch). */
  dimFeedforward?: number;
  /** Dropout after attention, in the feed-forward block and after it (default 0.1, as torch). */
  dropout?: number;
  /** The feed-forward activation (default 'relu'; 'gelu' is the exact erf GELU, as torch). */
  activation?: 'relu' | 'gelu';
  /** LayerNorm eps (default 1e-5). */
  layerNormEps?: number;
  /** [N, T, E] (true) or [T, N, E] (default false). */
  batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), x + ff(norm2(x)) (default false: post-norm, norm1(x + sa(x)), ...). */
  normFirst?: boolean;
  /** Biases in the linear layers and the layer norms (default true; torch ≥ 2.1's `bias`). */
  bias?: boolean;
  /** Causal self-attention on every forward: a decoder-only (GPT) block (shadergrad's; torch's layer takes the mask per call). */
  causal?: boolean;
  /** Seed of the initial weights. */
  seed?: number;
}

export interface EncoderLayerCallOptions {
  /** torch's src_mask: [T, T] or [N·nhead, T, T], as MultiheadAttention's attnMask. */
  srcMask?: Tensor | null;
  /** torch's src_key_padding_mask: [N, T], as MultiheadAttention's keyPaddingMask. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention for this call (always on with the layer's `causal`). */
  isCausal?: boolean;
}

export const TRANSFORMER_ENCODER_LAYER_KEYS = keysOf<TransformerEncoderLayerOptions>({
  dimFeedforward: 1, dropout: 1, activation: 1, layerNormEps: 1, batchFirst: 1, normFirst: 1, bias: 1, causal: 1, seed: 1,
});
export const ENCODER_LAYER_CALL_KEYS = keysOf<EncoderLayerCallOptions>({ srcMask: 1, srcKeyPaddingMask: 1, isCausal: 1 });

/**
 * torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block (linear1 → activation →
 * dropout → linear2), each with a residual connection, dropout and a LayerNorm (after, or before with
 * normFirst). Children as torch's: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  private readonly drop: Dropout;
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  readonly dimFeedforward: number;
  readonly activation: 'relu' | 'gelu';

  constructor(readonly dModel: number, readonly nhead: number, readonly opts: TransformerEncoderLayerOptions = {}) {
    super('TransformerEncoderLayer');
    checkOptions('nn.TransformerEncoderLayer', opts, TRANSFORMER_ENCODER_LAYER_KEYS);
    this.dimFeedforward = opts.dimFeedforward ?? 2048;
    positiveInt('TransformerEncoderLayer', 'dimFeedforward', this.dimFeedforward);
    this.activation = opts.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu') {
      throw sgError(`TransformerEncoderLayer: activation must be 'relu' or 'gelu', got ${JSON.stringify(opts.activation)}`);
    }
    for (const k of ['batchFirst', 'normFirst', 'bias', 'causal'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw sgError(`TransformerEncoderLayer: ${k} must be true or false, got ${String(opts[k])}`);
    }
    const p = opts.dropout ?? 0.1;
    const bias = opts.bias ?? true;
    const seed = opts.seed;
    const eps = opts.layerNormEps ?? 1e-5;
    this.selfAttn = this.addChild('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst ?? false, seed }));
    this.linear1 = this.addChild('linear1', new Linear(dModel, this.dimFeedforward, { bias, seed }));
    this.drop = this.addChild('dropout', new Dropout(p));
    this.linear2 = this.addChild('linear2', new Linear(this.dimFeedforward, dModel, { bias, seed }));
    this.norm1 = this.addChild('norm1', new LayerNorm(dModel, { eps, bias }));
    this.norm2 = this.addChild('norm2', new LayerNorm(dModel, { eps, bias }));
    this.drop1 = this.addChild('dropout1', new Dropout(p));
    this.drop2 = this.addChild('dropout2', new Dropout(p));
  }

  override forward(src: Tensor, options: EncoderLayerCallOptions = {}): Tensor {
    checkOptions('TransformerEncoderLayer.forward', options, ENCODER_LAYER_CALL_KEYS);
    const masks: AttentionMasks = {
      attnMask: options.srcMask, keyPaddingMask: options.srcKeyPaddingMask, isCausal: (this.opts.causal ?? false) || (options.isCausal ?? false),
    };
    const sa = (x: Tensor) => this.drop1.forward(this.selfAttn.forward(x, x, x, masks));
    const ff = (x: Tensor) => this.drop2.forward(this.linear2.forward(this.drop.forward(this.hidden(x))));
    let x = src;
    if (this.opts.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));
      return add(x, ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(add(x, sa(x)));
    return this.norm2.forward(add(x, ff(x)));
  }

  /**
   * activation(linear1(x)): ReLU inside the matmul's epilogue, GELU after it. linear1 may have been
   * replaced (sg.nn.applyLora puts a LoraLinear there): only a plain Linear takes the fused path.
   */
  private hidden(x: Tensor): Tensor {
    const l: Module = this.linear1;
    if (this.activation === 'relu' && l instanceof Linear) return linearOp(x, l.weight, l.bias ?? null, { activation: 'relu' });
    return this.activation === 'relu' ? reluOp(l.forward(x)) : geluOp(l.forward(x));
  }

  /** A new layer with this one's options and a copy of its current parameters (torch's copy.deepcopy). */
  clone(): TransformerEncoderLayer {
    const c = new TransformerEncoderLayer(this.dModel, this.nhead, this.opts);
    c.train(this.training);
    const mine = this.namedParameters();
    const theirs = new Map(c.namedParameters());
    const extra = mine.filter(([n]) => !theirs.has(n)).map(([n]) => `'${n}'`);
    if (extra.length) {
      throw sgError(`TransformerEncoderLayer.clone: a fresh layer has no ${extra.join(', ')} (a replaced child, e.g. LoRA: apply sg.nn.applyLora after building the encoder)`);
    }
    // Queued now, in order before anything that reads the copy; a lost device fails those reads.
    assignAll(mine.map(([n, t]) => [theirs.get(n)!, t])).catch(() => undefined);
    return c;
  }

  protected override describeArgs(): string {
    const extras = [
      `dimFeedforward=${this.dimFeedforward}`, this.activation === 'gelu' ? 'activation=gelu' : '',
      this.opts.normFirst ? 'normFirst' : '', this.opts.causal ? 'causal' : '',
    ].filter(Boolean);
    return `${this.dModel}, ${this.nhead}, ${extras.join(', ')}`;
  }
}

export const transformerEncoderLayer = (dModel: number, nhead: number, opts?: TransformerEncoderLayerOptions) => new TransformerEncoderLayer(dModel, nhead, opts);

/** torch.nn.ModuleList: children named 0, 1, ... (no forward of its own). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super('ModuleList');
    this.items = [...items];
    this.items.forEach((m, i) => this.addChild(String(i), m));
  }

  forward(x: Tensor): Tensor {
    throw sgError(`ModuleList has no forward (it holds ${this.items.length} modules); call its items, input ${x.describe()}`);
  }
}

export interface TransformerEncoderOptions {
  /** Applied to the last layer's output (torch's `norm`, e.g. nn.layerNorm(dModel) with normFirst layers). */
  norm?: Module | null;
}

export interface EncoderCallOptions {
  /** torch's mask: [T, T] or [N·nhead, T, T]. */
  mask?: Tensor | null;
  /** torch's src_key_padding_mask: [N, T]. */
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

export const TRANSFORMER_ENCODER_KEYS = keysOf<TransformerEncoderOptions>({ norm: 1 });
export const ENCODER_CALL_KEYS = keysOf<EncoderCallOptions>({ mask: 1, srcKeyPaddingMask: 1, isCausal: 1 });

/**
 * torch.nn.TransformerEncoder: numLayers copies of `layer` (identical initial weights, trained
 * independently, as torch's deepcopy; `layer` itself is not part of it), then `norm` if given.
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: Module | null;

  constructor(layer: TransformerEncoderLayer, readonly numLayers: number, opts: TransformerEncoderOptions = {}) {
    super('TransformerEncoder');
    checkOptions('nn.TransformerEncoder', opts, TRANSFORMER_ENCODER_KEYS);
    if (!(layer instanceof TransformerEncoderLayer)) throw sgError('TransformerEncoder: layer must be an nn.transformerEncoderLayer');
    positiveInt('TransformerEncoder', 'numLayers', numLayers);
    this.layers = this.addChild('layers', new ModuleList(Array.from({ length: numLayers }, () => layer.clone())));
    this.norm = opts.norm ? this.addChild('norm', opts.norm) : null;
  }

  override forward(src: Tensor, options: EncoderCallOptions = {}): Tensor {
    checkOptions('TransformerEncoder.forward', options, ENCODER_CALL_KEYS);
    const call = { srcMask: options.mask, srcKeyPaddingMask: options.srcKeyPaddingMask, isCausal: options.isCausal };
    let x = src;
    for (const l of this.layers.items) x = l.forward(x, call);
    return this.norm ? this.norm.forward(x) : x;
  }

  protected override describeArgs(): string {
    return `${this.numLayers} layers`;
  }
}

export const transformerEncoder = (layer: TransformerEncoderLayer, numLayers: number, opts?: TransformerEncoderOptions) =>
  new TransformerEncoder(layer, numLayers, opts);
