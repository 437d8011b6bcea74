// A tiny GPT: a decoder-only causal transformer language model (the recipe of GPT-2 / nanoGPT, at
// toy sizes), built from shadergrad's torch-compatible modules:
//
//   tok_emb        nn.Embedding(vocab, dim)              token embeddings, tied with the output head
//   pos_emb        nn.learnedPositionalEmbedding(blockSize, dim)   (pos_embed [1, blockSize, dim])
//   drop           nn.Dropout(dropout)
//   blocks         nn.TransformerEncoder(layers × TransformerEncoderLayer(dim, heads, { causal: true,
//                  normFirst: true, activation: 'gelu', dimFeedforward: 4·dim, batchFirst: true }),
//                  { norm: LayerNorm(dim) })   — blocks.layers.<i>.self_attn.in_proj_weight, …, blocks.norm.*
//   head           logits = h · tok_emb.weightᵀ (weight tying: no separate head weight)
//
// Every block is a torch.nn.TransformerEncoderLayer, so the state dict loads into torch with the same
// modules (sg.io.exportPytorch writes them). gpt() initialises as GPT-2: weights N(0, 0.02²), the
// residual projections (out_proj, linear2) N(0, (0.02/√(2·layers))²), biases 0.

import { Module } from '../nn/module.js';
import { Dropout, Embedding, LayerNorm } from '../nn/layers.js';
import { LearnedPositionalEmbedding } from '../nn/embeddings.js';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import * as init from '../nn/init.js';
import { assignAll } from '../tensor/assign.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { linear } from '../ops/matmul.js';
import { narrow } from '../ops/index-ops.js';
import { reshape } from '../ops/shape-ops.js';
import { crossEntropy } from '../ops/loss.js';
import { Random } from '../util/random.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

export interface GPTConfig {
  /** Vocabulary size (token ids 0 … vocab − 1). */
  vocab: number;
  /** Context length: the most tokens one forward sees. */
  blockSize: number;
  /** Transformer blocks (default 4). */
  layers?: number;
  /** Attention heads per block (default 4; must divide dim). */
  heads?: number;
  /** Embedding width (default 128). */
  dim?: number;
  /** Dropout after the embeddings, on attention weights, in and after the MLP (default 0.1). */
  dropout?: number;
  /** Seed of the initial weights (default: sg.manualSeed's generator). */
  seed?: number;
}

export interface GenerateOptions {
  /** Tokens to append (default 32). */
  maxTokens?: number;
  /** Divides the logits before sampling (default 1); 0 takes the most likely token (greedy). */
  temperature?: number;
  /** Sample among the k most likely tokens only (default: all). */
  topK?: number;
  /** Seed of the sampler (default 0): the same seed gives the same text. */
  seed?: number;
  /** Stop after generating this token (e.g. the end-of-name boundary); it is included in the result. */
  stopToken?: number;
}

export const GPT_KEYS = keysOf<GPTConfig>({ vocab: 1, blockSize: 1, layers: 1, heads: 1, dim: 1, dropout: 1, seed: 1 });
export const GENERATE_KEYS = keysOf<GenerateOptions>({ maxTokens: 1, temperature: 1, topK: 1, seed: 1, stopToken: 1 });

const positiveInt = (what: string, v: unknown) => {
  if (!Number.isInteger(v) || (v as number) < 1) throw sgError(`models.gpt: ${what} must be a positive integer, got ${String(v)}`);
};

export class GPT extends Module {
  readonly config: Required<Omit<GPTConfig, 'seed'>> & { seed?: number };
  readonly tokEmb: Embedding;
  readonly posEmb: LearnedPositionalEmbedding;
  readonly blocks: TransformerEncoder;
  private readonly drop: Dropout;

  constructor(config: GPTConfig) {
    super('GPT');
    checkOptions('models.gpt', config, GPT_KEYS);
    const c = { layers: 4, heads: 4, dim: 128, dropout: 0.1, ...config };
    for (const k of ['vocab', 'blockSize', 'layers', 'heads', 'dim'] as const) positiveInt(k, c[k]);
    if (c.dim % c.heads) throw sgError(`models.gpt: dim (${c.dim}) must be divisible by heads (${c.heads})`);
    if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw sgError(`models.gpt: dropout must be in [0, 1), got ${String(c.dropout)}`);
    this.config = c;
    this.tokEmb = this.addChild('tok_emb', new Embedding(c.vocab, c.dim, { seed: c.seed }));
    this.posEmb = this.addChild('pos_emb', new LearnedPositionalEmbedding(c.blockSize, c.dim, { seed: c.seed }));
    this.drop = this.addChild('drop', new Dropout(c.dropout));
    const block = new TransformerEncoderLayer(c.dim, c.heads, {
      dimFeedforward: 4 * c.dim, dropout: c.dropout, activation: 'gelu', batchFirst: true, normFirst: true, causal: true, seed: c.seed,
    });
    this.blocks = this.addChild('blocks', new TransformerEncoder(block, c.layers, { norm: new LayerNorm(c.dim) }));
  }

  /** Token ids [N, T] (i32, T ≤ blockSize) → logits [N, T, vocab] for the next token at every position. */
  override forward(ids: Tensor): Tensor {
    if (!(ids instanceof Tensor) || ids.dtype !== 'i32' || ids.rank !== 2) {
      throw sgError(`GPT: ids must be an i32 tensor [N, T], got ${ids instanceof Tensor ? ids.describe() : typeof ids}`, ShapeError);
    }
    if (ids.shape[1] > this.config.blockSize) {
      throw sgError(`GPT: ids ${ids.describe()} are longer than blockSize ${this.config.blockSize}`, ShapeError);
    }
    const h = this.blocks.forward(this.drop.forward(this.posEmb.forward(this.tokEmb.forward(ids))));
    return linear(h, this.tokEmb.weight);
  }

