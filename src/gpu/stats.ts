// Counters that tests and benchmarks read to prove what the runtime does: in a compiled steady-state
// step, buffersCreated / pipelinesCreated / bindGroupsCreated must not move and submits grows by one.

export interface Stats {
  buffersCreated: number;
  pipelinesCreated: number;
  bindGroupsCreated: number;
  submits: number;
  dispatches: number;
  /** Bytes of GPU buffers currently allocated by shadergrad (pooled and in use). */
  bytesAllocated: number;
  /** The high-water mark of bytesAllocated. */
  peakBytes: number;
  /** Bytes read back to the CPU. */
  bytesRead: number;
  /** Bytes uploaded with queue.writeBuffer. */
  bytesWritten: number;
}

const counters: Stats = zero();

function zero(): Stats {
  return {
    buffersCreated: 0, pipelinesCreated: 0, bindGroupsCreated: 0, submits: 0, dispatches: 0,
    bytesAllocated: 0, peakBytes: 0, bytesRead: 0, bytesWritten: 0,
  };
}

/** A snapshot of the counters. */
export function stats(): Stats {
  return { ...counters };
}

/** Reset every counter but bytesAllocated (peakBytes restarts from the current allocation). */
export function resetStats(): void {
  const bytes = counters.bytesAllocated;
  Object.assign(counters, zero(), { bytesAllocated: bytes, peakBytes: bytes });
}

export function count(what: Exclude<keyof Stats, 'bytesAllocated' | 'peakBytes'>, n = 1): void {
  counters[what] += n;
}

export function trackAllocation(bytes: number): void {
  counters.bytesAllocated += bytes;
  if (counters.bytesAllocated > counters.peakBytes) counters.peakBytes = counters.bytesAllocated;
}
