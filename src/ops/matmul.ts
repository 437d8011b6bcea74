// Matmul: C = op(A) · op(B), batched with broadcasting, optional transposes (by strides, never by a
// copy). Kernel versions (shaders/matmul.wgsl): naive, tiled, tiled_vec4, split-K and reg (register
// blocks, no workgroup memory); the candidates for a tuner on real GPUs: tile4x4 / tile8x4 / tile8x8
// (workgroup tiles with larger register tiles), their vec4-load variants tile…v4, the double-buffered
// tile8x8db, and subgroup (shaders/matmul_subgroup.wgsl, where the device has `subgroups`).
// matmulVersions(shape, features) lists the versions that run as themselves for a shape on a device.
// Also `linear`: act(x·Wᵀ + b) in one dispatch of a kernel with the fused bias + activation epilogue.
// References: src/reference/matmul.ts.
//
// How 'auto' picks a version (pickVersion), for C [batch, M, N] with inner dimension K:
//   reg        on a software adapter (SwiftShader), where barriers are emulated: measured fastest there
//              at every size in bench/ (see bench/RESULTS.md), weight gradients included — split-K's
//              tiles synchronise through workgroup memory: Kᵀ·N products [544, 64]ᵀ·[544, 64] took 103
//              ms split-K against 27 ms reg, [2048, 10]ᵀ·[2048, 128] 946 against 38 (a transformer's and
//              an MLP's dW; split-K was half of a ViT step's GPU time);
//   splitk     on a GPU when K ≥ 4·max(M, N), K ≥ 128 and batch·M·N ≤ 64·64·8 — a long K and a small C,
//              as in a weight gradient dW = xᵀ·dy (K = batch size): the tiled kernel would run only a few
//              workgroups each walking all of K, so K is split over workgroups instead (splitPlan);
//   tiled_vec4 when B is not transposed and N % 4 = 0;
//   tiled      otherwise.
// No rule picks the tile*, tile…v4, tile8x8db or subgroup versions: they are not yet measured on a
// GPU, and on SwiftShader reg stays fastest (bench/RESULTS.md); a tuner chooses among them. An
// explicit version whose vec4 loads the shape does not allow runs its scalar-load form (tile8x8v4 →
// tile8x8, tile8x8db → tile8x8, vec4 → tiled), since gradients reuse the version with other
// transposes; 'subgroup' on a device without `subgroups` is an error.
//
// Half-precision storage (compile's precision: 'mixed'; OpDef.half): every version reads A, B (and
// linear's bias) as f16 through its scalar loads and writes a half C as whole words (even column
// pairs per invocation). The vec4 views are f32 only, so with half operands a version that would use
// them runs its scalar form — vec4 → tiled when B or C is half, tile…v4 / tile8x8db → tile… when A or
// B is half — and matmulVersions(shape, features, half) leaves them out. A half C needs every row of
// C to start on a word: N even, or a single row (batch·M = 1); for other shapes the rule says
// writes: [false]. split-K's partials stay f32; its reduce pass writes the half C.
//
// f16native (src/ops/matmul-f16.ts, shaders/matmul_f16.wgsl): A and B read as native f16 where the
// device has `shader-f16` and both are stored as f16; matmulVersions offers it only there, no fixed
// rule picks it. Forced where A or B is f32 (a gradient reusing the version) it runs what 'auto' picks;
// forced on a device without `shader-f16` it is an error naming the feature.

import { opCodes, wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { gpu, softwareRules } from '../gpu/device.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/matmul.js';
import { defineOp } from './op.js';
import { fmtShape, numel, type Meta, broadcastShapes, checkRank, sameShape } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx } from '../gpu/dispatch.js';
import { expand, mul, neg, shift, square, step, sumTo } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';
import { encodeMatmulF16, F16_NATIVE_FEATURES, f16NativeEligible, f16NativeStorageRefusal, matmulF16Kernels } from './matmul-f16.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const MATMUL_KEYS = keysOf<MatmulOptions>({ transA: 1, transB: 1, version: 1 });
export const LINEAR_OP_KEYS = keysOf<LinearOptions>({ activation: 1, version: 1 });

