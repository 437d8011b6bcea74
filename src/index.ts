// shadergrad — train neural networks on the GPU with hand-written WebGPU compute shaders.
// The public API: `import * as sg from 'shadergrad'`.
// The API's types use WebGPU's (GPUBuffer, GPUDevice, …) and Symbol.dispose (tensors are Disposable): these
// references stay in the emitted index.d.ts (preserve) so a user's strict tsc finds them, whatever the
// user's target or lib, in the @webgpu/types dependency and TypeScript's esnext.disposable lib.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="esnext.disposable" preserve="true" />

export { init, dispose, device, setKernelRules, DeviceLostError, type InitOptions, type DeviceInfo } from './gpu/device.js';
export { IndexOutOfRangeError } from './runtime/device-errors.js';
export { ShadergradError, ShapeError, OptionError } from './util/errors.js';
export { stats, resetStats, type Stats } from './gpu/stats.js';
export { trimPool } from './memory/pool.js';
export { Tensor, tensor, read, realise, TensorUnusableError, type TensorData } from './tensor/tensor.js';
export { tidy, keep, debugLeaks, leakReport } from './tensor/scope.js';
export type { NestedNumbers } from './tensor/from-js.js';
export type { DType } from './util/shape.js';
export { grad, valueAndGrad, gradients } from './graph/autodiff.js';

export {
  neg, exp, log, sqrt, relu, sigmoid, tanh, abs, step, sign, square, reciprocal, scale, shift, powScalar, add,
  sub, mul, div, maximum, minimum, pow, eq, gt, ge, expand, sumTo, copy,
} from './ops/elementwise.js';
export { sum, mean, max, min, argmax, argmin, globalNorm } from './ops/reduce.js';
export { reshape, permute, transpose, flatten, unsqueeze, squeeze } from './ops/shape-ops.js';
export { where, clamp } from './ops/elementwise.js';
export {
  arange, linspace, zeros, ones, full, eye, zerosLike, onesLike, fullLike, rand, randn, randint, randLike, randnLike,
  tril, triu, stack, cumsum, type ShapeLike, type CreationOptions, type RandomOptions, type RandnOptions, type RandintOptions,
} from './ops/creation.js';
// Tensor methods (x.matmul(w).relu().sum()): declared on Tensor by ops/methods.ts, installed here.
import { installTensorMethods } from './ops/methods.js';
installTensorMethods();
export { TENSOR_METHOD_NAMES, type TensorMethods } from './ops/methods.js';
export { matmul, linear, type MatmulOptions, type MatmulVersion, type LinearOptions, type LinearActivation, type LinearVersion } from './ops/matmul.js';

// Kernel families (one file each in src/ops/, shaders/, src/reference/).
export { concat, cat, slice, narrow, pad, gather, indexSelect, embedding } from './ops/index-ops.js';
export { leakyRelu, elu, gelu, softplus, silu, type GeluOptions, type SoftplusOptions } from './ops/activation.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { layerNorm } from './ops/layernorm.js';
export { rmsNorm, groupNorm, instanceNorm, type InstanceNormOptions, type InstanceNormResult } from './ops/norm.js';
export {
  conv2d, conv2dBackwardInput, conv2dBackwardWeight, type ConvVersion, type Conv2dOptions,
} from './ops/conv.js';
export {
  maxPool2d, maxPool2dWithIndices, avgPool2d, globalAvgPool2d, maxPool2dBackward, avgPool2dBackward,
  type MaxPool2dOptions, type AvgPool2dOptions,
} from './ops/pool.js';
export {
  crossEntropy, mseLoss, l1Loss, huberLoss, binaryCrossEntropyWithLogits, clipLoss, type Reduction,
  type CrossEntropyOptions, type BceWithLogitsOptions,
} from './ops/loss.js';
export { klDiv, type KlDivOptions, type KlReduction } from './ops/loss.js';
export { accuracy, confusionMatrix, normalizeRows, cosineSimilarityMatrix } from './ops/metrics.js';
export { batchNorm, type BatchNormVersion, type BatchNormOptions, type BatchNormResult } from './ops/batchnorm.js';
export { dropout, augment, type DropoutOptions, type AugmentOptions } from './ops/dropout.js';
export { scaledDotProductAttention, attentionWeights, type AttentionOptions, type AttentionWeightsOptions, type AttentionVersion } from './ops/attention.js';
export {
  sgdUpdate, rmspropUpdate, adamUpdate, adamWUpdate, penaltyGrad, penaltyValue, clipGradNorm, clipGradValue,
  type SgdUpdateOptions, type RmspropUpdateOptions, type AdamUpdateOptions, type PenaltyOptions,
  type ClipGradNormOptions,
} from './ops/optim.js';
export { adagradUpdate, type AdagradUpdateOptions } from './ops/optim.js';

// Compiled steps: plan, memory plan, replay, profiler, explain.
export { compile, type CompileOptions } from './graph/compile.js';
export { tuning, type TuningReport, type TuningEntry, type TuneMode } from './graph/tune.js';
export type { Precision } from './graph/precision.js';
export type { GradScalerOptions, ScalerState } from './graph/amp.js';
export { type InputSpec } from './graph/trace.js';
export { packArena } from './graph/arena.js';
export { type PlanOptimizer, type Hyper } from './graph/optimizer-state.js';
export { Plan, NonFiniteError, type StepRecord } from './graph/plan.js';
export { textTable, type ExplainRow, type IdealStep, type ProfileReport, type StepFigures } from './graph/plan-views.js';

// Kernel-level handles (op table, kernel registry, WGSL, descriptors): sg.kernels.
export * as kernels from './internals.js';

// The training library.
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as train from './train/index.js';
export * as io from './io/index.js';
export * as search from './train/search-api.js';
export * as models from './models/index.js';
export { manualSeed } from './util/random.js';
export { assign, assignAll } from './tensor/assign.js';
export { Random } from './util/random.js';
export { save, load } from './io/model.js';
export * as worker from './worker/index.js';
export { quantize, loadQuantized, quantizedBytes, QuantizedModule, type QuantizeOptions } from './io/quantized.js';
