// Views of a plan for a learner: explain() rows as a table, the step figures (dispatches, bytes
// moved and FLOPs per step against what the model needs at least), the profiler (GPU time per
// dispatch, per kernel), the profile as a Chrome trace, and the debug-mode search for the first op
// producing NaN/Inf. Functions over a plan's rows, dispatches and values; src/graph/plan.ts exposes
// them as plan.explainTable(), plan.figures(), plan.profile(), plan.traceEvents() and plan.checkFinite().

import { gpu } from '../gpu/device.js';
import { encodeDispatches, type Prepared, type RecordedDispatch } from '../runtime/executor.js';
import { submitInOrder } from '../runtime/queue.js';
import { noteSubmit, type Storage } from '../memory/pool.js';
import { bytesOf, fmtShape } from '../util/shape.js';
import { pendingNodes, type Node, type Tensor } from '../tensor/tensor.js';
import { opOf } from '../ops/op.js';
import { rootOf } from './schedule.js';
import type { TracedStep } from './trace.js';

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
  /** With compile's `tune`: the version chosen for this dispatch's op (and the fixed rule's, where it differs). */
  tuned?: string;
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

// ---- step figures ------------------------------------------------------------------------------------

/**
 * What one step of the model needs at least, from its traced graph (before fusion): the bytes an
 * ideal step must touch and the FLOPs of its contractions. The definition (README, "Step figures"):
 *   parameters     read once (forward) and written once (the update)        2 × 4P
 *   gradients      written once (backward) and read once (the optimizer)    2 × 4P
 *   optimizer      each state arena read once and written once              2 × 4P per state
 *   inputs         every non-parameter leaf the forward reads, read once    (the batch, constants)
 *   activations    forward values the backward reads, written once and read once
 *   state updates  state the step overwrites (running statistics), read and written once
 *   FLOPs          the forward's matmul / linear / conv2d / attention FLOPs × 3 (forward, weight
 *                  gradient, input gradient), × 2 where the data input is a leaf (the batch needs no
 *                  gradient); × 1 without gradients. From the ops' cost models
 * It is a target a well-fused step can reach, not a strict lower bound: a kernel fusing the
 * optimizer into the backward would skip the gradients' round trip.
 */
export interface IdealStep {
  bytes: number;
  flops: number;
  parts: { parameters: number; gradients: number; optimizerState: number; inputs: number; activations: number; stateUpdates: number };
}

/** The ops whose FLOPs make IdealStep.flops. */
const CONTRACTIONS = new Set(['matmul', 'linear', 'conv2d', 'attention']);

/**
 * The ideal step of a traced graph over `params` (their elements, not the arena's alignment
 * padding), with `stateCount` optimizer state arenas (0 without an optimizer).
 */
