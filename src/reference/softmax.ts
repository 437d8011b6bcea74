// CPU references for softmax and log-softmax over one axis, float64, written from the maths.
// The tensor is viewed as [outer, R, inner] with R the softmax axis; a row is R elements `inner` apart.

import { type HostTensor, host } from './host.js';

function view(shape: number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[axis], inner];
}

/** Calls fn(indices of one row) for every row of the [outer, R, inner] view. */
function forRows(shape: number[], axis: number, fn: (idx: number[]) => void): void {
  const [outer, R, inner] = view(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      fn(Array.from({ length: R }, (_, r) => (o * R + r) * inner + k));
    }
  }
}

/** softmax(x)_j = e^(x_j) / Σ_i e^(x_i); log-softmax = x_j − log Σ_i e^(x_i) (max subtracted first). */
export function softmaxForward(x: HostTensor, axis: number, logOut: boolean): HostTensor {
  const y = host(x.shape);
  forRows(x.shape, axis, (idx) => {
    let m = -Infinity;
    for (const i of idx) m = Math.max(m, x.data[i]);
    let s = 0;
    for (const i of idx) s += Math.exp(x.data[i] - m);
    for (const i of idx) y.data[i] = logOut ? x.data[i] - m - Math.log(s) : Math.exp(x.data[i] - m) / s;
  });
  return y;
}

/**
 * The gradient of softmax / log-softmax, given the forward output y and dy:
 * softmax: ∂y_i/∂x_j = y_i(δ_ij − y_j), so dx_j = y_j (dy_j − Σ_i dy_i y_i);
 * log-softmax: ∂y_i/∂x_j = δ_ij − p_j with p = e^y, so dx_j = dy_j − p_j Σ_i dy_i.
 */
export function softmaxBackward(y: HostTensor, dy: HostTensor, axis: number, logOut: boolean): HostTensor {
  const dx = host(y.shape);
  forRows(y.shape, axis, (idx) => {
    let s = 0;
    for (const i of idx) s += logOut ? dy.data[i] : dy.data[i] * y.data[i];
    for (const i of idx) dx.data[i] = logOut ? dy.data[i] - Math.exp(y.data[i]) * s : y.data[i] * (dy.data[i] - s);
  });
  return dx;
}

/**
 * The gradient of the backward op b(y, dy) above, treating y and dy as independent inputs, for an
 * incoming ddx = ∂L/∂b. Returns [∂L/∂y, ∂L/∂dy].
 * softmax, b_j = y_j(dy_j − s), s = Σ dy·y, t = Σ ddx·y:
 *   ∂L/∂dy_j = y_j (ddx_j − t),   ∂L/∂y_j = ddx_j (dy_j − s) − dy_j t.
 * log-softmax, b_j = dy_j − p_j S, p = e^y, S = Σ dy, T = Σ ddx·p:
 *   ∂L/∂dy_j = ddx_j − T,         ∂L/∂y_j = −ddx_j p_j S.
 */
export function softmaxBackwardBackward(
  y: HostTensor, dy: HostTensor, ddx: HostTensor, axis: number, logOut: boolean,
): [HostTensor, HostTensor] {
  const gy = host(y.shape);
  const gdy = host(y.shape);
  forRows(y.shape, axis, (idx) => {
    if (logOut) {
      let S = 0;
      let T = 0;
      for (const i of idx) {
        S += dy.data[i];
        T += ddx.data[i] * Math.exp(y.data[i]);
      }
      for (const i of idx) {
        gdy.data[i] = ddx.data[i] - T;
        gy.data[i] = -ddx.data[i] * Math.exp(y.data[i]) * S;
      }
    } else {
      let s = 0;
      let t = 0;
      for (const i of idx) {
        s += dy.data[i] * y.data[i];
        t += ddx.data[i] * y.data[i];
      }
      for (const i of idx) {
        gdy.data[i] = y.data[i] * (ddx.data[i] - t);
        gy.data[i] = ddx.data[i] * (dy.data[i] - s) - dy.data[i] * t;
      }
    }
  });
  return [gy, gdy];
}
