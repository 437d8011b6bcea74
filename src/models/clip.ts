// CLIP (Radford et al. 2021) at toy size: an image encoder and a text encoder trained so that an
// image and the text describing it land close together in one joint space. Names follow Hugging
// Face's CLIPModel where they apply:
//
//   vision_model       any Module [B, ...image] → [B, imageFeatures]; default the CLI's CNN without its
//                      head: [conv3×3(8) → batchNorm → relu → maxPool 2] → [conv3×3(16) → …] → flatten
//   text_model         CLIPTextEncoder: token_embedding, position_embedding (pos_embed [1, L, W]),
//                      encoder (layers × pre-norm GELU TransformerEncoderLayer, batch-first; causal with
//                      pool 'eot'), final_layer_norm, then one vector per text: the output at its last
//                      real token (CLIP's end-of-text token) or the mean over its non-pad tokens
//   visual_projection  Linear(imageFeatures, embedDim, bias=false)
//   text_projection    Linear(width, embedDim, bias=false)
//   logit_scale        [] parameter, initialised ln(1/0.07); the logits use exp(clamp(logit_scale, 0, ln 100))
//
// The loss is CLIP's pseudocode: L2-normalise both embeddings, logits = exp(t)·I·Tᵀ over the batch
// (B × B), and the mean of the cross-entropy of each image against the texts (rows) and of each text
// against the images (columns). Zero-shot classification embeds each class's prompts, averages them
// per class (renormalised) and gives each image the class whose text embedding is nearest (cosine).

import { Module } from '../nn/module.js';
import { Conv2d, Embedding, LayerNorm, Linear, Sequential, batchNorm2d, relu, maxPool2d, flatten } from '../nn/layers.js';
import { LearnedPositionalEmbedding } from '../nn/embeddings.js';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import * as init from '../nn/init.js';
import { assignAll } from '../tensor/assign.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { clamp, div, exp, mul, scale, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { embedding, narrow, pad } from '../ops/index-ops.js';
import { reshape, unsqueeze } from '../ops/shape-ops.js';
import { mean, sum } from '../ops/reduce.js';
import { symmetricCrossEntropy } from '../ops/loss.js';
import { normalizeRows } from '../ops/metrics.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

/** ln(100): CLIP clamps its logit scale here (a temperature of 0.01). */
export const MAX_LOGIT_SCALE = Math.log(100);

export interface CLIPConfig {
  /** Text vocabulary size (token ids 0 … vocab − 1). */
  vocab: number;
  /** Tokens per text (the position table's length). */
  contextLength: number;
  /** The padding token id (default 0, as sg.models.wordTokenizer). */
  padId?: number;
  /** Joint embedding width (default 64). */
  embedDim?: number;
  /** Text transformer width (default 64). */
  width?: number;
  /** Text transformer layers (default 2). */
  layers?: number;
  /** Attention heads (default 4; must divide width). */
  heads?: number;
  /** Feed-forward width as a multiple of width (default 2). */
  mlpRatio?: number;
  /** Dropout in the text transformer (default 0). */
  dropout?: number;
  /** 'eot' (default): causal layers, the output at the last non-pad token; 'mean': bidirectional layers, mean over non-pad tokens. */
  pool?: 'eot' | 'mean';
  /** The image encoder (any Module giving [B, imageFeatures]); default: the small CNN above. */
  imageEncoder?: Module;
  /** The image encoder's output width: required with imageEncoder, else 16·⌊H/4⌋·⌊W/4⌋. */
  imageFeatures?: number;
  /** Default CNN: input channels (default 1). */
  inChannels?: number;
  /** Default CNN: image height = width (default 28). */
  imageSize?: number;
  /** Initial logit_scale (default ln(1/0.07) ≈ 2.659, as CLIP). */
  logitScaleInit?: number;
  /** Seed of the initial weights (default: sg.manualSeed's generator). */
  seed?: number;
}

