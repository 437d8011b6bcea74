// In-memory datasets: flat typed arrays plus the shape of one sample.
//
//   x: Float32Array of length × numel(xShape) values, sample-major (sample i occupies
//      x[i·d … (i+1)·d), d = numel(xShape)); images are [C, H, W] per sample (NCHW once batched).
//      Or an Int32Array of token ids (data.text's language-model windows, xShape [blockSize]):
//      the loader uploads it as an i32 tensor, for models that start with an embedding.
//   y: Int32Array of class labels (yShape [], numClasses set) for classification,
//      or Float32Array of length × numel(yShape) targets for regression.
//
// Everything here is CPU-side and returns new datasets (inputs are never modified).

import { Random, toRandom } from '../util/random.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const FROM_ARRAYS_KEYS = keysOf<FromArraysOptions>({ xShape: 1, yShape: 1, numClasses: 1, task: 1 });
export const NORMALIZE_STATS_KEYS = keysOf<Exclude<Opts<typeof normalize, 1>, string>>({ mean: 1, std: 1 });

/** What a dataset's inputs may be: f32 values, or i32 token ids. */
export type DatasetInputs = Float32Array | Int32Array;

/**
 * A dataset. `Dataset` alone has f32 inputs; `Dataset<Int32Array>` holds token ids (TokenDataset: with
 * i32 targets too), and the functions that take either (checkDataset, subset, the splits, train.fit, …)
 * take `AnyDataset`.
 */
export interface Dataset<X extends DatasetInputs = Float32Array> {
  /** Inputs (f32), or token ids (i32) for models that start with an embedding. */
  x: X;
  y: Int32Array | Float32Array;
  /** Shape of one input sample, e.g. [2] or [1, 28, 28]. */
  xShape: number[];
  /** Shape of one target: [] for class labels, e.g. [1] or [3] for regression targets, [blockSize] for next tokens. */
  yShape: number[];
  /** Number of classes (classification only). */
  numClasses?: number;
  /** Number of samples. */
  length: number;
}

/** A dataset of token ids: x and y Int32Array (data.text's windows: xShape [blockSize], y the next tokens). */
export interface TokenDataset extends Dataset<Int32Array> {
  y: Int32Array;
}
/** A dataset with f32 inputs or token ids. */
export type AnyDataset = Dataset<DatasetInputs>;

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: number[]) => `[${shape.join(', ')}]`;

const fail: Fail = failIn('data');

function checkShape(fn: string, name: string, shape: number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(fn, `${name} must be an array of positive integers, got ${Array.isArray(shape) ? fmt(shape) : String(shape)}`);
  }
}

/** Nested number arrays (one row per sample) are flattened; typed / flat arrays are used as they are. */
type ArrayInput = Float32Array | Int32Array | Float64Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

function flatten(fn: string, name: string, a: ArrayInput): { values: ArrayLike<number>; rows?: number; rowShape?: number[] } {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<unknown>).length !== 'number') fail(fn, `${name} must be an array or a typed array`);
  if (ArrayBuffer.isView(a)) return { values: a as unknown as ArrayLike<number> };
  const arr = a as ArrayLike<unknown>;
  if (arr.length > 0 && typeof arr[0] === 'object' && arr[0] !== null) {
    const rows = arr as ArrayLike<ArrayLike<number>>;
    const width = rows[0].length;
    const out = new Float64Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r || typeof r !== 'object' || r.length !== width) {
        fail(fn, `${name}[${i}] has ${r && typeof r === 'object' ? r.length : 'no'} values, but ${name}[0] has ${width}: rows must all have the same length`);
      }
      for (let j = 0; j < width; j++) out[i * width + j] = r[j];
    }
    return { values: out, rows: rows.length, rowShape: [width] };
  }
  return { values: arr as ArrayLike<number> };
}

export interface FromArraysOptions {
  /** Shape of one input sample. Default: the row length of a nested array, else x.length / number of labels. */
  xShape?: number[];
  /** Shape of one target (regression). Default [] for labels, [k] for k targets per sample. */
  yShape?: number[];
  /** Number of classes: makes `y` class labels in [0, numClasses). */
  numClasses?: number;
  /**
   * Default: 'classification' when y is an Int32Array or numClasses is given, 'regression' when y is a
   * Float32Array / Float64Array or nested, and for a plain array: class labels when every value is an
   * integer ≥ 0, otherwise regression targets.
   */
  task?: 'classification' | 'regression';
}

/**
 * A dataset from arrays, checked: sample counts must agree, every input must be finite, labels must be
 * integers in [0, numClasses) and regression targets finite.
 *
 *   fromArrays([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])          // 4 samples, xShape [2], 2 classes
 *   fromArrays(pixels, labels, { xShape: [1, 28, 28], numClasses: 10 })
 */
