// The memory plan of a compiled step: liveness analysis over the fixed list of node outputs, then
// slot assignment. A value is live from the node that produces it to the last node that reads it;
// a slot whose value is dead is reused by a later value of the same size class (best fit). Values
// that must outlive the step (outputs read back) or that live in fixed buffers (inputs, parameters,
// gradient arena slices) are not planned here.

import { sizeClass } from './pool.js';

export interface PlannedValue {
  /** Bytes needed. */
  bytes: number;
  /** Index (in execution order) of the node that writes it. */
  def: number;
  /** Index of the last node that reads it (def when nothing reads it). */
  lastUse: number;
  /** Keep until the end of the step (read back, or aliased by an output). */
  pinned?: boolean;
}

export interface MemoryPlan {
  /** Slot index for each value. */
  slotOf: number[];
  /** Size in bytes of each slot (a pool size class). */
  slotBytes: number[];
  /** Σ slot sizes: the step's planned peak for intermediates. */
  plannedBytes: number;
  /** Σ value sizes: what a plan without reuse would allocate. */
  naiveBytes: number;
}

export function planMemory(values: PlannedValue[], steps: number): MemoryPlan {
  const slotOf = new Array<number>(values.length).fill(-1);
  const slotBytes: number[] = [];
  const freeAt: number[][] = Array.from({ length: steps + 1 }, () => []); // values dying after step i
  const free: number[] = []; // free slots
  const byDef: number[][] = Array.from({ length: steps }, () => []);
  values.forEach((v, i) => byDef[v.def].push(i));
  let naiveBytes = 0;
  for (let step = 0; step < steps; step++) {
    for (const vi of byDef[step]) {
      const v = values[vi];
      const size = sizeClass(v.bytes);
      naiveBytes += size;
      // Best fit among free slots of at least this size (and at most 2× larger, to keep peaks honest).
      let best = -1;
      for (let k = 0; k < free.length; k++) {
        const s = slotBytes[free[k]];
        if (s >= size && s <= 2 * size && (best < 0 || s < slotBytes[free[best]])) best = k;
      }
      let slot: number;
      if (best >= 0) slot = free.splice(best, 1)[0];
      else {
        slot = slotBytes.length;
        slotBytes.push(size);
      }
      slotOf[vi] = slot;
      if (!v.pinned) freeAt[Math.max(v.lastUse, v.def)].push(slot);
    }
    // Values whose last reader is this step become free for the next step's outputs (never for an
    // output of the same step: a kernel must not write a buffer it also reads).
    free.push(...freeAt[step]);
  }
  return { slotOf, slotBytes, plannedBytes: slotBytes.reduce((a, b) => a + b, 0), naiveBytes };
}
