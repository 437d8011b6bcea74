// Losses by name for fit()/evaluate() and the CLI. Each takes the model output and the target.

import type { Tensor } from '../tensor/tensor.js';
import { binaryCrossEntropyWithLogits, crossEntropy, huberLoss, klDiv, l1Loss, mseLoss } from '../ops/loss.js';
import { sgError } from '../util/errors.js';

export type LossName = 'crossEntropy' | 'mse' | 'l1' | 'huber' | 'bceWithLogits' | 'klDiv';

export const LOSSES: Record<LossName, (out: Tensor, target: Tensor) => Tensor> = {
  crossEntropy: (out, t) => crossEntropy(out, t),
  mse: (out, t) => mseLoss(out, t),
  l1: (out, t) => l1Loss(out, t),
  huber: (out, t) => huberLoss(out, t),
  bceWithLogits: (out, t) => binaryCrossEntropyWithLogits(out, t),
  // The model's output holds log-probabilities (end it with logSoftmax), the target probabilities [N, C];
  // 'batchmean': the divergence per sample (torch's 'mean' divides by N·C as well, and warns about it).
  klDiv: (out, t) => klDiv(out, t, { reduction: 'batchmean' }),
};

export function lossByName(name: LossName): (out: Tensor, target: Tensor) => Tensor {
  const f = LOSSES[name];
  if (!f) throw sgError(`unknown loss '${name}' (one of ${Object.keys(LOSSES).join(', ')})`);
  return f;
}
