// Arenas: the parameters of a compiled step live in one packed buffer, each parameter a 256-byte
// aligned slice, so that ONE optimizer dispatch updates every parameter. The gradient arena and the
// optimizer's state arenas (src/graph/optimizer-state.ts) share the same layout.

import { gpu } from '../gpu/device.js';
import { submitInOrder } from '../runtime/queue.js';
import { noteSubmit, Storage } from '../memory/pool.js';
import { moveReaders, type Tensor } from '../tensor/tensor.js';
import { sgError, ShapeError } from '../util/errors.js';

const ALIGN_FLOATS = 64; // 256 bytes: minStorageBufferOffsetAlignment

export interface Arena {
  storage: Storage;
  /** Float offset of each tensor. */
  offsets: number[];
  /** Total floats, including alignment padding. */
  size: number;
}

/** Float offsets of tensors of `sizes` floats packed with 256-byte alignment, and the total floats. */
export function arenaLayout(sizes: readonly number[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let off = 0;
  for (const n of sizes) {
    offsets.push(off);
    off += Math.ceil(Math.max(1, n) / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  return { offsets, size: Math.max(off, ALIGN_FLOATS) };
}

/**
 * Move parameters into one packed buffer: each parameter becomes a 256-byte aligned slice of the
 * arena (its values are copied on the GPU), so one dispatch can update them all.
 */
export async function packArena(params: Tensor[], label = 'parameters'): Promise<Arena> {
  const { device } = gpu();
  params.forEach((p, i) => {
    if (p.dtype !== 'f32') throw sgError(`parameter ${i} ${p.describe()} must be f32`, ShapeError);
    if (!p.storage || p.node.op.name !== 'source') {
      throw sgError(`parameter ${i} ${p.describe()} must be a realised source tensor (sg.tensor or an nn parameter)`, ShapeError);
    }
  });
  const { offsets, size } = arenaLayout(params.map((p) => p.size));
  const storage = Storage.allocate(size * 4, label);
  const encoder = device.createCommandEncoder();
  encoder.clearBuffer(storage.buffer, 0, size * 4);
  params.forEach((p, i) => {
    const s = p.storage!;
    if (p.size) encoder.copyBufferToBuffer(s.buffer, s.offset, storage.buffer, offsets[i] * 4, p.size * 4);
  });
  // In program order: after every write to the parameters issued before (old storages released
  // below stay unused until then).
  const { result } = submitInOrder(() => {
    device.queue.submit([encoder.finish()]);
    noteSubmit();
  });
  params.forEach((p, i) => {
    const old = p.node.storage[0]!;
    p.node.storage[0] = storage.slice(offsets[i] * 4, p.size * 4);
    moveReaders(old, p.node.storage[0]);
    old.release();
  });
  const arena = { storage, offsets, size };
  arenas.set(storage.buffer, arena);
  await result;
  return arena;
}

const arenas = new WeakMap<GPUBuffer, Arena>();

/** The arena `params` already live in (packed by an earlier compile), if they are laid out as one. */
export function arenaOf(params: Tensor[]): Arena | undefined {
  const a = params[0]?.storage && arenas.get(params[0].storage.buffer);
  if (!a || a.offsets.length !== params.length) return undefined;
  const ok = params.every((p, i) => p.storage?.buffer === a.storage.buffer && p.storage.offset === a.offsets[i] * 4);
  return ok ? a : undefined;
}
