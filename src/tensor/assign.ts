// In-place writes into an existing tensor's buffer: how eager optimizers, loadStateDict and eager
// state updates change parameters without changing their identity (a parameter may be a slice of
// an arena that a compiled plan has bound).

import { gpu } from '../gpu/device.js';
import { noteSubmit } from '../memory/pool.js';
import { fmtShape } from '../ops/op.js';
import { sameShape } from '../ops/shape.js';
import { realise, type Tensor } from './tensor.js';

/** Copy `value`'s values into `target`'s buffer (same shape and dtype). */
export async function assign(target: Tensor, value: Tensor): Promise<void> {
  if (!sameShape(target.shape, value.shape) || target.dtype !== value.dtype) {
    throw new Error(`shadergrad: assign: ${target.describe()} cannot take ${value.describe()} (shape ${fmtShape(value.shape)})`);
  }
  // A computed tensor (e.g. a running statistic swapped in by an eager step) is realised first; its
  // buffer then holds the state and can be overwritten like a source's.
  await realise(target, value);
  const dst = target.storage!;
  const src = value.storage!;
  if (src === dst || target.size === 0) return;
  const { device } = gpu();
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, target.size * 4);
  device.queue.submit([encoder.finish()]);
  noteSubmit();
}

/** assign() for several pairs in one submit. */
export async function assignAll(pairs: [Tensor, Tensor][]): Promise<void> {
  for (const [t, v] of pairs) {
    if (!sameShape(t.shape, v.shape) || t.dtype !== v.dtype) throw new Error(`shadergrad: assign: ${t.describe()} cannot take ${v.describe()}`);
  }
  await realise(...pairs.flat());
  const { device } = gpu();
  const encoder = device.createCommandEncoder();
  for (const [t, v] of pairs) {
    const s = v.storage!;
    const d = t.storage!;
    if (s !== d && t.size) encoder.copyBufferToBuffer(s.buffer, s.offset, d.buffer, d.offset, t.size * 4);
  }
  device.queue.submit([encoder.finish()]);
  noteSubmit();
}