export const matmulKernels = {
  naive: wgslKernel('matmul_naive'),
  tiled: wgslKernel('matmul_tiled'),
  vec4: wgslKernel('matmul_tiled_vec4'),
  reg: wgslKernel('matmul_reg'),
  splitk: wgslKernel('matmul_splitk'),
  splitkReduce: wgslKernel('matmul_splitk_reduce'),
  tile: wgslKernel('matmul_tile'),
  tileVec4: wgslKernel('matmul_tile_vec4'),
  tileDb: wgslKernel('matmul_tile_db'),
  subgroup: wgslKernel('matmul_subgroup'),
};

/** The workgroup-tile versions: register tile TM × TN per thread, vec4 loads, double buffering. */
const TILE_VERSIONS = {
  tile4x4: { tm: 4, tn: 4, vec4: false, db: false },
  tile8x4: { tm: 8, tn: 4, vec4: false, db: false },
  tile8x8: { tm: 8, tn: 8, vec4: false, db: false },
  tile4x4v4: { tm: 4, tn: 4, vec4: true, db: false },
  tile8x4v4: { tm: 8, tn: 4, vec4: true, db: false },
  tile8x8v4: { tm: 8, tn: 8, vec4: true, db: false },
  tile8x8db: { tm: 8, tn: 8, vec4: true, db: true },
} as const;
export type TileVersion = keyof typeof TILE_VERSIONS;

export type MatmulVersion = 'auto' | 'naive' | 'tiled' | 'vec4' | 'splitk' | 'reg' | TileVersion | 'subgroup' | 'f16native';
/** Every version, simplest first (the ladder of shaders/matmul.wgsl's header). */
export const MATMUL_VERSIONS: readonly Exclude<MatmulVersion, 'auto'>[] = [
  'naive', 'tiled', 'vec4', 'splitk', 'reg', 'tile4x4', 'tile8x4', 'tile8x8', 'tile4x4v4', 'tile8x4v4', 'tile8x8v4',
  'tile8x8db', 'subgroup',
];
const VERSIONS: MatmulVersion[] = ['auto', ...MATMUL_VERSIONS, 'f16native'];
/** The device features a version needs. */
export const MATMUL_VERSION_FEATURES: Partial<Record<MatmulVersion, readonly string[]>> = { subgroup: ['subgroups'], f16native: F16_NATIVE_FEATURES };

const isTile = (v: MatmulVersion): v is TileVersion => v in TILE_VERSIONS;

/**
 * Which of a matmul's tensors are stored as f16 (compile's precision: 'mixed'): A, B, the bias
 * (linear) and C. Absent or false: f32.
 */
export interface MatmulHalf {
  a?: boolean;
  b?: boolean;
  bias?: boolean;
  c?: boolean;
}

/** The override constant that makes a kernel read (write) each tensor as f16 (common/matmul.wgsl). */
const HALF_OVERRIDES = { a: 'A_HALF', b: 'B_HALF', bias: 'BIAS_HALF', c: 'C_HALF' } as const;

/** The half-storage override constants for `h`, limited to `keys` (the tensors a kernel binds). */
function halfOverrides(h: MatmulHalf, keys: readonly (keyof MatmulHalf)[] = ['a', 'b', 'bias', 'c']): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k of keys) if (h[k]) o[HALF_OVERRIDES[k]] = 1;
  return o;
}

/**
 * Whether a C [batch, M, N] can be stored as f16: every invocation writes whole words of even column
 * pairs, which needs each row to start on a word — N even — or a single row (the last word's upper
 * half then lies past the tensor).
 */
export function halfOutputOk(M: number, N: number, batch = 1): boolean {
  return N % 2 === 0 || M * batch === 1;
}

/** A matmul's sizes as the version rules see them: C [batch, M, N], inner dimension K, transposes. */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  /** Output batch (product of the batch dimensions), default 1. */
  batch?: number;
  transA?: boolean;
  transB?: boolean;
}

/**
 * Whether op(A) and op(B) can be read as vec4 (the tile…v4 and tile8x8db versions): the dimension
 * each operand is contiguous in is a multiple of 4 — K for A (M for Aᵀ), N for B (K for Bᵀ).
 */
export function tileVec4Ok(s: MatmulShape, half: MatmulHalf = {}): boolean {
  if (half.a || half.b) return false;   // A4 / B4 are f32 views
  return (s.transA ? s.M : s.K) % 4 === 0 && (s.transB ? s.K : s.N) % 4 === 0;
}