export const CLIP_KEYS = keysOf<CLIPConfig>({
  vocab: 1, contextLength: 1, padId: 1, embedDim: 1, width: 1, layers: 1, heads: 1, mlpRatio: 1, dropout: 1, pool: 1,
  imageEncoder: 1, imageFeatures: 1, inChannels: 1, imageSize: 1, logitScaleInit: 1, seed: 1,
});

export interface ZeroShotOptions {
  /** Images per forward (default 256). */
  batchSize?: number;
}
export const ZERO_SHOT_KEYS = keysOf<ZeroShotOptions>({ batchSize: 1 });

export interface ClipLossOptions {
  /**
   * Soft targets [B, B] (rows sum to 1) instead of the diagonal: sg.models.clipTargets(labels) spreads
   * each row over the pairs of the same class, so duplicates of a class in a batch are not negatives.
   */
  targets?: Tensor;
}
export const CLIP_LOSS_KEYS = keysOf<ClipLossOptions>({ targets: 1 });

const positiveInt = (where: string, what: string, v: unknown) => {
  if (!Number.isInteger(v) || (v as number) < 1) throw sgError(`${where}: ${what} must be a positive integer, got ${String(v)}`);
};

/** The default image encoder: the CLI's CNN without its head → [B, 16·⌊H/4⌋·⌊W/4⌋]. */
export function clipCnn(inChannels = 1, imageSize = 28, seed?: number): Sequential {
  positiveInt('models.clipCnn', 'inChannels', inChannels);
  positiveInt('models.clipCnn', 'imageSize', imageSize);
  return new Sequential(
    new Conv2d(inChannels, 8, 3, { padding: 1, seed }), batchNorm2d(8), relu(), maxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, seed }), batchNorm2d(16), relu(), maxPool2d(2), flatten(),
  );
}

/**
 * CLIP's text tower: token ids [B, L] (i32; padding only after the text) → [B, width] features.
 * token_embedding → + position_embedding → encoder → final_layer_norm → pool.
 */
export class CLIPTextEncoder extends Module {
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: LearnedPositionalEmbedding;
  readonly encoder: TransformerEncoder;
  readonly finalLayerNorm: LayerNorm;
  /** [vocab, 1]: 1 for every token but padding (ids → a float "is real" mask on the GPU). */
  private readonly realTable: Float32Array;

  constructor(readonly vocab: number, readonly contextLength: number, readonly width: number, readonly opts: {
    layers: number; heads: number; mlpRatio: number; dropout: number; pool: 'eot' | 'mean'; padId: number; seed?: number;
  }) {
    super('CLIPTextEncoder');
    const { layers, heads, mlpRatio, dropout, pool, padId, seed } = opts;
    this.tokenEmbedding = this.addChild('token_embedding', new Embedding(vocab, width, { seed }));
    this.positionEmbedding = this.addChild('position_embedding', new LearnedPositionalEmbedding(contextLength, width, { seed }));
    const layer = new TransformerEncoderLayer(width, heads, {
      dimFeedforward: Math.round(mlpRatio * width), dropout, activation: 'gelu', batchFirst: true, normFirst: true, causal: pool === 'eot', seed,
    });
    this.encoder = this.addChild('encoder', new TransformerEncoder(layer, layers));
    this.finalLayerNorm = this.addChild('final_layer_norm', new LayerNorm(width));
    this.realTable = new Float32Array(vocab).fill(1);
    this.realTable[padId] = 0;
  }

