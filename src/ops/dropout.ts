// Dropout (torch.nn.functional.dropout): inverted dropout whose mask comes from a counter-based RNG
// (Philox4x32-10) evaluated inside the shader from (seed, offset + element index). Nothing is stored
// for the backward: it regenerates the same mask from the same seed tensor and offset.
// Kernels: shaders/dropout.wgsl (its header is the RNG's specification). Reference: src/reference/dropout.ts.

import { wgslKernel, type KernelDef } from '../gpu/kernels.js';
import { apply1, tensor, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/dropout.js';
import { globalRandom } from '../util/random.js';
import { defineOp, type OpDef } from './op.js';
import { fmtShape, numel, type Meta } from '../util/shape.js';
import { grid1d, type EncodeCtx, type EncodeArgs } from '../gpu/dispatch.js';
import { halfGrid, halfOverrides, halfWhereF32 } from './elementwise.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const RANDOM_AUGMENT_KEYS = keysOf<AugmentOptions>({ shift: 1, flip: 1, noise: 1 });
export const DROPOUT_KEYS = keysOf<DropoutOptions>({ training: 1, seed: 1, offset: 1 });

const WG = 256;
const TWO_32 = 4294967296;

export const dropoutKernels = {
  forward: wgslKernel('dropout_forward'),
  backward: wgslKernel('dropout_backward'),
};

interface DropoutAttrs {
  p: number;
  /** Counter of element 0 (elements use offset + i). */
  offset: number;
}

/**
 * Both kernels: input 0 is x (or dy), input 1 the [2] i32 seed key; one thread per element, or per
 * output word of two when the output is stored as f16 (the input may be f16 too; the key never is).
 */
function encodeMasked(kernel: KernelDef, inName: string, outName: string) {
  return (ctx: EncodeCtx, { inputs, outputs, outMeta, attrs: { p, offset }, half }: EncodeArgs<DropoutAttrs>) => {
    const n = numel(outMeta[0].shape);
    if (n === 0) return;
    ctx.dispatch(kernel, {
      bind: { [inName]: inputs[0], key: inputs[1], [outName]: outputs[0] },
      params: {
        n, offset_lo: offset % TWO_32, offset_hi: Math.floor(offset / TWO_32),
        threshold: ref.dropThreshold(p), scale: 1 / (1 - p),
      },
      overrides: halfOverrides({ inputs: ['IN_HALF'], outputs: ['OUT_HALF'] }, half),
      grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
    });
  };
}

function inferMasked(name: string) {
  return ([v, key]: Meta[]): Meta[] => {
    if (v.dtype !== 'f32') throw sgError(`${name}: input must be f32, got ${v.dtype}`, ShapeError);
    if (key.dtype !== 'i32' || numel(key.shape) !== 2) {
      throw sgError(`${name}: seed must be an i32 tensor of 2 values (key words), got ${fmtShape(key.shape)} ${key.dtype}`, ShapeError);
    }
    return [{ shape: [...v.shape], dtype: 'f32' }];
  };
}

const maskCost = ([v]: Meta[]) => ({
  // Philox4x32-10: 10 rounds of 2 emulated 32×32→64 multiplies and a few xors, ~150 integer ops per element.
  flops: 150 * numel(v.shape), bytes: 8 * numel(v.shape) + 8,
});

/** dx = mask · dy / (1 − p), the mask regenerated from the seed and offset. */
export const dropoutBackwardOp: OpDef<DropoutAttrs> = defineOp<DropoutAttrs>({
  name: 'dropoutBackward',
  kernels: [dropoutKernels.backward],
  infer: inferMasked('dropoutBackward'),
  half: halfWhereF32, // dy and dx; the i32 key stays 32-bit
  encode: encodeMasked(dropoutKernels.backward, 'dy', 'dx'),
  // The map dy ↦ mask·dy/(1 − p) is linear and diagonal, so its gradient is the same map.
  grad: ({ inputs: [, key], dys: [g], attrs }) => [g ? apply1(dropoutBackwardOp, [g, key], attrs) : null, null],
  reference: ([dy, key], { p, offset }) => [ref.dropoutBackward(dy, ref.seedWords(key), offset, p)],
  referenceBackward: ({ inputs: [, key], dys: [g], attrs: { p, offset } }) =>
    [g ? ref.dropoutBackward(g, ref.seedWords(key), offset, p) : null, null],
  cost: maskCost,
});

export const dropoutOp: OpDef<DropoutAttrs> = defineOp<DropoutAttrs>({
  name: 'dropout',
  kernels: [dropoutKernels.forward],
  infer: inferMasked('dropout'),
  half: halfWhereF32, // x and y; the i32 key stays 32-bit
  encode: encodeMasked(dropoutKernels.forward, 'x', 'y'),
  // dy/dx = diag(mask)/(1 − p): the backward kernel regenerates the mask. The seed is an integer key.
  grad: ({ inputs: [, key], dys: [dy], attrs }) => [dy ? apply1(dropoutBackwardOp, [dy, key], attrs) : null, null],
  reference: ([x, key], { p, offset }) => [ref.dropoutForward(x, ref.seedWords(key), offset, p)],
  referenceBackward: ({ inputs: [, key], dys: [dy], attrs: { p, offset } }) =>
    [dy ? ref.dropoutBackward(dy, ref.seedWords(key), offset, p) : null, null],
  cost: maskCost,
});

export interface DropoutOptions {
  /** Apply dropout (default true); with false, x is returned unchanged (torch's training=False). */
  training?: boolean;
  /**
   * The Philox key: an integer in [0, 2^53), or an i32 tensor of 2 values (the key's low and high
   * 32-bit words) — a tensor lets a compiled step feed a fresh seed every step. Default: two words
   * drawn from the global generator (reproducible after sg.nn.manualSeed).
   */
  seed?: number | Tensor;
  /** Counter of element 0, an integer in [0, 2^53): element i draws from counter offset + i. Default 0. */
  offset?: number;
}

/** Checks a `seed` option (of dropout, or of another op drawing from the same generator: `op`). */
export function checkSeed(seed: number | Tensor | undefined, op = 'dropout'): void {
  if (seed === undefined) return;
  if (seed instanceof Tensor) {
    if (seed.dtype !== 'i32' || seed.size !== 2) {
      throw sgError(`${op}: seed ${seed.describe()} must be an i32 tensor of 2 values (the key's low and high words)`, ShapeError);
    }
  } else if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw sgError(`${op}: seed must be an integer in [0, 2^53) or an i32 tensor of 2 values, got ${String(seed)}`, ShapeError);
  }
}

