// Views of a plan for a learner: explain() rows as a table, the profiler (GPU time per dispatch,
// per kernel), the profile as a Chrome trace, and the debug-mode search for the first op producing
// NaN/Inf. Functions over a plan's rows, dispatches and values; src/graph/plan.ts exposes them as
// plan.explainTable(), plan.profile(), plan.traceEvents() and plan.checkFinite().

import { gpu } from '../gpu/device.js';
import { encodeDispatches, type Prepared, type RecordedDispatch } from '../runtime/executor.js';
import { submitInOrder } from '../runtime/queue.js';
import { noteSubmit, type Storage } from '../memory/pool.js';
import { fmtShape } from '../util/shape.js';
import type { Node } from '../tensor/tensor.js';

/** One row of plan.explain(): a dispatch and where it came from. */
export interface ExplainRow {
  index: number;
  op: string;
  nodeId: number;
  kernel: string;
  file: string;
  entry: string;
  workgroupSize: [number, number, number];
  grid: [number, number, number];
  inputs: string[];
  outputs: string[];
  /** Buffer slots read and written (s3 = planned slot 3, in0 = input 0, p = parameter arena, ...). */
  reads: string[];
  writes: string[];
  flops: number;
  bytes: number;
  /** GPU (or wall-clock) milliseconds once profiled. */
  ms?: number;
}

/** The memory plan in numbers: planned slots for intermediates, and what is fixed. */
export interface MemoryStats {
  plannedBytes: number;
  naiveBytes: number;
  slots: number;
  fixedBytes: number;
}

export interface Timings {
  /** Milliseconds of each dispatch (the median of the repeats). */
  ms: number[];
  source: 'timestamp-query' | 'wall-clock';
}

export interface ProfileReport {
  source: 'timestamp-query' | 'wall-clock';
  totalMs: number;
  /** Per kernel: calls, total ms, share, GFLOP/s and GB/s from the cost model. */
  kernels: { kernel: string; calls: number; ms: number; share: number; gflops: number; gbps: number }[];
  rows: ExplainRow[];
  table: string;
}

/**
 * Time every dispatch: GPU timestamps (one compute pass per dispatch) when the adapter has
 * 'timestamp-query', else wall-clock around a submit of each dispatch (labelled as such). Runs
 * `repeats` times on the current buffer contents and keeps the median of each dispatch.
 */
export async function timeDispatches(dispatches: RecordedDispatch[], prepared: Prepared, repeats: number): Promise<Timings> {
  const ctx = gpu();
  const { device } = ctx;
  const n = dispatches.length;
  const samples: number[][] = Array.from({ length: n }, () => []);
  let source: 'timestamp-query' | 'wall-clock';
  if (ctx.has('timestamp-query')) {
    source = 'timestamp-query';
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
    const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    for (let r = 0; r < repeats; r++) {
      const encoder = device.createCommandEncoder();
      encodeDispatches(encoder, dispatches, prepared, (i) => ({
        querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1,
      }));
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      noteSubmit();
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      for (let i = 0; i < n; i++) samples[i].push(Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6);
    }
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  } else {
    source = 'wall-clock';
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < n; i++) {
        const encoder = device.createCommandEncoder();
        encodeDispatches(encoder, [dispatches[i]], { ...prepared, pipelines: [prepared.pipelines[i]], bindGroups: [prepared.bindGroups[i]] });
        const t0 = performance.now();
        device.queue.submit([encoder.finish()]);
        noteSubmit();
        await device.queue.onSubmittedWorkDone();
        samples[i].push(performance.now() - t0);
      }
    }
  }
  return { ms: samples.map((s) => median(s)), source };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Profiled rows summed per kernel, with a printable table. */
export function profileReport(rows: ExplainRow[], source: ProfileReport['source']): ProfileReport {
  const by = new Map<string, { calls: number; ms: number; flops: number; bytes: number }>();
  for (const r of rows) {
    if (r.ms === undefined) continue; // copy commands after the pass: not timed
    const e = by.get(r.kernel) ?? { calls: 0, ms: 0, flops: 0, bytes: 0 };
    e.calls++;
    e.ms += r.ms ?? 0;
    e.flops += r.flops;
    e.bytes += r.bytes;
    by.set(r.kernel, e);
  }
  const totalMs = rows.reduce((a, r) => a + (r.ms ?? 0), 0);
  const kernels = [...by].map(([kernel, e]) => ({
    kernel, calls: e.calls, ms: e.ms, share: totalMs ? e.ms / totalMs : 0,
    gflops: e.ms ? e.flops / (e.ms * 1e6) : 0, gbps: e.ms ? e.bytes / (e.ms * 1e6) : 0,
  })).sort((a, b) => b.ms - a.ms);
  const head = ['kernel', 'calls', 'ms', 'share', 'GFLOP/s', 'GB/s'];
  const body = kernels.map((k) => [k.kernel, String(k.calls), k.ms.toFixed(3), `${(100 * k.share).toFixed(1)}%`, k.gflops.toFixed(2), k.gbps.toFixed(2)]);
  const table = `GPU time per kernel (${source}), total ${totalMs.toFixed(3)} ms\n${textTable(head, body)}`;
  return { source, totalMs, kernels, rows, table };
}