  override forward(ids: Tensor): Tensor {
    if (!(ids instanceof Tensor) || ids.dtype !== 'i32' || ids.rank !== 2) {
      throw sgError(`CLIPTextEncoder: ids must be an i32 tensor [B, L], got ${ids instanceof Tensor ? ids.describe() : typeof ids}`, ShapeError);
    }
    const [B, L] = ids.shape;
    if (L > this.contextLength) throw sgError(`CLIPTextEncoder: ids ${ids.describe()} are longer than contextLength ${this.contextLength}`, ShapeError);
    // real[b, t] = 1 for a token, 0 for padding (an embedding lookup: there is no i32 → f32 cast op).
    const real = reshape(embedding(ids, tensor(this.realTable, [this.vocab, 1])), [B, L]);
    let keyPaddingMask: Tensor | undefined;
    if (this.opts.pool === 'mean') keyPaddingMask = scale(sub(1, real), -1e9); // additive: padding is never attended
    const h = this.finalLayerNorm.forward(this.encoder.forward(
      this.positionEmbedding.forward(this.tokenEmbedding.forward(ids)), { srcKeyPaddingMask: keyPaddingMask },
    ));
    // Pooling weights [B, L]: the last real token (real[t] − real[t+1], one-hot where padding only
    // follows the text), or 1/count over the real tokens.
    const w = this.opts.pool === 'eot'
      ? (L === 1 ? real : sub(real, pad(narrow(real, 1, 1, L - 1), [0, 1])))
      : div(real, sum(real, 1, true));
    return sum(mul(h, unsqueeze(w, 2)), 1);
  }

  protected override describeArgs(): string {
    const { layers, heads, pool } = this.opts;
    return `vocab=${this.vocab}, contextLength=${this.contextLength}, width=${this.width}, layers=${layers}, heads=${heads}, pool=${pool}`;
  }
}

/** A CLIP model: see the top of this file. Build it with sg.models.clip(config) (CLIP's initialisation). */
export class CLIP extends Module {
  readonly config: Readonly<Required<Omit<CLIPConfig, 'seed' | 'imageEncoder'>>> & { seed?: number };
  readonly visionModel: Module;
  readonly textModel: CLIPTextEncoder;
  readonly visualProjection: Linear;
  readonly textProjection: Linear;
  /** The learned log logit scale (HF's `logit_scale`), unclamped; the logits use {@link logitScale}. */
  readonly logitScaleParam: Tensor;

  constructor(config: CLIPConfig) {
    super('CLIP');
    const where = 'models.clip';
    checkOptions(where, config, CLIP_KEYS);
    const c = {
      padId: 0, embedDim: 64, width: 64, layers: 2, heads: 4, mlpRatio: 2, dropout: 0, pool: 'eot' as const,
      inChannels: 1, imageSize: 28, logitScaleInit: Math.log(1 / 0.07), ...config,
    };
    for (const k of ['vocab', 'contextLength', 'embedDim', 'width', 'layers', 'heads', 'inChannels', 'imageSize'] as const) positiveInt(where, k, c[k]);
    if (!Number.isInteger(c.padId) || c.padId < 0 || c.padId >= c.vocab) throw sgError(`${where}: padId must be an id in [0, ${c.vocab}), got ${String(c.padId)}`);
    if (c.width % c.heads) throw sgError(`${where}: width (${c.width}) must be divisible by heads (${c.heads})`);
    if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw sgError(`${where}: dropout must be in [0, 1), got ${String(c.dropout)}`);
    if (!(c.mlpRatio > 0)) throw sgError(`${where}: mlpRatio must be > 0, got ${String(c.mlpRatio)}`);
    if (c.pool !== 'eot' && c.pool !== 'mean') throw sgError(`${where}: pool must be 'eot' or 'mean', got ${JSON.stringify(c.pool)}`);
    if (!Number.isFinite(c.logitScaleInit)) throw sgError(`${where}: logitScaleInit must be a finite number, got ${String(c.logitScaleInit)}`);
    let imageFeatures: number;
    if (config.imageEncoder !== undefined) {
      if (!(config.imageEncoder instanceof Module)) throw sgError(`${where}: imageEncoder must be an sg.nn Module`);
      if (config.imageFeatures === undefined) throw sgError(`${where}: give imageFeatures (the width of imageEncoder's [B, features] output) with imageEncoder`);
      positiveInt(where, 'imageFeatures', config.imageFeatures);
      imageFeatures = config.imageFeatures;
    } else {
      if (c.imageSize < 4) throw sgError(`${where}: the default CNN pools twice by 2: imageSize must be ≥ 4, got ${c.imageSize}`);
      imageFeatures = 16 * Math.floor(c.imageSize / 4) ** 2;
      if (config.imageFeatures !== undefined && config.imageFeatures !== imageFeatures) {
        throw sgError(`${where}: the default CNN gives ${imageFeatures} features for ${c.imageSize}×${c.imageSize} images, not imageFeatures ${config.imageFeatures}`);
      }
    }
    const { imageEncoder: _e, ...rest } = c;
    this.config = { ...rest, imageFeatures };
    this.visionModel = this.addChild('vision_model', config.imageEncoder ?? clipCnn(c.inChannels, c.imageSize, c.seed));
    this.textModel = this.addChild('text_model', new CLIPTextEncoder(c.vocab, c.contextLength, c.width, {
      layers: c.layers, heads: c.heads, mlpRatio: c.mlpRatio, dropout: c.dropout, pool: c.pool, padId: c.padId, seed: c.seed,
    }));
    this.visualProjection = this.addChild('visual_projection', new Linear(imageFeatures, c.embedDim, { bias: false, seed: c.seed }));
    this.textProjection = this.addChild('text_projection', new Linear(c.width, c.embedDim, { bias: false, seed: c.seed }));
    this.logitScaleParam = this.addParameter('logit_scale', tensor(new Float32Array([c.logitScaleInit]), []));
  }

