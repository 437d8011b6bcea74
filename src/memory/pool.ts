// The buffer pool. GPU buffers are created in size classes (powers of two split into four steps,
// so at most 25 % is wasted) and recycled. A buffer released while commands that use it may still
// be recorded or queued is only handed out again after the submit that last used it: the pool
// stamps each release with the current submit epoch and reuses it once a later submit has happened.

import { gpu, onDispose } from '../gpu/device.js';
import { count, trackAllocation } from '../gpu/stats.js';
import type { BufferRef } from '../ops/op.js';

export const STORAGE_USAGE = GPUBufferUsageFlags();

function GPUBufferUsageFlags(): number {
  // GPUBufferUsage is a global only after init() in Node, so compute lazily from the spec values.
  return 0x0080 /* STORAGE */ | 0x0004 /* COPY_SRC */ | 0x0008; /* COPY_DST */
}
export const UNIFORM_USAGE = 0x0040 /* UNIFORM */ | 0x0008; /* COPY_DST */

const MIN_BYTES = 256;

/** The allocation size for a request: the next of 2^k·{1, 1.25, 1.5, 1.75}, at least 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const s = p * f;
    if (s >= bytes) return Math.ceil(s / 16) * 16;
  }
  return 2 * p;
}

interface Freed {
  buffer: GPUBuffer;
  epoch: number;
}

let submitsDone = 0;
/** Recordings started but not yet submitted: buffers released meanwhile may still be bound in them. */
let recordingsInFlight = 0;
const free = new Map<string, Freed[]>();
const sizes = new WeakMap<GPUBuffer, number>();

onDispose(() => {
  free.clear();
  submitsDone = 0;
  recordingsInFlight = 0;
});

/** A recording (command list to be submitted) starts; pair with endRecording() after its submit. */
export function beginRecording(): void {
  recordingsInFlight++;
}

export function endRecording(): void {
  recordingsInFlight = Math.max(0, recordingsInFlight - 1);
}

/** Called by everything that submits to the queue, so released buffers become reusable. */
export function noteSubmit(): void {
  submitsDone++;
  count('submits');
}

/** The epoch of commands now being recorded: they go out in submit number `submitEpoch() + 1`. */
export function submitEpoch(): number {
  return submitsDone;
}

/** A buffer of at least `bytes` bytes with the given usage, from the pool when one is free. */
export function acquireBuffer(bytes: number, usage = STORAGE_USAGE, label?: string): GPUBuffer {
  const size = sizeClass(bytes);
  const key = `${usage}:${size}`;
  const list = free.get(key);
  if (list) {
    const i = list.findIndex((f) => f.epoch < submitsDone);
    if (i >= 0) {
      const [f] = list.splice(i, 1);
      return f.buffer;
    }
  }
  const { device } = gpu();
  const limit = device.limits.maxBufferSize;
  if (size > limit) {
    throw new Error(`shadergrad: a buffer of ${bytes} bytes is larger than this device's maxBufferSize (${limit})` +
      (label ? ` (for ${label})` : ''));
  }
  const buffer = device.createBuffer({ size, usage, label });
  sizes.set(buffer, size);
  count('buffersCreated');
  trackAllocation(size);
  return buffer;
}

/**
 * Give a buffer back. It is reused only after the submit that may still use it: while a recording
 * is in flight that is the next submit; otherwise every command that used it is already submitted
 * and queue order makes it safe to reuse at once.
 */
export function releaseBuffer(buffer: GPUBuffer): void {
  const size = sizes.get(buffer);
  if (size === undefined) return; // not ours (or from a destroyed device)
  const key = `${buffer.usage}:${size}`;
  let list = free.get(key);
  if (!list) free.set(key, (list = []));
  list.push({ buffer, epoch: recordingsInFlight > 0 ? submitsDone : submitsDone - 1 });
}

/** Destroy every pooled buffer that is free now (returns the bytes given back). */
export function trimPool(): number {
  let bytes = 0;
  for (const [key, list] of free) {
    const keep: Freed[] = [];
    for (const f of list) {
      if (f.epoch < submitsDone) {
        const s = sizes.get(f.buffer) ?? 0;
        bytes += s;
        f.buffer.destroy();
      } else keep.push(f);
    }
    free.set(key, keep);
  }
  trackAllocation(-bytes);
  return bytes;
}

/**
 * A reference-counted GPU buffer holding one tensor's values. Views (reshape) share a Storage; the
 * buffer returns to the pool when the last reference goes. A Storage may also be a slice of a
 * larger buffer (a parameter inside an arena): then it keeps its parent alive instead.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly byteLength: number,
    readonly offset = 0,
    private readonly parent?: Storage,
  ) {}

  static allocate(byteLength: number, label?: string): Storage {
    return new Storage(acquireBuffer(Math.max(4, byteLength), STORAGE_USAGE, label), byteLength);
  }

  /** A slice of this storage at `offset` (a multiple of 256 bytes) that keeps this storage alive. */
  slice(offset: number, byteLength: number): Storage {
    if (offset % 256 !== 0) throw new Error(`shadergrad: internal: slice offset ${offset} is not 256-byte aligned`);
    if (offset + byteLength > this.byteLength) throw new Error('shadergrad: internal: slice out of range');
    return new Storage(this.buffer, byteLength, this.offset + offset, this.retain());
  }

  /** What kernels bind: the whole buffer, or the slice. */
  get ref(): BufferRef {
    if (this.offset === 0 && !this.parent) return this.buffer;
    return { buffer: this.buffer, offset: this.offset, size: Math.max(4, Math.ceil(this.byteLength / 4) * 4) };
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      if (this.parent) this.parent.release();
      else releaseBuffer(this.buffer);
    }
  }
}
