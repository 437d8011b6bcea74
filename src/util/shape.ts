// Shapes and dtypes, the ground floor every layer builds on (it imports nothing): a tensor's meta
// (shape + dtype), element counts, printing, and the helpers the ops share: broadcasting (NumPy /
// PyTorch rules), strides, axis normalisation.

import { sgError, ShapeError } from './errors.js';

export type DType = 'f32' | 'i32';

export interface Meta {
  shape: number[];
  dtype: DType;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function bytesOf(m: Meta): number {
  return numel(m.shape) * 4;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** The broadcast shape of two shapes, or a clear error naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[], what: string, names = ['a', 'b']): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw sgError(`${what}: cannot broadcast ${names[0]} ${fmtShape(a)} with ${names[1]} ${fmtShape(b)} ` +
        `(dimension ${i - rank} is ${da} vs ${db}; sizes must match or be 1)`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides to read `inShape` as if broadcast to `outShape` (0 on broadcast dimensions). */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((d, i) => {
    const j = i - off;
    if (j < 0) return 0;
    return inShape[j] === 1 && d !== 1 ? 0 : st[j];
  });
}

/**
 * Merge adjacent dimensions that are contiguous for every operand, so most elementwise kernels see
 * rank 1 (same shapes) or rank 2 (row/column broadcast). Returns the collapsed shape and strides.
 */
export function collapseDims(shape: readonly number[], strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * shape[i])) {
      outShape[last] *= shape[i];
      strides.forEach((s, k) => (outStrides[k][last] = s[i]));
    } else {
      outShape.push(shape[i]);
      strides.forEach((s, k) => outStrides[k].push(s[i]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [1]) };
  return { shape: outShape, strides: outStrides };
}

export function normAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw sgError(`${what}: axis ${axis} is out of range for a tensor of rank ${rank}`, ShapeError);
  }
  return axis < 0 ? axis + rank : axis;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Axes of `shape` (rank-aligned to `target`) that were broadcast, to be summed for a gradient. */
export function reducedAxes(shape: readonly number[], target: readonly number[]): number[] {
  const off = target.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < target.length; i++) {
    const d = i < off ? 1 : shape[i - off];
    if (d === 1 && target[i] !== 1) axes.push(i);
  }
  return axes;
}

export const MAX_RANK = 8;

export function checkRank(shape: readonly number[], what: string): void {
  if (shape.length > MAX_RANK) throw sgError(`${what}: rank ${shape.length} exceeds the maximum of ${MAX_RANK}`, ShapeError);
}