export function idealStep(traced: TracedStep, params: Tensor[], stateCount: number): IdealStep {
  const paramCount = params.reduce((n, p) => n + p.size, 0);
  const stateValues = traced.stateUpdates.map(([, v]) => v);
  const forward = pendingNodes([...traced.outputs, ...stateValues]);
  const forwardSet = new Set(forward);
  const backward = pendingNodes(traced.grads).filter((n) => !forwardSet.has(n));
  const paramStorages = new Set(params.map((p) => p.storage));
  const isParam = (t: Tensor) => params.includes(t) || (t.storage !== null && paramStorages.has(t.storage));
  let flops = 0;
  const leaves = new Set<Tensor>();
  for (const n of forward) {
    if (CONTRACTIONS.has(n.op.name)) {
      // forward + weight gradient, + input gradient unless the data input is a leaf (the batch)
      const times = forwardSet.has(rootOf(n.inputs[0]).node) ? 3 : 2;
      flops += times * opOf(n.op).cost(n.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), n.outputs, n.attrs).flops;
    }
    for (const t of n.inputs) {
      const r = rootOf(t);
      if (!forwardSet.has(r.node) && !isParam(r)) leaves.add(r);
    }
  }
  const saved = new Set<Tensor>();
  for (const n of backward) {
    for (const t of n.inputs) {
      const r = rootOf(t);
      if (forwardSet.has(r.node) && !r.node.op.alias) saved.add(r);
    }
  }
  const sum = (ts: Iterable<Tensor>) => [...ts].reduce((a, t) => a + bytesOf(t), 0);
  // Leaves sharing one buffer (slices of one storage) are read once.
  const inputs = sum(new Map([...leaves].map((t) => [t.storage ?? t, t])).values());
  const trained = traced.grads.length > 0 ? 4 * paramCount : 0;
  const update = traced.update ? 2 : 1; // read (and written back by an update)
  const parts = {
    parameters: update * 4 * paramCount,
    gradients: update * trained,
    optimizerState: traced.update ? 2 * 4 * paramCount * stateCount : 0,
    inputs,
    activations: 2 * sum(saved),
    stateUpdates: 2 * traced.stateUpdates.reduce((a, [t]) => a + bytesOf(t), 0),
  };
  const bytes = Object.values(parts).reduce((a, b) => a + b, 0);
  return { bytes, flops: traced.grads.length > 0 ? flops : forwardFlops(forward), parts };
}

/** The forward's contraction FLOPs (a plan without gradients). */
function forwardFlops(forward: Node[]): number {
  let f = 0;
  for (const n of forward) {
    if (CONTRACTIONS.has(n.op.name)) f += opOf(n.op).cost(n.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), n.outputs, n.attrs).flops;
  }
  return f;
}

/** One step of a plan in hardware-independent numbers, beside the ideal step (plan.figures()). */
export interface StepFigures {
  /** Compute dispatches in the step's one compute pass. */
  dispatches: number;
  /** Copy commands after the pass (the optimizer's results, state updates). */
  copies: number;
  submits: 1;
  /** Bytes the dispatches and copies move, from each op's cost model (its inputs read once, its outputs written once). */
  bytes: number;
  /** FLOPs of every dispatch, from the cost models. */
  flops: number;
  /** Bytes uploaded from the host each step: the inputs, and the optimizer's uniforms (hyper-parameters). */
  uploadBytes: number;
  ideal: IdealStep;
}

export function stepFigures(rows: Omit<ExplainRow, 'ms'>[], dispatches: number, uploadBytes: number, ideal: IdealStep): StepFigures {
  let bytes = 0;
  let flops = 0;
  for (const r of rows) {
    bytes += r.bytes;
    flops += r.flops;
  }
  return { dispatches, copies: rows.length - dispatches, submits: 1, bytes, flops, uploadBytes, ideal };
}

const times = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/** The figures as the lines under explainTable(). */
export function formatFigures(f: StepFigures): string {
  const p = f.ideal.parts;
  return [
    `step figures: ${f.dispatches} dispatches + ${f.copies} copies in 1 submit; ${fmtCount(f.uploadBytes)}B uploaded per step`,
    `  FLOPs ${fmtCount(f.flops)} vs ideal ${fmtCount(f.ideal.flops)} (${times(f.flops, f.ideal.flops)}; ideal = the forward's matmul/conv/attention FLOPs × 3, × 2 on the batch)`,
    `  bytes moved ${fmtCount(f.bytes)}B vs ideal ${fmtCount(f.ideal.bytes)}B (${times(f.bytes, f.ideal.bytes)}; ideal = parameters ${fmtCount(p.parameters)}B + gradients ${fmtCount(p.gradients)}B` +
      ` + optimizer state ${fmtCount(p.optimizerState)}B + inputs ${fmtCount(p.inputs)}B + saved activations ${fmtCount(p.activations)}B + state updates ${fmtCount(p.stateUpdates)}B)`,
  ].join('\n');
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

export function fmtCount(n: number): string {
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
