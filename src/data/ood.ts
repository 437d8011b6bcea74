// Out-of-distribution image sets, made from data we have, to test an image classifier's OOD scores
// (metrics.oodScores, metrics.oodAuroc). Each is a Dataset of `count` images, xShape [1, 28, 28] (MNIST's
// shape; or `like.xShape`), pixel values in [0, 1], deterministic by `seed`:
//
//   'noise'     every pixel uniform in [0, 1), independently.
//   'inverted'  1 − x of digits: MNIST's (data.mnist({ count, seed }), pixels in [0, 1] as data.mnist and
//               the shadergrad CLI give them, unnormalised), or a seeded draw without repeats of
//               `like`'s samples, whose values must lie in [0, 1] — invert before normalising, then
//               normalise the OOD set with the training set's statistics (data.normalize(set, stats)).
//   'spiral'    the 2-D spiral dataset (data.spiral) drawn as pictures: image i plots the points of
//               data.spiral({ n: 150, classes: 2 … 4 arms, noise: 0.1, seed: drawn from `seed` }), all
//               arms alike; the point (u, v) ∈ [−1, 1]² lights the pixel in column round((u + 1)/2 · (W − 1))
//               and row round((1 − v)/2 · (H − 1)) (v up) in every channel: white curves on black, like
//               the digits' strokes.
//
// OOD samples have no class: y is −1 for every sample (yShape [], no numClasses). These sets are for
// scoring (metrics.oodScores reads only x), not for train.fit / train.evaluate, which need labels in [0, C).

import { Random } from '../util/random.js';
import { checkOptions, keysOf } from '../util/options.js';
import { failIn, OptionError, ShapeError, type Fail } from '../util/errors.js';
import { checkDataset, type Dataset } from './datasets.js';
import { mnist, MNIST_SIZE } from './mnist.js';
import { spiral } from './synthetic.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const OOD_SET_KEYS = keysOf<OodSetOptions>({ count: 1, seed: 1, like: 1 });

const fail: Fail = failIn('data');

export type OodKind = 'noise' | 'inverted' | 'spiral';

export interface OodSetOptions {
  /** Number of images (default 1000; for 'inverted', at most the number of digits available). */
  count?: number;
  /** Seed of the draw (default 0). */
  seed?: number;
  /**
   * An in-distribution image dataset: the OOD images take its xShape (default [1, 28, 28]); 'inverted'
   * inverts its samples instead of MNIST's.
   */
  like?: Dataset;
}

/** Points per rendered spiral image. */
const SPIRAL_POINTS = 150;

function image(shape: number[]): { c: number; h: number; w: number } {
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1) || shape[1] < 2 || shape[2] < 2) {
    fail('oodSet', `like.xShape must be an image shape [C, H, W] (H, W ≥ 2) to draw spirals into, got [${shape.join(', ')}]`, ShapeError);
  }
  return { c: shape[0], h: shape[1], w: shape[2] };
}

/**
 * An out-of-distribution image set: 'noise', 'inverted' digits or rendered 'spiral's (see the file
 * header), `count` images of [1, 28, 28] (or like.xShape) in [0, 1], labels −1.
 *
 *   const noise = await sg.data.oodSet('noise', { count: 500, seed: 1 });
 */
export async function oodSet(kind: OodKind, opts: OodSetOptions = {}): Promise<Dataset> {
  const fn = 'oodSet';
  checkOptions(`data.${fn}`, opts, OOD_SET_KEYS);
  if (kind !== 'noise' && kind !== 'inverted' && kind !== 'spiral') fail(fn, `kind must be 'noise', 'inverted' or 'spiral', got ${JSON.stringify(kind)}`, OptionError);
  const { count = 1000, seed = 0, like } = opts;
  if (!Number.isInteger(count) || count < 1) fail(fn, `count must be a positive integer, got ${String(count)}`, OptionError);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail(fn, `seed must be a finite number, got ${String(seed)}`, OptionError);
  if (like !== undefined) {
    checkDataset(fn, like);
    if (!(like.x instanceof Float32Array)) fail(fn, 'like.x holds token ids (Int32Array); OOD sets are images (f32)');
  }
  const xShape = like ? [...like.xShape] : [1, 28, 28];
  const d = xShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * d);
  const r = new Random(seed);
  if (kind === 'noise') {
    for (let i = 0; i < x.length; i++) x[i] = r.next();
  } else if (kind === 'inverted') {
    let src: Float32Array;
    if (like) {
      if (count > like.length) fail(fn, `count ${count} is more than like's ${like.length} samples ('inverted' draws without repeats)`);
      const order = r.permutation(like.length);
      src = new Float32Array(count * d);
      for (let k = 0; k < count; k++) src.set(like.x.subarray(order[k] * d, (order[k] + 1) * d), k * d);
    } else {
      if (count > MNIST_SIZE) fail(fn, `count ${count} is more than the ${MNIST_SIZE} MNIST digits ('inverted' inverts distinct digits)`);
      src = (await mnist({ count, seed })).x;
    }
    for (let i = 0; i < x.length; i++) {
      const v = src[i];
      if (!(v >= 0 && v <= 1)) fail(fn, `'inverted' needs pixel values in [0, 1], but like.x holds ${v} (sample ${Math.floor(i / d)}): invert before normalising`);
      x[i] = 1 - v;
    }
  } else {
    const { c, h, w } = image(xShape);
    for (let k = 0; k < count; k++) {
      const pts = spiral({ n: SPIRAL_POINTS, classes: 2 + r.int(3), noise: 0.1, seed: r.int(2 ** 31) });
      for (let p = 0; p < pts.length; p++) {
        const col = Math.round(((pts.x[2 * p] + 1) / 2) * (w - 1));
        const row = Math.round(((1 - pts.x[2 * p + 1]) / 2) * (h - 1));
        for (let ch = 0; ch < c; ch++) x[k * d + ch * h * w + row * w + col] = 1;
      }
    }
  }
  return { x, y: new Int32Array(count).fill(-1), xShape, yShape: [], length: count };
}
