// The buffer pool. GPU buffers are created in size classes (powers of two split into four steps,
// so at most 25 % is wasted) and recycled. A buffer released while commands that use it may still
// be recorded or queued is only handed out again once that work has gone to the queue: every
// submission takes a ticket in program order (src/runtime/queue.ts), a release is stamped with the newest
// ticket issued, and the buffer is reused once every ticket up to its stamp has been submitted.

import { deviceGeneration, gpu, onDispose } from '../gpu/device.js';
import { count, registerGauge, trackAllocation } from '../gpu/stats.js';
import type { BufferRef } from '../gpu/dispatch.js';
import { sgError } from '../util/errors.js';

/**
 * GPUBufferUsage bits by name. The global GPUBufferUsage exists in Node only once the WebGPU
 * bindings are loaded (after init()), and these constants are needed at module load.
 */
export const USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 } as const;
/** Tensors and scratch: bound as storage, copied from (reads, assigns) and to (uploads). */
export const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
export const UNIFORM_USAGE = USAGE.UNIFORM | USAGE.COPY_DST;
/** Staging buffers that results are copied into and mapped for reading. */
export const READBACK_USAGE = USAGE.MAP_READ | USAGE.COPY_DST;

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
  /** The last ticket that may still use the buffer: reusable once that ticket is done. */
  epoch: number;
}

// Tickets: every submission to the queue takes one, in program order (src/runtime/queue.ts), and they
// are retired in that order once submitted (or abandoned). A buffer released now may still be bound
// by any ticket issued so far, so it is stamped with `ticketsIssued` and handed out again only when
// `ticketsDone` has reached that stamp. With nothing queued the two are equal and reuse is immediate
// (queue order then puts every later write after every earlier use).
let ticketsIssued = 0;
let ticketsDone = 0;
let free = new Map<string, Freed[]>();
/** Sizes of the buffers this pool made on the live device: a buffer not in here is not ours. */
let sizes = new WeakMap<GPUBuffer, number>();
/** Buffers handed out and not yet given back (leak accounting, stats().buffersInUse). */
let inUse = new Set<GPUBuffer>();
let inUseBytes = 0;

onDispose(() => {
  // The device is gone (disposed or lost): its buffers must never come back out of the pool, even
  // when tensors still holding them are released later.
  free = new Map();
  sizes = new WeakMap();
  inUse = new Set();
  inUseBytes = 0;
  ticketsIssued = 0;
  ticketsDone = 0;
});

/** A new submission in program order; retire it with retireTicket() once submitted or abandoned. */
export function takeTicket(): number {
  return ++ticketsIssued;
}

export function retireTicket(): void {
  ticketsDone = Math.min(ticketsIssued, ticketsDone + 1);
}

/** Tickets issued and not yet retired (submissions waiting in the queue). */
export function ticketsPending(): number {
  return ticketsIssued - ticketsDone;
}

/** Count a submit (stats). */
export function noteSubmit(): void {
  count('submits');
}

registerGauge('buffersInUse', () => inUse.size);
registerGauge('bytesInUse', () => inUseBytes);

/** Buffers handed out and not given back, and their bytes. */
export function buffersInUse(): { buffers: number; bytes: number } {
  return { buffers: inUse.size, bytes: inUseBytes };
}

/** A buffer of at least `bytes` bytes with the given usage, from the pool when one is free. */
export function acquireBuffer(bytes: number, usage = STORAGE_USAGE, label?: string): GPUBuffer {
  const size = sizeClass(bytes);
  const key = `${usage}:${size}`;
  const list = free.get(key);
  if (list) {
    const i = list.findIndex((f) => f.epoch <= ticketsDone);
    if (i >= 0) {
      const [f] = list.splice(i, 1);
      markInUse(f.buffer, size);
      return f.buffer;
    }
  }
  const { device } = gpu();
  const limit = device.limits.maxBufferSize;
  if (size > limit) {
    throw sgError(`a buffer of ${bytes} bytes is larger than this device's maxBufferSize (${limit})` +
      (label ? ` (for ${label})` : ''));
  }
  const buffer = device.createBuffer({ size, usage, label });
  sizes.set(buffer, size);
  count('buffersCreated');
  trackAllocation(size);
  markInUse(buffer, size);
  return buffer;
}

function markInUse(buffer: GPUBuffer, size: number): void {
  inUse.add(buffer);
  inUseBytes += size;
}

/**
 * Give a buffer back. It is handed out again only after every submission issued so far (which may
 * bind it) has gone to the GPU; queue order then makes reuse safe.
 */
export function releaseBuffer(buffer: GPUBuffer): void {
  const size = sizes.get(buffer);
  if (size === undefined) return; // not ours (or from a device that is gone)
  if (!inUse.delete(buffer)) return; // given back twice
  inUseBytes -= size;
  const key = `${buffer.usage}:${size}`;
  let list = free.get(key);
  if (!list) free.set(key, (list = []));
  list.push({ buffer, epoch: ticketsIssued });
}

/** Whether `buffer` belongs to the live device's pool (false after the device was lost or disposed). */
export function isLiveBuffer(buffer: GPUBuffer): boolean {
  return sizes.has(buffer);
}

/** Destroy every pooled buffer that is free now (returns the bytes given back). */
export function trimPool(): number {
  let bytes = 0;
  for (const [key, list] of free) {
    const keep: Freed[] = [];
    for (const f of list) {
      if (f.epoch <= ticketsDone) {
        const s = sizes.get(f.buffer) ?? 0;
        bytes += s;
        sizes.delete(f.buffer);
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
  /** The device this storage's buffer lives on (deviceGeneration() when it was made). */
  readonly generation = deviceGeneration();
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
    if (offset % 256 !== 0) throw sgError(`internal: slice offset ${offset} is not 256-byte aligned`);
    if (offset + byteLength > this.byteLength) throw sgError('internal: slice out of range');
    return new Storage(this.buffer, byteLength, this.offset + offset, this.retain());
  }

  /** Whether the buffer belongs to the live device (false once that device was lost or disposed). */
  get live(): boolean {
    return this.generation === deviceGeneration() && isLiveBuffer(this.buffer);
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
