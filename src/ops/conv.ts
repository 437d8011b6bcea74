// 2-D convolution with torch.nn.functional.conv2d semantics (NCHW, weight [O, C/groups, KH, KW],
// optional bias [O], stride / zero padding / dilation as a number or [h, w], groups), and its two
// gradients as ops of their own so that gradients of gradients work:
//
//   conv2d                y = x ⋆ w + b                      grad: dx = conv2dBackwardInput(dy, w)
//                                                                   dw = conv2dBackwardWeight(x, dy)
//                                                                   db = Σ_{n,oh,ow} dy
//   conv2d_backward_input dx = conv2dBackwardInput(dy, w)      grad: d dy = conv2d(G, w)
//                                                                   d w  = conv2dBackwardWeight(G, dy)
//   conv2d_backward_weight dw = conv2dBackwardWeight(x, dy)    grad: d x  = conv2dBackwardInput(dy, G)
//                                                                   d dy = conv2d(x, G)
// All three are bilinear in their two inputs (one trilinear form, see src/reference/conv.ts), which
// is why each one's gradient is made of the other two.
// Kernels: shaders/conv2d.wgsl (direct forward, tiled implicit-GEMM forward, gather backward-input,
// workgroup-reduction backward-weight, their register-blocked forms, and implicit GEMM on matmul's
// register tiles for the forward and both gradients: the gemm* versions). Reference:
// src/reference/conv.ts.

