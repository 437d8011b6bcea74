// Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural
// Network"): a student learns from a teacher's softened class distribution and from the labels.

import { Tensor } from '../tensor/tensor.js';
import { crossEntropy, klDiv, stopGradient } from '../ops/loss.js';
import { logSoftmax } from '../ops/softmax.js';
import { add, scale } from '../ops/elementwise.js';
import { checkOptions, keysOf } from '../util/options.js';
import { fmtShape, sameShape } from '../util/shape.js';
import { sgError, ShapeError } from '../util/errors.js';

export interface DistillationOptions {
  /** T > 0: both logit sets are divided by it before the softmax (default 2). */
  temperature?: number;
  /** α in [0, 1]: the weight of the distillation term; 1 − α weighs the cross-entropy with the labels (default 0.5). */
  alpha?: number;
}

export const DISTILLATION_KEYS = keysOf<DistillationOptions>({ temperature: 1, alpha: 1 });

/**
 * The distillation loss, as the usual PyTorch recipe writes it:
 *   α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − α)·crossEntropy(student, labels)
 * with KL = klDiv(logSoftmax(student/T), logSoftmax(teacher/T), { reduction: 'batchmean', logTarget: true })
 * (the divergence per sample; T² keeps its gradient's scale independent of T). studentLogits and
 * teacherLogits are f32 [N, C], labels i32 [N] class indices. The teacher's logits are detached: no
 * gradient flows to them (nor to whatever computed them).
 */
export function distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, labels: Tensor, options: DistillationOptions = {}): Tensor {
  const op = 'train.distillationLoss';
  for (const [t, name] of [[studentLogits, 'studentLogits'], [teacherLogits, 'teacherLogits'], [labels, 'labels']] as const) {
    if (!(t instanceof Tensor)) throw sgError(`${op}: ${name} must be a Tensor, got ${typeof t}`);
  }
  checkOptions(op, options, DISTILLATION_KEYS);
  const { temperature = 2, alpha = 0.5 } = options;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw sgError(`${op}: temperature must be a finite number > 0, got ${temperature}`);
  }
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw sgError(`${op}: alpha must be in [0, 1], got ${alpha}`);
  if (studentLogits.rank !== 2 || studentLogits.dtype !== 'f32') {
    throw sgError(`${op}: studentLogits must be f32 [N, C], got ${studentLogits.describe()}`, ShapeError);
  }
  const [N] = studentLogits.shape;
  if (teacherLogits.dtype !== 'f32' || !sameShape(teacherLogits.shape, studentLogits.shape)) {
    throw sgError(`${op}: teacherLogits must be f32 of the student's shape ${fmtShape(studentLogits.shape)}, got ${teacherLogits.describe()}`, ShapeError);
  }
  if (labels.dtype !== 'i32' || !sameShape(labels.shape, [N])) {
    throw sgError(`${op}: labels must be i32 [${N}] (a class index per row of studentLogits ${fmtShape(studentLogits.shape)}), got ${labels.describe()}`, ShapeError);
  }
  const soft = (z: Tensor) => logSoftmax(scale(z, 1 / temperature), -1);
  const kl = klDiv(soft(studentLogits), soft(stopGradient(teacherLogits)), { reduction: 'batchmean', logTarget: true });
  return add(scale(kl, alpha * temperature * temperature), scale(crossEntropy(studentLogits, labels), 1 - alpha));
}
