// CPU reference for 2-D max and average pooling (torch.nn.functional semantics), float64.
// Input [N, C, H, W], output [N, C, OH, OW], OH = ⌊(H + 2·PH − KH) / SH⌋ + 1 (rounded up with ceilMode,
// see poolOutSize). Window (oh, ow) covers rows oh·SH − PH … oh·SH − PH + KH − 1 and the matching
// columns; pixels outside the image are padding. With ceilMode the last window may reach past the
// right padding: the average's divisor (countIncludePad) stops at the padded edge, as torch's.

import { type HostTensor, host } from './host.js';

export interface PoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  countIncludePad: boolean;
  /** Round the output size up (torch's ceil_mode): a last, partial window when it starts inside the input or the left padding. */
  ceilMode: boolean;
}

/**
 * torch's pooling output size: ⌊(size + 2p − k) / s⌋ + 1, or with ceilMode ⌈(size + 2p − k) / s⌉ + 1
 * less one when that last window would start at or past size + p (in the right padding only).
 */
export function poolOutSize(size: number, k: number, s: number, p: number, ceilMode = false): number {
  const span = size + 2 * p - k;
  if (!ceilMode) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  if ((out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Call `f(o, plane, pixels, padded)` for every output element `o` (flat in [N, C, OH, OW]): `plane` is
 * the flat offset of its input plane, `pixels` the in-plane indices h·W + w of the real pixels of its
 * window in row-major order, `padded` the window's size clipped to the padded image.
 */
function forEachWindow(shape: number[], g: PoolGeometry, f: (o: number, plane: number, pixels: number[], padded: number) => void): void {
  const [N, C, H, W] = shape;
  const OH = poolOutSize(H, g.kernel[0], g.stride[0], g.padding[0], g.ceilMode);
  const OW = poolOutSize(W, g.kernel[1], g.stride[1], g.padding[1], g.ceilMode);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const h0 = oh * g.stride[0] - g.padding[0];
        const w0 = ow * g.stride[1] - g.padding[1];
        const pixels: number[] = [];
        for (let h = h0; h < h0 + g.kernel[0]; h++) {
          for (let w = w0; w < w0 + g.kernel[1]; w++) {
            if (h >= 0 && h < H && w >= 0 && w < W) pixels.push(h * W + w);
          }
        }
        const padded = (Math.min(h0 + g.kernel[0], H + g.padding[0]) - h0) * (Math.min(w0 + g.kernel[1], W + g.padding[1]) - w0);
        f((nc * OH + oh) * OW + ow, nc * H * W, pixels, padded);
      }
    }
  }
}

function outShape(shape: number[], g: PoolGeometry): number[] {
  const [N, C, H, W] = shape;
  return [N, C, poolOutSize(H, g.kernel[0], g.stride[0], g.padding[0], g.ceilMode), poolOutSize(W, g.kernel[1], g.stride[1], g.padding[1], g.ceilMode)];
}

/** Max over each window (padding is −∞, a NaN wins, the first maximum wins ties) and its in-plane index. */
export function maxPool2dForward(x: HostTensor, g: PoolGeometry): [HostTensor, HostTensor] {
  const shape = outShape(x.shape, g);
  const y = host(shape);
  const indices = host(shape);
  forEachWindow(x.shape, g, (o, plane, pixels) => {
    let best = -Infinity;
    let at = -1;
    for (const p of pixels) {
      const v = x.data[plane + p];
      if (at < 0 || v > best || Number.isNaN(v)) {
        best = v;
        at = p;
      }
    }
    y.data[o] = best;
    indices.data[o] = at;
  });
  return [y, indices];
}

/** dx: each output's gradient goes to the pixel its window took the maximum from. */
export function maxPoolScatter(dy: HostTensor, indices: HostTensor, xShape: number[]): HostTensor {
  const dx = host(xShape);
  const plane = xShape[2] * xShape[3];
  const OHW = dy.shape[2] * dy.shape[3];
  for (let o = 0; o < dy.data.length; o++) {
    dx.data[Math.floor(o / OHW) * plane + indices.data[o]] += dy.data[o];
  }
  return dx;
}

/** y[o] = x[plane of o, indices[o]]: values of `x` at the saved argmax positions. */
export function maxPoolGather(x: HostTensor, indices: HostTensor): HostTensor {
  const y = host(indices.shape);
  const plane = x.shape[2] * x.shape[3];
  const OHW = indices.shape[2] * indices.shape[3];
  for (let o = 0; o < y.data.length; o++) y.data[o] = x.data[Math.floor(o / OHW) * plane + indices.data[o]];
  return y;
}

const divisor = (g: PoolGeometry, pixels: number[], padded: number) => (g.countIncludePad ? padded : pixels.length);

/** Window mean: the sum over real pixels divided by the padded window size or by the real pixel count. */
export function avgPool2dForward(x: HostTensor, g: PoolGeometry): HostTensor {
  const y = host(outShape(x.shape, g));
  forEachWindow(x.shape, g, (o, plane, pixels, padded) => {
    let s = 0;
    for (const p of pixels) s += x.data[plane + p];
    y.data[o] = s / divisor(g, pixels, padded);
  });
  return y;
}

/** dx of the window mean: every real pixel of window o receives dy[o] / divisor(o). */
export function avgPool2dBackward(dy: HostTensor, xShape: number[], g: PoolGeometry): HostTensor {
  const dx = host(xShape);
  forEachWindow(xShape, g, (o, plane, pixels, padded) => {
    const share = dy.data[o] / divisor(g, pixels, padded);
    for (const p of pixels) dx.data[plane + p] += share;
  });
  return dx;
}
