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
  // Greedy by size (the interval-packing heuristic of TFLite's and XLA's planners): place the
  // largest values first; each goes into the smallest existing slot whose values are all dead
  // before it is written (or not yet written when it dies), else into a new slot of its size.
  // A value read at step i never shares with a value written at step i: a kernel must not bind one
  // buffer as both input and output.
  const live = values.map((v) => ({ start: v.def, end: v.pinned ? steps : Math.max(v.lastUse, v.def) }));
  const size = values.map((v) => sizeClass(v.bytes));
  const order = values.map((_, i) => i).sort((a, b) => size[b] - size[a] || values[a].def - values[b].def);
  const slotOf = new Array<number>(values.length).fill(-1);
  const slotBytes: number[] = [];
  const slotIntervals: { start: number; end: number }[][] = [];
  for (const vi of order) {
    const iv = live[vi];
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (slotBytes[s] < size[vi] || (best >= 0 && slotBytes[s] >= slotBytes[best])) continue;
      if (slotIntervals[s].every((o) => o.end < iv.start || iv.end < o.start)) best = s;
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(size[vi]);
      slotIntervals.push([]);
    }
    slotOf[vi] = best;
    slotIntervals[best].push(iv);
  }
  const naiveBytes = size.reduce((a, b) => a + b, 0);
  return { slotOf, slotBytes, plannedBytes: slotBytes.reduce((a, b) => a + b, 0), naiveBytes };
}