/** The seed as the [2] i32 key tensor the kernels read. */
export function seedTensor(seed: number | Tensor | undefined): Tensor {
  if (seed instanceof Tensor) return seed;
  let lo: number;
  let hi: number;
  if (seed === undefined) {
    const r = globalRandom();
    lo = r.nextUint32();
    hi = r.nextUint32();
  } else {
    lo = seed % TWO_32;
    hi = Math.floor(seed / TWO_32);
  }
  return tensor(new Int32Array([lo | 0, hi | 0]), [2], { dtype: 'i32' });
}

/**
 * Inverted dropout, as torch.nn.functional.dropout: each element is zeroed with probability p and the
 * survivors are scaled by 1/(1 − p). p must be in [0, 1); p = 0 or training = false return x itself.
 * The same (seed, offset) always gives the same mask; the gradient reuses it without storing it.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  checkOptions('dropout', options, DROPOUT_KEYS);
  if (!(x instanceof Tensor)) throw sgError(`dropout: x must be a Tensor, got ${typeof x}`);
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw sgError(`dropout: p must be a probability in [0, 1), got ${String(p)}`);
  }
  if (x.dtype !== 'f32') throw sgError(`dropout: x must be f32, got ${x.describe()}`, ShapeError);
  const offset = options.offset ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw sgError(`dropout: offset must be an integer in [0, 2^53), got ${String(offset)}`);
  }
  checkSeed(options.seed);
  if (options.training === false || p === 0) return x;
  return apply1(dropoutOp, [x, seedTensor(options.seed)], { p, offset });
}

// ---- the next key -----------------------------------------------------------------------------------

const seedNextKernel = wgslKernel('seed_next');

export const seedNextOp = defineOp<null>({
  name: 'seedNext',
  kernels: [seedNextKernel],
  infer: ([s]) => {
    if (s.dtype !== 'i32' || s.shape.length !== 1 || s.shape[0] !== 2) {
      throw sgError(`seedNext: the key must be an i32 tensor of 2 values, got ${fmtShape(s.shape)} ${s.dtype}`, ShapeError);
    }
    return [{ shape: [2], dtype: 'i32' }];
  },
  encode: (ctx, { inputs, outputs }) => ctx.dispatch(seedNextKernel, { bind: { seed_in: inputs[0], seed_out: outputs[0] }, grid: [1] }),
  grad: { none: 'a random key is an integer', zero: true },
  reference: ([s]) => {
    const lo = (s.data[0] >>> 0) + 1;
    const carry = lo >= TWO_32 ? 1 : 0;
    return [{ data: Float64Array.from([(lo % TWO_32) | 0, ((s.data[1] >>> 0) + carry) | 0]), shape: [2] }];
  },
  referenceBackward: { none: 'integer key', zero: true },
  cost: () => ({ flops: 1, bytes: 16 }),
});

/** key + 1 (as a 64-bit integer): the dropout key of the next step. */
export function seedNext(key: Tensor): Tensor {
  return apply1(seedNextOp, [key], null);
}

