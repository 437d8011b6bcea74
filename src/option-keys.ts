// Every option bag's accepted keys in one object (for tests and docs); each list lives beside the
// function that checks it, typed against its options interface (keysOf in src/util/options.ts).

import { FROM_ARRAYS_KEYS, NORMALIZE_STATS_KEYS } from './data/datasets.js';
import { MNIST_KEYS } from './data/mnist.js';
import { LANGUAGE_MODEL_KEYS, NAMES_DATASET_KEYS, BIGRAM_KEYS, FIRST_NAMES_KEYS } from './data/text.js';
import { SPLIT_KEYS, K_FOLD_KEYS } from './data/split.js';
import { SYNTHETIC_KEYS, SPIRAL_KEYS, CIRCLES_KEYS, GAUSSIAN_BLOBS_KEYS } from './data/synthetic.js';
import { INIT_KEYS } from './gpu/device.js';
import { COMPILE_KEYS, INPUT_SPEC_KEYS } from './graph/compile.js';
import { SAVE_KEYS, LOAD_KEYS } from './io/model.js';
import { AVERAGE_KEYS, CLASSIFICATION_REPORT_KEYS } from './metrics/classification.js';
import { REGRESSION_METRIC_KEYS } from './metrics/regression.js';
import { WEIGHT_INIT_KEYS, KAIMING_KEYS } from './nn/init.js';
import { LINEAR_KEYS, CONV2D_KEYS, MAX_POOL2D_KEYS, AVG_POOL2D_KEYS, BATCH_NORM_KEYS, LAYER_NORM_KEYS, EMBEDDING_KEYS, RMS_NORM_KEYS, GROUP_NORM_KEYS, INSTANCE_NORM_KEYS } from './nn/layers.js';
import { GELU_KEYS, SOFTPLUS_KEYS } from './ops/activation.js';
import { BATCH_NORM_OP_KEYS } from './ops/batchnorm.js';
import { CONV2D_OP_KEYS } from './ops/conv.js';
import { RANDOM_AUGMENT_KEYS, DROPOUT_KEYS } from './ops/dropout.js';
import { ATTENTION_KEYS, ATTENTION_WEIGHTS_KEYS } from './ops/attention.js';
import {
  MULTIHEAD_ATTENTION_KEYS, ATTENTION_MASK_KEYS, ATTENTION_CALL_KEYS, TRANSFORMER_ENCODER_LAYER_KEYS, ENCODER_LAYER_CALL_KEYS,
  TRANSFORMER_ENCODER_KEYS, ENCODER_CALL_KEYS,
} from './nn/transformer.js';
import { CROSS_ENTROPY_KEYS, BCE_WITH_LOGITS_KEYS, POINTWISE_LOSS_KEYS, HUBER_LOSS_KEYS } from './ops/loss.js';
import { MATMUL_KEYS, LINEAR_OP_KEYS } from './ops/matmul.js';
import { CLIP_GRAD_NORM_KEYS, PENALTY_KEYS } from './ops/optim.js';
import { MAX_POOL2D_OP_KEYS, AVG_POOL2D_OP_KEYS } from './ops/pool.js';
import { SGD_KEYS, RMSPROP_KEYS, ADAM_KEYS, ADAGRAD_KEYS } from './optim/optimizers.js';
import { STEP_LR_KEYS, MULTI_STEP_LR_KEYS, EXPONENTIAL_LR_KEYS, COSINE_ANNEALING_KEYS, LINEAR_LR_KEYS, INVERSE_SQRT_KEYS, WARMUP_KEYS, REDUCE_ON_PLATEAU_KEYS } from './optim/schedulers.js';
import { COSINE_WARM_RESTARTS_KEYS, POLYNOMIAL_LR_KEYS, CONSTANT_LR_KEYS } from './optim/schedulers.js';
import { TENSOR_KEYS } from './tensor/tensor.js';
import { FIT_KEYS, EARLY_STOPPING_KEYS, EVALUATE_KEYS, OVERFIT_BATCH_KEYS } from './train/fit.js';
import { LOADER_KEYS } from './train/loader.js';
import { SEARCH_KEYS } from './train/search.js';
import { CREATION_KEYS, RANDN_KEYS, RANDINT_KEYS } from './ops/creation.js';
import { POSITIONAL_KEYS } from './nn/embeddings.js';
import { INSTANCE_NORM_OP_KEYS } from './ops/norm.js';
import { LORA_KEYS, APPLY_LORA_KEYS } from './nn/lora.js';
import { GPT_KEYS, GENERATE_KEYS } from './models/gpt.js';
import { VIT_KEYS } from './models/vit.js';
import { CLIP_KEYS, CLIP_LOSS_KEYS, ZERO_SHOT_KEYS } from './models/clip.js';
import { WORD_TOKENIZER_KEYS } from './models/prompts.js';
import { PRUNE_AMOUNT_KEYS, RANDOM_PRUNE_KEYS, LN_STRUCTURED_KEYS } from './nn/prune.js';
import { ENSEMBLE_KEYS } from './nn/ensemble.js';
import { CALIBRATION_KEYS } from './metrics/calibration.js';
import { CURVE_AVERAGE_KEYS } from './metrics/curves.js';
import { OOD_SCORES_KEYS } from './metrics/ood.js';
import { OOD_SET_KEYS } from './data/ood.js';
import { KL_DIV_KEYS } from './ops/loss.js';
import { DISTILLATION_KEYS } from './train/distill.js';
import { QUANTIZE_KEYS } from './nn/quantize.js';