import { softwareRules } from '../gpu/device.js';
import { matmulKernels } from './matmul.js';
import { wgslConsts, wgslKernel, type KernelDef, type Overrides } from '../gpu/kernels.js';
import { apply1, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/conv.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, type Meta } from '../util/shape.js';
import { grid1d, type BufferRef, type EncodeCtx, type HalfStorage } from '../gpu/dispatch.js';
import { sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { pad } from './index-ops.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const CONV2D_OP_KEYS = keysOf<Conv2dOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1, version: 1 });

// ---- kernels --------------------------------------------------------------------------------------

const WG = 64;
/** conv2d_forward_tiled's tile: TILE output pixels × TILE output channels per workgroup. */
const { TILE } = wgslConsts('conv2d.wgsl');

export const convKernels = {
  forward: wgslKernel('conv2d_forward'),
  forwardBlocked: wgslKernel('conv2d_forward_blocked'),
  forwardTiled: wgslKernel('conv2d_forward_tiled'),
  backwardInput: wgslKernel('conv2d_backward_input'),
  backwardInputBlocked: wgslKernel('conv2d_backward_input_blocked'),
  backwardWeightBlocked: wgslKernel('conv2d_backward_weight_blocked'),
  backwardWeight: wgslKernel('conv2d_backward_weight'),
  forwardGemm: wgslKernel('conv2d_forward_gemm'),
  backwardInputGemm: wgslKernel('conv2d_backward_input_gemm'),
  backwardWeightGemm: wgslKernel('conv2d_backward_weight_gemm'),
};

/**
 * The half-storage override constants of one dispatch of `kernel`: each flag that is true, as 1 (a
 * false one is left out, so an all-f32 dispatch compiles the same pipeline as before half storage).
 * A true flag the kernel does not take is an error: the op's half rule promised what no kernel does.
 * Shared with the pool and batchNorm ops.
 */
export function halfOverrides(kernel: KernelDef, flags: Record<string, boolean | undefined>): Overrides {
  const o: Overrides = {};
  for (const [name, on] of Object.entries(flags)) {
    if (!on) continue;
    if (!kernel.overrides?.includes(name)) throw sgError(`kernel ${kernel.name} cannot take ${name} (no such override): half storage it does not support`);
    o[name] = 1;
  }
  return o;
}

/** Input k / output k of a dispatch is stored as f16. */
const halfIn = (h: HalfStorage | undefined, k: number): boolean => h?.inputs[k] ?? false;
const halfOut = (h: HalfStorage | undefined, k: number): boolean => h?.outputs[k] ?? false;

// ---- options and shape rules ----------------------------------------------------------------------

/** The implicit-GEMM versions: TM output channels (rows of the GEMM) × TN columns per thread. */
const GEMM_VERSIONS = {
  gemm4x4: { tm: 4, tn: 4 },
  gemm4x8: { tm: 4, tn: 8 },
  gemm8x8: { tm: 8, tn: 8 },
} as const;
type GemmVersion = keyof typeof GEMM_VERSIONS;
const isGemm = (v: ConvVersion): v is GemmVersion => v in GEMM_VERSIONS;

export type ConvVersion = 'auto' | 'direct' | 'blocked' | 'tiled' | GemmVersion;
/** Every conv2d version, simplest first. */
export const CONV_VERSIONS: readonly Exclude<ConvVersion, 'auto'>[] = ['direct', 'blocked', 'tiled', 'gemm4x4', 'gemm4x8', 'gemm8x8'];

/**
 * The conv2d versions a tuner may choose from for a convolution on a device with `features`: every
 * version runs every geometry (stride, padding, dilation, groups), needs no optional feature, and
 * reads and writes every f16 storage the ops' half rules allow (x, w, bias, dy read; y and dx
 * written, whole f16 words whatever the shape: see shaders/conv2d.wgsl), so this is CONV_VERSIONS
 * whatever the half flags; the parameters are there so that a tuner calls every op the same way.
 */
export function convVersions(_shape: { x: readonly number[]; w: readonly number[]; groups?: number }, _features: Iterable<string>): Exclude<ConvVersion, 'auto'>[] {
  return [...CONV_VERSIONS];
}

export interface Conv2dOptions {
  /** Step between windows: a number or [h, w] (default 1). */
  stride?: number | [number, number];
  /**
   * Zeros added on each side: a number, [h, w], 'valid' (= 0) or 'same' (default 0). 'same' keeps
   * the input's H×W (stride must be 1): the total dilation·(K − 1) is split as torch does, the extra
   * row/column of an odd total going to the bottom/right. conv2d only (not the backward functions).
   */
  padding?: number | [number, number] | 'valid' | 'same';
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: number | [number, number];
  /** Split channels into groups convolved separately; groups = C is a depthwise convolution (default 1). */
  groups?: number;
  /**
   * Kernel: 'direct', 'blocked' (direct, 8 channels × 8 columns per thread), 'tiled' (implicit GEMM,
   * 16×16 tiles), 'gemm4x4' / 'gemm4x8' / 'gemm8x8' (implicit GEMM on register tiles, also used for
   * both gradients) or 'auto' (default: see pickConvVersion).
   */
  version?: ConvVersion;
}

interface ConvAttrs extends ref.ConvGeometry {
  version: ConvVersion;
}

interface InputGradAttrs extends ConvAttrs {
  /** Spatial size [H, W] of the input whose gradient is computed (stride makes it ambiguous). */
  inputHW: [number, number];
}

interface WeightGradAttrs extends ConvAttrs {
  /** [KH, KW] of the weight whose gradient is computed. */
  kernelSize: [number, number];
}

function pair(v: unknown, name: string, min: number, op: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min)) {
    throw sgError(`${op}: ${name} must be an integer >= ${min} or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

function convAttrs(o: Conv2dOptions, op: string): ConvAttrs {
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw sgError(`${op}: groups must be a positive integer, got ${JSON.stringify(o.groups)}`);
  }
  const version = o.version ?? 'auto';
  if (version !== 'auto' && !CONV_VERSIONS.includes(version)) {
    throw sgError(`${op}: unknown version '${version}' (auto, ${CONV_VERSIONS.join(', ')})`);
  }
  if (typeof o.padding === 'string' && o.padding !== 'valid') {
    throw sgError(`${op}: padding '${o.padding}' is not supported ` +
      `(a number, [h, w], 'valid'${op === 'conv2d' ? " or 'same'" : "; 'same' is for conv2d only"})`);
  }
  return {
    stride: pair(o.stride ?? 1, 'stride', 1, op),
    padding: pair(o.padding === 'valid' ? 0 : o.padding ?? 0, 'padding', 0, op),
    dilation: pair(o.dilation ?? 1, 'dilation', 1, op),
    groups, version,
  };
}

const geometry = (a: ConvAttrs): ConvAttrs => ({
  stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, version: a.version,
});

/** Labels for tensors in error messages: `t.describe()` from the public functions, the shape in infer. */
interface Labels {
  x: string;
  w: string;
}

const metaLabels = (xShape: number[], wShape: number[]): Labels => ({
  x: `input ${fmtShape(xShape)}`, w: `weight ${fmtShape(wShape)}`,
});

/**
 * Check an input [N, C, H, W] against a weight [O, C/groups, KH, KW] and return the output spatial
 * size. Every message names the argument, its shape and what was expected.
 */
function checkConv(op: string, xShape: number[], wShape: number[], a: ref.ConvGeometry, l: Labels): [number, number] {
  if (xShape.length !== 4) throw sgError(`${op}: ${l.x} must be 4-D [N, C, H, W]`, ShapeError);
  if (wShape.length !== 4) throw sgError(`${op}: ${l.w} must be 4-D [out_channels, in_channels / groups, KH, KW]`, ShapeError);
  const [, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const G = a.groups;
  if (C % G !== 0) throw sgError(`${op}: groups = ${G} does not divide the ${C} input channels of ${l.x}`);
  if (O % G !== 0) throw sgError(`${op}: groups = ${G} does not divide the ${O} output channels of ${l.w}`);
  if (Cg * G !== C) {
    throw sgError(`${op}: ${l.x} has ${C} channels but ${l.w} expects ${Cg} × groups ${G} = ${Cg * G} ` +
      '(weight is [out_channels, in_channels / groups, KH, KW])');
  }
  const OH = ref.convOutSize(H, KH, a.stride[0], a.padding[0], a.dilation[0]);
  const OW = ref.convOutSize(W, KW, a.stride[1], a.padding[1], a.dilation[1]);
  if (OH < 1 || OW < 1) {
    const eh = a.dilation[0] * (KH - 1) + 1;
    const ew = a.dilation[1] * (KW - 1) + 1;
    throw sgError(`${op}: kernel of ${l.w} (${eh}×${ew} with dilation ${a.dilation.join('×')}) is larger than ` +
      `the padded input ${H + 2 * a.padding[0]}×${W + 2 * a.padding[1]} of ${l.x} (padding ${a.padding.join('×')}): ` +
      `the output would be ${OH}×${OW}`);
  }
  return [OH, OW];
}

function checkF32(op: string, metas: Meta[], names: string[]): void {
  metas.forEach((m, i) => {
    if (m.dtype !== 'f32') throw sgError(`${op}: ${names[i]} ${fmtShape(m.shape)} must be f32, got ${m.dtype}`, ShapeError);
  });
}

// ---- encoding ---------------------------------------------------------------------------------------

function kernelParams(xShape: number[], wShape: number[], yShape: number[], a: ref.ConvGeometry) {
  const [N, C, H, W] = xShape;
  const [O, , KH, KW] = wShape;
  return {
    N, C, H, W, O, OH: yShape[2], OW: yShape[3], G: a.groups, KH, KW,
    SH: a.stride[0], SW: a.stride[1], PH: a.padding[0], PW: a.padding[1], DH: a.dilation[0], DW: a.dilation[1],
    split_rows: 0,
  };
}

/**
 * 'auto' takes the tiled implicit GEMM when a tile has reuse (several channels per group and taps)
 * on a hardware GPU. On a software adapter (SwiftShader) workgroup barriers are emulated and cost more
 * than the reuse saves (measured on MNIST-sized layers, direct was 3–14× faster there), so it takes
 * the register-blocked direct kernel when a group has 4 or more output channels to share each
 * input load, and the plain direct kernel otherwise (depthwise).
 */
export function pickConvVersion(a: ConvAttrs, wShape: number[]): Exclude<ConvVersion, 'auto'> {
  if (a.version !== 'auto') return a.version;
  const [O, Cg, KH, KW] = wShape;
  if (softwareRules()) return O / a.groups >= 4 ? 'blocked' : 'direct';
  return O / a.groups >= 8 && Cg * KH * KW >= 8 ? 'tiled' : 'direct';
}

function encodeForward(ctx: EncodeCtx, x: Meta, w: Meta, y: Meta, bind: Record<string, BufferRef>,
  hasBias: boolean, a: ConvAttrs, half?: HalfStorage): void {
  const total = numel(y.shape);
  if (total === 0) return;
  const params = kernelParams(x.shape, w.shape, y.shape, a);
  const yHalf = halfOut(half, 0);
  const flags = { X_HALF: halfIn(half, 0), W_HALF: halfIn(half, 1), BIAS_HALF: hasBias && halfIn(half, 2), Y_HALF: yHalf };
  const overrides = (k: KernelDef) => ({ HAS_BIAS: hasBias ? 1 : 0, ...halfOverrides(k, flags) });
  const max = ctx.limits.maxWorkgroupsPerDim;
  const version = pickConvVersion(a, w.shape);
  const fixed = (k: KernelDef) => ({ ...overrides(k), KH_FIXED: params.KH, KW_FIXED: params.KW });
  if (isGemm(version)) {
    const { tm, tn } = GEMM_VERSIONS[version];
    const ptiles = Math.ceil((params.N * params.OH * params.OW) / (16 * tn));
    const fold = Math.ceil(ptiles / max);
    ctx.dispatch(convKernels.forwardGemm, {
      bind, params, overrides: { ...fixed(convKernels.forwardGemm), ...tileOverrides(version) },
      grid: [Math.ceil(ptiles / fold), Math.ceil(params.O / a.groups / (16 * tm)), a.groups * fold],
    });
    return;
  }
  if (version === 'direct') {
    // f16 output: one thread per word (two elements).
    ctx.dispatch(convKernels.forward, {
      bind, params, overrides: fixed(convKernels.forward), grid: grid1d(yHalf ? Math.ceil(total / 2) : total, WG, max),
    });
    return;
  }
  if (version === 'blocked') {
    // One thread per 8 channels (of a group) × 8 output columns.
    const threads = params.N * a.groups * Math.ceil(params.O / a.groups / 8) * params.OH * Math.ceil(params.OW / 8);
    ctx.dispatch(convKernels.forwardBlocked, {
      bind, params, overrides: { ...fixed(convKernels.forwardBlocked), SW_FIXED: params.SW, DW_FIXED: params.DW }, grid: grid1d(threads, WG, max),
    });
    return;
  }
  // Tiled: x = position tiles, y = output-channel tiles of a group, z = group (× position folds).
  const ptiles = Math.ceil((params.N * params.OH * params.OW) / TILE);
  const fold = Math.ceil(ptiles / max);
  ctx.dispatch(convKernels.forwardTiled, {
    bind, params, overrides: overrides(convKernels.forwardTiled),
    grid: [Math.ceil(ptiles / fold), Math.ceil(params.O / a.groups / TILE), a.groups * fold],
  });
}

/** TM / TN of a gemm version, named only when not the default 4 (each set of constants is a pipeline). */
function tileOverrides(v: GemmVersion): Record<string, number> {
  const { tm, tn } = GEMM_VERSIONS[v];
  const o: Record<string, number> = {};
  if (tm !== 4) o.TM = tm;
  if (tn !== 4) o.TN = tn;
  return o;
}

/**
 * How conv2d_backward_weight_gemm cuts the P = N·OH·OW positions of its inner dimension: enough
 * slices that about 64 workgroups run (`tiles` of them per slice), none shorter than 64 positions,
 * each a multiple of 16 (the kernel's K step), and groups · slices within the grid limit.
 */
export function weightGemmSlices(P: number, tiles: number, groups: number, maxPerDim = 65535): { slices: number; perSlice: number } {
  const want = Math.max(1, Math.min(Math.ceil(64 / tiles), Math.ceil(P / 64), Math.floor(maxPerDim / groups)));
  const perSlice = Math.max(16, Math.ceil(Math.ceil(P / want) / 16) * 16);
  return { slices: Math.max(1, Math.ceil(P / perSlice)), perSlice };
}

/**
 * How conv2d_backward_weight_blocked slices the N·OH output rows: enough slices that about 2048
 * threads run (each thread is one 8×8 block of the weight gradient over one slice), never more
 * slices than rows.
 */
export function weightGradSlices(rows: number, blocks: number): { slices: number; rowsPerSlice: number } {
  if (rows === 0) return { slices: 0, rowsPerSlice: 1 };
  const want = Math.min(rows, Math.max(1, Math.ceil(2048 / blocks)));
  const rowsPerSlice = Math.ceil(rows / want);
  return { slices: Math.ceil(rows / rowsPerSlice), rowsPerSlice };
}

// ---- ops ---------------------------------------------------------------------------------------------

export const conv2dOp: OpDef<ConvAttrs> = defineOp<ConvAttrs>({
  name: 'conv2d',
  kernels: [convKernels.forward, convKernels.forwardBlocked, convKernels.forwardTiled, convKernels.forwardGemm],
  infer: (inputs, a) => {
    if (inputs.length !== 2 && inputs.length !== 3) throw sgError(`conv2d: expects 2 or 3 inputs, got ${inputs.length}`);
    const [x, w, b] = inputs;
    checkF32('conv2d', inputs, ['input', 'weight', 'bias']);
    const [OH, OW] = checkConv('conv2d', x.shape, w.shape, a, metaLabels(x.shape, w.shape));
    if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) {
      throw sgError(`conv2d: bias ${fmtShape(b.shape)} must be [${w.shape[0]}] (one per output channel)`, ShapeError);
    }
    return [{ shape: [x.shape[0], w.shape[0], OH, OW], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const hasBias = inputs.length === 3;
    // Without a bias the kernel does not read `bias`; w is bound there to fill the slot.
    const bind = { x: inputs[0], w: inputs[1], y: outputs[0], bias: hasBias ? inputs[2] : inputs[1] };
    encodeForward(ctx, inMeta[0], inMeta[1], outMeta[0], bind, hasBias, attrs, half);
  },
  // Every version reads x, w and bias and writes y as f16 (shaders/conv2d.wgsl: whole words for any shape).
  half: (inMeta) => ({ reads: inMeta.map(() => true), writes: [true] }),
  grad: ({ inputs: [x, w, b], dys: [dy], attrs }) => {
    if (!dy) return [null, null, null];
    const a = geometry(attrs);
    const dx = apply1(conv2dInputGradOp, [dy, w], { ...a, inputHW: [x.shape[2], x.shape[3]] });
    const dw = apply1(conv2dWeightGradOp, [x, dy], { ...a, kernelSize: [w.shape[2], w.shape[3]] });
    return b ? [dx, dw, sum(dy, [0, 2, 3])] : [dx, dw];
  },
  reference: ([x, w, b], a) => [ref.conv2dForward(x, w, b ?? null, a)],
  referenceBackward: ({ inputs: [x, w, b], dys: [dy], attrs }) =>
    (dy ? ref.conv2dBackward(x, w, b !== undefined, dy, attrs) : [null, null, null]),
  cost: (inputs, [y]) => {
    const w = inputs[1].shape;
    return {
      flops: 2 * numel(y.shape) * w[1] * w[2] * w[3],
      bytes: 4 * (inputs.reduce((s, m) => s + numel(m.shape), 0) + numel(y.shape)),
    };
  },
});

export const conv2dInputGradOp: OpDef<InputGradAttrs> = defineOp<InputGradAttrs>({
  name: 'conv2d_backward_input',
  kernels: [convKernels.backwardInput, convKernels.backwardInputBlocked, convKernels.backwardInputGemm],
  infer: ([dy, w], a) => {
    checkF32('conv2d_backward_input', [dy, w], ['dy', 'weight']);
    if (dy.shape.length !== 4) throw sgError(`conv2d_backward_input: dy ${fmtShape(dy.shape)} must be 4-D [N, O, OH, OW]`, ShapeError);
    if (w.shape.length !== 4) throw sgError(`conv2d_backward_input: weight ${fmtShape(w.shape)} must be 4-D [O, C/groups, KH, KW]`, ShapeError);
    if (dy.shape[1] !== w.shape[0]) {
      throw sgError(`conv2d_backward_input: dy ${fmtShape(dy.shape)} has ${dy.shape[1]} channels, ` +
        `weight ${fmtShape(w.shape)} has ${w.shape[0]} output channels`, ShapeError);
    }
    const xShape = [dy.shape[0], w.shape[1] * a.groups, ...a.inputHW];
    checkOutput('conv2d_backward_input', xShape, w.shape, dy.shape, a);
    return [{ shape: xShape, dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const total = numel(outMeta[0].shape);
    if (total === 0) return;
    const params = kernelParams(outMeta[0].shape, inMeta[1].shape, inMeta[0].shape, attrs);
    const dxHalf = halfOut(half, 0);
    const flags = { DY_HALF: halfIn(half, 0), W_HALF: halfIn(half, 1), DX_HALF: dxHalf };
    const fixed = (k: KernelDef) => ({ KH_FIXED: params.KH, KW_FIXED: params.KW, ...halfOverrides(k, flags) });
    const bind = { dx: outputs[0], w: inputs[1], dy: inputs[0] };
    const max = ctx.limits.maxWorkgroupsPerDim;
    // A gemm version (of the conv2d whose gradient this is) runs the implicit GEMM on its tiles.
    if (isGemm(attrs.version)) {
      const { tm, tn } = GEMM_VERSIONS[attrs.version];
      const qtiles = Math.ceil((params.N * params.H * params.W) / (16 * tn));
      const fold = Math.ceil(qtiles / max);
      ctx.dispatch(convKernels.backwardInputGemm, {
        bind, params, overrides: { ...fixed(convKernels.backwardInputGemm), ...tileOverrides(attrs.version) },
        grid: [Math.ceil(qtiles / fold), Math.ceil(params.C / params.G / (16 * tm)), params.G * fold],
      });
      return;
    }
    // On a software adapter, register blocks of 8 channels × 8 columns per thread (when a group has
    // 4 or more input channels to share each dy load); one thread per input element otherwise.
    if (softwareRules() && params.C / params.G >= 4) {
      const threads = params.N * params.G * Math.ceil(params.C / params.G / 8) * params.H * Math.ceil(params.W / 8);
      ctx.dispatch(convKernels.backwardInputBlocked, {
        bind, params, overrides: { ...fixed(convKernels.backwardInputBlocked), SW_FIXED: params.SW, DW_FIXED: params.DW },
        grid: grid1d(threads, WG, max),
      });
      return;
    }
    // f16 output: one thread per word (two elements).
    ctx.dispatch(convKernels.backwardInput, {
      bind, params, overrides: fixed(convKernels.backwardInput), grid: grid1d(dxHalf ? Math.ceil(total / 2) : total, WG, max),
    });
  },
  // Every kernel reads dy and w and writes dx as f16 (whole words for any shape).
  half: () => ({ reads: [true, true], writes: [true] }),
  grad: ({ inputs: [dy, w], dys: [g], attrs }) => {
    if (!g) return [null, null];
    const a = geometry(attrs);
    return [
      apply1(conv2dOp, [g, w], a),
      apply1(conv2dWeightGradOp, [g, dy], { ...a, kernelSize: [w.shape[2], w.shape[3]] }),
    ];
  },
  reference: ([dy, w], a) => [ref.conv2dInputGrad(dy, w, [dy.shape[0], w.shape[1] * a.groups, ...a.inputHW], a)],
  referenceBackward: ({ inputs: [dy, w], dys: [g], attrs }) => (g ? ref.conv2dInputGradBackward(dy, w, g, attrs) : [null, null]),
  cost: ([dy, w], [dx]) => ({
    flops: 2 * numel(dy.shape) * w.shape[1] * w.shape[2] * w.shape[3],
    bytes: 4 * (numel(dy.shape) + numel(w.shape) + numel(dx.shape)),
  }),
});

export const conv2dWeightGradOp: OpDef<WeightGradAttrs> = defineOp<WeightGradAttrs>({
  name: 'conv2d_backward_weight',
  kernels: [convKernels.backwardWeight, convKernels.backwardWeightBlocked, convKernels.backwardWeightGemm, matmulKernels.splitkReduce],
  infer: ([x, dy], a) => {
    checkF32('conv2d_backward_weight', [x, dy], ['input', 'dy']);
    if (x.shape.length !== 4) throw sgError(`conv2d_backward_weight: input ${fmtShape(x.shape)} must be 4-D [N, C, H, W]`, ShapeError);
    if (dy.shape.length !== 4) throw sgError(`conv2d_backward_weight: dy ${fmtShape(dy.shape)} must be 4-D [N, O, OH, OW]`, ShapeError);
    if (x.shape[0] !== dy.shape[0]) {
      throw sgError(`conv2d_backward_weight: input ${fmtShape(x.shape)} and dy ${fmtShape(dy.shape)} have different batch sizes`, ShapeError);
    }
    if (x.shape[1] % a.groups !== 0) {
      throw sgError(`conv2d_backward_weight: groups = ${a.groups} does not divide the ${x.shape[1]} channels of input ${fmtShape(x.shape)}`, ShapeError);
    }
    const wShape = [dy.shape[1], x.shape[1] / a.groups, ...a.kernelSize];
    checkOutput('conv2d_backward_weight', x.shape, wShape, dy.shape, a);
    return [{ shape: wShape, dtype: 'f32' }];
  },
  // On a software adapter: the register-blocked kernel over slices of the output rows, then the
  // split-K reduction of matmul.wgsl over the slices (weightGradSlices). Otherwise one workgroup per
  // weight element.
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs, half }) => {
    const total = numel(outMeta[0].shape);
    if (total === 0) return;
    if (halfOut(half, 0)) throw sgError('conv2d_backward_weight: dw is written as f32 only (its half rule says so)');
    const params = kernelParams(inMeta[0].shape, outMeta[0].shape, inMeta[1].shape, attrs);
    const max = ctx.limits.maxWorkgroupsPerDim;
    const flags = { X_HALF: halfIn(half, 0), DY_HALF: halfIn(half, 1) };
    if (isGemm(attrs.version)) {
      // Implicit GEMM over slices of the positions, then the split-K reduction over the slices.
      const { tm, tn } = GEMM_VERSIONS[attrs.version];
      const { O, C, G, KH, KW, N, OH, OW } = params;
      const Kg = (C / G) * KH * KW;
      const [gx, gy] = [Math.ceil(Kg / (16 * tn)), Math.ceil(O / G / (16 * tm))];
      const { slices, perSlice } = weightGemmSlices(N * OH * OW, G * gx * gy, G, max);
      const parts = ctx.scratch(slices * total * 4);
      ctx.dispatch(convKernels.backwardWeightGemm, {
        bind: { x: inputs[0], dw: parts, dy: inputs[1] }, params: { ...params, split_rows: perSlice },
        overrides: { KH_FIXED: KH, KW_FIXED: KW, ...tileOverrides(attrs.version), ...halfOverrides(convKernels.backwardWeightGemm, flags) },
        grid: [gx, gy, G * slices],
      });
      ctx.dispatch(matmulKernels.splitkReduce, { bind: { parts, Csum: outputs[0] }, params: { MN: total, splits: slices }, grid: [...grid1d(total, 256, max), 1] });
      return;
    }
    if (!softwareRules()) {
      ctx.dispatch(convKernels.backwardWeight, {
        bind: { x: inputs[0], dw: outputs[0], dy: inputs[1] }, params, overrides: halfOverrides(convKernels.backwardWeight, flags),
        grid: grid1d(total, 1, max),
      });
      return;
    }
    const { O, C, G, KH, KW, N, OH } = params;
    const blocks = G * Math.ceil(O / G / 8) * Math.ceil((C / G) * KH * KW / 8);
    const { slices, rowsPerSlice } = weightGradSlices(N * OH, blocks);
    const parts = ctx.scratch(Math.max(4, slices * total * 4));
    ctx.dispatch(convKernels.backwardWeightBlocked, {
      bind: { x: inputs[0], dw: parts, dy: inputs[1] }, params: { ...params, split_rows: rowsPerSlice },
      overrides: halfOverrides(convKernels.backwardWeightBlocked, flags), grid: grid1d(slices * blocks, WG, max),
    });
    ctx.dispatch(matmulKernels.splitkReduce, { bind: { parts, Csum: outputs[0] }, params: { MN: total, splits: slices }, grid: [...grid1d(total, 256, max), 1] });
  },
  // x and dy are read as f16 by every kernel; dw (partial sums and final, through matmul_splitk_reduce
  // or written per element) stays f32: it is a gradient for the f32 arena.
  half: () => ({ reads: [true, true], writes: [false] }),
  grad: ({ inputs: [x, dy], dys: [g], attrs }) => {
    if (!g) return [null, null];
    const a = geometry(attrs);
    return [
      apply1(conv2dInputGradOp, [dy, g], { ...a, inputHW: [x.shape[2], x.shape[3]] }),
      apply1(conv2dOp, [x, g], a),
    ];
  },
  reference: ([x, dy], a) => [ref.conv2dWeightGrad(x, dy, [dy.shape[1], x.shape[1] / a.groups, ...a.kernelSize], a)],
  referenceBackward: ({ inputs: [x, dy], dys: [g], attrs }) => (g ? ref.conv2dWeightGradBackward(x, dy, g, attrs) : [null, null]),
  cost: ([x, dy], [dw]) => ({
    flops: 2 * numel(dy.shape) * dw.shape[1] * dw.shape[2] * dw.shape[3],
    bytes: 4 * (numel(x.shape) + numel(dy.shape) + numel(dw.shape)),
  }),
});

/** The gradient ops receive dy: check that it is the conv output of these shapes. */
function checkOutput(op: string, xShape: number[], wShape: number[], dyShape: number[], a: ref.ConvGeometry): void {
  const [OH, OW] = checkConv(op, xShape, wShape, a, metaLabels(xShape, wShape));
  const want = [xShape[0], wShape[0], OH, OW];
  if (want.some((d, i) => d !== dyShape[i])) {
    throw sgError(`${op}: dy ${fmtShape(dyShape)} is not the output shape ${fmtShape(want)} of a convolution ` +
      `of input ${fmtShape(xShape)} with weight ${fmtShape(wShape)}`, ShapeError);
  }
}

// ---- public functions ----------------------------------------------------------------------------------

function requireTensor(t: unknown, op: string, name: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw sgError(`${op}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

function requireF32(t: Tensor, op: string, name: string): void {
  if (t.dtype !== 'f32') throw sgError(`${op}: ${name} ${t.describe()} must be f32`, ShapeError);
}

/**
 * 2-D convolution, as torch.nn.functional.conv2d: `input` [N, C, H, W] (or unbatched [C, H, W]),
 * `weight` [O, C/groups, KH, KW], optional `bias` [O]. Output [N, O, OH, OW] with
 * OH = ⌊(H + 2·padding − dilation·(KH − 1) − 1) / stride⌋ + 1 (likewise OW); padding 'same' gives
 * OH = H, OW = W (stride 1), 'valid' no padding.
 * `conv2d(x, w, options)` (no bias) is accepted too.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null | Conv2dOptions, options: Conv2dOptions = {}): Tensor {
  if (bias !== undefined && bias !== null && !(bias instanceof Tensor)) {
    options = bias;
    bias = null;
  }
  const op = 'conv2d';
  checkOptions(op, options, CONV2D_OP_KEYS);
  requireTensor(input, op, 'input');
  requireTensor(weight, op, 'weight');
  // padding 'same' → symmetric padding ⌊total/2⌋ per side, plus one row/column of zeros at the
  // bottom/right (an explicit pad) where the total dilation·(K − 1) is odd, as torch does.
  let extra: [number, number] = [0, 0];
  if (options.padding === 'same') {
    const stride = pair(options.stride ?? 1, 'stride', 1, op);
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw sgError(`${op}: padding 'same' needs stride 1, got stride ${fmtShape(stride)} (as torch: padding='same' is not supported for strided convolutions)`);
    }
    if (weight.rank !== 4) throw sgError(`${op}: weight ${weight.describe()} must be 4-D [out_channels, in_channels / groups, KH, KW]`, ShapeError);
    const dilation = pair(options.dilation ?? 1, 'dilation', 1, op);
    const total = [dilation[0] * (weight.shape[2] - 1), dilation[1] * (weight.shape[3] - 1)];
    extra = [total[0] % 2, total[1] % 2];
    options = { ...options, padding: [Math.floor(total[0] / 2), Math.floor(total[1] / 2)] };
  }
  const attrs = convAttrs(options, op);
  requireF32(input, op, 'input');
  requireF32(weight, op, 'weight');
  if (input.rank !== 3 && input.rank !== 4) {
    throw sgError(`${op}: input ${input.describe()} must be 4-D [N, C, H, W] or 3-D [C, H, W]`, ShapeError);
  }
  const unbatched = input.rank === 3;
  let x = unbatched ? reshape(input, [1, ...input.shape]) : input;
  if (extra[0] || extra[1]) x = pad(x, [0, extra[1], 0, extra[0]]);
  checkConv(op, x.shape, weight.shape, attrs, { x: `input ${input.describe()}`, w: `weight ${weight.describe()}` });
  const inputs = [x, weight];
  if (bias) {
    requireTensor(bias, op, 'bias');
    requireF32(bias, op, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw sgError(`${op}: bias ${bias.describe()} must be [${weight.shape[0]}], one value per output channel of weight ${weight.describe()}`, ShapeError);
    }
    inputs.push(bias);
  }
  const y = apply1(conv2dOp, inputs, attrs);
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}

/**
 * The gradient of conv2d with respect to its input (torch.nn.grad.conv2d_input): `dy` [N, O, OH, OW]
 * and `weight` [O, C/groups, KH, KW] give dx of shape `inputShape` [N, C, H, W].
 */
export function conv2dBackwardInput(dy: Tensor, weight: Tensor, inputShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardInput';
  requireTensor(dy, op, 'dy');
  requireTensor(weight, op, 'weight');
  const attrs = convAttrs(options, op);
  if (inputShape.length !== 4) throw sgError(`${op}: inputShape ${fmtShape([...inputShape])} must be [N, C, H, W]`);
  const [OH, OW] = checkConv(op, [...inputShape], weight.shape, attrs, { x: `inputShape ${fmtShape([...inputShape])}`, w: `weight ${weight.describe()}` });
  const want = [inputShape[0], weight.shape[0], OH, OW];
  if (dy.rank !== 4 || want.some((d, i) => d !== dy.shape[i])) {
    throw sgError(`${op}: dy ${dy.describe()} must be ${fmtShape(want)}, the conv2d output for inputShape ` +
      `${fmtShape([...inputShape])} and weight ${weight.describe()}`);
  }
  return apply1(conv2dInputGradOp, [dy, weight], { ...attrs, inputHW: [inputShape[2], inputShape[3]] });
}

/**
 * The gradient of conv2d with respect to its weight (torch.nn.grad.conv2d_weight): `input`
 * [N, C, H, W] and `dy` [N, O, OH, OW] give dw of shape `weightShape` [O, C/groups, KH, KW].
 */
export function conv2dBackwardWeight(input: Tensor, dy: Tensor, weightShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  requireTensor(input, op, 'input');
  requireTensor(dy, op, 'dy');
  const attrs = convAttrs(options, op);
  if (weightShape.length !== 4) throw sgError(`${op}: weightShape ${fmtShape([...weightShape])} must be [O, C/groups, KH, KW]`);
  const [OH, OW] = checkConv(op, input.shape, [...weightShape], attrs, { x: `input ${input.describe()}`, w: `weightShape ${fmtShape([...weightShape])}` });
  const want = [input.shape[0], weightShape[0], OH, OW];
  if (dy.rank !== 4 || want.some((d, i) => d !== dy.shape[i])) {
    throw sgError(`${op}: dy ${dy.describe()} must be ${fmtShape(want)}, the conv2d output for input ` +
      `${input.describe()} and weightShape ${fmtShape([...weightShape])}`);
  }
  return apply1(conv2dWeightGradOp, [input, dy], { ...attrs, kernelSize: [weightShape[2], weightShape[3]] });
}