/** A fresh random dropout key tensor (from the global generator, so manualSeed makes it reproducible). */
export function randomKey(): Tensor {
  return seedTensor(undefined);
}

// ---- data augmentation ----------------------------------------------------------------------------

const augmentKernel = wgslKernel('augment_forward');

export const augmentOp = defineOp<ref.AugmentAttrs>({
  name: 'augment',
  kernels: [augmentKernel],
  infer: ([x, k]) => {
    if (x.dtype !== 'f32' || x.shape.length !== 4) throw sgError(`augment: images must be f32 [N, C, H, W], got ${fmtShape(x.shape)} ${x.dtype}`, ShapeError);
    if (k.dtype !== 'i32' || k.shape.length !== 1 || k.shape[0] !== 2) throw sgError(`augment: the key must be an i32 tensor of 2 values, got ${fmtShape(k.shape)} ${k.dtype}`, ShapeError);
    return [{ shape: x.shape, dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const [N, C, H, W] = inMeta[0].shape;
    const n = N * C * H * W;
    if (n === 0) return;
    ctx.dispatch(augmentKernel, {
      bind: { img: inputs[0], akey: inputs[1], aug: outputs[0] },
      params: { N, C, H, W, shift: attrs.shift, flip_p: attrs.flip, noise_std: attrs.noise },
      grid: grid1d(n, WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: { none: 'augmentation transforms input data, which is not differentiated' },
  reference: ([x, k], a) => [ref.augmentForward(x, ref.seedWords(k), a)],
  referenceBackward: { none: 'augmentation transforms input data' },
  cost: ([x]) => ({ flops: 20 * numel(x.shape), bytes: 8 * numel(x.shape) }),
});

export interface AugmentOptions {
  /** Largest random shift in pixels, in each direction (default 0). */
  shift?: number;
  /** Probability of a horizontal flip per image (default 0). */
  flip?: number;
  /** Standard deviation of Gaussian noise added to every pixel (default 0). */
  noise?: number;
}

/**
 * Random shift (zero fill), horizontal flip and Gaussian noise for a batch of NCHW images, drawn on
 * the GPU from the Philox key `key` (per image for shift and flip, per pixel for noise).
 */
export function augment(x: Tensor, key: Tensor, options: AugmentOptions = {}): Tensor {
  checkOptions('augment', options, RANDOM_AUGMENT_KEYS);
  const shift = options.shift ?? 0;
  const flip = options.flip ?? 0;
  const noise = options.noise ?? 0;
  if (!Number.isInteger(shift) || shift < 0) throw sgError(`augment: shift must be an integer ≥ 0, got ${shift}`);
  if (!(flip >= 0 && flip <= 1)) throw sgError(`augment: flip must be a probability in [0, 1], got ${flip}`);
  if (!(noise >= 0) || !Number.isFinite(noise)) throw sgError(`augment: noise must be a finite std ≥ 0, got ${noise}`);
  return apply1(augmentOp, [x, key], { shift, flip, noise });
}
