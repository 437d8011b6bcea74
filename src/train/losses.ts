// Losses by name for fit()/evaluate() and the CLI. Each takes the model output and the target.

import type { Tensor } from '../tensor/tensor.js';
import { binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss } from '../ops/loss.js';
import { sgError } from '../util/errors.js';

export type LossName = 'crossEntropy' | 'mse' | 'l1' | 'huber' | 'bceWithLogits';

export const LOSSES: Record<LossName, (out: Tensor, target: Tensor) => Tensor> = {
  crossEntropy: (out, t) => crossEntropy(out, t),
  mse: (out, t) => mseLoss(out, t),
  l1: (out, t) => l1Loss(out, t),
  huber: (out, t) => huberLoss(out, t),
  bceWithLogits: (out, t) => binaryCrossEntropyWithLogits(out, t),
};

export function lossByName(name: LossName): (out: Tensor, target: Tensor) => Tensor {
  const f = LOSSES[name];
  if (!f) throw sgError(`unknown loss '${name}' (one of ${Object.keys(LOSSES).join(', ')})`);
  return f;
}