/** Whether v3 (tiled_vec4) runs as itself: B untransposed, N % 4 = 0, and B and C f32 (B4 / C4 views). */
export function vec4Ok(s: MatmulShape, half: MatmulHalf = {}): boolean {
  return !s.transB && s.N % 4 === 0 && !half.b && !half.c;
}

/**
 * The versions that run as themselves for this shape on a device with `features` (e.g.
 * `matmulVersions({ M, N, K }, sg.device().features)`), with the tensors `half` names stored as f16:
 * a tuner's candidates. Left out: 'vec4' unless vec4Ok (B untransposed, N % 4 = 0, B and C f32), the
 * tile…v4 / tile8x8db versions unless tileVec4Ok (which needs A and B f32), 'splitk' when the split
 * plan would not split K, 'subgroup' without the `subgroups` feature.
 */
export function matmulVersions(shape: MatmulShape, features: Iterable<string>, half: MatmulHalf = {}): Exclude<MatmulVersion, 'auto'>[] {
  const has = new Set(features);
  const batch = shape.batch ?? 1;
  const list = MATMUL_VERSIONS.filter((v) => {
    if ((MATMUL_VERSION_FEATURES[v] ?? []).some((f) => !has.has(f))) return false;
    if (v === 'vec4') return vec4Ok(shape, half);
    if (v === 'splitk') return splitPlan(shape.M, shape.N, shape.K, batch).splits > 1;
    if (isTile(v) && TILE_VERSIONS[v].vec4) return tileVec4Ok(shape, half);
    return true;
  });
  // f16native (src/ops/matmul-f16.ts): only with `shader-f16` and A and B stored as f16.
  return f16NativeEligible({ ...shape, batch }, has, half) ? [...list, 'f16native'] : list;
}


export interface MatmulOptions {
  /** Use Aᵀ (A stored as [..., K, M]). */
  transA?: boolean;
  /** Use Bᵀ (B stored as [..., N, K]). */
  transB?: boolean;
  /** Kernel version; 'auto' (default) follows the rule in this file's header. */
  version?: MatmulVersion;
}

interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  version: MatmulVersion;
}

function mnk(a: number[], b: number[], { transA, transB }: Pick<MatmulAttrs, 'transA' | 'transB'>) {
  const M = transA ? a[a.length - 1] : a[a.length - 2];
  const K = transA ? a[a.length - 2] : a[a.length - 1];
  const Kb = transB ? b[b.length - 1] : b[b.length - 2];
  const N = transB ? b[b.length - 2] : b[b.length - 1];
  return { M, N, K, Kb };
}

/** Output elements below which split-K may pay (64×64 tiles × 8). */
export const SPLITK_MAX_OUTPUT = 64 * 64 * 8;
const SPLITK_MIN_CHUNK = 64; // never give a workgroup fewer than 64 values of K
const SPLITK_TARGET_GROUPS = 64; // aim for about this many workgroups in the first pass

/**
 * The kernel version a matmul of this size runs (the rule in the header), with the tensors `half`
 * names stored as f16: a version whose vec4 views cannot read (write) them runs its scalar form.
 */
export function pickVersion(attrs: MatmulAttrs, dims: { M: number; N: number; K: number; batch: number },
  software = softwareRules(), half: MatmulHalf = {}): Exclude<MatmulVersion, 'auto'> {
  const { M, N, K, batch } = dims;
  const vec4ok = vec4Ok({ M, N, K, ...attrs }, half);
  if (attrs.version !== 'auto') {
    if (attrs.version === 'f16native' && f16NativeStorageRefusal({ M, N, K, batch, ...attrs }, half)) {
      return pickVersion({ ...attrs, version: 'auto' }, dims, software, half);
    }
    if (attrs.version === 'vec4' && !vec4ok) return 'tiled';
    if (isTile(attrs.version) && TILE_VERSIONS[attrs.version].vec4 && !tileVec4Ok({ M, N, K, ...attrs }, half)) {
      const { tm, tn } = TILE_VERSIONS[attrs.version];
      return `tile${tm}x${tn}` as TileVersion;
    }
    return attrs.version;
  }
  if (software) return 'reg';
  if (K >= 4 * Math.max(M, N) && K >= 2 * SPLITK_MIN_CHUNK && batch * M * N <= SPLITK_MAX_OUTPUT) return 'splitk';
  return vec4ok ? 'vec4' : 'tiled';
}