  /** Images → L2-normalised embeddings [B, embedDim]. */
  encodeImage(images: Tensor): Tensor {
    if (!(images instanceof Tensor)) throw sgError(`CLIP.encodeImage: images must be a Tensor, got ${typeof images}`);
    const f = this.visionModel.forward(images);
    if (f.rank !== 2 || f.shape[1] !== this.config.imageFeatures) {
      throw sgError(`CLIP.encodeImage: the image encoder gave ${f.describe()} for images ${images.describe()}; expected [B, ${this.config.imageFeatures}] (imageFeatures)`, ShapeError);
    }
    return normalizeRows(this.visualProjection.forward(f));
  }

  /** Token ids [B, L] (i32) → L2-normalised embeddings [B, embedDim]. */
  encodeText(ids: Tensor): Tensor {
    return normalizeRows(this.textProjection.forward(this.textModel.forward(ids)));
  }

  /** The image embeddings (Module's forward; the text side is encodeText). */
  override forward(images: Tensor): Tensor {
    return this.encodeImage(images);
  }

  /** logit_scale clamped to [0, ln 100], as CLIP (a [] tensor; the logits multiply by its exp). */
  logitScale(): Tensor {
    return clamp(this.logitScaleParam, 0, MAX_LOGIT_SCALE);
  }

  /** Image-text logits [B, B] (HF's logits_per_image; its transpose is logits_per_text). */
  logits(images: Tensor, ids: Tensor): Tensor {
    return mul(matmul(this.encodeImage(images), this.encodeText(ids), { transB: true }), exp(this.logitScale()));
  }

  /** clipLoss of a batch of pairs: images[i] with ids[i]. */
  loss(images: Tensor, ids: Tensor, options: ClipLossOptions = {}): Tensor {
    return clipLoss(this.encodeImage(images), this.encodeText(ids), this.logitScale(), options);
  }

  /**
   * Class prompts → one embedding per class [C, embedDim]: ids [C, P, L] (P prompts per class) or
   * [C, L]; each class's prompt embeddings averaged, then renormalised (CLIP's prompt ensembling).
   */
  classEmbeddings(classPromptIds: Tensor): Tensor {
    if (!(classPromptIds instanceof Tensor) || classPromptIds.dtype !== 'i32' || (classPromptIds.rank !== 2 && classPromptIds.rank !== 3)) {
      throw sgError(`CLIP.classEmbeddings: classPromptIds must be i32 [classes, prompts, L] or [classes, L], got ${classPromptIds instanceof Tensor ? classPromptIds.describe() : typeof classPromptIds}`, ShapeError);
    }
    if (classPromptIds.rank === 2) return this.encodeText(classPromptIds);
    const [C, P, L] = classPromptIds.shape;
    const e = this.encodeText(reshape(classPromptIds, [C * P, L]));
    return normalizeRows(mean(reshape(e, [C, P, this.config.embedDim]), 1));
  }

