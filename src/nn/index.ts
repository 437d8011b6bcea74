// sg.nn — modules (layers), weight initialisation and seeding.
export { Module } from './module.js';
export {
  expectFeatures, Linear, Sequential, Lambda, Residual, relu, sigmoid, tanh, flatten, linear, sequential,
  residual, Conv2d, conv2d, maxPool2d, avgPool2d, globalAvgPool2d, leakyRelu, elu, gelu, softplus, silu,
  softmax, logSoftmax, BatchNorm, batchNorm1d, batchNorm2d, Dropout, dropout, LayerNorm, layerNorm, Embedding,
  embedding, RandomAugment, randomAugment, type LinearOptions, type Conv2dLayerOptions,
  type BatchNormLayerOptions, RMSNorm, rmsNorm, GroupNorm, groupNorm, InstanceNorm, instanceNorm1d, instanceNorm2d,
  type RMSNormLayerOptions, type LayerNormLayerOptions, type GroupNormLayerOptions, type InstanceNormLayerOptions,
} from './layers.js';
export { calculateGain, fans } from './init.js';
export { manualSeed, globalRandom } from '../util/random.js';
export * as init from './init.js';
export {
  SinusoidalPositionalEncoding, LearnedPositionalEmbedding, PatchEmbedding, ClassToken, sinusoidalPositionalEncoding,
  learnedPositionalEmbedding, patchEmbedding, classToken, sinusoidalTable, TokenPool, tokenPool, type PositionalOptions,
} from './embeddings.js';
export {
  MultiheadAttention, multiheadAttention, TransformerEncoderLayer, transformerEncoderLayer, TransformerEncoder,
  transformerEncoder, ModuleList, generateSquareSubsequentMask, type MultiheadAttentionOptions, type AttentionMasks,
  type AttentionCallOptions, type TransformerEncoderLayerOptions, type EncoderLayerCallOptions,
  type TransformerEncoderOptions, type EncoderCallOptions,
} from './transformer.js';
export {
  LoraLinear, lora, applyLora, mergeLora, type LoraOptions, type ApplyLoraOptions, type LoraTargets,
} from './lora.js';
export { Ensemble, ensemble, type EnsembleOptions, type EnsembleMode } from './ensemble.js';
export * as prune from './prune.js';