/**
 * How split-K cuts K: S slices of kChunk values (a multiple of 16, the kernel's K step), enough
 * slices that the first pass runs ~64 workgroups, but no slice shorter than 64, and batch·S within
 * the grid limit.
 */
export function splitPlan(M: number, N: number, K: number, batch: number, maxPerDim = 65535): { splits: number; kChunk: number } {
  const tiles = Math.ceil(M / 64) * Math.ceil(N / 64) * batch;
  const want = Math.ceil(SPLITK_TARGET_GROUPS / tiles);
  const s = Math.max(1, Math.min(want, Math.ceil(K / SPLITK_MIN_CHUNK), Math.floor(maxPerDim / batch)));
  const kChunk = Math.max(16, Math.ceil(Math.ceil(K / s) / 16) * 16);
  return { splits: Math.max(1, Math.ceil(K / kChunk)), kChunk };
}

export const matmulOp = defineOp<MatmulAttrs>({
  name: 'matmul',
  kernels: [...Object.values(matmulKernels), matmulF16Kernels.tile],
  infer: ([a, b], attrs) => {
    for (const [t, n] of [[a, 'a'], [b, 'b']] as const) {
      if (t.shape.length < 2) throw sgError(`matmul: ${n} must have at least 2 dimensions, got ${fmtShape(t.shape)}`, ShapeError);
      if (t.dtype !== 'f32') throw sgError(`matmul: ${n} must be f32, got ${t.dtype}`, ShapeError);
    }
    const { M, N, K, Kb } = mnk(a.shape, b.shape, attrs);
    if (K !== Kb) {
      throw sgError(`matmul: inner dimensions differ: a ${fmtShape(a.shape)}${attrs.transA ? 'ᵀ' : ''} has K = ${K}, ` +
        `b ${fmtShape(b.shape)}${attrs.transB ? 'ᵀ' : ''} has K = ${Kb}`, ShapeError);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)');
    checkRank([...batch, M, N], 'matmul');
    return [{ shape: [...batch, M, N], dtype: 'f32' }];
  },
  // Every version reads A and B from f16 storage (the vec4 ones through their scalar forms); C as f16
  // where its rows start on words (halfOutputOk).
  half: ([a, b], [c], attrs) => {
    const { M, N } = mnk(a.shape, b.shape, attrs);
    return { reads: [true, true], writes: [halfOutputOk(M, N, numel(c.shape.slice(0, -2)))] };
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const [a, b] = inMeta;
    const { M, N, K } = mnk(a.shape, b.shape, attrs);
    const batch = numel(outMeta[0].shape.slice(0, -2));
    const h: MatmulHalf = { a: !!half?.inputs[0], b: !!half?.inputs[1], c: !!half?.outputs[0] };
    if (M * N * batch === 0) return;
    if (K === 0) {
      // Zero bits are +0 in f32 and in both halves of an f16 word.
      ctx.fill(outputs[0], (h.c ? Math.ceil(M * N * batch / 2) : M * N * batch) * 4, 0);
      return;
    }
    const params = {
      M, N, K,
      a_batch: numel(a.shape.slice(0, -2)) === 1 ? 0 : M * K,
      b_batch: numel(b.shape.slice(0, -2)) === 1 ? 0 : K * N,
      sa_m: attrs.transA ? 1 : K, sa_k: attrs.transA ? M : 1,
      sb_k: attrs.transB ? 1 : N, sb_n: attrs.transB ? K : 1,
      splits: 1, k_chunk: K,
    };
    const v = pickVersion(attrs, { M, N, K, batch }, softwareRules(), h);
    const tiles: [number, number, number] = [Math.ceil(N / 64), Math.ceil(M / 64), batch];
    // Every kernel binds A, B and C (the bias binding is A again: read only under HAS_BIAS, linear's).
    const storage = halfOverrides(h);
    if (v === 'f16native') {
      encodeMatmulF16(ctx, { A: inputs[0], B: inputs[1], C: outputs[0], bias: inputs[0] }, params, {}, attrs, batch, h);
    } else if (isTile(v) || v === 'subgroup') {
      dispatchRegisterTiled(ctx, v, { A: inputs[0], B: inputs[1], C: outputs[0], bias: inputs[0] }, params, storage, attrs, batch);
    } else if (v === 'reg') {
      const overrides: Record<string, number> = { ...storage };
      if (attrs.transA) overrides.TRANS_A = 1;
      if (attrs.transB) overrides.TRANS_B = 1;
      ctx.dispatch(matmulKernels.reg, { bind: { A: inputs[0], B: inputs[1], C: outputs[0], bias: inputs[0] }, params, overrides, grid: tiles });
    } else if (v === 'naive') {
      ctx.dispatch(matmulKernels.naive, {
        bind: { A: inputs[0], B: inputs[1], C: outputs[0] }, params, overrides: storage, grid: [Math.ceil(N / 8), Math.ceil(M / 8), batch],
      });
    } else if (v === 'splitk') {
      // The partials stay f32 (scratch); the reduce pass writes C, f16 pairs when C is half.
      const max = ctx.limits.maxWorkgroupsPerDim;
      const { splits, kChunk } = splitPlan(M, N, K, batch, max);
      const parts = ctx.scratch(batch * splits * M * N * 4);
      ctx.dispatch(matmulKernels.splitk, {
        bind: { A: inputs[0], B: inputs[1], Cpart: parts }, params: { ...params, splits, k_chunk: kChunk },
        overrides: halfOverrides(h, ['a', 'b']), grid: [tiles[0], tiles[1], batch * splits],
      });
      const [gx, gy] = grid1d(h.c ? Math.ceil(M * N / 2) : M * N, 256, max);
      ctx.dispatch(matmulKernels.splitkReduce, {
        bind: { parts, Csum: outputs[0] }, params: { MN: M * N, splits }, overrides: halfOverrides(h, ['c']), grid: [gx, gy, batch],
      });
    } else {
      // tiled, or vec4 (which pickVersion gives only with B and C f32: they are its vec4 views).
      const k: KernelDef = matmulKernels[v];
      const bind: Record<string, BufferRef> = v === 'vec4'
        ? { A: inputs[0], B4: inputs[1], C4: outputs[0] }
        : { A: inputs[0], B: inputs[1], C: outputs[0], bias: inputs[0] };
      ctx.dispatch(k, { bind, params, overrides: storage, grid: tiles });
    }
  },
  // With C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, re-expressed with transpose
  // flags so that no transposed copy is made; broadcast batches are summed back.
  grad: ({ inputs: [a, b], dys: [dy], attrs: { transA, transB, version } }) => {
    if (!dy) return [null, null];
    const o = (tA: boolean, tB: boolean) => ({ transA: tA, transB: tB, version });
    const da = transA ? matmul(b, dy, o(transB, true)) : matmul(dy, b, o(false, !transB));
    const db = transB ? matmul(dy, a, o(true, transA)) : matmul(a, dy, o(!transA, false));
    return [sumTo(da, a.shape), sumTo(db, b.shape)];
  },
  reference: ([a, b], { transA, transB }) => [ref.matmulForward(a, b, transA, transB)],
  referenceBackward: ({ inputs: [a, b], dys: [dy], attrs: { transA, transB } }) =>
    (dy ? ref.matmulBackward(a, b, dy, transA, transB) : [null, null]),
  cost: ([a, b], [c], attrs) => {
    const { K } = mnk(a.shape, b.shape, attrs);
    return { flops: 2 * numel(c.shape) * K, bytes: 4 * (numel(a.shape) + numel(b.shape) + numel(c.shape)) };
  },
});

