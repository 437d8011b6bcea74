// Int8 inference ops of post-training quantisation (sg.quantize, src/nn/quantize.ts):
//
//   quantize_packed   x [N, C, H, W] f32 → codes [N, H, W, G·C4] i32: the per-tensor affine codes of x
//                     (quint8 or qint8, torch.quantize_per_tensor's rounding), stored as signed bytes
//                     q − shift, 4 channels of a group per word (C4 = ⌈C / G / 4⌉ words per group)
//   qlinear           (codes [M, K4], weight codes [O, K4], outScale [O], bias [O], wsum [O]) → y [M, O] f32
//   qconv2d           (codes [N, H, W, G·C4], weight codes [O, KH, KW, C4], outScale, bias, wsum) → y [N, O, OH, OW]
// with exact i32 sums of (x_q − zero_point)·w_q = Σ s·w_q − x_zero·wsum[o] (wsum[o] = Σ of w[o]'s codes,
// i32) and y = f32(acc)·outScale[o] + bias[o], outScale[o] = f32(scale_x · scale_w[o]). Two versions of the layers: 'dot4' (WGSL's dot4I8Packed, shaders/quant_dot4.wgsl,
// where the instance has the language feature packed_4x8_integer_dot_product) and 'unpack' (portable:
// extractBits and four multiplies, shaders/quant.wgsl). Inference only: no gradients (integer codes).
// Kernels: shaders/quant.wgsl, shaders/quant_dot4.wgsl. Reference: src/reference/quant.ts.

import { wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { wgslLanguageFeature } from '../gpu/device.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/quant.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, type Meta } from '../util/shape.js';
import { grid1d, type EncodeCtx, type BufferRef } from '../gpu/dispatch.js';
import { sgError, ShapeError } from '../util/errors.js';

/** The WGSL language feature of the packed dot-product builtins (dot4I8Packed, dot4U8Packed). */
export const PACKED_DOT_FEATURE = 'packed_4x8_integer_dot_product';

export type QuantDotVersion = 'dot4' | 'unpack';

export const quantKernels = {
  quantize: wgslKernel('quantize_packed'),
  linearUnpack: wgslKernel('qlinear_forward'),
  conv2dUnpack: wgslKernel('qconv2d_forward'),
  linearDot4: wgslKernel('qlinear_dot4'),
  conv2dDot4: wgslKernel('qconv2d_dot4'),
  linearBlockedUnpack: wgslKernel('qlinear_blocked'),
  linearBlockedDot4: wgslKernel('qlinear_blocked_dot4'),
  conv2dBlockedUnpack: wgslKernel('qconv2d_blocked'),
  conv2dBlockedDot4: wgslKernel('qconv2d_blocked_dot4'),
};

/**
 * The int8 layers' kernels: 'direct' (one output per thread) or 'blocked' (a register block per thread:
 * 4 rows × 4 outputs of a linear layer, 4 channels × 4 columns of a convolution).
 */
export type QuantKernel = 'direct' | 'blocked';

/** The register block's side (QB in common/quant_layers.wgsl). */
const QB = 4;

/** 'dot4' where the device's WGSL has packed_4x8_integer_dot_product, 'unpack' elsewhere. */
export function defaultQuantDot(): QuantDotVersion {
  return wgslLanguageFeature(PACKED_DOT_FEATURE) ? 'dot4' : 'unpack';
}

/** Check a requested version; 'dot4' on an adapter without the feature is an error naming it. */
export function resolveQuantDot(version: 'auto' | QuantDotVersion | undefined, where: string): QuantDotVersion {
  const v = version ?? 'auto';
  if (v === 'auto') return defaultQuantDot();
  if (v !== 'dot4' && v !== 'unpack') throw sgError(`${where}: dot must be 'auto', 'dot4' or 'unpack', got ${JSON.stringify(version)}`);
  if (v === 'dot4' && !wgslLanguageFeature(PACKED_DOT_FEATURE)) {
    throw sgError(`${where}: dot 'dot4' needs the WGSL language feature '${PACKED_DOT_FEATURE}', which this device's ` +
      "WGSL compiler does not list in wgslLanguageFeatures; use 'unpack' or 'auto'");
  }
  return v;
}

const WG = 64;

function run(ctx: EncodeCtx, kernel: KernelDef, threads: number, bind: Record<string, BufferRef>, params: Record<string, number>): void {
  if (threads === 0) return;
  ctx.dispatch(kernel, { bind, params, grid: grid1d(threads, WG, ctx.limits.maxWorkgroupsPerDim) });
}

function requireMeta(op: string, m: Meta, what: string, dtype: 'f32' | 'i32', rank: number): void {
  if (m.dtype !== dtype) throw sgError(`${op}: ${what} ${fmtShape(m.shape)} must be ${dtype}, got ${m.dtype}`, ShapeError);
  if (m.shape.length !== rank) throw sgError(`${op}: ${what} ${fmtShape(m.shape)} must be ${rank}-D`, ShapeError);
}

const noGrad = { none: 'int8 inference (sg.quantize): integer codes have no gradient' };

// ---- quantise ------------------------------------------------------------------------------------------

export const quantizePackedOp: OpDef<ref.QuantizePackedAttrs> = defineOp<ref.QuantizePackedAttrs>({
  name: 'quantize_packed',
  kernels: [quantKernels.quantize],
  infer: ([x], a) => {
    requireMeta('quantize_packed', x, 'input', 'f32', 4);
    const [N, C, H, W] = x.shape;
    if (C % a.groups) throw sgError(`quantize_packed: groups ${a.groups} must divide the ${C} channels of input ${fmtShape(x.shape)}`, ShapeError);
    return [{ shape: [N, H, W, a.groups * Math.ceil(C / a.groups / 4)], dtype: 'i32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs }) => {
    const [N, C, H, W] = inMeta[0].shape;
    const [qmin, qmax] = ref.qrange(attrs.dtype);
    const CG = C / attrs.groups;
    run(ctx, quantKernels.quantize, numel(outMeta[0].shape), { x: inputs[0], codes: outputs[0] }, {
      N, C, HW: H * W, G: attrs.groups, CG, C4: Math.ceil(CG / 4), inv_scale: ref.inverseScale(attrs.scale),
      zero_point: attrs.zeroPoint, qmin, qmax, shift: ref.codeShift(attrs.dtype),
    });
  },
  grad: noGrad,
  reference: ([x], a) => [ref.quantizePacked(x, a)],
  referenceBackward: noGrad,
  cost: ([x], [y]) => ({ flops: 3 * numel(x.shape), bytes: 4 * (numel(x.shape) + numel(y.shape)) }),
});

// ---- int8 linear -----------------------------------------------------------------------------------------

export interface QLinearAttrs {
  /** The activations' zero point minus the code shift (128 for quint8, 0 for qint8). */
  xZero: number;
  version: QuantDotVersion;
  kernel: QuantKernel;
}

function checkScaleBias(op: string, outScale: Meta, bias: Meta, wsum: Meta, O: number): void {
  for (const [m, what, dtype] of [[outScale, 'outScale', 'f32'], [bias, 'bias', 'f32'], [wsum, 'wsum', 'i32']] as const) {
    requireMeta(op, m, what, dtype, 1);
    if (m.shape[0] !== O) throw sgError(`${op}: ${what} ${fmtShape(m.shape)} must be [${O}] (one per output channel)`, ShapeError);
  }
}

export const qlinearOp: OpDef<QLinearAttrs> = defineOp<QLinearAttrs>({
  name: 'qlinear',
  kernels: [quantKernels.linearUnpack, quantKernels.linearDot4, quantKernels.linearBlockedUnpack, quantKernels.linearBlockedDot4],
  infer: ([xq, wq, outScale, bias, wsum]) => {
    requireMeta('qlinear', xq, 'input codes', 'i32', 2);
    requireMeta('qlinear', wq, 'weight codes', 'i32', 2);
    if (xq.shape[1] !== wq.shape[1]) {
      throw sgError(`qlinear: input codes ${fmtShape(xq.shape)} and weight codes ${fmtShape(wq.shape)} must have the same words per row`, ShapeError);
    }
    checkScaleBias('qlinear', outScale, bias, wsum, wq.shape[0]);
    return [{ shape: [xq.shape[0], wq.shape[0]], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs }) => {
    const [M, K4] = inMeta[0].shape;
    const O = inMeta[1].shape[0];
    const blocked = attrs.kernel === 'blocked';
    const kernel = blocked
      ? (attrs.version === 'dot4' ? quantKernels.linearBlockedDot4 : quantKernels.linearBlockedUnpack)
      : (attrs.version === 'dot4' ? quantKernels.linearDot4 : quantKernels.linearUnpack);
    run(ctx, kernel, blocked ? Math.ceil(M / QB) * Math.ceil(O / QB) : numel(outMeta[0].shape),
      { xq: inputs[0], wq: inputs[1], out_scale: inputs[2], bias: inputs[3], wsum: inputs[4], y: outputs[0] },
      { M, O, K4, x_zero: attrs.xZero });
  },
  grad: noGrad,
  reference: ([xq, wq, s, b], a) => [ref.qlinear(xq, wq, s, b, a.xZero)],
  referenceBackward: noGrad,
  cost: ([xq, wq], [y]) => ({ flops: 2 * 4 * numel(y.shape) * xq.shape[1], bytes: 4 * (numel(xq.shape) + numel(wq.shape) + numel(y.shape)) }),
});

// ---- int8 convolution ------------------------------------------------------------------------------------

export interface QConv2dAttrs extends ref.QConvAttrs {
  version: QuantDotVersion;
  kernel: QuantKernel;
}

export const qconv2dOp: OpDef<QConv2dAttrs> = defineOp<QConv2dAttrs>({
  name: 'qconv2d',
  kernels: [quantKernels.conv2dUnpack, quantKernels.conv2dDot4, quantKernels.conv2dBlockedUnpack, quantKernels.conv2dBlockedDot4],
  infer: ([xq, wq, outScale, bias, wsum], a) => {
    requireMeta('qconv2d', xq, 'input codes', 'i32', 4);
    requireMeta('qconv2d', wq, 'weight codes', 'i32', 4);
    const [N, H, W, words] = xq.shape;
    const [O, , , C4] = wq.shape;
    if (words !== a.groups * C4 || O % a.groups || H !== a.inputHW[0] || W !== a.inputHW[1]) {
      throw sgError(`qconv2d: input codes ${fmtShape(xq.shape)} do not fit weight codes ${fmtShape(wq.shape)} ` +
        `with ${a.groups} group(s) and an input plane ${fmtShape(a.inputHW)}`, ShapeError);
    }
    checkScaleBias('qconv2d', outScale, bias, wsum, O);
    return [{ shape: [N, O, ...a.outputHW], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs }) => {
    const [N, H, W] = inMeta[0].shape;
    const [O, KH, KW, C4] = inMeta[1].shape;
    const [OH, OW] = attrs.outputHW;
    const blocked = attrs.kernel === 'blocked';
    const kernel = blocked
      ? (attrs.version === 'dot4' ? quantKernels.conv2dBlockedDot4 : quantKernels.conv2dBlockedUnpack)
      : (attrs.version === 'dot4' ? quantKernels.conv2dDot4 : quantKernels.conv2dUnpack);
    const G = attrs.groups;
    const threads = blocked ? N * G * Math.ceil(O / G / QB) * OH * Math.ceil(OW / QB) : numel(outMeta[0].shape);
    run(ctx, kernel, threads,
      { xq: inputs[0], wq: inputs[1], out_scale: inputs[2], bias: inputs[3], wsum: inputs[4], y: outputs[0] }, {
        N, O, H, W, OH: attrs.outputHW[0], OW: attrs.outputHW[1], KH, KW,
        SH: attrs.stride[0], SW: attrs.stride[1], PH: attrs.padding[0], PW: attrs.padding[1],
        DH: attrs.dilation[0], DW: attrs.dilation[1], G: attrs.groups, OG: O / attrs.groups, C4, x_zero: attrs.xZero,
        x_zero4: ref.packWord(attrs.xZero, attrs.xZero, attrs.xZero, attrs.xZero) >>> 0,
      });
  },
  grad: noGrad,
  reference: ([xq, wq, s, b], a) => [ref.qconv2d(xq, wq, s, b, a)],
  referenceBackward: noGrad,
  cost: ([xq, wq], [y]) => ({
    flops: 2 * numel(y.shape) * wq.shape[1] * wq.shape[2] * wq.shape[3] * 4,
    bytes: 4 * (numel(xq.shape) + numel(wq.shape) + numel(y.shape)),
  }),
});

// ---- functions ---------------------------------------------------------------------------------------------

/** Packed codes of x [N, C, H, W] (see quantize_packed). */
export function quantizePacked(x: Tensor, attrs: ref.QuantizePackedAttrs): Tensor {
  return apply1(quantizePackedOp, [x], attrs);
}

/** The layers' per-output-channel tensors: (scale_x · scale_w[o]) f32, bias f32, Σ of w[o]'s codes i32. */
export interface QuantLayerTensors {
  outScale: Tensor;
  bias: Tensor;
  wsum: Tensor;
}

export function qlinear(xq: Tensor, wq: Tensor, t: QuantLayerTensors, attrs: QLinearAttrs): Tensor {
  return apply1(qlinearOp, [xq, wq, t.outScale, t.bias, t.wsum], attrs);
}

export function qconv2d(xq: Tensor, wq: Tensor, t: QuantLayerTensors, attrs: QConv2dAttrs): Tensor {
  return apply1(qconv2dOp, [xq, wq, t.outScale, t.bias, t.wsum], attrs);
}