  /**
   * Cosine similarity of every image with every class's text embedding: [N · C] (row-major [N, C]),
   * in eval mode (the training mode is restored after).
   */
  async zeroShotScores(images: Tensor, classPromptIds: Tensor, options: ZeroShotOptions = {}): Promise<Float32Array> {
    checkOptions('CLIP.zeroShotScores', options, ZERO_SHOT_KEYS);
    const { batchSize = 256 } = options;
    positiveInt('CLIP.zeroShotScores', 'batchSize', batchSize);
    if (!(images instanceof Tensor) || images.rank < 2) throw sgError(`CLIP.zeroShotScores: images must be a Tensor [N, ...], got ${images instanceof Tensor ? images.describe() : typeof images}`, ShapeError);
    const N = images.shape[0];
    const wasTraining = this.training;
    this.eval();
    try {
      const classes = tidy(() => this.classEmbeddings(classPromptIds));
      const C = classes.shape[0];
      const out = new Float32Array(N * C);
      for (let start = 0; start < N; start += batchSize) {
        const n = Math.min(batchSize, N - start);
        const s = tidy(() => matmul(this.encodeImage(n === N ? images : narrow(images, 0, start, n)), classes, { transB: true }));
        out.set((await s.data()) as Float32Array, start * C);
        s.dispose();
      }
      classes.dispose();
      return out;
    } finally {
      this.train(wasTraining);
    }
  }

  /** Zero-shot classification: each image's class is the one whose prompt embedding is nearest (cosine). */
  async zeroShot(images: Tensor, classPromptIds: Tensor, options: ZeroShotOptions = {}): Promise<Int32Array> {
    const scores = await this.zeroShotScores(images, classPromptIds, options);
    const C = classPromptIds.shape[0];
    return argmaxRows(scores, C);
  }

  protected override describeArgs(): string {
    return `embedDim=${this.config.embedDim}, imageFeatures=${this.config.imageFeatures}`;
  }
}