export function fromArrays(x: ArrayInput, y: ArrayInput, opts: FromArraysOptions = {}): Dataset {
  const fn = 'fromArrays';
  checkOptions('data.fromArrays', opts, FROM_ARRAYS_KEYS);
  const xs = flatten(fn, 'x', x);
  const ys = flatten(fn, 'y', y);
  if (opts.xShape !== undefined) checkShape(fn, 'xShape', opts.xShape);
  if (opts.yShape !== undefined) checkShape(fn, 'yShape', opts.yShape);
  if (opts.numClasses !== undefined && (!Number.isInteger(opts.numClasses) || opts.numClasses < 1)) {
    fail(fn, `numClasses must be a positive integer, got ${opts.numClasses}`);
  }
  if (opts.task !== undefined && opts.task !== 'classification' && opts.task !== 'regression') {
    fail(fn, `task must be 'classification' or 'regression', got '${opts.task}'`);
  }

  let task = opts.task;
  if (!task) {
    if (opts.numClasses !== undefined || y instanceof Int32Array) task = 'classification';
    else if (ArrayBuffer.isView(y) || ys.rows !== undefined) task = 'regression';
    else {
      let labels = true;
      for (let i = 0; i < ys.values.length && labels; i++) labels = Number.isInteger(ys.values[i]) && ys.values[i] >= 0;
      task = labels && ys.values.length > 0 ? 'classification' : 'regression';
    }
  }
  if (task === 'classification' && (ys.rows !== undefined || (opts.yShape && numel(opts.yShape) !== 1))) {
    fail(fn, 'class labels must be one integer per sample (a flat array), not rows or a yShape');
  }

  // The number of samples.
  let length: number;
  let xShape = opts.xShape;
  if (xShape) {
    const d = numel(xShape);
    if (xs.values.length % d !== 0) fail(fn, `x has ${xs.values.length} values, not a multiple of xShape ${fmt(xShape)} (${d} values per sample)`);
    length = xs.values.length / d;
    if (xs.rowShape && xs.rowShape[0] !== d) fail(fn, `x rows have ${xs.rowShape[0]} values but xShape ${fmt(xShape)} has ${d}`);
  } else if (xs.rows !== undefined) {
    length = xs.rows;
    xShape = xs.rowShape!;
  } else {
    let yPer = 1;
    if (opts.yShape) yPer = numel(opts.yShape);
    if (ys.values.length % yPer !== 0) fail(fn, `y has ${ys.values.length} values, not a multiple of yShape ${fmt(opts.yShape!)}`);
    length = ys.rows ?? ys.values.length / yPer;
    if (length === 0) fail(fn, 'y is empty: cannot infer the number of samples (give xShape)');
    if (xs.values.length % length !== 0) {
      fail(fn, `x has ${xs.values.length} values, which does not divide into ${length} samples (one per label); give xShape`);
    }
    xShape = [xs.values.length / length];
    if (xShape[0] === 0) fail(fn, 'x is empty');
  }

  // Targets.
  let yShape: number[];
  if (task === 'classification') {
    yShape = [];
    if (ys.values.length !== length) fail(fn, `x has ${length} samples (xShape ${fmt(xShape)}) but y has ${ys.values.length} labels`);
  } else {
    if (opts.yShape) yShape = opts.yShape;
    else if (ys.rowShape) yShape = ys.rowShape;
    else if (length > 0 && ys.values.length % length === 0 && ys.values.length / length > 1) yShape = [ys.values.length / length];
    else yShape = [];
    const per = numel(yShape);
    if (ys.values.length !== length * per) {
      fail(fn, `x has ${length} samples (xShape ${fmt(xShape)}) but y has ${ys.values.length} values (${ys.values.length / per} samples of yShape ${fmt(yShape)})`);
    }
  }

  const xf = new Float32Array(xs.values.length);
  for (let i = 0; i < xf.length; i++) {
    const v = xs.values[i];
    if (!Number.isFinite(v)) fail(fn, `x has a non-finite value ${v} at sample ${Math.floor(i / numel(xShape))}, position ${i % numel(xShape)}`);
    xf[i] = v;
  }

  if (task === 'classification') {
    let maxLabel = -1;
    const labels = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      const v = ys.values[i];
      if (!Number.isInteger(v) || v < 0) fail(fn, `label ${v} at sample ${i} is not an integer ≥ 0`);
      if (opts.numClasses !== undefined && v >= opts.numClasses) fail(fn, `label ${v} at sample ${i} is out of range for numClasses ${opts.numClasses}`);
      if (v > 2147483647) fail(fn, `label ${v} at sample ${i} does not fit in an int32`);
      labels[i] = v;
      if (v > maxLabel) maxLabel = v;
    }
    return { x: xf, y: labels, xShape: [...xShape], yShape, numClasses: opts.numClasses ?? Math.max(1, maxLabel + 1), length };
  }
  const targets = new Float32Array(ys.values.length);
  for (let i = 0; i < targets.length; i++) {
    const v = ys.values[i];
    if (!Number.isFinite(v)) fail(fn, `y has a non-finite value ${v} at index ${i}`);
    targets[i] = v;
  }
  return { x: xf, y: targets, xShape: [...xShape], yShape: [...yShape], length };
}

