// A small Vision Transformer (Dosovitskiy et al.; timm's VisionTransformer names) as an
// nn.Sequential, so fit, checkpoints and sg.io.exportPytorch take it as they are:
//
//   0 patchEmbedding(inChannels, dim, patchSize)   patch_embed-style proj (strided conv) → [B, N, dim]
//   1 classToken(dim)                              cls_token prepended → [B, N + 1, dim]
//   2 learnedPositionalEmbedding(N + 1, dim)       pos_embed
//   3 dropout
//   4 transformerEncoder(depth × pre-norm GELU layers, { norm: layerNorm(dim) })
//   5 tokenPool('cls')                             the class token's output
//   6 linear(dim, classes)                         the head

import { Sequential, Dropout, LayerNorm, Linear } from '../nn/layers.js';
import { ClassToken, LearnedPositionalEmbedding, PatchEmbedding, TokenPool } from '../nn/embeddings.js';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError } from '../util/errors.js';

export interface ViTConfig {
  /** Image height = width (default 28). */
  imageSize?: number;
  /** Patch side; must divide imageSize (default 7: 16 patches of a 28×28 digit). */
  patchSize?: number;
  /** Image channels (default 1). */
  inChannels?: number;
  /** Classes of the head. */
  classes: number;
  /** Token width (default 64). */
  dim?: number;
  /** Encoder layers (default 4). */
  depth?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** Feed-forward width as a multiple of dim (default 2). */
  mlpRatio?: number;
  /** Dropout after the positions, on attention weights and in the MLPs (default 0). */
  dropout?: number;
  seed?: number;
}

export const VIT_KEYS = keysOf<ViTConfig>({ imageSize: 1, patchSize: 1, inChannels: 1, classes: 1, dim: 1, depth: 1, heads: 1, mlpRatio: 1, dropout: 1, seed: 1 });

/** A ViT classifier for [B, inChannels, imageSize, imageSize] images → [B, classes] logits. */
export function vit(config: ViTConfig): Sequential {
  checkOptions('models.vit', config, VIT_KEYS);
  const { imageSize = 28, patchSize = 7, inChannels = 1, classes, dim = 64, depth = 4, heads = 4, mlpRatio = 2, dropout = 0, seed } = config;
  for (const [k, v] of Object.entries({ imageSize, patchSize, inChannels, classes, dim, depth, heads })) {
    if (!Number.isInteger(v) || v < 1) throw sgError(`models.vit: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (imageSize % patchSize) throw sgError(`models.vit: patchSize (${patchSize}) must divide imageSize (${imageSize})`);
  const tokens = (imageSize / patchSize) ** 2 + 1;
  const layer = new TransformerEncoderLayer(dim, heads, {
    dimFeedforward: Math.round(mlpRatio * dim), dropout, activation: 'gelu', batchFirst: true, normFirst: true, seed,
  });
  return new Sequential(
    new PatchEmbedding(inChannels, dim, patchSize, { seed }), new ClassToken(dim), new LearnedPositionalEmbedding(tokens, dim, { seed }),
    new Dropout(dropout), new TransformerEncoder(layer, depth, { norm: new LayerNorm(dim) }), new TokenPool('cls'), new Linear(dim, classes, { seed }),
  );
}