export const OPTION_KEYS = {
  sgd: SGD_KEYS,
  rmsprop: RMSPROP_KEYS,
  adam: ADAM_KEYS,
  adagrad: ADAGRAD_KEYS,
  stepLR: STEP_LR_KEYS,
  multiStepLR: MULTI_STEP_LR_KEYS,
  exponentialLR: EXPONENTIAL_LR_KEYS,
  cosineAnnealing: COSINE_ANNEALING_KEYS,
  linearLR: LINEAR_LR_KEYS,
  inverseSqrt: INVERSE_SQRT_KEYS,
  warmup: WARMUP_KEYS,
  reduceOnPlateau: REDUCE_ON_PLATEAU_KEYS,
  cosineAnnealingWarmRestarts: COSINE_WARM_RESTARTS_KEYS,
  polynomialLR: POLYNOMIAL_LR_KEYS,
  constantLR: CONSTANT_LR_KEYS,
  linear: LINEAR_KEYS,
  conv2d: CONV2D_KEYS,
  maxPool2d: MAX_POOL2D_KEYS,
  avgPool2d: AVG_POOL2D_KEYS,
  gelu: GELU_KEYS,
  softplus: SOFTPLUS_KEYS,
  batchNorm: BATCH_NORM_KEYS,
  layerNorm: LAYER_NORM_KEYS,
  embedding: EMBEDDING_KEYS,
  randomAugment: RANDOM_AUGMENT_KEYS,
  weightInit: WEIGHT_INIT_KEYS,
  kaiming: KAIMING_KEYS,
  fit: FIT_KEYS,
  earlyStopping: EARLY_STOPPING_KEYS,
  evaluate: EVALUATE_KEYS,
  overfitBatch: OVERFIT_BATCH_KEYS,
  loader: LOADER_KEYS,
  search: SEARCH_KEYS,
  fromArrays: FROM_ARRAYS_KEYS,
  normalizeStats: NORMALIZE_STATS_KEYS,
  mnist: MNIST_KEYS,
  languageModelDataset: LANGUAGE_MODEL_KEYS,
  namesDataset: NAMES_DATASET_KEYS,
  bigramBaseline: BIGRAM_KEYS,
  firstNames: FIRST_NAMES_KEYS,
  split: SPLIT_KEYS,
  kFold: K_FOLD_KEYS,
  synthetic: SYNTHETIC_KEYS,
  spiral: SPIRAL_KEYS,
  circles: CIRCLES_KEYS,
  gaussianBlobs: GAUSSIAN_BLOBS_KEYS,
  conv2dOp: CONV2D_OP_KEYS,
  batchNormOp: BATCH_NORM_OP_KEYS,
  dropout: DROPOUT_KEYS,
  scaledDotProductAttention: ATTENTION_KEYS,
  attentionWeights: ATTENTION_WEIGHTS_KEYS,
  multiheadAttention: MULTIHEAD_ATTENTION_KEYS,
  attentionMasks: ATTENTION_MASK_KEYS,
  attentionCall: ATTENTION_CALL_KEYS,
  transformerEncoderLayer: TRANSFORMER_ENCODER_LAYER_KEYS,
  encoderLayerCall: ENCODER_LAYER_CALL_KEYS,
  transformerEncoder: TRANSFORMER_ENCODER_KEYS,
  encoderCall: ENCODER_CALL_KEYS,
  crossEntropy: CROSS_ENTROPY_KEYS,
  bceWithLogits: BCE_WITH_LOGITS_KEYS,
  pointwiseLoss: POINTWISE_LOSS_KEYS,
  huberLoss: HUBER_LOSS_KEYS,
  matmul: MATMUL_KEYS,
  linearOp: LINEAR_OP_KEYS,
  clipGradNorm: CLIP_GRAD_NORM_KEYS,
  penalty: PENALTY_KEYS,
  maxPool2dOp: MAX_POOL2D_OP_KEYS,
  avgPool2dOp: AVG_POOL2D_OP_KEYS,
  average: AVERAGE_KEYS,
  regressionMetric: REGRESSION_METRIC_KEYS,
  classificationReport: CLASSIFICATION_REPORT_KEYS,
  tensor: TENSOR_KEYS,
  compile: COMPILE_KEYS,
  inputSpec: INPUT_SPEC_KEYS,
  init: INIT_KEYS,
  save: SAVE_KEYS,
  load: LOAD_KEYS,
  creation: CREATION_KEYS,
  randn: RANDN_KEYS,
  randint: RANDINT_KEYS,
  positional: POSITIONAL_KEYS,
  rmsNorm: RMS_NORM_KEYS,
  groupNorm: GROUP_NORM_KEYS,
  instanceNorm: INSTANCE_NORM_KEYS,
  instanceNormOp: INSTANCE_NORM_OP_KEYS,
  lora: LORA_KEYS,
  applyLora: APPLY_LORA_KEYS,
  gpt: GPT_KEYS,
  generate: GENERATE_KEYS,
  vit: VIT_KEYS,
  clip: CLIP_KEYS,
  clipLoss: CLIP_LOSS_KEYS,
  zeroShot: ZERO_SHOT_KEYS,
  wordTokenizer: WORD_TOKENIZER_KEYS,
  pruneAmount: PRUNE_AMOUNT_KEYS,
  randomPrune: RANDOM_PRUNE_KEYS,
  lnStructured: LN_STRUCTURED_KEYS,
  ensemble: ENSEMBLE_KEYS,
  calibration: CALIBRATION_KEYS,
  curveAverage: CURVE_AVERAGE_KEYS,
  oodScores: OOD_SCORES_KEYS,
  oodSet: OOD_SET_KEYS,
  klDiv: KL_DIV_KEYS,
  distillation: DISTILLATION_KEYS,
  quantize: QUANTIZE_KEYS,
} as const;
