// The shape of an op-table entry. Every op states, in one place: its shape rule (with clear errors),
// how it encodes GPU dispatches, its gradient (expressed in ops, so gradients of gradients work) or
// why it has none, its float64 CPU reference (forward and backward, from src/reference/), and its cost
// model. The fields are required, so an op without a gradient or reference fails to compile.

import type { KernelDef, Overrides, ParamValues } from '../gpu/kernels.js';
import type { Tensor } from '../tensor/tensor.js';

export type DType = 'f32' | 'i32';

export interface Meta {
  shape: number[];
  dtype: DType;
}

/** A CPU tensor in float64 for the references (i32 values are stored as exact doubles). */
export interface HostTensor {
  data: Float64Array;
  shape: number[];
}

export interface Cost {
  flops: number;
  /** Bytes read + written by the kernels, counting each tensor once. */
  bytes: number;
}

/** A range of a GPU buffer (a tensor inside an arena); offsets are multiples of 256 bytes. */
export interface BufferSlice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** What kernels bind: a whole buffer, or a slice of one. */
export type BufferRef = GPUBuffer | BufferSlice;

export function isSlice(b: BufferRef): b is BufferSlice {
  return (b as BufferSlice).offset !== undefined && (b as BufferSlice).buffer !== undefined;
}

export interface DispatchOptions {
  /** Buffers by binding name; the uniform `params` binding is filled from `params`. */
  bind: Record<string, BufferRef>;
  params?: ParamValues;
  overrides?: Overrides;
  /** Workgroup counts [x, y, z]. */
  grid: [number, number?, number?];
}

/** What an op's `encode` sees: a way to record dispatches and to get scratch buffers. */
export interface EncodeCtx {
  dispatch(kernel: KernelDef, opts: DispatchOptions): void;
  /** A temporary buffer that lives until the end of this submit. */
  scratch(bytes: number): GPUBuffer;
  /** Fill the first `bytes` of a buffer with a 32-bit pattern (0 = zeros) in the command stream. */
  fill(buffer: BufferRef, bytes: number, value: number): void;
  /** Device limits that tile choices depend on. */
  limits: { maxWorkgroupsPerDim: number; maxWorkgroupStorage: number; maxStorageBuffers: number };
}

export interface EncodeArgs<A> {
  inputs: BufferRef[];
  outputs: BufferRef[];
  inMeta: Meta[];
  outMeta: Meta[];
  attrs: A;
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface OpDef<A = any> {
  name: string;
  /** Output metas; throws a clear error naming the argument for bad input. */
  infer(inputs: Meta[], attrs: A): Meta[];
  /** Record the dispatches that compute the outputs. Omitted only for aliasing ops. */
  encode?: (ctx: EncodeCtx, args: EncodeArgs<A>) => void;
  /** Output 0 is a view of input 0's buffer (reshape): no dispatch, no copy. */
  alias?: boolean;
  grad: GradFn<A> | NoGrad;
  reference: (inputs: HostTensor[], attrs: A) => HostTensor[];
  referenceBackward: ((args: RefBackwardArgs<A>) => (HostTensor | null)[]) | NoGrad;
  cost(inputs: Meta[], outputs: Meta[], attrs: A): Cost;
  /** Which kernels this op may dispatch, for explain() and docs. */
  kernels: KernelDef[];
}

const table = new Map<string, OpDef>();

export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (table.has(def.name)) throw new Error(`shadergrad: op '${def.name}' is defined twice`);
  if (!def.alias && !def.encode) throw new Error(`shadergrad: op '${def.name}' has neither encode nor alias`);
  table.set(def.name, def as OpDef);
  return def;
}

export function opTable(): ReadonlyMap<string, OpDef> {
  return table;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function bytesOf(m: Meta): number {
  return numel(m.shape) * 4;
}

/** Workgroup grid for `n` threads in groups of `wg`, folded into 2-D when it exceeds the per-dim limit. */
export function grid1d(n: number, wg: number, maxPerDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
