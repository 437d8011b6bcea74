// Small 2-D classification sets for teaching (each sample xShape [2], Int32Array labels), seeded:
//   spiral         CS231n's interleaved spiral arms, any number of classes
//   moons          sklearn.datasets.make_moons
//   circles        sklearn.datasets.make_circles
//   xor            TensorFlow Playground's XOR quadrants
//   gaussianBlobs  sklearn.datasets.make_blobs
// `n` is always the total number of samples, shared between classes as evenly as possible (the first
// n mod classes classes get one more). Like sklearn, samples are shuffled unless shuffle: false, in
// which case they come class by class.

import { Random } from '../util/random.js';
import type { Dataset } from './datasets.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, type Fail } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const SYNTHETIC_KEYS = keysOf<SyntheticOptions>({ n: 1, noise: 1, seed: 1, shuffle: 1 });
export const SPIRAL_KEYS = keysOf<Opts<typeof spiral, 0>>({ n: 1, noise: 1, seed: 1, shuffle: 1, classes: 1 });
export const CIRCLES_KEYS = keysOf<Opts<typeof circles, 0>>({ n: 1, noise: 1, seed: 1, shuffle: 1, factor: 1 });
export const GAUSSIAN_BLOBS_KEYS = keysOf<Opts<typeof gaussianBlobs, 0>>({ n: 1, seed: 1, shuffle: 1, centers: 1, std: 1, box: 1, features: 1 });

const fail: Fail = failIn('data');

function checkCount(fn: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) fail(fn, `${name} must be an integer ≥ ${min}, got ${v}`);
}

function checkNoise(fn: string, noise: number): void {
  if (!(noise >= 0) || !Number.isFinite(noise)) fail(fn, `noise must be a finite number ≥ 0, got ${noise}`);
}

/** numpy.linspace(start, stop, m, endpoint). */
function linspace(start: number, stop: number, m: number, endpoint = true): number[] {
  if (m === 1) return [start];
  const step = (stop - start) / (endpoint ? m - 1 : m);
  return Array.from({ length: m }, (_, i) => start + i * step);
}

/** Sizes of `classes` groups sharing n samples. */
function shares(n: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, c) => Math.floor(n / classes) + (c < n % classes ? 1 : 0));
}

/** Build the dataset from points and labels, shuffling them together with `r` when asked. */
function pack(points: number[][], labels: number[], numClasses: number, r: Random, shuffle: boolean): Dataset {
  const n = labels.length;
  const order = shuffle ? r.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const d = points[0]?.length ?? 2;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    for (let j = 0; j < d; j++) x[k * d + j] = points[i][j];
    y[k] = labels[i];
  }
  return { x, y, xShape: [d], yShape: [], numClasses, length: n };
}

export interface SyntheticOptions {
  /** Total number of samples. */
  n?: number;
  noise?: number;
  seed?: number;
  /** Shuffle the samples (default true). */
  shuffle?: boolean;
}

/**
 * Spiral arms (CS231n): class j has points at radius r ∈ linspace(0, 1) and angle
 * t ∈ linspace(4j, 4(j+1)) + N(0, noise²), placed at (r·sin t, r·cos t). Values lie in [−1, 1].
 * Defaults: n = 300, classes = 3, noise = 0.2.
 */
