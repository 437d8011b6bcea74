// JavaScript values → the flat values and shape of a tensor (sg.tensor's input), as torch.tensor reads
// Python data: a number is a 0-d tensor, a (typed) array is 1-d, nested arrays give one dimension per
// level (the shape is inferred and every level must be rectangular), booleans are 1 and 0. Anything
// that would become NaN silently (strings, objects, undefined, holes, null) is an error naming the
// index path of the first bad element.

import { sgError, ShapeError } from '../util/errors.js';

/** What sg.tensor accepts (nested arrays may mix plain and typed arrays at the innermost level). */
export type NestedNumbers = number | boolean | ArrayLike<number | boolean> | readonly NestedNumbers[];

export interface TensorValues {
  /** Row-major values: the input itself for typed and plain number arrays, else a Float64Array copy. */
  values: ArrayLike<number>;
  shape: number[];
}

const MAX_LISTED = 40;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > MAX_LISTED ? `${v.slice(0, MAX_LISTED)}…` : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `${typeof v} ${String(v)}`;
}

/** Arrays and typed arrays (not DataView, not strings). */
function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function checkTyped(v: ArrayBufferView, path: string, where: string): void {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    throw sgError(`${where}: ${path} is a ${v.constructor.name}; tensor values must be numbers (convert with Float64Array.from(x, Number))`);
  }
}

function badValue(where: string, path: string, v: unknown): never {
  const hint = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? ` (convert it with Number(): ${Number(v)})` : '';
  const holes = v === undefined ? ' (a hole in a sparse array, or a missing value)' : '';
  throw sgError(`${where}: ${path} is ${describe(v)}${holes}${hint}; tensor values must be numbers or booleans`);
}

const fmt = (s: number[]) => `[${s.join(', ')}]`;

/**
 * The flat values and the shape of `data` for sg.tensor. With `shape` given, the values fill it in
 * row-major order (nested arrays are flattened first) and `shape` is returned as given; the caller
 * checks that the counts agree. Without it, the shape is inferred as torch.tensor does: [] for a
 * number, [n] for a flat array, one dimension per level of nesting.
 *
 * Errors (prefixed `shadergrad: ${where}:`) name the index path of the first bad element, e.g.
 * `data[1] has 3 elements, but data[0] has 2: nested arrays must be rectangular (shape [2, 2] so far)`.
 */
export function flattenTensorData(data: unknown, shape: readonly number[] | undefined, where: string): TensorValues {
  const given = shape === undefined ? undefined : Array.isArray(shape) ? [...shape] : (shape as unknown as number[]);
  if (typeof data === 'number') return { values: [data], shape: given ?? [] };
  if (typeof data === 'boolean') return { values: [data ? 1 : 0], shape: given ?? [] };
  if (!isArrayLike(data)) {
    const tensorHint = data !== null && typeof data === 'object' && 'node' in data && 'shape' in data ? ' (it is already a tensor: use it directly, or sg.copy(t) for a new buffer)' : '';
    throw sgError(`${where}: data must be a number, an array of numbers (nested for more dimensions) or a typed array, got ${describe(data)}${tensorHint}`, ShapeError);
  }
  if (ArrayBuffer.isView(data)) {
    checkTyped(data, 'data', where);
    return { values: data as unknown as ArrayLike<number>, shape: given ?? [data.length] };
  }

  // Plain array: the shape follows the first element at each level.
  const inferred: number[] = [];
  let probe: unknown = data;
  while (isArrayLike(probe)) {
    inferred.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const rank = inferred.length;

  // Fast path: a flat array of numbers is used as it is.
  if (rank === 1) {
    const arr = data as unknown[];
    let plain = true;
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v === 'number') continue;
      if (typeof v === 'boolean') plain = false;
      else if (isArrayLike(v)) throw sgError(`${where}: data[${i}] is an array, but data[0] is a number: nested arrays must be rectangular`);
      else badValue(where, `data[${i}]`, v);
    }
    if (plain) return { values: arr as number[], shape: given ?? [arr.length] };
    return { values: Float64Array.from(arr as (number | boolean)[], Number), shape: given ?? [arr.length] };
  }

  const total = inferred.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  let k = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === rank) {
      if (typeof v === 'number') out[k++] = v;
      else if (typeof v === 'boolean') out[k++] = v ? 1 : 0;
      else if (isArrayLike(v)) {
        throw sgError(`${where}: ${path} is an array, but ${firstPath(depth)} is a number: nested arrays must be rectangular (shape ${fmt(inferred)} so far)`, ShapeError);
      } else badValue(where, path, v);
      return;
    }
    if (!isArrayLike(v)) {
      if (typeof v === 'number' || typeof v === 'boolean') {
        throw sgError(`${where}: ${path} is a number, but ${firstPath(depth)} is an array of ${inferred[depth]}: nested arrays must be rectangular (shape ${fmt(inferred)} so far)`, ShapeError);
      }
      badValue(where, path, v);
    }
    if (ArrayBuffer.isView(v)) checkTyped(v, path, where);
    if (v.length !== inferred[depth]) {
      throw sgError(`${where}: ${path} has ${v.length} elements, but ${firstPath(depth)} has ${inferred[depth]}: nested arrays must be rectangular (shape ${fmt(inferred)} so far)`, ShapeError);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return { values: out, shape: given ?? inferred };
}

/** data[0][0]… down to `depth` levels: the element the shape was inferred from. */
function firstPath(depth: number): string {
  return `data${'[0]'.repeat(depth)}`;
}
