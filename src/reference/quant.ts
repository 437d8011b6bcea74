// CPU reference for post-training int8 quantisation (sg.quantize), written from PyTorch's definitions:
//
//   quantise    q = clamp(round(x · (1 / scale)) + zero_point, qmin, qmax)   (torch.quantize_per_tensor /
//               quantize_per_channel: the product with the f32 inverse scale is an f32, round() is
//               round-half-to-even, std::nearbyint)
//   dequantise  x̂ = (q − zero_point) · scale
//   MinMaxObserver.calculate_qparams (per_tensor_affine): the range [min, max] widened to contain 0,
//               scale = max((max − min) / (qmax − qmin), eps), zero_point = clamp(qmin − round(min / scale)),
//               all in f32 as torch computes them (eps = torch.finfo(float32).eps)
//   weights     per output channel, symmetric: scale_o = max(max|w_o| / 127, eps), zero point 0, codes in
//               [−127, 127] (PerChannelMinMaxObserver with quant_min −127, quant_max 127)
//
// The fake-quant forward (quantise → dequantise → the f32 layer, in float64) is what the int8 kernels
// must equal: their integer sums are exact, and only the final f32 scale multiply rounds. The op
// references of src/ops/quant.ts (packed codes in, as the kernels take them) are here too.

import { type HostTensor, host } from './host.js';
import { conv2dForward, type ConvGeometry } from './conv.js';

/** torch.finfo(torch.float32).eps, the observers' default lower bound of a scale. */
export const F32_EPS = 2 ** -23;

export type QuantDtype = 'quint8' | 'qint8';

/** The code range of an activation dtype: quint8 0..255, qint8 −128..127 (MinMaxObserver's defaults). */
export function qrange(dtype: QuantDtype): [number, number] {
  return dtype === 'quint8' ? [0, 255] : [-128, 127];
}

/** Round half to even (std::nearbyint, torch.round). */
export function roundHalfEven(t: number): number {
  const r = Math.round(t); // half rounds up
  return r - t === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The f32 inverse of an f32 scale, as torch computes it (1.0f / scale). */
export function inverseScale(scale: number): number {
  return Math.fround(1 / Math.fround(scale));
}

/** One value's code: clamp(round(f32(x · inv)) + zp, qmin, qmax). */
export function quantizeValue(x: number, invScale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = roundHalfEven(Math.fround(x * invScale)) + zeroPoint;
  return Math.min(qmax, Math.max(qmin, q));
}

/** MinMaxObserver's calculate_qparams for a per-tensor affine observer that saw values in [min, max]. */
export function minMaxQParams(min: number, max: number, dtype: QuantDtype): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = qrange(dtype);
  const minNeg = Math.fround(Math.min(min, 0));
  const maxPos = Math.fround(Math.max(max, 0));
  let scale = Math.fround(Math.fround(maxPos - minNeg) / (qmax - qmin));
  scale = Math.max(scale, Math.fround(F32_EPS));
  const zeroPoint = Math.min(qmax, Math.max(qmin, qmin - roundHalfEven(Math.fround(minNeg / scale))));
  return { scale, zeroPoint };
}

/**
 * Per-output-channel symmetric int8 quantisation of a weight whose first dimension is the `O` output
 * channels: scales (f32, max|w_o| / 127, at least eps) and codes in [−127, 127] (zero points are 0).
 */
export function quantizeWeightPerChannel(w: ArrayLike<number>, O: number): { scale: Float32Array; codes: Int8Array } {
  const per = w.length / O;
  const scale = new Float32Array(O);
  const codes = new Int8Array(w.length);
  for (let o = 0; o < O; o++) {
    let amax = 0;
    for (let i = o * per; i < (o + 1) * per; i++) amax = Math.max(amax, Math.abs(w[i]));
    const s = Math.max(Math.fround(Math.fround(amax) / 127), Math.fround(F32_EPS));
    scale[o] = s;
    const inv = inverseScale(s);
    for (let i = o * per; i < (o + 1) * per; i++) codes[i] = quantizeValue(w[i], inv, 0, -127, 127);
  }
  return { scale, codes };
}

/** Activation quantisation parameters of one layer input. */
export interface ActivationQParams {
  scale: number;
  zeroPoint: number;
  dtype: QuantDtype;
}

/** x quantised and dequantised (float64): (q − zp) · scale. */
export function fakeQuantize(x: ArrayLike<number>, a: ActivationQParams): Float64Array {
  const [qmin, qmax] = qrange(a.dtype);
  const inv = inverseScale(a.scale);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (quantizeValue(x[i], inv, a.zeroPoint, qmin, qmax) - a.zeroPoint) * a.scale;
  return out;
}

function dequantWeight(codes: ArrayLike<number>, scale: ArrayLike<number>, shape: number[]): HostTensor {
  const per = codes.length / shape[0];
  const w = host(shape);
  for (let i = 0; i < codes.length; i++) w.data[i] = codes[i] * scale[Math.floor(i / per)];
  return w;
}

/** The fake-quant linear layer: y = dequant(quant(x)) · dequant(W)ᵀ + b, x [..., K], W codes [O, K]. */
export function fakeQuantLinear(x: HostTensor, codes: ArrayLike<number>, scale: ArrayLike<number>, bias: ArrayLike<number> | null,
  a: ActivationQParams): HostTensor {
  const K = x.shape[x.shape.length - 1];
  const O = scale.length;
  const M = x.data.length / K;
  const xd = fakeQuantize(x.data, a);
  const w = dequantWeight(codes, scale, [O, K]);
  const y = host([...x.shape.slice(0, -1), O]);
  for (let m = 0; m < M; m++) {
    for (let o = 0; o < O; o++) {
      let s = bias ? bias[o] : 0;
      for (let k = 0; k < K; k++) s += xd[m * K + k] * w.data[o * K + k];
      y.data[m * O + o] = s;
    }
  }
  return y;
}

