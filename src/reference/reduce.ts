// CPU references for reductions over one axis, float64. The tensor is viewed as [outer, R, inner].

import { type HostTensor, host } from './host.js';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min';

function view(shape: number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[axis], inner];
}

/** Reduce over `axis`, keeping it with size 1. */
export function reduceForward(kind: ReduceKind, x: HostTensor, axis: number): HostTensor {
  const [outer, R, inner] = view(x.shape, axis);
  const shape = [...x.shape];
  shape[axis] = 1;
  const y = host(shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
      for (let r = 0; r < R; r++) {
        const v = x.data[(o * R + r) * inner + i];
        acc = kind === 'max' ? Math.max(acc, v) : kind === 'min' ? Math.min(acc, v) : acc + v;
      }
      y.data[o * inner + i] = kind === 'mean' ? acc / R : acc;
    }
  }
  return y;
}

/**
 * Gradient of the reduction: sum spreads dy to every element, mean spreads dy/R, and max/min send dy
 * to the extremal elements, split evenly between ties (PyTorch's amax/amin rule). A NaN extreme
 * (NaN propagates through max/min, as in torch) gives NaN gradients along its slice, as torch.amax.
 */
export function reduceBackward(kind: ReduceKind, x: HostTensor, y: HostTensor, dy: HostTensor, axis: number): HostTensor {
  const [outer, R, inner] = view(x.shape, axis);
  const dx = host(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const g = dy.data[o * inner + i];
      const m = y.data[o * inner + i];
      let ties = 0;
      if (kind === 'max' || kind === 'min') {
        for (let r = 0; r < R; r++) if (x.data[(o * R + r) * inner + i] === m) ties++;
      }
      for (let r = 0; r < R; r++) {
        const k = (o * R + r) * inner + i;
        if (kind === 'sum') dx.data[k] = g;
        else if (kind === 'mean') dx.data[k] = g / R;
        // A NaN maximum matches no element (ties = 0): g/0·0 is NaN for the whole slice, as torch.amax.
        else dx.data[k] = (x.data[k] === m ? 1 : 0) * (g / ties);
      }
    }
  }
  return dx;
}

export type ArgKind = 'argmax' | 'argmin';

/**
 * Index along `axis` of the largest (argmax) or smallest (argmin) element, keeping the axis with
 * size 1. As torch: ties go to the first index, and NaN counts as the extreme (the first NaN wins).
 */
export function argForward(kind: ArgKind, x: HostTensor, axis: number): HostTensor {
  const [outer, R, inner] = view(x.shape, axis);
  const shape = [...x.shape];
  shape[axis] = 1;
  const out = host(shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestVal = x.data[o * R * inner + i];
      for (let r = 1; r < R; r++) {
        const v = x.data[(o * R + r) * inner + i];
        if (Number.isNaN(bestVal)) break;
        const better = Number.isNaN(v) || (kind === 'argmax' ? v > bestVal : v < bestVal);
        if (better) {
          best = r;
          bestVal = v;
        }
      }
      out.data[o * inner + i] = best;
    }
  }
  return out;
}

/** sqrt(Σ over every tensor of Σ x²), a scalar. */
export function globalNormForward(xs: HostTensor[]): HostTensor {
  let s = 0;
  for (const x of xs) for (let i = 0; i < x.data.length; i++) s += x.data[i] * x.data[i];
  return host([], [Math.sqrt(s)]);
}

/** d norm / d x = x / norm (0 when the norm is 0, where every x is 0). */
export function globalNormBackward(xs: HostTensor[], norm: HostTensor, dy: HostTensor): HostTensor[] {
  const n = norm.data[0];
  const g = n === 0 ? 0 : dy.data[0] / n;
  return xs.map((x) => {
    const dx = host(x.shape);
    for (let i = 0; i < x.data.length; i++) dx.data[i] = x.data[i] * g;
    return dx;
  });
}