/** Profiled rows as Chrome trace-event JSON (open in Perfetto or chrome://tracing). */
export function traceEventsOf(label: string, rows: ExplainRow[], source: Timings['source']): { traceEvents: object[]; displayTimeUnit: string } {
  let t = 0;
  const events = rows.map((r) => {
    const dur = (r.ms ?? 0) * 1000;
    const e = {
      name: `${r.op} · ${r.kernel}`, cat: r.file, ph: 'X', ts: t, dur, pid: 1, tid: 1,
      args: { op: r.op, node: r.nodeId, entry: r.entry, grid: r.grid.join('×'), workgroup: r.workgroupSize.join('×'),
        inputs: r.inputs, outputs: r.outputs, reads: r.reads, writes: r.writes, flops: r.flops, bytes: r.bytes, timing: source },
    };
    t += dur;
    return e;
  });
  return { traceEvents: [{ name: 'process_name', ph: 'M', pid: 1, args: { name: `shadergrad plan ${label}` } }, ...events], displayTimeUnit: 'ms' };
}

export function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

/** explain() rows and the memory plan as a printable table. */
export function formatExplain(rows: ExplainRow[], memory: MemoryStats, source?: string): string {
  const head = ['#', 'op', 'kernel (file:entry)', 'grid × workgroup', 'in → out', 'reads → writes', 'FLOPs', 'bytes', source ? `ms (${source})` : 'ms'];
  const body = rows.map((r) => [
    String(r.index), `${r.op}#${r.nodeId}`, `${r.kernel} (${r.file}:${r.entry})`,
    `${r.grid.join('×')} × ${r.workgroupSize.join('×')}`, `${r.inputs.join(' ')} → ${r.outputs.join(' ')}`,
    `${r.reads.join(',')} → ${r.writes.join(',')}`, fmtCount(r.flops), fmtCount(r.bytes), r.ms === undefined ? '' : r.ms.toFixed(3),
  ]);
  const mem = `memory plan: ${memory.slots} slots, ${fmtCount(memory.plannedBytes)}B planned for intermediates vs ` +
    `${fmtCount(memory.naiveBytes)}B without reuse (${(memory.plannedBytes / Math.max(1, memory.naiveBytes)).toFixed(2)}×); ` +
    `${fmtCount(memory.fixedBytes)}B fixed (inputs, parameters, gradients, optimizer state)`;
  return `${textTable(head, body)}\n${mem}`;
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** An intermediate of a debug-mode plan: output `index` of `node`, in its own buffer. */
export interface DebugValue {
  node: Node;
  index: number;
  storage: Storage;
}

/**
 * Read every intermediate after the last step issued (program order) and describe the first, in
 * execution order, holding a NaN or an infinity; undefined when all are finite.
 */
export async function firstNonFinite(debugValues: DebugValue[], step: number): Promise<string | undefined> {
  const { device } = gpu();
  const encoder = device.createCommandEncoder();
  const total = debugValues.reduce((n, v) => n + Math.ceil(v.storage.byteLength / 4) * 4, 0);
  const staging = device.createBuffer({ size: Math.max(4, total), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  let off = 0;
  for (const v of debugValues) {
    const size = Math.ceil(v.storage.byteLength / 4) * 4;
    if (size) encoder.copyBufferToBuffer(v.storage.buffer, v.storage.offset, staging, off, size);
    off += size;
  }
  // After every step issued before this call (program order), before any issued after it.
  await submitInOrder(() => {
    device.queue.submit([encoder.finish()]);
    noteSubmit();
  }).result;
  await staging.mapAsync(GPUMapMode.READ);
  const all = staging.getMappedRange();
  off = 0;
  let problem: string | undefined;
  for (const v of debugValues) {
    const size = Math.ceil(v.storage.byteLength / 4) * 4;
    const meta = v.node.outputs[v.index];
    if (meta.dtype === 'f32' && !problem) {
      const arr = new Float32Array(all, off, size / 4);
      const bad = arr.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        const inputs = v.node.inputs.map((t) => t.describe()).join(', ');
        problem = `shadergrad: step ${step}: op '${v.node.op.name}' (node #${v.node.id}) produced ${arr[bad]} at ` +
          `element ${bad} of its output ${v.index} ${fmtShape(meta.shape)}; inputs: ${inputs || 'none'}`;
      }
    }
    off += size;
  }
  staging.unmap();
  staging.destroy();
  return problem;
}