  /** Mean next-token cross-entropy (nats/token) of ids [N, T] against targets [N, T]. */
  loss(ids: Tensor, targets: Tensor): Tensor {
    const [N, T] = ids.shape;
    return lmLoss(this.forward(ids), targets, N * T);
  }

  /**
   * Continue `prompt` (token ids, at least one) by sampling one token at a time from the model (eval
   * mode: no dropout; the training mode is restored after). Returns prompt + new tokens.
   */
  async generate(prompt: ArrayLike<number>, options: GenerateOptions = {}): Promise<Int32Array> {
    checkOptions('GPT.generate', options, GENERATE_KEYS);
    const { maxTokens = 32, temperature = 1, topK, seed = 0, stopToken } = options;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw sgError(`GPT.generate: maxTokens must be an integer ≥ 0, got ${maxTokens}`);
    if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
      throw sgError(`GPT.generate: temperature must be a finite number ≥ 0, got ${temperature}`);
    }
    if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw sgError(`GPT.generate: topK must be a positive integer, got ${topK}`);
    const { vocab, blockSize } = this.config;
    const out = Array.from(prompt);
    if (!out.length) throw sgError('GPT.generate: the prompt needs at least one token');
    out.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= vocab) throw sgError(`GPT.generate: prompt token ${t} at position ${i} is not in [0, ${vocab})`);
    });
    const rng = new Random(seed);
    const wasTraining = this.training;
    this.eval();
    try {
      for (let n = 0; n < maxTokens; n++) {
        const ctx = out.slice(-blockSize);
        const last = tidy(() => {
          const logits = this.forward(tensor(Int32Array.from(ctx), [1, ctx.length], { dtype: 'i32' }));
          return reshape(narrow(logits, 1, ctx.length - 1, 1), [vocab]);
        });
        const values = (await last.data()) as Float32Array;
        last.dispose();
        const next = sampleToken(values, temperature, topK, rng);
        out.push(next);
        if (next === stopToken) break;
      }
    } finally {
      this.train(wasTraining);
    }
    return Int32Array.from(out);
  }

  /**
   * The attention weights of block `layer` for ids [1, T]: [heads, T, T] (query × key, causal), as
   * the block sees its input in eval mode — for attention maps.
   */
  attentionMaps(ids: Tensor, layer: number): Tensor {
    const layers = this.blocks.layers.items;
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers.length) throw sgError(`GPT.attentionMaps: layer must be in [0, ${layers.length}), got ${layer}`);
    if (ids.rank !== 2 || ids.shape[0] !== 1) throw sgError(`GPT.attentionMaps: ids must be [1, T], got ${ids.describe()}`, ShapeError);
    let h = this.posEmb.forward(this.tokEmb.forward(ids));
    for (let i = 0; i < layer; i++) h = layers[i].forward(h);
    const l = layers[layer];
    const x = l.norm1.forward(h);
    const { weights } = l.selfAttn.attention(x, x, x, { isCausal: true, averageAttnWeights: false });
    return reshape(weights!, weights!.shape.slice(1));
  }
}

/** Mean cross-entropy of logits [..., V] against i32 targets [...] (count = their number). */
export function lmLoss(logits: Tensor, targets: Tensor, count: number): Tensor {
  const V = logits.shape[logits.rank - 1];
  if (targets.size !== count) throw sgError(`lmLoss: targets ${targets.describe()} must hold ${count} tokens (logits ${logits.describe()})`, ShapeError);
  return crossEntropy(reshape(logits, [count, V]), reshape(targets, [count]));
}

/** One token from logits: greedy at temperature 0, else softmax(logits / temperature) over the top k. */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number | undefined, rng: Random): number {
  const n = logits.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const order = Array.from({ length: n }, (_, i) => i);
  if (topK !== undefined && topK < n) order.sort((a, b) => logits[b] - logits[a]).splice(topK);
  const max = logits[best];
  const w = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (let j = 0; j < order.length; j++) {
    r -= w[j];
    if (r < 0) return order[j];
  }
  return order[order.length - 1];
}

/**
 * A GPT with GPT-2's initialisation (weights N(0, 0.02²), residual projections N(0, (0.02/√(2·layers))²),
 * biases 0, layer norms 1 / 0). Resolves once the weights are written.
 */
export async function gpt(config: GPTConfig): Promise<GPT> {
  const model = new GPT(config);
  const std = 0.02;
  const residual = std / Math.sqrt(2 * model.config.layers);
  const pairs: [Tensor, Tensor][] = [];
  for (const [i, [name, t]] of model.namedParameters().entries()) {
    const o = { seed: config.seed === undefined ? undefined : config.seed * 1009 + i };
    if (name.endsWith('bias')) pairs.push([t, init.zeros(t.shape)]);
    else if (/norm\d?\.weight$/.test(name)) continue; // LayerNorm: ones already
    else if (/out_proj\.weight$|linear2\.weight$/.test(name)) pairs.push([t, init.normal(t.shape, 0, residual, o)]);
    else pairs.push([t, init.normal(t.shape, 0, std, o)]);
  }
  await assignAll(pairs);
  return model;
}
