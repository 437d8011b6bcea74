// CPU reference for 2-D convolution (torch.nn.functional.conv2d semantics), float64.
//
// A convolution is a sum over "taps": every (n, o, oh, ow) output position and every kernel tap
// (c', kh, kw) whose input pixel (ih, iw) = (oh·SH − PH + kh·DH, ow·SW − PW + kw·DW) lies inside the
// image (padding contributes zero, so those taps are skipped). Each tap links one element of x, one
// of w and one of y. The whole op is the trilinear form
//     T(x, w, r) = Σ_taps x[xi] · w[wi] · r[yi]
// and every forward or backward here is a partial derivative of T, written as one loop over taps:
//     y = ∂T/∂r          (forward)          dx = ∂T/∂x with r = dy   (backward w.r.t. the input)
//     dw = ∂T/∂w with r = dy                (backward w.r.t. the weight)
// Layouts: x [N, C, H, W], w [O, C/groups, KH, KW], y [N, O, OH, OW].

import { type HostTensor, host } from './host.js';

export interface ConvGeometry {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface ConvDims {
  N: number; C: number; H: number; W: number;
  O: number; KH: number; KW: number; OH: number; OW: number;
}

/** Output size along one axis, as torch: ⌊(in + 2p − d·(k − 1) − 1) / s⌋ + 1. */
export function convOutSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

export function convDims(xShape: number[], wShape: number[], g: ConvGeometry): ConvDims {
  const [N, C, H, W] = xShape;
  const [O, , KH, KW] = wShape;
  return {
    N, C, H, W, O, KH, KW,
    OH: convOutSize(H, KH, g.stride[0], g.padding[0], g.dilation[0]),
    OW: convOutSize(W, KW, g.stride[1], g.padding[1], g.dilation[1]),
  };
}

/** Call `f(xi, wi, yi)` with the flat indices of x, w and y for every tap that reads a real pixel. */
export function forEachTap(d: ConvDims, g: ConvGeometry, f: (xi: number, wi: number, yi: number) => void): void {
  const Cg = d.C / g.groups;
  const Og = d.O / g.groups;
  for (let n = 0; n < d.N; n++) {
    for (let o = 0; o < d.O; o++) {
      const group = Math.floor(o / Og);
      for (let oh = 0; oh < d.OH; oh++) {
        for (let ow = 0; ow < d.OW; ow++) {
          const yi = ((n * d.O + o) * d.OH + oh) * d.OW + ow;
          for (let cl = 0; cl < Cg; cl++) {
            const c = group * Cg + cl;
            for (let kh = 0; kh < d.KH; kh++) {
              const ih = oh * g.stride[0] - g.padding[0] + kh * g.dilation[0];
              if (ih < 0 || ih >= d.H) continue;
              for (let kw = 0; kw < d.KW; kw++) {
                const iw = ow * g.stride[1] - g.padding[1] + kw * g.dilation[1];
                if (iw < 0 || iw >= d.W) continue;
                const xi = ((n * d.C + c) * d.H + ih) * d.W + iw;
                const wi = ((o * Cg + cl) * d.KH + kh) * d.KW + kw;
                f(xi, wi, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** y = conv2d(x, w) + bias. */
export function conv2dForward(x: HostTensor, w: HostTensor, bias: HostTensor | null, g: ConvGeometry): HostTensor {
  const d = convDims(x.shape, w.shape, g);
  const y = host([d.N, d.O, d.OH, d.OW]);
  if (bias) {
    const plane = d.OH * d.OW;
    for (let i = 0; i < y.data.length; i++) y.data[i] = bias.data[Math.floor(i / plane) % d.O];
  }
  forEachTap(d, g, (xi, wi, yi) => {
    y.data[yi] += x.data[xi] * w.data[wi];
  });
  return y;
}

/** Gradients of Σ y·dy: dx, dw and (when there is a bias) dbias[o] = Σ_{n, oh, ow} dy. */
export function conv2dBackward(
  x: HostTensor, w: HostTensor, hasBias: boolean, dy: HostTensor, g: ConvGeometry,
): [HostTensor, HostTensor, HostTensor | null] {
  const d = convDims(x.shape, w.shape, g);
  const dx = host(x.shape);
  const dw = host(w.shape);
  forEachTap(d, g, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
    dw.data[wi] += dy.data[yi] * x.data[xi];
  });
  let db: HostTensor | null = null;
  if (hasBias) {
    db = host([d.O]);
    const plane = d.OH * d.OW;
    for (let i = 0; i < dy.data.length; i++) db.data[Math.floor(i / plane) % d.O] += dy.data[i];
  }
  return [dx, dw, db];
}

/** dx = ∂(Σ y·dy)/∂x for an input of shape `xShape` (the forward of the conv2dBackwardInput op). */
export function conv2dInputGrad(dy: HostTensor, w: HostTensor, xShape: number[], g: ConvGeometry): HostTensor {
  const d = convDims(xShape, w.shape, g);
  const dx = host(xShape);
  forEachTap(d, g, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
  });
  return dx;
}

/** dw = ∂(Σ y·dy)/∂w for a weight of shape `wShape` (the forward of the conv2dBackwardWeight op). */
export function conv2dWeightGrad(x: HostTensor, dy: HostTensor, wShape: number[], g: ConvGeometry): HostTensor {
  const d = convDims(x.shape, wShape, g);
  const dw = host(wShape);
  forEachTap(d, g, (xi, wi, yi) => {
    dw.data[wi] += x.data[xi] * dy.data[yi];
  });
  return dw;
}

/**
 * Backward of dx = conv2dInputGrad(dy, w): with G the incoming gradient (shaped like x), the
 * objective is Σ G·dx = T(G, w, dy), so d(dy) = Σ_taps G·w at yi and d(w) = Σ_taps G·dy at wi.
 */
export function conv2dInputGradBackward(
  dy: HostTensor, w: HostTensor, G: HostTensor, g: ConvGeometry,
): [HostTensor, HostTensor] {
  const d = convDims(G.shape, w.shape, g);
  const ddy = host(dy.shape);
  const dw = host(w.shape);
  forEachTap(d, g, (xi, wi, yi) => {
    ddy.data[yi] += G.data[xi] * w.data[wi];
    dw.data[wi] += G.data[xi] * dy.data[yi];
  });
  return [ddy, dw];
}

/**
 * Backward of dw = conv2dWeightGrad(x, dy): with G shaped like w, the objective is
 * Σ G·dw = T(x, G, dy), so d(x) = Σ_taps G·dy at xi and d(dy) = Σ_taps x·G at yi.
 */
export function conv2dWeightGradBackward(
  x: HostTensor, dy: HostTensor, G: HostTensor, g: ConvGeometry,
): [HostTensor, HostTensor] {
  const d = convDims(x.shape, G.shape, g);
  const dx = host(x.shape);
  const ddy = host(dy.shape);
  forEachTap(d, g, (xi, wi, yi) => {
    dx.data[xi] += G.data[wi] * dy.data[yi];
    ddy.data[yi] += x.data[xi] * G.data[wi];
  });
  return [dx, ddy];
}
