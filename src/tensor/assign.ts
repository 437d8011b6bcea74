// In-place writes into an existing tensor's buffer: how eager optimizers, loadStateDict and eager
// state updates change parameters without changing their identity (a parameter may be a slice of
// an arena that a compiled plan has bound).
//
// The copy is recorded where the program calls assign (with whatever the new values still need
// computing) and submitted in program order (src/runtime/queue.ts): a read issued before the assign sees
// the old values, one issued after it the new ones, even if the caller does not await.

import { fmtShape, sameShape } from '../util/shape.js';
import { assignValues, type Tensor } from './tensor.js';
import { sgError, ShapeError } from '../util/errors.js';

function check(target: Tensor, value: Tensor): void {
  if (!sameShape(target.shape, value.shape) || target.dtype !== value.dtype) {
    throw sgError(`assign: ${target.describe()} cannot take ${value.describe()} (shape ${fmtShape(value.shape)}, ${value.dtype})`, ShapeError);
  }
}

/** Copy `value`'s values into `target`'s buffer (same shape and dtype). */
export function assign(target: Tensor, value: Tensor): Promise<void> {
  check(target, value);
  return assignValues([[target, value]]);
}

/** assign() for several pairs in one submit. */
export function assignAll(pairs: [Tensor, Tensor][]): Promise<void> {
  for (const [t, v] of pairs) check(t, v);
  return assignValues(pairs);
}