/**
 * Dispatch a tile* or the subgroup version. `bind` names A, B, C and bias (A again when there is no
 * bias); `overrides` carries the epilogue's HAS_BIAS / ACT; the transposes are added here.
 */
function dispatchRegisterTiled(ctx: EncodeCtx, v: TileVersion | 'subgroup', bind: { A: BufferRef; B: BufferRef; C: BufferRef; bias: BufferRef },
  params: Record<string, number>, overrides: Record<string, number>, t: { transA: boolean; transB: boolean }, batch: number): void {
  const { M, N } = params;
  const o: Record<string, number> = { ...overrides };
  if (t.transA) o.TRANS_A = 1;
  if (t.transB) o.TRANS_B = 1;
  if (v === 'subgroup') {
    const missing = (MATMUL_VERSION_FEATURES.subgroup ?? []).filter((f) => !gpu().has(f));
    if (missing.length) {
      throw sgError(`matmul: version 'subgroup' needs the device feature ${missing.join(', ')}, which this adapter lacks; ` +
        `its versions here: ${matmulVersions({ M, N, K: params.K, batch, ...t }, gpu().info.features).join(', ')}`);
    }
    ctx.dispatch(matmulKernels.subgroup, { bind, params, overrides: o, grid: [Math.ceil(N / 256), Math.ceil(M / 8), batch] });
    return;
  }
  const { tm, tn, vec4, db } = TILE_VERSIONS[v];   // vec4: pickVersion checked tileVec4Ok (A, B f32)
  // Only non-default constants are named (each distinct set is a pipeline of its own).
  if (tm !== 4) o.TM = tm;
  if (tn !== 4) o.TN = tn;
  const grid: [number, number, number] = [Math.ceil(N / (16 * tn)), Math.ceil(M / (16 * tm)), batch];
  if (!vec4) {
    ctx.dispatch(matmulKernels.tile, { bind, params, overrides: o, grid });
    return;
  }
  ctx.dispatch(db ? matmulKernels.tileDb : matmulKernels.tileVec4, {
    bind: { A4: bind.A, B4: bind.B, C: bind.C, bias: bind.bias }, params, overrides: o, grid,
  });
}

