// The data loader keeps a whole dataset on the GPU (when it fits) and gathers each batch there:
// a compiled step takes only the batch's indices as input (B × 4 bytes uploaded per step), and
// `indexSelect` pulls the rows out of the resident tensors. Shuffling is seeded per epoch.

import { tensor, type Tensor } from '../tensor/tensor.js';
import { gpu } from '../gpu/device.js';
import { Random } from '../util/random.js';
import type { AnyDataset } from '../data/datasets.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const LOADER_KEYS = keysOf<LoaderOptions>({ batchSize: 1, shuffle: 1, dropLast: 1, seed: 1 });

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  seed?: number;
}

export class GpuDataset {
  /** [N, ...xShape]: f32 inputs, or i32 token ids */
  readonly x: Tensor;
  /** [N, ...yShape]: i32 labels or token ids, or f32 targets */
  readonly y: Tensor;
  readonly length: number;

  constructor(readonly data: AnyDataset, name = 'dataset') {
    const limit = gpu().device.limits.maxStorageBufferBindingSize;
    if (data.x.byteLength > limit) {
      throw sgError(`${name}: ${data.x.byteLength} bytes of inputs exceed this device's largest storage binding (${limit}); use a smaller dataset or stream batches`);
    }
    this.length = data.length;
    this.x = data.x instanceof Int32Array
      ? tensor(data.x, [data.length, ...data.xShape], { dtype: 'i32', name: `${name}.x` })
      : tensor(data.x, [data.length, ...data.xShape], { name: `${name}.x` });
    this.y = data.y instanceof Int32Array
      ? tensor(data.y, [data.length, ...data.yShape], { dtype: 'i32', name: `${name}.y` })
      : tensor(data.y, [data.length, ...data.yShape], { name: `${name}.y` });
  }

  dispose(): void {
    this.x.dispose();
    this.y.dispose();
  }
}

/** Batches of indices for one epoch (seeded shuffle; the last batch may be smaller unless dropLast). */
export function epochBatches(n: number, opts: LoaderOptions, epoch: number): Int32Array[] {
  checkOptions('train.epochBatches', opts, LOADER_KEYS);
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw sgError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (opts.shuffle ?? true) new Random(((opts.seed ?? 0) * 1000003 + epoch) >>> 0).shuffle(order);
  const out: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const b = order.subarray(s, Math.min(n, s + batchSize));
    if (b.length < batchSize && opts.dropLast) break;
    out.push(b);
  }
  return out;
}
