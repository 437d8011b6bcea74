// The accepted keys of every public options bag, for checkOptions (options.ts).
//
// Each list is written with keysOf<T>(), typed against the options interface: adding an option to an
// interface without adding it here (or listing a key the interface lacks) fails the typecheck, so a
// new option can never be rejected at run time as "unknown". Type-only imports: no runtime cycles.

import { keysOf } from './options.js';
import type { SgdOptions, RmspropOptions, AdamOptions } from '../optim/optimizers.js';
import type { stepLR, multiStepLR, exponentialLR, cosineAnnealing, linearLR, inverseSqrt, warmup, PlateauOptions } from '../optim/schedulers.js';
import type { LinearOptions, Conv2dLayerOptions, BatchNormLayerOptions, maxPool2d, avgPool2d, layerNorm, embedding } from '../nn/layers.js';
import type { GeluOptions, SoftplusOptions } from '../ops/activation.js';
import type { AugmentOptions } from '../ops/dropout.js';
import type { InitOptions as WeightInitOptions, KaimingOptions } from '../nn/init.js';
import type { FitOptions, EarlyStopping, EvaluateOptions, overfitBatch } from '../train/fit.js';
import type { LoaderOptions } from '../train/loader.js';
import type { SearchOptions } from '../train/search.js';
import type { FromArraysOptions, normalize } from '../data/datasets.js';
import type { MnistOptions } from '../data/mnist.js';
import type { SplitOptions, kFold } from '../data/split.js';
import type { SyntheticOptions, spiral, circles, gaussianBlobs } from '../data/synthetic.js';
import type { CompileOptions } from '../graph/compile.js';
import type { InputSpec } from '../graph/trace.js';
import type { InitOptions as DeviceInitOptions } from '../gpu/device.js';
import type { save, load } from '../io/model.js';
import type { tensor } from '../tensor/tensor.js';
import type { Conv2dOptions } from '../ops/conv.js';
import type { BatchNormOptions } from '../ops/batchnorm.js';
import type { DropoutOptions } from '../ops/dropout.js';
import type { CrossEntropyOptions, BceWithLogitsOptions, mseLoss, huberLoss } from '../ops/loss.js';
import type { MatmulOptions, LinearOptions as LinearOpOptions } from '../ops/matmul.js';
import type { ClipGradNormOptions, PenaltyOptions } from '../ops/optim.js';
import type { AvgPool2dOptions, MaxPool2dOptions } from '../ops/pool.js';
import type { AverageOptions, classificationReport } from '../metrics/classification.js';
import type { mse } from '../metrics/regression.js';

type Opts<F extends (...args: never[]) => unknown, I extends number> = NonNullable<Parameters<F>[I]>;

const common = { lr: 1, weightDecay: 1, l1: 1, l2: 1, clipNorm: 1, clipValue: 1, scheduler: 1 } as const;