/**
 * Matrix product with PyTorch's torch.matmul semantics: 1-D operands are treated as a row/column
 * vector, leading dimensions broadcast. `transA`/`transB` use the stored transpose without a copy.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkOptions('matmul', options, MATMUL_KEYS);
  const attrs: MatmulAttrs = { transA: !!options.transA, transB: !!options.transB, version: options.version ?? 'auto' };
  if (!VERSIONS.includes(attrs.version)) {
    throw sgError(`matmul: unknown version '${attrs.version}' (${VERSIONS.join(', ')})`);
  }
  if (a.rank === 0 || b.rank === 0) throw sgError(`matmul: scalars are not matrices (${a.describe()}, ${b.describe()})`);
  const vecA = a.rank === 1;
  const vecB = b.rank === 1;
  const A = vecA ? reshape(a, [1, a.size]) : a;
  const B = vecB ? reshape(b, [b.size, 1]) : b;
  // The kernel broadcasts a whole batch (stride 0) but not part of one: expand partial broadcasts.
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2), 'matmul (batch dimensions)');
  const fit = (t: Tensor) => {
    const bs = t.shape.slice(0, -2);
    if (numel(bs) === 1 || sameShape(bs, batch)) return t;
    return expand(t, [...batch, ...t.shape.slice(-2)]);
  };
  let c = apply1(matmulOp, [fit(A), fit(B)], attrs);
  if (vecA || vecB) {
    const s = c.shape.slice(0, -2);
    if (!vecA) s.push(c.shape[c.rank - 2]);
    if (!vecB) s.push(c.shape[c.rank - 1]);
    c = reshape(c, s);
  }
  return c;
}

// ---- linear: act(x·Wᵀ + b), fused ---------------------------------------------------------------

export type LinearActivation = 'none' | 'relu' | 'sigmoid' | 'tanh';
/** The epilogue's `ACT` code of each activation: the ACT_* constants of shaders/matmul.wgsl. */
const ACT_CODES = opCodes<LinearActivation>('matmul.wgsl', 'ACT', ['none', 'relu', 'sigmoid', 'tanh']);

export interface LinearOptions {
  /** Applied to x·Wᵀ + b inside the same kernel (default 'none'). */
  activation?: LinearActivation;
  /**
   * Kernel: 'auto' (default: reg on a software adapter, tiled otherwise), 'tiled', 'reg', or one of the
   * tile* / 'subgroup' versions of matmul (all carry the fused epilogue; a tile…v4 version needs the
   * in-features to be a multiple of 4, else it runs its scalar-load form, as in matmul), or
   * 'f16native' (matmul's native-f16 kernel, src/ops/matmul-f16.ts: needs the device feature
   * `shader-f16` and x and W stored as f16 by a mixed-precision plan; with either in f32 it runs what
   * 'auto' picks).
   */
  version?: LinearVersion;
}

export type LinearVersion = 'auto' | 'tiled' | 'reg' | TileVersion | 'subgroup' | 'f16native';
/**
 * linear's versions besides 'auto' that run on f32 storage: the matmul kernels with the fused
 * epilogue ('f16native', which reads f16 x and W only, is offered by linearVersions where it can run).
 */
export const LINEAR_VERSIONS: readonly Exclude<LinearVersion, 'auto' | 'f16native'>[] =
  ['tiled', 'reg', ...(Object.keys(TILE_VERSIONS) as TileVersion[]), 'subgroup'];

