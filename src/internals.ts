// sg.kernels: the kernel-level handles, for tools that look inside (the inspector, benchmarks, tests
// of single kernels) rather than for training code. The op table and every op's full contract, the
// kernel registry and each kernel's WGSL as pipelines compile it, and each family's kernel
// descriptors and op definitions.

export { opTable, opOf, defineOp, type OpDef } from './ops/op.js';
export { allKernels, wgslSource, type KernelDef } from './gpu/kernels.js';
export { activationKernels } from './ops/activation.js';
export { softmaxKernels } from './ops/softmax.js';
export { layerNormKernels } from './ops/layernorm.js';
export { convKernels, pickConvVersion, weightGradSlices, conv2dOp, conv2dInputGradOp, conv2dWeightGradOp } from './ops/conv.js';
export { poolKernels, maxPool2dOp, maxPool2dBackwardOp, maxPool2dGatherOp, avgPool2dOp, avgPool2dBackwardOp } from './ops/pool.js';
export { crossEntropyKernels, crossEntropyOp, crossEntropyBackwardOp, bceKernels, bceBackwardOp, bceOp } from './ops/loss.js';
export { metricKernels, accuracyOp, confusionMatrixOp, rowNormKernels, rowNormalizeBackwardOp, rowNormalizeOp } from './ops/metrics.js';
export { batchNormKernels, batchNormOp, batchNormBackwardOp, batchNormEvalOp } from './ops/batchnorm.js';
export { dropoutKernels, dropoutBackwardOp, dropoutOp, seedNextOp, seedNext, randomKey, augmentOp } from './ops/dropout.js';
export {
  attentionKernels, attentionOp, attentionBackwardOp, attentionBiasGradOp, attentionMaskOp, attentionMaskBackwardOp,
} from './ops/attention.js';
export {
  ROW_RULES, oneThreadPerRow, ROW_VERSIONS, rowVersions, rowVersion, setRowVersion, ATTENTION_RULE, attentionRung,
} from './ops/kernel-rules.js';
export { normKernels, rmsNormOp, groupNormOp, instanceNormRunningOp } from './ops/norm.js';
