// Device-side index checks, like PyTorch's device-side asserts. The host checks the indices it
// knows (small source tensors); indices that live only on the GPU (large tensors, values computed
// by earlier kernels, inputs of a compiled plan) are checked by the kernels that use them. A kernel
// that meets an index outside its range never reads out of bounds (it writes 0 or NaN there) and
// records it in one small buffer per device:
//
//   word 0  how many out-of-range indices were met (atomicAdd; the first to add writes the rest)
//   word 1  which check (SITES below)     word 2  the index value (i32 bits)
//   word 3  its position                  word 4  the valid range's end (the axis size, or C)
//   word 5  a detail of the check (crossEntropy: ignoreIndex; gather: the axis)
//
// The buffer is copied out with every read-back (t.data(), sg.read, a plan's loss ring, flush) and
// the read throws an IndexOutOfRangeError naming the op, the index and the range; the buffer is then
// cleared. As on CUDA, the error reaches the first read issued after the failing kernel, which is
// not necessarily a read of that kernel's output.

import { gpu, onDispose } from '../gpu/device.js';
import { submitInOrder } from './queue.js';
import { acquireBuffer, noteSubmit, READBACK_USAGE, releaseBuffer } from '../memory/pool.js';
import { ShadergradError } from '../util/errors.js';
import { opCodes } from '../gpu/kernels.js';

export const ERROR_WORDS = 8;
export const ERROR_BYTES = ERROR_WORDS * 4;

/** A GPU kernel met an index outside its valid range (checked on the device). */
export class IndexOutOfRangeError extends ShadergradError {
  constructor(message: string, readonly op: string, readonly index: number, readonly position: number, readonly range: number) {
    super(message);
    this.name = 'IndexOutOfRangeError';
  }
}

type Message = (value: number, position: number, range: number, detail: number) => string;

/** The message of each check, by op; its number is the WGSL's CHECK_<OP> (shaders/common/index_errors.wgsl). */
const MESSAGES: Record<'crossEntropy' | 'gather' | 'indexSelect', Message> = {
  crossEntropy: (v, pos, C, ignore) => `crossEntropy: target ${v} (row ${pos}) is out of range: class indices must be in ` +
    `[0, ${C}) or equal ignoreIndex (${ignore}); the loss of that row is NaN`,
  gather: (v, pos, size, axis) => `gather: index ${v} (element ${pos} of the index tensor) is out of range for ` +
    `dimension ${axis} of size ${size} (valid: [0, ${size})); the output there is 0`,
  indexSelect: (v, pos, size) => `indexSelect (also behind nn.embedding): index ${v} (position ${pos}) is out of range ` +
    `for an axis of size ${size} (valid: [0, ${size})); the output rows there are 0`,
};
const CHECKS = opCodes('index.wgsl', 'CHECK', ['crossEntropy', 'gather', 'indexSelect'] as const);
const SITES = new Map(Object.entries(CHECKS).map(([op, code]) => [code, { op, message: MESSAGES[op as keyof typeof MESSAGES] }]));

let buffer: GPUBuffer | null = null;

onDispose(() => {
  buffer = null;
});

/** The device's error buffer, made (zeroed) on first use by a kernel that checks indices. */
export function errorBuffer(): GPUBuffer {
  if (!buffer) {
    const { device } = gpu();
    buffer = device.createBuffer({
      label: 'shadergrad index errors', size: ERROR_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }
  return buffer;
}

/** The error buffer if any kernel so far could have written to it (else reads need not copy it). */
export function errorBufferInUse(): GPUBuffer | null {
  return buffer;
}

/**
 * Check the words copied out of the error buffer: throws the error they record (and clears the
 * buffer, so the next read starts afresh); does nothing when no index was out of range.
 */
export function throwIndexErrors(words: Uint32Array): void {
  const met = words[0];
  if (met === 0) return;
  if (buffer) gpu().device.queue.writeBuffer(buffer, 0, new Uint32Array(ERROR_WORDS));
  const value = words[2] | 0;
  const [position, range] = [words[3], words[4]];
  const detail = words[5] | 0;
  const site = SITES.get(words[1]);
  const what = site ? site.message(value, position, range, detail) : `a kernel met index ${value} outside [0, ${range}) (check ${words[1]})`;
  const more = met > 1 ? ` (${met} out-of-range indices in all; this is the first)` : '';
  throw new IndexOutOfRangeError(
    `shadergrad: ${what}${more}. Found on the GPU by a kernel issued before this read.`,
    site?.op ?? 'unknown', value, position, range,
  );
}

/**
 * Read the error buffer after every submission issued so far (program order) and throw what it
 * records. For work that has no read-back of its own (a plan's steps without outputs).
 */
export async function checkIndexErrors(): Promise<void> {
  const flags = buffer;
  if (!flags) return;
  const { device } = gpu();
  const staging = acquireBuffer(ERROR_BYTES, READBACK_USAGE, 'index-error flags');
  try {
    await submitInOrder(() => {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(flags, 0, staging, 0, ERROR_BYTES);
      device.queue.submit([encoder.finish()]);
      noteSubmit();
    }).result;
    await staging.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    throwIndexErrors(words);
  } finally {
    releaseBuffer(staging);
  }
}