interface LinearAttrs {
  activation: LinearActivation;
  hasBias: boolean;
  version: LinearVersion;
}

function linearDims(x: Meta, w: Meta) {
  return { M: numel(x.shape.slice(0, -1)), K: x.shape[x.shape.length - 1], N: w.shape[0] };
}

/**
 * linear's versions that run as themselves for x [M, K]·W[N, K]ᵀ on a device with `features`, with
 * the tensors `half` names (a = x, b = W, bias, c = y) stored as f16: LINEAR_VERSIONS less the tile…v4
 * and tile8x8db versions unless tileVec4Ok (K % 4 = 0, x and W f32), less 'subgroup' without the
 * `subgroups` feature; plus 'f16native' where matmul offers it (shader-f16, x and W f16).
 */
export function linearVersions(shape: { M: number; N: number; K: number }, features: Iterable<string>,
  half: MatmulHalf = {}): Exclude<LinearVersion, 'auto'>[] {
  const has = new Set(features);
  const list: Exclude<LinearVersion, 'auto'>[] = LINEAR_VERSIONS.filter((v) => {
    if ((MATMUL_VERSION_FEATURES[v] ?? []).some((f) => !has.has(f))) return false;
    if (isTile(v) && TILE_VERSIONS[v].vec4) return tileVec4Ok({ ...shape, transB: true }, half);
    return true;
  });
  const native = f16NativeEligible({ ...shape, batch: 1, transA: false, transB: true }, has, half);
  return native ? [...list, 'f16native'] : list;
}

