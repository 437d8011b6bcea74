// Host tensors for the CPU references: float64 values in row-major order. Plain helpers only;
// the references themselves are written from the maths, never from the WGSL.

/** A CPU tensor in float64 for the references (i32 values are stored as exact doubles). */
export interface HostTensor {
  data: Float64Array;
  shape: number[];
}

export function host(shape: number[], data?: ArrayLike<number>): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`host tensor: ${data.length} values for shape [${shape}]`);
    d.set(data);
  }
  return { data: d, shape: [...shape] };
}

export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Multi-index of flat index `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat index in `shape` of a multi-index given for a (possibly larger-rank) broadcast shape. */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const off = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) {
    const c = shape[d] === 1 ? 0 : idx[d + off];
    flat = flat * shape[d] + c;
  }
  return flat;
}

/** Sum `t` (given in broadcast shape `from`) down to `shape` — the reverse of broadcasting. */
export function sumToShape(t: HostTensor, shape: number[]): HostTensor {
  const out = host(shape);
  for (let i = 0; i < t.data.length; i++) {
    out.data[broadcastIndex(unravel(i, t.shape), shape)] += t.data[i];
  }
  return out;
}
