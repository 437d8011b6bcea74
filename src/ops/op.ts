// The shape of an op-table entry. Every op states, in one place: its shape rule (with clear errors),
// how it encodes GPU dispatches, its gradient (expressed in ops, so gradients of gradients work) or
// why it has none, its float64 CPU reference (forward and backward, from src/reference/), and its cost
// model. The fields are required, so an op without a gradient or reference fails to compile.

import type { KernelDef } from '../gpu/kernels.js';
import type { HostTensor } from '../reference/host.js';
import type { NodeOp, Tensor } from '../tensor/tensor.js';
import type { Meta } from '../util/shape.js';
import { sgError } from '../util/errors.js';

export interface Cost {
  flops: number;
  /** Bytes read + written by the kernels, counting each tensor once. */
  bytes: number;
}

export interface GradArgs<A> {
  inputs: Tensor[];
  outputs: Tensor[];
  /** One incoming gradient per output; null where that output does not reach the loss. */
  dys: (Tensor | null)[];
  attrs: A;
}

export type GradFn<A> = (g: GradArgs<A>) => (Tensor | null)[];

export interface NoGrad {
  /** Why there is no gradient (integer output, non-differentiable, ...). */
  none: string;
  /**
   * The gradient is zero almost everywhere (comparisons, integer outputs): autodiff passes nothing
   * back. Without it, differentiating through the op is an error (an unimplemented derivative must
   * never read as a zero one).
   */
  zero?: boolean;
}

export interface RefBackwardArgs<A> {
  inputs: HostTensor[];
  outputs: HostTensor[];
  dys: (HostTensor | null)[];
  attrs: A;
}

/**
 * An op: what the tensor runtime needs (NodeOp: name, infer, encode or alias) and the rest of the
 * contract — the gradient, the float64 references and the cost model, and the kernels it dispatches.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface OpDef<A = any> extends NodeOp<A> {
  grad: GradFn<A> | NoGrad;
  reference: (inputs: HostTensor[], attrs: A) => HostTensor[];
  referenceBackward: ((args: RefBackwardArgs<A>) => (HostTensor | null)[]) | NoGrad;
  cost(inputs: Meta[], outputs: Meta[], attrs: A): Cost;
  /** Which kernels this op may dispatch, for explain() and docs. */
  kernels: KernelDef[];
  /**
   * Half-precision storage (compile's `precision: 'mixed'`, src/graph/precision.ts): which inputs its
   * kernels can read from f16 storage and which outputs they can write as f16, for these shapes and
   * attributes. Absent: f32 only. encode() then gets `half` (src/gpu/dispatch.ts) with a subset.
   */
  half?: (inMeta: Meta[], outMeta: Meta[], attrs: A) => HalfRule;
}

/** An op's half-precision storage abilities for one node (OpDef.half). */
export interface HalfRule {
  reads: boolean[];
  writes: boolean[];
}

const table = new Map<string, OpDef>();

export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (table.has(def.name)) throw sgError(`op '${def.name}' is defined twice`);
  if (!def.alias && !def.encode) throw sgError(`op '${def.name}' has neither encode nor alias`);
  table.set(def.name, def as OpDef);
  return def;
}

export function opTable(): ReadonlyMap<string, OpDef> {
  return table;
}

/** The full definition of a node's op (every op but the source tensors' is made with defineOp). */
export function opOf(op: NodeOp): OpDef {
  const def = table.get(op.name);
  if (def !== op) throw sgError(`internal: op '${op.name}' was not made with defineOp`);
  return def;
}

