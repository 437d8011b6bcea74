// Splitting a dataset: train / validation / test, and k-fold cross-validation. Seeded; stratified
// variants keep each class's share the same in every part (sklearn's stratify / StratifiedKFold).
// Within each part the samples keep their original order (a loader shuffles per epoch).

import { Random } from '../util/random.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { checkDataset, classCount, subset, type AnyDataset, type Dataset, type DatasetInputs } from './datasets.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const SPLIT_KEYS = keysOf<SplitOptions>({ val: 1, test: 1, seed: 1, stratify: 1 });
export const K_FOLD_KEYS = keysOf<Opts<typeof kFold, 2>>({ seed: 1, shuffle: 1, stratified: 1 });

const fail: Fail = failIn('data');

/** A fraction in [0, 1) → ⌈fraction·n⌉ samples (sklearn), or an integer ≥ 1 → that many samples. */
function sizeOf(fn: string, name: string, v: number, n: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) fail(fn, `${name} must be a fraction in [0, 1) or a whole number of samples, got ${v}`);
  if (v < 1) return Math.ceil(v * n);
  if (!Number.isInteger(v)) fail(fn, `${name} must be a fraction in [0, 1) or a whole number of samples, got ${v}`);
  return v;
}

/**
 * Share `total` among groups in proportion to `weights`, never giving a group more than `capacity`:
 * floors first, then one at a time by largest remainder (ties: larger weight, then lower index).
 */
