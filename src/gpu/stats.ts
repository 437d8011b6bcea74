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
  /** Tensors neither disposed nor garbage-collected (sg.leakReport() says where they were made). */
  liveTensors: number;
  /** Pool buffers handed out and not given back (tensors, plans, arenas, staging in flight). */
  buffersInUse: number;
  /** Their bytes (size classes). bytesAllocated − bytesInUse is held by the pool for reuse. */
  bytesInUse: number;
}

type Gauge = 'liveTensors' | 'buffersInUse' | 'bytesInUse';
const gauges: Partial<Record<Gauge, () => number>> = {};

/** @internal modules that own a gauge register how to read it (avoids import cycles). */
export function registerGauge(name: Gauge, read: () => number): void {
  gauges[name] = read;
}

const counters: Omit<Stats, Gauge> = zero();

function zero(): Omit<Stats, Gauge> {
  return {
    buffersCreated: 0, pipelinesCreated: 0, bindGroupsCreated: 0, submits: 0, dispatches: 0,
    bytesAllocated: 0, peakBytes: 0, bytesRead: 0, bytesWritten: 0,
  };
}

/** A snapshot of the counters. */
export function stats(): Stats {
  return {
    ...counters,
    liveTensors: gauges.liveTensors?.() ?? 0,
    buffersInUse: gauges.buffersInUse?.() ?? 0,
    bytesInUse: gauges.bytesInUse?.() ?? 0,
  };
}

/** Reset every counter but bytesAllocated (peakBytes restarts from the current allocation). */
export function resetStats(): void {
  const bytes = counters.bytesAllocated;
  Object.assign(counters, zero(), { bytesAllocated: bytes, peakBytes: bytes });
}

export function count(what: Exclude<keyof Stats, 'bytesAllocated' | 'peakBytes' | Gauge>, n = 1): void {
  counters[what] += n;
}

export function trackAllocation(bytes: number): void {
  counters.bytesAllocated += bytes;
  if (counters.bytesAllocated > counters.peakBytes) counters.peakBytes = counters.bytesAllocated;
}
