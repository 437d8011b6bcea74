// Schedule a traced step: the order its nodes run in, with elementwise chains fused, and where each
// value lives.
//
//   order      topological: forward and backward first, then the optimizer's update ops
//   fuse       elementwise chains of the forward and backward become one kernel (src/graph/fusion.ts)
//   place      liveness over the node outputs; values share planned slots after their last reader
//              (src/memory/planner.ts); parameter gradients are written straight into slices of
//              the gradient arena, so ONE optimizer dispatch updates every parameter

import { acquireBuffer, Storage } from '../memory/pool.js';
import { planMemory, type PlannedValue } from '../memory/planner.js';
import { isSlice, type BufferRef } from '../gpu/dispatch.js';
import { numel } from '../util/shape.js';
import { pendingNodes, tracePlan, type Node, type Tensor } from '../tensor/tensor.js';
import type { Arena } from './arena.js';
import { fuseElementwise } from './fusion.js';
import type { TracedStep } from './trace.js';
import { sgError } from '../util/errors.js';

/** The tensor holding `t`'s values: `t` itself, or what it is an alias (a view without storage) of. */
export function rootOf(t: Tensor): Tensor {
  let r = t;
  while (r.node.op.alias && !r.node.storage[0]) r = r.node.inputs[0];
  return r;
}

export interface Schedule {
  /** The forward and the backward, elementwise chains fused where it pays. */
  main: Node[];
  /** The optimizer's update ops, run after the backward; never fused (their uniforms are rewritten every step). */
  optimizerNodes: Node[];
  /** Every node in execution order: `main`, then `optimizerNodes`. */
  order: Node[];
}

/** Order the traced step (forward + backward, then the optimizer) and fuse when `fuse`. */
export function scheduleStep(traced: TracedStep, fuse: boolean): Schedule {
  const stateValues = traced.stateUpdates.map(([, v]) => v);
  const unfused = pendingNodes([...traced.outputs, ...traced.grads, ...stateValues]);
  const mainSet = new Set(unfused);
  const optimizerNodes = traced.update ? pendingNodes([traced.update.param, ...traced.update.states]).filter((n) => !mainSet.has(n)) : [];
  let main = unfused;
  if (fuse) {
    // The optimizer's ops keep their identity; values read outside a chain stay materialised.
    const mustKeep = new Set<Tensor>([...traced.outputs, ...traced.grads, ...stateValues].map(rootOf));
    for (const n of optimizerNodes) for (const t of n.inputs) mustKeep.add(rootOf(t));
    main = tracePlan(() => fuseElementwise(unfused, mustKeep)).order;
  }
  return { main, optimizerNodes, order: [...main, ...optimizerNodes] };
}

/** Where a value lives: a buffer range, its Storage when it has one, and its name in explain(). */
export interface Placed {
  ref: BufferRef;
  storage?: Storage;
  /** s3 = planned slot 3, in0 = input 0, p1 = parameter 1, g2 = gradient 2 (in its arena slice), ... */
  label: string;
}

/** A gradient whose producer could not write into its arena slice: copied there before the optimizer runs. */
export interface GradCopy {
  grad: Tensor;
  /** Byte offset of the parameter's slice in the gradient arena. */
  offset: number;
  bytes: number;
}

export interface Placement {
  /** Where tensor `t` (or the tensor it aliases) lives. */
  of(t: Tensor): Placed;
  gradCopies: GradCopy[];
  /** One buffer per planned slot (the plan owns them). */
  slotBuffers: GPUBuffer[];
  /** Gradient-arena slices that producers write directly (the plan keeps them). */
  gradSlices: Storage[];
  memory: { plannedBytes: number; naiveBytes: number; slots: number };
}

export interface PlaceArgs {
  traced: TracedStep;
  order: Node[];
  inputs: Tensor[];
  params: Tensor[];
  paramArena?: Arena;
  gradArena?: Storage;
  /** Keep every value in its own buffer (for checkFinite). */
  debug: boolean;
  label: string;
  /** Bytes a value takes (mixed precision stores some as f16, src/graph/precision.ts); default 4 per value. */
  bytesOf?: (t: Tensor) => number;
}