/** The index of the largest value of each row of a row-major [N, C] array (the first on ties). */
export function argmaxRows(scores: ArrayLike<number>, C: number): Int32Array {
  const N = scores.length / C;
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (scores[i * C + j] > scores[i * C + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * A CLIP initialised as CLIP's text tower (`initialize_parameters` of openai/CLIP): token_embedding
 * N(0, 0.02²), position_embedding N(0, 0.01²), in_proj N(0, 1/width), out_proj and linear2
 * N(0, 1/(2·width·layers)), linear1 N(0, 1/(2·width)), text_projection N(0, 1/width); and the text
 * tower's biases 0 (torch's default U(±1/√width) would swamp 0.02-scale tokens at toy widths: every
 * text would start with nearly the same embedding). The image tower and visual_projection keep
 * torch.nn's defaults. Resolves once the weights are written.
 */
export async function clip(config: CLIPConfig): Promise<CLIP> {
  const model = new CLIP(config);
  const { width, layers } = model.config;
  const attnStd = width ** -0.5;
  const projStd = attnStd * (2 * layers) ** -0.5;
  const fcStd = (2 * width) ** -0.5;
  const std = (name: string): number | undefined => {
    if (name.endsWith('token_embedding.weight')) return 0.02;
    if (name.endsWith('pos_embed')) return 0.01;
    if (name.endsWith('in_proj_weight')) return attnStd;
    if (/out_proj\.weight$|linear2\.weight$/.test(name)) return projStd;
    if (name.endsWith('linear1.weight')) return fcStd;
    return undefined;
  };
  const pairs: [Tensor, Tensor][] = [];
  for (const [i, [name, t]] of model.textModel.namedParameters().entries()) {
    const s = std(name);
    if (s !== undefined) pairs.push([t, init.normal(t.shape, 0, s, { seed: config.seed === undefined ? undefined : config.seed * 1013 + i })]);
    else if (/bias$/.test(name) && !/norm/.test(name)) pairs.push([t, init.zeros(t.shape)]);
  }
  const tp = model.textProjection.weight;
  pairs.push([tp, init.normal(tp.shape, 0, attnStd, { seed: config.seed === undefined ? undefined : config.seed * 1013 + 999 })]);
  await assignAll(pairs);
  return model;
}

/**
 * CLIP's symmetric contrastive loss over a batch of B pairs: logits = exp(logitScale)·imageEmb·textEmbᵀ
 * [B, B]; loss = (CE(logits, targets) + CE(logitsᵀ, targetsᵀ)) / 2, with targets the diagonal (image i
 * goes with text i) or options.targets. imageEmb and textEmb [B, D] are used as given: normalise them
 * first (CLIP.encodeImage / encodeText do). logitScale: a one-element tensor, the log of the scale
 * (HF's logit_scale; clamp it first as CLIP.logitScale() does). sg.clipLoss is the same loss with
 * the normalisation inside and the diagonal targets only.
 */
export function clipLoss(imageEmb: Tensor, textEmb: Tensor, logitScale: Tensor, options: ClipLossOptions = {}): Tensor {
  const where = 'models.clipLoss';
  checkOptions(where, options, CLIP_LOSS_KEYS);
  for (const [t, n] of [[imageEmb, 'imageEmb'], [textEmb, 'textEmb'], [logitScale, 'logitScale']] as const) {
    if (!(t instanceof Tensor)) throw sgError(`${where}: ${n} must be a Tensor, got ${typeof t}`);
    if (t.dtype !== 'f32') throw sgError(`${where}: ${n} must be f32, got ${t.describe()}`, ShapeError);
  }
  if (imageEmb.rank !== 2 || textEmb.rank !== 2 || imageEmb.shape[0] !== textEmb.shape[0] || imageEmb.shape[1] !== textEmb.shape[1]) {
    throw sgError(`${where}: imageEmb ${imageEmb.describe()} and textEmb ${textEmb.describe()} must both be [B, D] with the same B and D (pair i is image i with text i)`, ShapeError);
  }
  if (logitScale.size !== 1) throw sgError(`${where}: logitScale must have one element (the log of the scale), got ${logitScale.describe()}`, ShapeError);
  const B = imageEmb.shape[0];
  const { targets } = options;
  if (targets !== undefined) {
    if (!(targets instanceof Tensor) || targets.dtype !== 'f32' || targets.rank !== 2 || targets.shape[0] !== B || targets.shape[1] !== B) {
      throw sgError(`${where}: targets must be f32 [${B}, ${B}] (a distribution over the batch per row), got ${targets instanceof Tensor ? targets.describe() : typeof targets}`, ShapeError);
    }
  }
  return symmetricCrossEntropy(mul(matmul(imageEmb, textEmb, { transB: true }), exp(reshape(logitScale, []))), targets);
}

/**
 * Label-aware targets for clipLoss: row i spreads 1 evenly over the pairs j with labels[j] =
 * labels[i] ([B · B], row-major). With distinct labels it is the identity (CLIP's diagonal); with
 * repeated classes a same-class pair is a positive, not a false negative. Symmetric, so it serves
 * both directions.
 */
export function clipTargets(labels: ArrayLike<number>): Float32Array {
  const B = labels.length;
  const out = new Float32Array(B * B);
  const count = new Map<number, number>();
  for (let i = 0; i < B; i++) count.set(labels[i], (count.get(labels[i]) ?? 0) + 1);
  for (let i = 0; i < B; i++) {
    const w = 1 / count.get(labels[i])!;
    for (let j = 0; j < B; j++) if (labels[j] === labels[i]) out[i * B + j] = w;
  }
  return out;
}