/** Checks the invariants of a Dataset (sizes agree, labels in range); throws a clear error if not. */
export function checkDataset(fn: string, ds: AnyDataset): void {
  if (!ds || !(ds.x instanceof Float32Array || ds.x instanceof Int32Array) || !(ds.y instanceof Int32Array || ds.y instanceof Float32Array)) {
    fail(fn, 'expected a dataset { x: Float32Array | Int32Array, y: Int32Array | Float32Array, xShape, yShape, length } (see data.fromArrays)');
  }
  checkShape(fn, 'xShape', ds.xShape);
  if (!Array.isArray(ds.yShape) || ds.yShape.some((d) => !Number.isInteger(d) || d < 1)) fail(fn, `yShape must be an array of positive integers, got ${String(ds.yShape)}`);
  if (!Number.isInteger(ds.length) || ds.length < 0) fail(fn, `length must be an integer ≥ 0, got ${ds.length}`);
  if (ds.x.length !== ds.length * numel(ds.xShape)) fail(fn, `x has ${ds.x.length} values but length ${ds.length} × xShape ${fmt(ds.xShape)} needs ${ds.length * numel(ds.xShape)}`);
  if (ds.y.length !== ds.length * numel(ds.yShape)) fail(fn, `y has ${ds.y.length} values but length ${ds.length} × yShape ${fmt(ds.yShape)} needs ${ds.length * numel(ds.yShape)}`);
}

function isClassification<D extends AnyDataset>(ds: D): ds is D & { y: Int32Array } {
  return ds.y instanceof Int32Array;
}

/** The number of classes of a labelled dataset (numClasses, or the largest label + 1). */
export function classCount(ds: AnyDataset): number {
  if (!isClassification(ds)) fail('classCount', 'the dataset has regression targets, not class labels');
  if (ds.numClasses !== undefined) return ds.numClasses;
  let m = -1;
  for (let i = 0; i < ds.y.length; i++) if (ds.y[i] > m) m = ds.y[i];
  return m + 1;
}

/** How many samples of each class (index = class). */
export function classCounts(ds: AnyDataset): number[] {
  checkDataset('classCounts', ds);
  const k = classCount(ds);
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < ds.length; i++) {
    const c = ds.y[i];
    if (c < 0 || c >= k) fail('classCounts', `label ${c} at sample ${i} is out of range for numClasses ${k}`);
    counts[c]++;
  }
  return counts;
}

/** The samples at `indices` (in that order; repeats allowed), copied into a new dataset. */
export function subset<X extends DatasetInputs>(ds: Dataset<X>, indices: ArrayLike<number>): Dataset<X> {
  checkDataset('subset', ds);
  const dx = numel(ds.xShape);
  const dy = numel(ds.yShape);
  const n = indices.length;
  const x = (ds.x instanceof Int32Array ? new Int32Array(n * dx) : new Float32Array(n * dx)) as X;
  const y = isClassification(ds) ? new Int32Array(n * dy) : new Float32Array(n * dy);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.length) fail('subset', `index ${i} (position ${k}) is out of range for a dataset of ${ds.length} samples`);
    x.set(ds.x.subarray(i * dx, (i + 1) * dx), k * dx);
    y.set(ds.y.subarray(i * dy, (i + 1) * dy), k * dy);
  }
  const out: Dataset<X> = { x, y, xShape: [...ds.xShape], yShape: [...ds.yShape], length: n };
  if (ds.numClasses !== undefined) out.numClasses = ds.numClasses;
  return out;
}

/** Mean and standard deviation used by normalize; keep them to normalise validation/test data the same way. */
export interface NormStats {
  /** One value (global), numel(xShape) values (per feature) or xShape[0] values (per channel). */
  mean: Float32Array;
  /** Population standard deviation (ddof 0); 0 is replaced by 1 (a constant feature is only centred). */
  std: Float32Array;
}

export type NormalizeMode = 'per-feature' | 'per-channel' | 'global';

/**
 * Standardise inputs: x' = (x − mean) / std.
 *   'per-feature' (default, sklearn StandardScaler): statistics of each input position over the samples;
 *   'per-channel': one mean/std per channel xShape[0] (over samples and the remaining positions), as for images;
 *   'global': one mean/std over every value;
 *   { mean, std }: statistics computed earlier (e.g. on the training set) — numbers or arrays of one of the sizes above.
 * Returns the normalised dataset and the statistics used.
 */