/** Give every value the scheduled nodes produce a place: a gradient-arena slice or a planned slot. */
export function placeValues({ traced, order, inputs, params, paramArena, gradArena, debug, label, bytesOf = (t) => t.size * 4 }: PlaceArgs): Placement {
  const { outputs, grads, update, stateUpdates } = traced;
  /** The tensors written by the plan's nodes. */
  const produced = new Set<Tensor>(order.flatMap((n) => n.tensors));
  const fixed = new Map<Tensor, { storage: Storage; label: string }>();
  const gradSlices: Storage[] = [];

  // Gradients go straight into their arena slices (copied when the producer can't write there). A
  // gradient shared by several parameters (of w1 and of w2 in w1 + w2) goes to a planned slot and is
  // copied into each of their slices: copying one arena slice into another would bind the arena as
  // both read and written in one dispatch.
  const gradCopies: GradCopy[] = [];
  if (gradArena && paramArena) {
    const uses = new Map<Tensor, number>();
    for (const g of grads) uses.set(rootOf(g), (uses.get(rootOf(g)) ?? 0) + 1);
    grads.forEach((g, i) => {
      const r = rootOf(g);
      const ok = !r.node.storage[r.index] && produced.has(r) && uses.get(r) === 1 && !outputs.some((o) => rootOf(o) === r);
      if (ok) {
        const s = gradArena.slice(paramArena.offsets[i] * 4, params[i].size * 4);
        gradSlices.push(s);
        fixed.set(r, { storage: s, label: `g${i}` });
      } else {
        gradCopies.push({ grad: g, offset: paramArena.offsets[i] * 4, bytes: params[i].size * 4 });
      }
    });
  }

  // Liveness over the planned values.
  const values: PlannedValue[] = [];
  const valueIndex = new Map<Tensor, number>();
  const outputRoots = new Set(outputs.map(rootOf));
  const gradCopyRoots = new Set(gradCopies.map((g) => rootOf(g.grad)));
  order.forEach((node, i) => {
    if (node.op.alias) return;
    node.outputs.forEach((m, j) => {
      const t = node.tensors[j];
      if (fixed.has(t)) return;
      valueIndex.set(t, values.length);
      values.push({ bytes: Math.max(4, bytesOf(t)), def: i, lastUse: i, pinned: debug || outputRoots.has(t) || gradCopyRoots.has(t) });
    });
  });
  order.forEach((node, i) => {
    for (const t of node.inputs) {
      const vi = valueIndex.get(rootOf(t));
      if (vi !== undefined) values[vi].lastUse = Math.max(values[vi].lastUse, i);
    }
  });
  // Values read by the copies after the pass (optimizer results, state updates) stay live to the end.
  for (const t of [...(update ? [update.param, ...update.states] : []), ...stateUpdates.map(([, v]) => v)]) {
    const vi = valueIndex.get(rootOf(t));
    if (vi !== undefined) values[vi].pinned = true;
  }
  const mem = planMemory(values, order.length);
  const slotBuffers = mem.slotBytes.map((b) => acquireBuffer(b, undefined, `${label} slot`));

  const of = (t: Tensor): Placed => {
    const r = rootOf(t);
    const s = r.node.storage[r.index];
    if (s) {
      const inIdx = inputs.indexOf(r);
      const pIdx = params.indexOf(r);
      const lbl = inIdx >= 0 ? `in${inIdx}` : pIdx >= 0 ? `p${pIdx}` : r.node.tensors[0].name ?? `c${r.node.id}`;
      return { ref: s.ref, storage: s, label: lbl };
    }
    const f = fixed.get(r);
    if (f) return { ref: f.storage.ref, storage: f.storage, label: f.label };
    const slot = mem.slotOf[valueIndex.get(r)!];
    if (slot === undefined) throw sgError(`internal: no buffer planned for ${t.describe()}`);
    const bytes = Math.max(4, bytesOf(r));
    return { ref: { buffer: slotBuffers[slot], offset: 0, size: Math.ceil(bytes / 4) * 4 }, label: `s${slot}` };
  };
  return {
    of, gradCopies, slotBuffers, gradSlices,
    memory: { plannedBytes: mem.plannedBytes, naiveBytes: mem.naiveBytes, slots: mem.slotBytes.length },
  };
}

/** The buffer and byte offset a BufferRef points at. */
export function bufferAt(r: BufferRef): { buffer: GPUBuffer; offset: number } {
  return { buffer: isSlice(r) ? r.buffer : r, offset: isSlice(r) ? r.offset : 0 };
}