export function spiral(opts: SyntheticOptions & { classes?: number } = {}): Dataset {
  checkOptions('data.spiral', opts, SPIRAL_KEYS);
  const { n = 300, classes = 3, noise = 0.2, seed = 0, shuffle = true } = opts;
  checkCount('spiral', 'n', n);
  checkCount('spiral', 'classes', classes, 2);
  checkNoise('spiral', noise);
  const r = new Random(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  shares(n, classes).forEach((m, j) => {
    const radius = linspace(0, 1, m);
    const angle = linspace(4 * j, 4 * (j + 1), m);
    for (let i = 0; i < m; i++) {
      const t = angle[i] + r.normal(0, noise);
      points.push([radius[i] * Math.sin(t), radius[i] * Math.cos(t)]);
      labels.push(j);
    }
  });
  return pack(points, labels, classes, r, shuffle);
}

/**
 * Two interleaving half circles (sklearn make_moons): ⌊n/2⌋ points of class 0 on
 * (cos θ, sin θ), the rest of class 1 on (1 − cos θ, 0.5 − sin θ), θ ∈ linspace(0, π); then Gaussian
 * noise of std `noise` on both coordinates. Defaults: n = 100, noise = 0.
 */
export function moons(opts: SyntheticOptions = {}): Dataset {
  checkOptions('data.moons', opts, SYNTHETIC_KEYS);
  const { n = 100, noise = 0, seed = 0, shuffle = true } = opts;
  checkCount('moons', 'n', n, 2);
  checkNoise('moons', noise);
  const r = new Random(seed);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const points: number[][] = [];
  const labels: number[] = [];
  for (const t of linspace(0, Math.PI, nOut)) {
    points.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (const t of linspace(0, Math.PI, nIn)) {
    points.push([1 - Math.cos(t), 1 - Math.sin(t) - 0.5]);
    labels.push(1);
  }
  if (noise > 0) for (const p of points) for (let j = 0; j < 2; j++) p[j] += r.normal(0, noise);
  return pack(points, labels, 2, r, shuffle);
}

/**
 * A circle inside another (sklearn make_circles): ⌊n/2⌋ points of class 0 on the unit circle and the
 * rest of class 1 on a circle of radius `factor`, angles linspace(0, 2π) without the endpoint; then
 * Gaussian noise of std `noise`. Defaults: n = 100, noise = 0, factor = 0.8.
 */
export function circles(opts: SyntheticOptions & { factor?: number } = {}): Dataset {
  checkOptions('data.circles', opts, CIRCLES_KEYS);
  const { n = 100, noise = 0, factor = 0.8, seed = 0, shuffle = true } = opts;
  checkCount('circles', 'n', n, 2);
  checkNoise('circles', noise);
  if (!(factor >= 0 && factor < 1)) fail('circles', `factor must be in [0, 1), got ${factor}`);
  const r = new Random(seed);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const points: number[][] = [];
  const labels: number[] = [];
  for (const t of linspace(0, 2 * Math.PI, nOut, false)) {
    points.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (const t of linspace(0, 2 * Math.PI, nIn, false)) {
    points.push([factor * Math.cos(t), factor * Math.sin(t)]);
    labels.push(1);
  }
  if (noise > 0) for (const p of points) for (let j = 0; j < 2; j++) p[j] += r.normal(0, noise);
  return pack(points, labels, 2, r, shuffle);
}

/**
 * XOR quadrants (TensorFlow Playground): x, y uniform in [−5, 5], pushed 0.3 away from the axes;
 * the label is 1 when the noisy point (x + u·noise, y + v·noise), u, v uniform in [−5, 5], has
 * x·y ≥ 0, else 0. The stored point is the clean one, so noise shows up as mislabelled points near the
 * axes. Defaults: n = 500, noise = 0. Coordinates span about [−5.3, 5.3]: normalise for training.
 */
export function xor(opts: SyntheticOptions = {}): Dataset {
  checkOptions('data.xor', opts, SYNTHETIC_KEYS);
  const { n = 500, noise = 0, seed = 0, shuffle = true } = opts;
  checkCount('xor', 'n', n);
  checkNoise('xor', noise);
  const r = new Random(seed);
  const padding = 0.3;
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = r.uniform(-5, 5);
    x += x > 0 ? padding : -padding;
    let y = r.uniform(-5, 5);
    y += y > 0 ? padding : -padding;
    const nx = r.uniform(-5, 5) * noise;
    const ny = r.uniform(-5, 5) * noise;
    points.push([x, y]);
    labels.push((x + nx) * (y + ny) >= 0 ? 1 : 0);
  }
  return pack(points, labels, 2, r, shuffle);
}

/**
 * Isotropic Gaussian blobs (sklearn make_blobs): `centers` given as points, or a count of centres drawn
 * uniformly in `box`; class c gets its share of n samples drawn from N(centre_c, std_c²·I).
 * Defaults: n = 100, centers = 3, std = 1, box = [−10, 10], features = 2. The centres are returned too.
 */
export function gaussianBlobs(
  opts: Omit<SyntheticOptions, 'noise'> & { centers?: number | number[][]; std?: number | number[]; box?: [number, number]; features?: number } = {},
): Dataset & { centers: number[][] } {
  const fn = 'gaussianBlobs';
  checkOptions('data.gaussianBlobs', opts, GAUSSIAN_BLOBS_KEYS);
  const { n = 100, centers = 3, std = 1, box = [-10, 10], features = 2, seed = 0, shuffle = true } = opts;
  checkCount(fn, 'n', n);
  checkCount(fn, 'features', features);
  if (!(box[0] < box[1]) || !Number.isFinite(box[0]) || !Number.isFinite(box[1])) fail(fn, `box must be [low, high] with low < high, got [${box.join(', ')}]`);
  const r = new Random(seed);
  let cs: number[][];
  if (typeof centers === 'number') {
    checkCount(fn, 'centers', centers);
    cs = Array.from({ length: centers }, () => Array.from({ length: features }, () => r.uniform(box[0], box[1])));
  } else {
    if (!Array.isArray(centers) || centers.length === 0) fail(fn, 'centers must be a count or a non-empty array of points');
    const d = centers[0].length;
    centers.forEach((c, i) => {
      if (!Array.isArray(c) || c.length !== d || c.some((v) => !Number.isFinite(v))) fail(fn, `centers[${i}] must be ${d} finite numbers`);
    });
    cs = centers.map((c) => [...c]);
  }
  const k = cs.length;
  const stds = typeof std === 'number' ? new Array<number>(k).fill(std) : [...std];
  if (stds.length !== k) fail(fn, `std has ${stds.length} values for ${k} centres`);
  stds.forEach((s, i) => {
    if (!(s >= 0) || !Number.isFinite(s)) fail(fn, `std[${i}] must be a finite number ≥ 0, got ${s}`);
  });
  const points: number[][] = [];
  const labels: number[] = [];
  shares(n, k).forEach((m, c) => {
    for (let i = 0; i < m; i++) {
      points.push(cs[c].map((v) => v + r.normal(0, stds[c])));
      labels.push(c);
    }
  });
  return { ...pack(points, labels, k, r, shuffle), centers: cs };
}