/** The fake-quant convolution: conv2d(dequant(quant(x)), dequant(W)) + b, W codes [O, C / groups, KH, KW]. */
export function fakeQuantConv2d(x: HostTensor, codes: ArrayLike<number>, wShape: number[], scale: ArrayLike<number>,
  bias: ArrayLike<number> | null, a: ActivationQParams, g: ConvGeometry): HostTensor {
  const xd = host(x.shape, fakeQuantize(x.data, a));
  return conv2dForward(xd, dequantWeight(codes, scale, wShape), bias ? host([scale.length], bias) : null, g);
}

// ---- the op references: packed codes, as the kernels take them ----------------------------------------

/** Byte k (0..3) of a packed word, as a signed value. */
export function byteOf(word: number, k: number): number {
  return ((word << (24 - 8 * k)) >> 24);
}

/** Pack signed bytes, 4 per word (byte k in bits 8k .. 8k + 7), as an i32. */
export function packWord(b0: number, b1: number, b2: number, b3: number): number {
  return ((b0 & 0xff) | ((b1 & 0xff) << 8) | ((b2 & 0xff) << 16) | ((b3 & 0xff) << 24)) | 0;
}

/** Where the activations' codes are shifted to signed bytes: q − 128 for quint8, q for qint8. */
export function codeShift(dtype: QuantDtype): number {
  return dtype === 'quint8' ? 128 : 0;
}

export interface QuantizePackedAttrs {
  scale: number;
  zeroPoint: number;
  dtype: QuantDtype;
  groups: number;
}

/** x [N, C, H, W] → packed signed codes [N, H, W, G·C4] (4 channels of a group per word, q − shift). */
export function quantizePacked(x: HostTensor, a: QuantizePackedAttrs): HostTensor {
  const [N, C, H, W] = x.shape;
  const G = a.groups;
  const CG = C / G;
  const C4 = Math.ceil(CG / 4);
  const [qmin, qmax] = qrange(a.dtype);
  const inv = inverseScale(a.scale);
  const shift = codeShift(a.dtype);
  const y = host([N, H, W, G * C4]);
  let i = 0;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < H * W; p++) {
      for (let g = 0; g < G; g++) {
        for (let j = 0; j < C4; j++) {
          const b = [0, 0, 0, 0];
          for (let k = 0; k < 4 && 4 * j + k < CG; k++) {
            const c = g * CG + 4 * j + k;
            b[k] = quantizeValue(x.data[(n * C + c) * H * W + p], inv, a.zeroPoint, qmin, qmax) - shift;
          }
          y.data[i++] = packWord(b[0], b[1], b[2], b[3]);
        }
      }
    }
  }
  return y;
}

/** The int8 linear layer on packed codes: y[m, o] = (Σ (s − xZero)·w) · outScale[o] + bias[o]. */
export function qlinear(xq: HostTensor, wq: HostTensor, outScale: HostTensor, bias: HostTensor, xZero: number): HostTensor {
  const [M, K4] = xq.shape;
  const O = wq.shape[0];
  const y = host([M, O]);
  for (let m = 0; m < M; m++) {
    for (let o = 0; o < O; o++) {
      let acc = 0;
      for (let j = 0; j < K4; j++) {
        for (let k = 0; k < 4; k++) {
          const w = byteOf(wq.data[o * K4 + j], k);
          acc += (byteOf(xq.data[m * K4 + j], k) - xZero) * w;
        }
      }
      y.data[m * O + o] = acc * outScale.data[o] + bias.data[o];
    }
  }
  return y;
}

export interface QConvAttrs extends ConvGeometry {
  xZero: number;
  /** Input [H, W] and output [OH, OW] planes. */
  inputHW: [number, number];
  outputHW: [number, number];
}

/** The int8 direct convolution on packed codes: xq [N, H, W, G·C4], wq [O, KH, KW, C4] → y [N, O, OH, OW]. */
export function qconv2d(xq: HostTensor, wq: HostTensor, outScale: HostTensor, bias: HostTensor, a: QConvAttrs): HostTensor {
  const [N, H, W, words] = xq.shape;
  const [O, KH, KW, C4] = wq.shape;
  const [OH, OW] = a.outputHW;
  const OG = O / a.groups;
  const y = host([N, O, OH, OW]);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / OG);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * a.stride[0] - a.padding[0] + kh * a.dilation[0];
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * a.stride[1] - a.padding[1] + kw * a.dilation[1];
              if (iw < 0 || iw >= W) continue;
              for (let j = 0; j < C4; j++) {
                const xw = xq.data[((n * H + ih) * W + iw) * words + g * C4 + j];
                const ww = wq.data[((o * KH + kh) * KW + kw) * C4 + j];
                for (let k = 0; k < 4; k++) acc += (byteOf(xw, k) - a.xZero) * byteOf(ww, k);
              }
            }
          }
          y.data[((n * O + o) * OH + oh) * OW + ow] = acc * outScale.data[o] + bias.data[o];
        }
      }
    }
  }
  return y;
}
