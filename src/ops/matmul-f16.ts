// matmul's version 'f16native' (shaders/matmul_f16.wgsl, v10 of the matmul ladder): where the device
// has the `shader-f16` feature and both operands are stored as f16 (compile's precision: 'mixed'), a
// workgroup-tiled kernel reads them as native f16 (array<f16>: the f16 storage layout of
// src/util/half.ts, byte for byte), keeps its workgroup slices in f16 and multiplies in f32 (every
// product of two f16 values is exact in f32; see the WGSL header), writing C as f32 or f16 with the
// fused bias + activation epilogue of the other versions.
//
// A candidate for the tuner, never a fixed rule's pick (not yet measured on a GPU): src/ops/matmul.ts
// lists it among matmul's versions only where f16NativeEligible holds. Nothing here compiles the
// f16 module on a device without `shader-f16` (it would fail there): encode refuses first, naming
// the feature. This file imports nothing of matmul.ts, which imports it.

import { opCodes, wgslKernel } from '../gpu/kernels.js';
import { gpu } from '../gpu/device.js';
import type { BufferRef, EncodeCtx } from '../gpu/dispatch.js';
import { sgError } from '../util/errors.js';

export const matmulF16Kernels = {
  tile: wgslKernel('matmul_f16_tile'),
};

/** The version's name in matmul's version list. */
export const F16_NATIVE_VERSION = 'f16native';
/** The device features it needs. */
export const F16_NATIVE_FEATURES: readonly string[] = ['shader-f16'];

// The epilogue's activation codes are matmul.wgsl's (callers pass those): the f16 file repeats the
// constants, so check here, once, that they agree.
const ACT_NAMES = ['none', 'relu', 'sigmoid', 'tanh'] as const;
const F16_ACT = opCodes('matmul_f16.wgsl', 'ACT', ACT_NAMES);
const F32_ACT = opCodes('matmul.wgsl', 'ACT', ACT_NAMES);
for (const a of ACT_NAMES) {
  if (F16_ACT[a] !== F32_ACT[a]) {
    throw sgError(`shaders/matmul_f16.wgsl: ACT_${a.toUpperCase()} is ${F16_ACT[a]}, matmul.wgsl's is ${F32_ACT[a]}; they must agree`);
  }
}

/** A matmul's sizes as the rules see them: C [batch, M, N], inner dimension K (matmul.ts's MatmulShape). */
export interface F16NativeShape {
  M: number;
  N: number;
  K: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
}

/**
 * Which of a matmul's tensors are stored as f16: A, B, the bias (linear) and C (matmul.ts's
 * MatmulHalf, repeated here since matmul.ts imports this file). Absent or false: f32.
 */
export interface F16NativeHalf {
  a?: boolean;
  b?: boolean;
  bias?: boolean;
  c?: boolean;
}

/**
 * The register tile per thread: 8 rows (columns) where M (N) holds at least four 128-row blocks,
 * else 4 (64-row blocks, four times as many workgroups for a small C). A starting point for GPUs,
 * not a measured rule.
 */
export function f16NativeTile(M: number, N: number): { tm: 4 | 8; tn: 4 | 8 } {
  return { tm: M >= 512 ? 8 : 4, tn: N >= 512 ? 8 : 4 };
}

/**
 * Whether C can be stored as f16 by this kernel: a thread writes the two words of a column quad, so
 * every row must start on an even element (N even), or there is a single row (batch · M = 1).
 */
export function f16NativeHalfOutputOk(shape: F16NativeShape): boolean {
  return shape.N % 2 === 0 || (shape.batch ?? 1) * shape.M === 1;
}

/**
 * Why 'f16native' cannot run this matmul (null when it can): the device lacks `shader-f16`, A or B is
 * not stored as f16 (the kernel binds them as array<f16>), or C is to be stored as f16 for a shape
 * where a word would straddle two rows (f16NativeHalfOutputOk).
 */
export function f16NativeRefusal(shape: F16NativeShape, features: Iterable<string>, half: F16NativeHalf = {}): string | null {
  const has = new Set(features);
  const missing = F16_NATIVE_FEATURES.filter((f) => !has.has(f));
  if (missing.length) return `the device lacks the feature ${missing.join(', ')}`;
  return f16NativeStorageRefusal(shape, half);
}

/** The storage part of f16NativeRefusal (whatever the device): A and B f16, C f16 only where it can. */
export function f16NativeStorageRefusal(shape: F16NativeShape, half: F16NativeHalf = {}): string | null {
  if (!half.a || !half.b) return 'it reads A and B from f16 storage only, and they are not both stored as f16';
  if (half.c && !f16NativeHalfOutputOk(shape)) {
    return `it cannot store C [${shape.batch ?? 1}, ${shape.M}, ${shape.N}] as f16 (odd N with more than one row)`;
  }
  return null;
}

/** Whether 'f16native' runs this matmul as itself (a tuner's candidate): f16NativeRefusal is null. */
export function f16NativeEligible(shape: F16NativeShape, features: Iterable<string>, half: F16NativeHalf = {}): boolean {
  return f16NativeRefusal(shape, features, half) === null;
}

/**
 * Dispatch matmul_f16_tile: the arguments of matmul.ts's dispatchRegisterTiled (bind names A, B, C
 * and bias — A again when there is no bias —, matmul's Params, `overrides` of which the epilogue's
 * HAS_BIAS / ACT are taken (the storage constants of common/matmul.wgsl, A_HALF …, are not this
 * kernel's: `half` says it), the transposes, the output batch) plus which tensors are f16. Throws,
 * naming the reason, where f16NativeRefusal does (the device's features decide).
 */
export function encodeMatmulF16(ctx: EncodeCtx, bind: { A: BufferRef; B: BufferRef; C: BufferRef; bias: BufferRef },
  params: Record<string, number>, overrides: Record<string, number>, t: { transA: boolean; transB: boolean }, batch: number,
  half: F16NativeHalf): void {
  const { M, N, K } = params;
  const why = f16NativeRefusal({ M, N, K, batch, ...t }, gpu().info.features, half);
  if (why) throw sgError(`matmul: version '${F16_NATIVE_VERSION}' cannot run here: ${why}`);
  const o: Record<string, number> = {};
  if (overrides.HAS_BIAS) o.HAS_BIAS = 1;
  if (overrides.ACT) o.ACT = overrides.ACT;
  if (t.transA) o.TRANS_A = 1;
  if (t.transB) o.TRANS_B = 1;
  if (half.c) o.C_HALF = 1;
  if (overrides.HAS_BIAS && half.bias) o.BIAS_HALF = 1;
  // Only non-default constants are named (each distinct set is a pipeline of its own).
  const { tm, tn } = f16NativeTile(M, N);
  if (tm !== 4) o.TM = tm;
  if (tn !== 4) o.TN = tn;
  ctx.dispatch(matmulF16Kernels.tile, {
    bind, params, overrides: o, grid: [Math.ceil(N / (16 * tn)), Math.ceil(M / (16 * tm)), batch],
  });
}