export const linearOp = defineOp<LinearAttrs>({
  name: 'linear',
  kernels: [matmulKernels.tiled, matmulKernels.reg, matmulKernels.tile, matmulKernels.tileVec4, matmulKernels.tileDb, matmulKernels.subgroup, matmulF16Kernels.tile],
  infer: ([x, w, b], { hasBias }) => {
    for (const [t, n] of [[x, 'x'], [w, 'weight'], [b, 'bias']] as const) {
      if (t && t.dtype !== 'f32') throw sgError(`linear: ${n} must be f32, got ${fmtShape(t.shape)} ${t.dtype}`, ShapeError);
    }
    if (x.shape.length < 1) throw sgError(`linear: x must have at least 1 dimension, got ${fmtShape(x.shape)}`, ShapeError);
    if (w.shape.length !== 2) throw sgError(`linear: weight must be [out, in], got ${fmtShape(w.shape)}`, ShapeError);
    const inF = x.shape[x.shape.length - 1];
    if (w.shape[1] !== inF) {
      throw sgError(`linear: x ${fmtShape(x.shape)} has ${inF} input features, weight ${fmtShape(w.shape)} expects ${w.shape[1]}`, ShapeError);
    }
    if (hasBias !== !!b) throw sgError('linear: internal: bias flag does not match the inputs');
    if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) {
      throw sgError(`linear: bias must be [${w.shape[0]}] (one per output feature), got ${fmtShape(b.shape)}`, ShapeError);
    }
    const shape = [...x.shape.slice(0, -1), w.shape[0]];
    checkRank(shape, 'linear');
    return [{ shape, dtype: 'f32' }];
  },
  // x, W and the bias from f16 storage in every version; y as f16 where its rows start on words.
  half: ([x, w, b]) => {
    const { M, N } = linearDims(x, w);
    return { reads: b ? [true, true, true] : [true, true], writes: [halfOutputOk(M, N)] };
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const { M, K, N } = linearDims(inMeta[0], inMeta[1]);
    if (M * N === 0) return;
    const h: MatmulHalf = { a: !!half?.inputs[0], b: !!half?.inputs[1], bias: attrs.hasBias && !!half?.inputs[2], c: !!half?.outputs[0] };
    // op(A) = x [M, K]; op(B) = Wᵀ: element (k, n) is W[n, k].
    const params = { M, N, K, a_batch: 0, b_batch: 0, sa_m: K, sa_k: 1, sb_k: 1, sb_n: K, splits: 1, k_chunk: K };
    // Only non-default constants are named, so linear without bias and activation shares the plain
    // tiled pipeline (each distinct set of constants is a pipeline compiled on first use).
    // On a software adapter the reg kernel (same epilogue) with op(B) = Wᵀ, as in pickVersion.
    const overrides: Record<string, number> = halfOverrides(h);
    if (attrs.hasBias) overrides.HAS_BIAS = 1;
    if (attrs.activation !== 'none') overrides.ACT = ACT_CODES[attrs.activation];
    const bind = { A: inputs[0], B: inputs[1], C: outputs[0], bias: attrs.hasBias ? inputs[2] : inputs[0] };
    const v = attrs.version === 'auto' ? 'auto'
      : pickVersion({ transA: false, transB: true, version: attrs.version }, { M, N, K, batch: 1 }, softwareRules(), h);
    if (v === 'f16native') {
      encodeMatmulF16(ctx, bind, params, overrides, { transA: false, transB: true }, 1, h);
      return;
    }
    if (v !== 'auto' && (isTile(v) || v === 'subgroup')) {
      dispatchRegisterTiled(ctx, v, bind, params, overrides, { transA: false, transB: true }, 1);
      return;
    }
    const reg = attrs.version === 'reg' || (attrs.version === 'auto' && softwareRules());
    if (reg) overrides.TRANS_B = 1;
    ctx.dispatch(reg ? matmulKernels.reg : matmulKernels.tiled, {
      bind, params, overrides, grid: [Math.ceil(N / 64), Math.ceil(M / 64), 1],
    });
  },
  // y = act(z), z = x·Wᵀ + b. dz = dy·act'(z), written from y: relu' = [y > 0], σ' = y(1 - y),
  // tanh' = 1 - y². Then dx = dz·W, dW = dzᵀ·x (over all rows: a long-K product, split-K under
  // 'auto'), db = Σ_rows dz.
  grad: ({ inputs: [x, w, b], outputs: [y], dys: [dy], attrs: { activation } }) => {
    if (!dy) return [null, null, null];
    const dz = activation === 'relu' ? mul(dy, step(y))
      : activation === 'sigmoid' ? mul(dy, mul(y, shift(neg(y), 1)))
        : activation === 'tanh' ? mul(dy, shift(neg(square(y)), 1))
          : dy;
    const out = w.shape[0];
    const rows = numel(x.shape.slice(0, -1));
    const dz2 = reshape(dz, [rows, out]);
    const x2 = reshape(x, [rows, x.shape[x.rank - 1]]);
    const dx = reshape(matmul(dz2, w), x.shape);
    const dw = matmul(dz2, x2, { transA: true });
    return b ? [dx, dw, sum(dz2, 0)] : [dx, dw];
  },
  reference: ([x, w, b], { activation }) => [ref.linearForward(x, w, b ?? null, activation)],
  referenceBackward: ({ inputs: [x, w, b], dys: [dy], attrs: { activation } }) => {
    if (!dy) return [null, null, null];
    const [dx, dw, db] = ref.linearBackward(x, w, b ?? null, dy, activation);
    return b ? [dx, dw, db] : [dx, dw];
  },
  cost: ([x, w], [y]) => {
    const { K } = linearDims(x, w);
    return { flops: 2 * numel(y.shape) * K + 2 * numel(y.shape), bytes: 4 * (numel(x.shape) + numel(w.shape) + w.shape[0] + numel(y.shape)) };
  },
});

/**
 * torch.nn.functional.linear with a fused activation: act(x·Wᵀ + b) for x [..., in], weight
 * [out, in], bias [out] (or null), in one dispatch of the tiled (or, on a software adapter, reg) matmul
 * kernel. Same values as
 * `act(add(matmul(x, weight, { transB: true }), bias))`.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: LinearOptions = {}): Tensor {
  checkOptions('linear', options, LINEAR_OP_KEYS);
  const activation = options.activation ?? 'none';
  if (!(activation in ACT_CODES)) {
    throw sgError(`linear: unknown activation '${activation}' (${Object.keys(ACT_CODES).join(', ')})`);
  }
  if (x.rank === 0) throw sgError(`linear: x must have at least 1 dimension, got ${x.describe()}`, ShapeError);
  const version = options.version ?? 'auto';
  if (version !== 'auto' && version !== 'f16native' && !LINEAR_VERSIONS.includes(version)) {
    throw sgError(`linear: unknown version '${version}' (auto, ${LINEAR_VERSIONS.join(', ')}, f16native)`);
  }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return apply1(linearOp, inputs, { activation, hasBias: !!bias, version });
}