function allocate(total: number, weights: number[], capacity: number[]): number[] {
  const sumW = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sumW > 0 ? (total * w) / sumW : 0));
  const out = exact.map((e, i) => Math.min(Math.floor(e), capacity[i]));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = weights.map((_, i) => i).sort((a, b) => (exact[b] - out[b]) - (exact[a] - out[a]) || weights[b] - weights[a] || a - b);
  while (left > 0) {
    let gave = false;
    for (const i of order) {
      if (left === 0) break;
      if (out[i] < capacity[i]) {
        out[i]++;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return out;
}

function labelsOf(fn: string, ds: AnyDataset): { labels: Int32Array; k: number } {
  if (!(ds.y instanceof Int32Array)) fail(fn, 'stratification needs class labels (Int32Array y); this dataset has regression targets');
  if (ds.yShape.length !== 0) fail(fn, `stratification needs one class label per sample; this dataset's targets have yShape [${ds.yShape.join(', ')}]`);
  return { labels: ds.y, k: classCount(ds) };
}

const sorted = (a: number[]) => Int32Array.from(a).sort();

export interface SplitOptions {
  /** Validation share: a fraction in [0, 1) (⌈fraction·n⌉ samples) or a count. Default 0. */
  val?: number;
  /** Test share, as `val`. Default 0. */
  test?: number;
  seed?: number;
  /** Keep each class's proportion in every part (class labels only). Default false. */
  stratify?: boolean;
}

export interface Split<X extends DatasetInputs = Float32Array> {
  train: Dataset<X>;
  val: Dataset<X>;
  test: Dataset<X>;
  /** The original sample indices in each part (ascending). */
  indices: { train: Int32Array; val: Int32Array; test: Int32Array };
}

/**
 * Split into train / validation / test. Test and validation sizes are ⌈fraction·n⌉ (or counts); train
 * gets the rest and must not be empty. Stratified, each class gives the parts shares in proportion to
 * its size (largest remainders, so totals are exact).
 */
export function trainValTestSplit<X extends DatasetInputs>(ds: Dataset<X>, opts: SplitOptions = {}): Split<X> {
  checkOptions('data.trainValTestSplit', opts, SPLIT_KEYS);
  const fn = 'trainValTestSplit';
  checkDataset(fn, ds);
  const n = ds.length;
  const nTest = sizeOf(fn, 'test', opts.test ?? 0, n);
  const nVal = sizeOf(fn, 'val', opts.val ?? 0, n);
  if (nTest + nVal >= n) fail(fn, `val (${nVal} samples) + test (${nTest} samples) leave no training samples out of ${n}`);
  const r = new Random(opts.seed ?? 0);
  const parts = { train: [] as number[], val: [] as number[], test: [] as number[] };
  if (opts.stratify) {
    const { labels, k } = labelsOf(fn, ds);
    const members: number[][] = Array.from({ length: k }, () => []);
    for (let i = 0; i < n; i++) members[labels[i]].push(i);
    members.forEach((m) => r.shuffle(m));
    const counts = members.map((m) => m.length);
    const testPer = allocate(nTest, counts, counts);
    const valPer = allocate(nVal, counts, counts.map((c, i) => c - testPer[i]));
    members.forEach((m, c) => {
      parts.test.push(...m.slice(0, testPer[c]));
      parts.val.push(...m.slice(testPer[c], testPer[c] + valPer[c]));
      parts.train.push(...m.slice(testPer[c] + valPer[c]));
    });
  } else {
    const order = Array.from(r.permutation(n));
    parts.test = order.slice(0, nTest);
    parts.val = order.slice(nTest, nTest + nVal);
    parts.train = order.slice(nTest + nVal);
  }
  const indices = { train: sorted(parts.train), val: sorted(parts.val), test: sorted(parts.test) };
  return { train: subset(ds, indices.train), val: subset(ds, indices.val), test: subset(ds, indices.test), indices };
}

export interface Fold<X extends DatasetInputs = Float32Array> {
  train: Dataset<X>;
  val: Dataset<X>;
  trainIndices: Int32Array;
  valIndices: Int32Array;
}

/**
 * k-fold cross-validation: k folds whose validation parts partition the dataset (every sample is in
 * exactly one validation part); each fold trains on the rest.
 *   plain (sklearn KFold): the (shuffled) order cut into k runs, the first n mod k one sample longer;
 *   stratified (sklearn StratifiedKFold): the (shuffled) samples sorted by class and dealt to the folds
 *   in turn, so every fold holds each class's share to within one sample and fold sizes differ by ≤ 1.
 */
export function kFold<X extends DatasetInputs>(ds: Dataset<X>, k: number, opts: { seed?: number; shuffle?: boolean; stratified?: boolean } = {}): Fold<X>[] {
  const fn = 'kFold';
  checkOptions('data.kFold', opts, K_FOLD_KEYS);
  checkDataset(fn, ds);
  const n = ds.length;
  if (!Number.isInteger(k) || k < 2) fail(fn, `k must be an integer ≥ 2, got ${k}`);
  if (k > n) fail(fn, `k = ${k} folds need at least ${k} samples, the dataset has ${n}`);
  const order: number[] = opts.shuffle ?? true ? Array.from(new Random(opts.seed ?? 0).permutation(n)) : Array.from({ length: n }, (_, i) => i);
  const foldOf = new Int32Array(n);
  if (opts.stratified) {
    const { labels } = labelsOf(fn, ds);
    // A stable sort keeps the shuffled order within each class.
    const byClass = order.map((i, p) => ({ i, p })).sort((a, b) => labels[a.i] - labels[b.i] || a.p - b.p);
    byClass.forEach(({ i }, p) => (foldOf[i] = p % k));
  } else {
    const base = Math.floor(n / k);
    const extra = n % k;
    let p = 0;
    for (let f = 0; f < k; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let s = 0; s < size; s++) foldOf[order[p++]] = f;
    }
  }
  const folds: Fold<X>[] = [];
  for (let f = 0; f < k; f++) {
    const val: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? val : train).push(i);
    const valIndices = Int32Array.from(val);
    const trainIndices = Int32Array.from(train);
    folds.push({ train: subset(ds, trainIndices), val: subset(ds, valIndices), trainIndices, valIndices });
  }
  return folds;
}