export function normalize(
  ds: Dataset,
  how: NormalizeMode | { mean: number | ArrayLike<number>; std: number | ArrayLike<number> } = 'per-feature',
): { data: Dataset; stats: NormStats } {
  const fn = 'normalize';
  if (typeof how === 'object') checkOptions('data.normalize', how, NORMALIZE_STATS_KEYS);
  checkDataset(fn, ds);
  if (!(ds.x instanceof Float32Array)) fail(fn, 'x holds token ids (Int32Array): there is nothing to normalise');
  const d = numel(ds.xShape);
  const channels = ds.xShape[0];
  const inner = d / channels;
  let stats: NormStats;
  if (typeof how === 'string') {
    if (how !== 'per-feature' && how !== 'per-channel' && how !== 'global') fail(fn, `mode must be 'per-feature', 'per-channel', 'global' or { mean, std }, got '${how}'`);
    if (ds.length === 0) fail(fn, 'cannot compute statistics of an empty dataset');
    const groups = how === 'global' ? 1 : how === 'per-channel' ? channels : d;
    const group = (j: number) => (how === 'global' ? 0 : how === 'per-channel' ? Math.floor(j / inner) : j);
    const sum = new Float64Array(groups);
    const count = new Float64Array(groups);
    for (let i = 0; i < ds.length; i++) {
      for (let j = 0; j < d; j++) {
        const g = group(j);
        sum[g] += ds.x[i * d + j];
        count[g]++;
      }
    }
    const mean = sum.map((s, g) => s / count[g]);
    const sq = new Float64Array(groups);
    for (let i = 0; i < ds.length; i++) {
      for (let j = 0; j < d; j++) {
        const g = group(j);
        const e = ds.x[i * d + j] - mean[g];
        sq[g] += e * e;
      }
    }
    const std = sq.map((s, g) => Math.sqrt(s / count[g]));
    stats = { mean: Float32Array.from(mean), std: Float32Array.from(std, (s) => (s === 0 ? 1 : s)) };
  } else {
    if (!how || typeof how !== 'object' || how.mean === undefined || how.std === undefined) fail(fn, 'expected a mode or { mean, std }');
    const toArr = (v: number | ArrayLike<number>) => (typeof v === 'number' ? Float32Array.of(v) : Float32Array.from(v));
    stats = { mean: toArr(how.mean), std: toArr(how.std) };
    if (stats.mean.length !== stats.std.length) fail(fn, `mean has ${stats.mean.length} values but std has ${stats.std.length}`);
    stats.mean.forEach((m, i) => {
      if (!Number.isFinite(m)) fail(fn, `mean[${i}] is ${m}`);
    });
    stats.std.forEach((s, i) => {
      if (!(s > 0) || !Number.isFinite(s)) fail(fn, `std[${i}] must be a finite number > 0, got ${s}`);
    });
  }
  const k = stats.mean.length;
  let group: (j: number) => number;
  if (k === 1) group = () => 0;
  else if (k === d) group = (j) => j;
  else if (k === channels) group = (j) => Math.floor(j / inner);
  else fail(fn, `statistics have ${k} values; expected 1 (global), ${d} (per feature of xShape ${fmt(ds.xShape)}) or ${channels} (per channel)`);
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < ds.length; i++) {
    for (let j = 0; j < d; j++) {
      const g = group(j);
      x[i * d + j] = (ds.x[i * d + j] - stats.mean[g]) / stats.std[g];
    }
  }
  return { data: { ...ds, x, xShape: [...ds.xShape], yShape: [...ds.yShape] }, stats };
}

/**
 * Random oversampling for class imbalance: every class is brought up to the size of the largest one
 * by repeating its samples. The extra copies cycle through a shuffled order of the class, so each
 * sample is repeated ⌊m/c⌋ or ⌈m/c⌉ times (m = largest count, c = its class count). The result holds
 * the original samples first, then the copies; classes with no samples stay empty.
 */
export function oversample<X extends DatasetInputs>(ds: Dataset<X>, rng?: Random | number): Dataset<X> {
  checkDataset('oversample', ds);
  if (!isClassification(ds)) fail('oversample', 'needs class labels (Int32Array y); this dataset has regression targets');
  const r = toRandom(rng);
  const counts = classCounts(ds);
  const max = Math.max(0, ...counts);
  const byClass: number[][] = counts.map(() => []);
  for (let i = 0; i < ds.length; i++) byClass[ds.y[i]].push(i);
  const indices: number[] = [];
  for (let i = 0; i < ds.length; i++) indices.push(i);
  for (const members of byClass) {
    if (members.length === 0 || members.length === max) continue;
    const order = r.shuffle([...members]);
    for (let k = 0; k < max - members.length; k++) indices.push(order[k % order.length]);
  }
  return subset(ds, indices);
}
