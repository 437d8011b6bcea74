// CPU references for the indexing ops (concat, slice, pad, gather, index_select), float64, written
// from their definitions as plain loops over coordinates. Backward functions are the adjoints:
// every output element's gradient goes back to the input element it was copied from.

import { type HostTensor, host, strides, unravel } from './host.js';

/** [outer, size, inner] view of `shape` around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[axis], inner];
}

function checkIndex(v: number, size: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= size) {
    throw new Error(`reference ${what}: index ${v} is out of range for an axis of size ${size}`);
  }
}

// ---- concat ---------------------------------------------------------------------------------------

/** y = the inputs one after another along `axis`. */
export function concatForward(xs: HostTensor[], axis: number): HostTensor {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
  const y = host(shape);
  const [outer, total, inner] = around(shape, axis);
  let off = 0;
  for (const t of xs) {
    const size = t.shape[axis];
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < size; r++) {
        for (let i = 0; i < inner; i++) y.data[(o * total + off + r) * inner + i] = t.data[(o * size + r) * inner + i];
      }
    }
    off += size;
  }
  return y;
}

/** The gradient of each input is its own stretch of dy along `axis`. */
export function concatBackward(dy: HostTensor, sizes: number[], axis: number): HostTensor[] {
  let off = 0;
  return sizes.map((size) => {
    const dx = sliceForward(dy, axis, off, 1, size);
    off += size;
    return dx;
  });
}

// ---- slice ----------------------------------------------------------------------------------------

/** y[.., l, ..] = x[.., start + l·step, ..] for l < length. */
export function sliceForward(x: HostTensor, axis: number, start: number, step: number, length: number): HostTensor {
  const shape = [...x.shape];
  shape[axis] = length;
  const y = host(shape);
  const [outer, D, inner] = around(x.shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      for (let i = 0; i < inner; i++) y.data[(o * length + l) * inner + i] = x.data[(o * D + start + l * step) * inner + i];
    }
  }
  return y;
}

/** dx (axis of size `size`) = zeros with dy's elements put back at start + l·step. */
export function sliceBackward(dy: HostTensor, axis: number, start: number, step: number, size: number): HostTensor {
  const shape = [...dy.shape];
  shape[axis] = size;
  const dx = host(shape);
  const [outer, L, inner] = around(dy.shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < L; l++) {
      for (let i = 0; i < inner; i++) dx.data[(o * size + start + l * step) * inner + i] += dy.data[(o * L + l) * inner + i];
    }
  }
  return dx;
}

// ---- pad ------------------------------------------------------------------------------------------

/**
 * y has size before[d] + x.shape[d] + after[d] along each d; y[c] = x[c - before] where that is
 * inside x, else `value`. Negative amounts crop.
 */
export function padForward(x: HostTensor, before: number[], after: number[], value: number): HostTensor {
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  const y = host(shape);
  const xs = strides(x.shape);
  for (let k = 0; k < y.data.length; k++) {
    const c = unravel(k, shape);
    let src = 0;
    let inside = true;
    for (let d = 0; d < c.length; d++) {
      const s = c[d] - before[d];
      if (s < 0 || s >= x.shape[d]) inside = false;
      else src += s * xs[d];
    }
    y.data[k] = inside ? x.data[src] : value;
  }
  return y;
}

/** dx[c] = dy[c + before]: each x element went to exactly one place of y (or was cropped: 0). */
export function padBackward(dy: HostTensor, xShape: number[], before: number[]): HostTensor {
  const dx = host(xShape);
  const ys = strides(dy.shape);
  for (let k = 0; k < dx.data.length; k++) {
    const c = unravel(k, xShape);
    let dst = 0;
    let inside = true;
    for (let d = 0; d < c.length; d++) {
      const t = c[d] + before[d];
      if (t < 0 || t >= dy.shape[d]) inside = false;
      else dst += t * ys[d];
    }
    dx.data[k] = inside ? dy.data[dst] : 0;
  }
  return dx;
}

// ---- gather ---------------------------------------------------------------------------------------

/** torch.gather: y[c] = x[c with c[axis] replaced by index[c]]; y has the index's shape. */
export function gatherForward(x: HostTensor, index: HostTensor, axis: number): HostTensor {
  const y = host(index.shape);
  const xs = strides(x.shape);
  for (let k = 0; k < y.data.length; k++) {
    const c = unravel(k, index.shape);
    checkIndex(index.data[k], x.shape[axis], 'gather');
    c[axis] = index.data[k];
    y.data[k] = x.data[c.reduce((s, v, d) => s + v * xs[d], 0)];
  }
  return y;
}

/** The scatter-add: dx[c with c[axis] = index[c]] += dy[c] for every element c of index. */
export function gatherBackward(dy: HostTensor, index: HostTensor, axis: number, xShape: number[]): HostTensor {
  const dx = host(xShape);
  const xs = strides(xShape);
  for (let k = 0; k < dy.data.length; k++) {
    const c = unravel(k, index.shape);
    checkIndex(index.data[k], xShape[axis], 'gather');
    c[axis] = index.data[k];
    dx.data[c.reduce((s, v, d) => s + v * xs[d], 0)] += dy.data[k];
  }
  return dx;
}

// ---- index_select ---------------------------------------------------------------------------------

/** torch.index_select: y[.., p, ..] = x[.., indices[p], ..] along `axis`. */
export function indexSelectForward(x: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const N = indices.data.length;
  const shape = [...x.shape];
  shape[axis] = N;
  const y = host(shape);
  const [outer, V, inner] = around(x.shape, axis);
  for (let p = 0; p < N; p++) checkIndex(indices.data[p], V, 'index_select');
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < N; p++) {
      const v = indices.data[p];
      for (let i = 0; i < inner; i++) y.data[(o * N + p) * inner + i] = x.data[(o * V + v) * inner + i];
    }
  }
  return y;
}

/** index_add into zeros: dx[.., indices[p], ..] += dy[.., p, ..]; repeated indices accumulate. */
export function indexSelectBackward(dy: HostTensor, indices: HostTensor, axis: number, size: number): HostTensor {
  const N = indices.data.length;
  const shape = [...dy.shape];
  shape[axis] = size;
  const dx = host(shape);
  const [outer, , inner] = around(dy.shape, axis);
  for (let p = 0; p < N; p++) checkIndex(indices.data[p], size, 'index_select');
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < N; p++) {
      const v = indices.data[p];
      for (let i = 0; i < inner; i++) dx.data[(o * size + v) * inner + i] += dy.data[(o * N + p) * inner + i];
    }
  }
  return dx;
}
