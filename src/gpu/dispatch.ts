// What an op's encode() records through: the buffers kernels bind (a whole buffer or a 256-byte
// aligned slice of one), the options of one dispatch, the recording context, and the grid helper.
// The Recorder (src/gpu/executor.ts) implements EncodeCtx.

import type { KernelDef, Overrides, ParamValues } from './kernels.js';
import type { Meta } from '../util/shape.js';

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

/** Workgroup grid for `n` threads in groups of `wg`, folded into 2-D when it exceeds the per-dim limit. */
export function grid1d(n: number, wg: number, maxPerDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

/** What an op's encode() gets: the buffers of its inputs and outputs, their metas, its attributes. */
export interface EncodeArgs<A> {
  inputs: BufferRef[];
  outputs: BufferRef[];
  inMeta: Meta[];
  outMeta: Meta[];
  attrs: A;
  /**
   * Half-precision storage (compile's `precision: 'mixed'`): which inputs are read from, and which
   * outputs written to, f16 storage. Absent: everything is f32. Only set where the op's `half` rule
   * (src/ops/op.ts) allowed it for these shapes.
   */
  half?: HalfStorage;
}

/**
 * Which bindings hold f16 values: element i of such a tensor is half (i & 1) of 32-bit word i >> 1
 * (IEEE binary16, the even element in the low bits, as pack2x16float and array<f16> lay them out), so
 * it takes ⌈n / 2⌉ words. Kernels compute in f32 and convert with shaders/common/half.wgsl.
 */
export interface HalfStorage {
  inputs: boolean[];
  outputs: boolean[];
}