export const OPTION_KEYS = {
  // sg.optim
  sgd: keysOf<SgdOptions>({ ...common, momentum: 1, dampening: 1, nesterov: 1, maximize: 1 }),
  rmsprop: keysOf<RmspropOptions>({ ...common, alpha: 1, eps: 1, momentum: 1, centered: 1 }),
  adam: keysOf<AdamOptions>({ ...common, beta1: 1, beta2: 1, eps: 1, amsgrad: 1 }),
  stepLR: keysOf<Opts<typeof stepLR, 0>>({ stepSize: 1, gamma: 1 }),
  multiStepLR: keysOf<Opts<typeof multiStepLR, 0>>({ milestones: 1, gamma: 1 }),
  exponentialLR: keysOf<Opts<typeof exponentialLR, 0>>({ gamma: 1 }),
  cosineAnnealing: keysOf<Opts<typeof cosineAnnealing, 0>>({ tMax: 1, etaMin: 1 }),
  linearLR: keysOf<Opts<typeof linearLR, 0>>({ startFactor: 1, endFactor: 1, totalIters: 1 }),
  inverseSqrt: keysOf<Opts<typeof inverseSqrt, 0>>({ warmupSteps: 1 }),
  warmup: keysOf<Opts<typeof warmup, 1>>({ steps: 1, startFactor: 1 }),
  reduceOnPlateau: keysOf<PlateauOptions>({ mode: 1, factor: 1, patience: 1, threshold: 1, thresholdMode: 1, cooldown: 1, minLr: 1, eps: 1 }),
  // sg.nn
  linear: keysOf<LinearOptions>({ bias: 1, init: 1, seed: 1 }),
  conv2d: keysOf<Conv2dLayerOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1, bias: 1, init: 1, seed: 1 }),
  maxPool2d: keysOf<Opts<typeof maxPool2d, 1>>({ stride: 1, padding: 1, ceilMode: 1 }),
  avgPool2d: keysOf<Opts<typeof avgPool2d, 1>>({ stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 }),
  gelu: keysOf<GeluOptions>({ approximate: 1 }),
  softplus: keysOf<SoftplusOptions>({ beta: 1, threshold: 1 }),
  batchNorm: keysOf<BatchNormLayerOptions>({ eps: 1, momentum: 1, affine: 1 }),
  layerNorm: keysOf<Opts<typeof layerNorm, 1>>({ eps: 1, affine: 1 }),
  embedding: keysOf<Opts<typeof embedding, 2>>({ seed: 1 }),
  randomAugment: keysOf<AugmentOptions>({ shift: 1, flip: 1, noise: 1 }),
  weightInit: keysOf<WeightInitOptions>({ seed: 1, name: 1 }),
  kaiming: keysOf<KaimingOptions>({ seed: 1, name: 1, a: 1, mode: 1, nonlinearity: 1 }),
  // sg.train, sg.search
  fit: keysOf<FitOptions>({
    data: 1, validationData: 1, validationSplit: 1, loss: 1, optimizer: 1, epochs: 1, batchSize: 1, shuffle: 1, dropLast: 1,
    earlyStopping: 1, metrics: 1, seed: 1, augment: 1, readEvery: 1, onStepEnd: 1, onEpochEnd: 1, onWarning: 1,
    checkpoint: 1, resumeFrom: 1, diagnose: 1,
  }),
  earlyStopping: keysOf<EarlyStopping>({ patience: 1, minDelta: 1, monitor: 1, restoreBest: 1 }),
  evaluate: keysOf<EvaluateOptions>({ loss: 1, batchSize: 1, metrics: 1, resident: 1 }),
  overfitBatch: keysOf<Opts<typeof overfitBatch, 2>>({ loss: 1, optimizer: 1, batchSize: 1, steps: 1 }),
  loader: keysOf<LoaderOptions>({ batchSize: 1, shuffle: 1, dropLast: 1, seed: 1 }),
  search: keysOf<SearchOptions>({ space: 1, mode: 1, trials: 1, seed: 1, trial: 1, objective: 1, direction: 1, record: 1, onTrial: 1 }),
  // sg.data
  fromArrays: keysOf<FromArraysOptions>({ xShape: 1, yShape: 1, numClasses: 1, task: 1 }),
  normalizeStats: keysOf<Exclude<Opts<typeof normalize, 1>, string>>({ mean: 1, std: 1 }),
  mnist: keysOf<MnistOptions>({ count: 1, seed: 1 }),
  split: keysOf<SplitOptions>({ val: 1, test: 1, seed: 1, stratify: 1 }),
  kFold: keysOf<Opts<typeof kFold, 2>>({ seed: 1, shuffle: 1, stratified: 1 }),
  synthetic: keysOf<SyntheticOptions>({ n: 1, noise: 1, seed: 1, shuffle: 1 }),
  spiral: keysOf<Opts<typeof spiral, 0>>({ n: 1, noise: 1, seed: 1, shuffle: 1, classes: 1 }),
  circles: keysOf<Opts<typeof circles, 0>>({ n: 1, noise: 1, seed: 1, shuffle: 1, factor: 1 }),
  gaussianBlobs: keysOf<Opts<typeof gaussianBlobs, 0>>({ n: 1, seed: 1, shuffle: 1, centers: 1, std: 1, box: 1, features: 1 }),
  // functional ops (sg.conv2d, sg.crossEntropy, ...); gelu, softplus and augment share the layers' keys
  conv2dOp: keysOf<Conv2dOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1, version: 1 }),
  batchNormOp: keysOf<BatchNormOptions>({ weight: 1, bias: 1, runningMean: 1, runningVar: 1, training: 1, momentum: 1, eps: 1, version: 1 }),
  dropout: keysOf<DropoutOptions>({ training: 1, seed: 1, offset: 1 }),
  crossEntropy: keysOf<CrossEntropyOptions>({ weight: 1, ignoreIndex: 1, labelSmoothing: 1, reduction: 1 }),
  bceWithLogits: keysOf<BceWithLogitsOptions>({ reduction: 1, posWeight: 1, weight: 1 }),
  pointwiseLoss: keysOf<Opts<typeof mseLoss, 2>>({ reduction: 1 }),
  huberLoss: keysOf<Opts<typeof huberLoss, 2>>({ delta: 1, reduction: 1 }),
  matmul: keysOf<MatmulOptions>({ transA: 1, transB: 1, version: 1 }),
  linearOp: keysOf<LinearOpOptions>({ activation: 1, version: 1 }),
  clipGradNorm: keysOf<ClipGradNormOptions>({ normType: 1 }),
  penalty: keysOf<PenaltyOptions>({ l1: 1, l2: 1 }),
  maxPool2dOp: keysOf<MaxPool2dOptions>({ kernelSize: 1, stride: 1, padding: 1, ceilMode: 1 }),
  avgPool2dOp: keysOf<AvgPool2dOptions>({ kernelSize: 1, stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 }),
  // sg.metrics
  average: keysOf<AverageOptions>({ average: 1 }),
  regressionMetric: keysOf<Opts<typeof mse, 2>>({ outputs: 1 }),
  classificationReport: keysOf<Opts<typeof classificationReport, 1>>({ names: 1, digits: 1 }),
  // tensors, compile, init, save / load
  tensor: keysOf<Opts<typeof tensor, 2>>({ dtype: 1, name: 1 }),
  compile: keysOf<CompileOptions>({ inputs: 1, params: 1, optimizer: 1, readEvery: 1, ringSize: 1, debug: 1, fuse: 1, label: 1 }),
  inputSpec: keysOf<InputSpec>({ shape: 1, dtype: 1, name: 1 }),
  init: keysOf<DeviceInitOptions>({ powerPreference: 1, poison: 1, features: 1, quiet: 1, limits: 1 }),
  save: keysOf<Opts<typeof save, 2>>({ optimizer: 1, metadata: 1 }),
  load: keysOf<Opts<typeof load, 2>>({ optimizer: 1 }),
} as const;
