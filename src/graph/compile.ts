// compile(): trace a training step (forward + loss + backward + optimizer update) once into a Plan —
// a fixed list of dispatches with every buffer already assigned — and replay it.
//
//   trace      call the step function on placeholder inputs; differentiate the loss w.r.t. the
//              parameters; let the optimizer add its update ops over the packed arenas
//   schedule   topological order: forward and backward first, then the optimizer
//   plan       liveness over the node outputs, slots reused after their last reader
//              (src/memory/planner.ts); parameter gradients are written straight into slices of
//              the gradient arena, so ONE optimizer dispatch updates every parameter
//   record     every op's encode() once; pipelines, bind groups and the uniform buffer built once
//   run        write inputs, one command encoder, one compute pass, one submit; outputs are copied
//              into a ring of staging buffers every `readEvery` steps and mapped without waiting
//
// In steady state a step creates no buffers, pipelines or bind groups and never waits on the GPU.

import { gpu, throwPendingError } from '../gpu/device.js';
import { checkIndexErrors, ERROR_BYTES, errorBuffer, throwIndexErrors } from '../gpu/device-errors.js';
import { queueBusy, submitInOrder } from '../gpu/queue.js';
import {
  Recorder, encodeDispatches, lostOr, prepare, type Prepared, type RecordedCommand, type RecordedDispatch,
} from '../gpu/executor.js';
import { packParams, paramLayout, pipelineKey, type KernelDef } from '../gpu/kernels.js';
import { count } from '../gpu/stats.js';
import { acquireBuffer, noteSubmit, releaseBuffer, Storage } from '../memory/pool.js';
import { planMemory, type PlannedValue } from '../memory/planner.js';
import { COPY_CODE, unaryKernel } from '../ops/elementwise.js';
import { fmtShape, grid1d, isSlice, numel, type BufferRef, type Cost, type DType, type Meta } from '../ops/op.js';
import { checkUsable, fromStorage, moveReaders, Node, Tensor, pendingNodes, realise, realiseReadersOf, tracePlan, withTracing } from '../tensor/tensor.js';
import { gradients } from './autodiff.js';
import { fuseElementwise, type ChainAttrs } from './fusion.js';
import { collectStateUpdates } from './state.js';
import { checkOptions } from '../util/options.js';
import { OPTION_KEYS } from '../util/option-keys.js';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  name?: string;
}

/** Hyper-parameters an optimizer changes from step to step (learning rate, step count, ...). */
export type Hyper = Record<string, number>;

/**
 * What compile() needs from an optimizer: how many state arenas (each the size of the parameter
 * arena) it keeps, the update expressed in ops over the flat arenas, and the per-step hyper-parameters.
 * Before each step the plan copies `hyper(step)` into the attributes of the optimizer's ops that have
 * a field of the same name (lr, step, ...) and rewrites their uniform values, so a learning-rate
 * schedule needs no new pipeline, bind group or buffer.
 */
export interface PlanOptimizer {
  stateCount: number;
  /** Initial value of each state arena (default 0). */
  stateInit?: number[];
  update(param: Tensor, grad: Tensor, states: Tensor[], hyper: Hyper): { param: Tensor; states: Tensor[] };
  /** Hyper-parameters for step `step` (1-based). */
  hyper(step: number): Hyper;
  /**
   * Where the state arenas and the step count live (sg.optim optimizers own one, shared by their
   * eager steps, plans and checkpoints). A plain object without it gets one kept for it by compile().
   */
  readonly state?: OptimizerState;
}

export interface CompileOptions {
  /** One placeholder per argument of the step function. */
  inputs: InputSpec[];
  /** Trainable parameters: gradients of the loss are taken w.r.t. these. */
  params?: Tensor[];
  optimizer?: PlanOptimizer;
  /** Read the outputs back every N steps (default 1). */
  readEvery?: number;
  /** Staging buffers in the readback ring at the start (default 8; grows up to 64 if the CPU runs ahead). */
  ringSize?: number;
  /** Keep every intermediate in its own buffer (and fuse nothing) so checkFinite() can name the first op producing NaN/Inf. */
  debug?: boolean;
  /** Fuse chains of elementwise ops into one kernel (default true). */
  fuse?: boolean;
  label?: string;
}

export type StepOutputs = Tensor | Record<string, Tensor>;

export interface StepRecord {
  step: number;
  values: Record<string, Float32Array | Int32Array>;
}

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

interface Placement {
  storage: Storage;
  label: string;
}

export class Plan {
  step = 0;
  readonly history: StepRecord[] = [];
  /** Readbacks skipped because every staging buffer was still being mapped. */
  droppedReads = 0;
  private readonly pending = new Set<Promise<void>>();
  /** An error of a step submitted after run() returned: thrown by the next run() or flush(). */
  private deferredError?: Error;
  private readonly freeRing: GPUBuffer[];
  private disposed = false;
  timings?: { ms: number[]; source: 'timestamp-query' | 'wall-clock' };
  private ringCreated: number;
  /** Bytes of a staging buffer: the outputs, then the index-error flags when the plan checks indices. */
  private readonly readBytes: number;
  /** The device's index-error buffer (src/gpu/device-errors.ts) when a kernel of the plan checks indices. */
  private readonly errorFlags: GPUBuffer | null;
  /** The newest step whose index-error flags were read. */
  private flagsReadAt = 0;
  /** The ring never grows past this many staging buffers; further readbacks are dropped and counted. */
  readonly maxRing = 64;

  constructor(
    readonly label: string,
    readonly inputs: Tensor[],
    readonly outputNames: string[],
    private readonly outputRefs: { buffer: GPUBuffer; offset: number; bytes: number; dtype: DType }[],
    readonly dispatches: RecordedDispatch[],
    private readonly prepared: Prepared,
    private readonly dynamic: { index: number; node: Node }[],
    private readonly hyper: Hyper | undefined,
    private readonly optimizer: PlanOptimizer | undefined,
    private readonly owned: GPUBuffer[],
    private readonly keep: Storage[],
    readonly rows: Omit<ExplainRow, 'ms'>[],
    readonly memory: { plannedBytes: number; naiveBytes: number; slots: number; fixedBytes: number },
    private readonly readEvery: number,
    ringSize: number,
    private readonly debugValues: { node: Node; index: number; storage: Storage }[] | undefined,
    /** Buffer-to-buffer copies after the compute pass: the optimizer's results and state updates. */
    private readonly tailCopies: TailCopy[],
    /** Tensors each step writes in place (parameters, running statistics). */
    private readonly written: Tensor[],
  ) {
    this.errorFlags = dispatches.some((d) => d.kernel.bindings.some((b) => b.indexErrors)) ? errorBuffer() : null;
    this.readBytes = Math.max(4, outputRefs.reduce((n, o) => n + Math.ceil(o.bytes / 4) * 4, 0) + (this.errorFlags ? ERROR_BYTES : 0));
    // Readback: the outputs (losses, metrics), copied into a ring of staging buffers.
    this.freeRing = outputRefs.length
      ? Array.from({ length: ringSize }, () => acquireBuffer(this.readBytes, 0x0001 | 0x0008, `${label} readback`))
      : [];
    this.owned.push(...this.freeRing);
    this.ringCreated = this.freeRing.length;
  }

  /** Number of dispatches in one step. */
  get size(): number {
    return this.dispatches.length;
  }

  /**
   * Run one step: write the inputs, encode every dispatch into one compute pass, submit once.
   * Returns without waiting for the GPU.
   */
  run(...inputs: (Float32Array | Int32Array | number[] | Tensor)[]): void {
    if (this.disposed) throw new Error(`shadergrad: plan '${this.label}' was disposed`);
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = undefined;
      throw e;
    }
    throwPendingError();
    gpu();
    if (this.keep.some((s) => !s.live)) {
      throw new Error(`shadergrad: plan '${this.label}' was compiled on a GPU device that was lost or disposed; compile it again after sg.init()`);
    }
    if (inputs.length !== this.inputs.length) {
      throw new Error(`shadergrad: plan '${this.label}' takes ${this.inputs.length} inputs, got ${inputs.length}`);
    }
    // Submitted in program order (src/gpu/queue.ts): at once when nothing earlier waits, else after
    // it, with the input values copied now so the caller may reuse its arrays.
    const deferred = queueBusy();
    const copies: [Storage, Tensor][] = [];
    const writes: [Tensor, Float32Array | Int32Array][] = [];
    inputs.forEach((v, i) => {
      const ph = this.inputs[i];
      const name = ph.name ?? `input ${i}`;
      if (v instanceof Tensor) {
        if (v.size !== ph.size || v.dtype !== ph.dtype) {
          throw new Error(`shadergrad: plan '${this.label}': ${name} expects ${fmtShape(ph.shape)} ${ph.dtype}, got ${v.describe()}`);
        }
        checkUsable(v, `plan '${this.label}' ${name}`);
        if (!v.storage) throw new Error(`shadergrad: plan '${this.label}': ${v.describe()} is not realised; await sg.realise(t) first`);
        copies.push([v.storage, ph]);
        return;
      }
      if (v.length !== ph.size) {
        throw new Error(`shadergrad: plan '${this.label}': ${name} expects ${ph.size} values (${fmtShape(ph.shape)}), got ${v.length}`);
      }
      let arr = ph.dtype === 'i32' ? (v instanceof Int32Array ? v : Int32Array.from(v)) : (v instanceof Float32Array ? v : Float32Array.from(v));
      if (deferred && arr === v) arr = arr.slice();
      writes.push([ph, arr]);
    });
    const step = ++this.step;
    let hyper: Hyper | undefined;
    if (this.optimizer && this.hyper) {
      // The optimizer's step counts every plan that updates the same parameters.
      const shared = optimizerStateOf(this.optimizer);
      shared.step++;
      hyper = this.optimizer.hyper(shared.step);
    }
    // Ops recorded earlier that read what this step overwrites run first (program order).
    realiseReadersOf(this.written);
    for (const [s] of copies) s.retain(); // an input tensor disposed before a deferred submit keeps its values
    const { submission, result } = submitInOrder(() => {
      try {
        this.submitStep(step, writes, copies, hyper);
      } finally {
        for (const [s] of copies) s.release();
      }
    });
    result.catch(() => undefined);
    if (submission.done) {
      if (submission.error) throw submission.error;
    } else {
      const p = result.catch((e) => {
        this.deferredError ??= e;
      }).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Write the inputs, encode the step, submit (at this step's turn in the queue). */
  private submitStep(step: number, writes: [Tensor, Float32Array | Int32Array][], copies: [Storage, Tensor][], hyper: Hyper | undefined): void {
    const { device } = gpu();
    if (this.disposed) throw new Error(`shadergrad: plan '${this.label}' was disposed before step ${step} was submitted`);
    for (const [ph, arr] of writes) {
      device.queue.writeBuffer(ph.storage!.buffer, ph.storage!.offset, arr.buffer, arr.byteOffset, arr.byteLength);
      count('bytesWritten', arr.byteLength);
    }
    if (hyper) {
      Object.assign(this.hyper!, hyper);
      this.repackDynamic();
    }
    const encoder = device.createCommandEncoder({ label: this.label });
    for (const [src, ph] of copies) {
      encoder.copyBufferToBuffer(src.buffer, src.offset, ph.storage!.buffer, ph.storage!.offset, ph.size * 4);
    }
    encodeDispatches(encoder, this.dispatches, this.prepared);
    for (const c of this.tailCopies) encoder.copyBufferToBuffer(c.src.buffer, c.src.offset, c.dst.buffer, c.dst.offset, c.bytes);
    const read = this.outputRefs.length > 0 && step % this.readEvery === 0;
    let staging: GPUBuffer | undefined;
    if (read) {
      staging = this.freeRing.pop();
      if (!staging && this.ringCreated < this.maxRing) {
        // The CPU ran further ahead of the GPU than the ring covers: grow it (bounded).
        staging = acquireBuffer(this.readBytes, 0x0001 | 0x0008, `${this.label} readback`);
        this.owned.push(staging);
        this.ringCreated++;
      }
      if (!staging) this.droppedReads++;
      else {
        let off = 0;
        for (const o of this.outputRefs) {
          encoder.copyBufferToBuffer(o.buffer, o.offset, staging, off, Math.ceil(o.bytes / 4) * 4);
          off += Math.ceil(o.bytes / 4) * 4;
        }
        if (this.errorFlags) encoder.copyBufferToBuffer(this.errorFlags, 0, staging, off, ERROR_BYTES);
      }
    }
    device.queue.submit([encoder.finish()]);
    noteSubmit();
    if (staging) this.collect(staging, step);
  }

  private repackDynamic(): void {
    const view = new DataView(this.prepared.uniformData);
    const h = this.hyper!;
    for (const { node } of this.dynamic) {
      const attrs = node.attrs as Record<string, unknown>;
      for (const k of Object.keys(h)) if (k in attrs && typeof attrs[k] === 'number') attrs[k] = h[k];
    }
    for (const { index, node } of this.dynamic) {
      const d = this.dispatches[index];
      // Re-run the op's encode with the refreshed hyper-parameters to get its new uniform values.
      const params = reencodeParams(node, d, index - this.firstDispatchOf(node, index));
      if (params) packParams(d.kernel, params, view, this.prepared.uniformOffsets[index]);
    }
    gpu().device.queue.writeBuffer(this.prepared.uniform!, 0, this.prepared.uniformData);
    count('bytesWritten', this.prepared.uniformData.byteLength);
  }

  private firstDispatchOf(node: Node, index: number): number {
    let i = index;
    while (i > 0 && this.dispatches[i - 1].nodeId === node.id) i--;
    return i;
  }

  private collect(staging: GPUBuffer, step: number): void {
    const p = staging.mapAsync(GPUMapMode.READ).then(() => {
      const data = staging.getMappedRange();
      const values: Record<string, Float32Array | Int32Array> = {};
      let off = 0;
      this.outputRefs.forEach((o, i) => {
        const n = o.bytes / 4;
        const slice = data.slice(off, off + n * 4);
        values[this.outputNames[i]] = o.dtype === 'i32' ? new Int32Array(slice) : new Float32Array(slice);
        off += Math.ceil(o.bytes / 4) * 4;
      });
      const flags = this.errorFlags ? new Uint32Array(data.slice(off, off + ERROR_BYTES)) : null;
      this.flagsReadAt = Math.max(this.flagsReadAt, step);
      staging.unmap();
      this.history.push({ step, values });
      count('bytesRead', this.readBytes);
      if (flags) {
        try {
          throwIndexErrors(flags);
        } catch (e) {
          this.deferredError ??= e as Error;
        }
      }
    }, (e) => {
      this.deferredError ??= lostOr(e, `plan '${this.label}': reading back step ${step}`);
    }).finally(() => {
      this.pending.delete(p);
      if (!this.disposed) this.freeRing.push(staging);
    });
    this.pending.add(p);
  }

  /**
   * Wait for every step submitted so far and every readback in flight; returns the history (oldest
   * first). Rejects, with a message, if a step or a readback failed (e.g. the device was lost).
   */
  async flush(): Promise<StepRecord[]> {
    while (this.pending.size) await Promise.all([...this.pending]);
    // Steps since the last read-back may have met out-of-range indices: read the flags once more.
    if (this.errorFlags && this.step > this.flagsReadAt && !this.deferredError) {
      this.flagsReadAt = this.step;
      await checkIndexErrors().catch((e: Error) => {
        this.deferredError = e;
      });
    }
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = undefined;
      throw e;
    }
    this.history.sort((a, b) => a.step - b.step);
    return this.history;
  }

  /** The most recent value read back for an output (after flush()). */
  last(name = this.outputNames[0]): number | undefined {
    const r = this.history[this.history.length - 1];
    return r?.values[name]?.[0];
  }

  /**
   * Debug mode only (compile with `debug: true`): wait for the last step and check every
   * intermediate for NaN/Inf; throws naming the first op (in execution order) that produced one.
   */
  async checkFinite(): Promise<void> {
    if (!this.debugValues) throw new Error(`shadergrad: plan '${this.label}' was not compiled with { debug: true }`);
    const { device } = gpu();
    const encoder = device.createCommandEncoder();
    const total = this.debugValues.reduce((n, v) => n + Math.ceil(v.storage.byteLength / 4) * 4, 0);
    const staging = device.createBuffer({ size: Math.max(4, total), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    let off = 0;
    for (const v of this.debugValues) {
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
    for (const v of this.debugValues) {
      const size = Math.ceil(v.storage.byteLength / 4) * 4;
      const meta = v.node.outputs[v.index];
      if (meta.dtype === 'f32' && !problem) {
        const arr = new Float32Array(all, off, size / 4);
        const bad = arr.findIndex((x) => !Number.isFinite(x));
        if (bad >= 0) {
          const inputs = v.node.inputs.map((t) => t.describe()).join(', ');
          problem = `shadergrad: step ${this.step}: op '${v.node.op.name}' (node #${v.node.id}) produced ${arr[bad]} at ` +
            `element ${bad} of its output ${v.index} ${fmtShape(meta.shape)}; inputs: ${inputs || 'none'}`;
        }
      }
      off += size;
    }
    staging.unmap();
    staging.destroy();
    if (problem) throw new NonFiniteError(problem);
  }

  /** The teaching view: one row per dispatch (see ExplainRow). */
  explain(): ExplainRow[] {
    return this.rows.map((r, i) => ({ ...r, ms: this.timings?.ms[i] }));
  }

  /** explain() as a printable table. */
  explainTable(): string {
    return formatExplain(this.explain(), this.memory, this.timings?.source);
  }

  /**
   * Time every dispatch: GPU timestamps (one compute pass per dispatch) when the adapter has
   * 'timestamp-query', else wall-clock around a submit of each dispatch (labelled as such). Runs
   * `repeats` times on the current buffer contents and keeps the median of each dispatch. The copy
   * commands after the pass (optimizer results, state updates) are not timed: their rows keep no ms.
   */
  async profile(repeats = 5): Promise<ProfileReport> {
    const ctx = gpu();
    const { device } = ctx;
    const n = this.dispatches.length;
    const samples: number[][] = Array.from({ length: n }, () => []);
    let source: 'timestamp-query' | 'wall-clock';
    if (ctx.has('timestamp-query')) {
      source = 'timestamp-query';
      const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
      const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      for (let r = 0; r < repeats; r++) {
        const encoder = device.createCommandEncoder();
        encodeDispatches(encoder, this.dispatches, this.prepared, (i) => ({
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
          encodeDispatches(encoder, [this.dispatches[i]], { ...this.prepared, pipelines: [this.prepared.pipelines[i]], bindGroups: [this.prepared.bindGroups[i]] });
          const t0 = performance.now();
          device.queue.submit([encoder.finish()]);
          noteSubmit();
          await device.queue.onSubmittedWorkDone();
          samples[i].push(performance.now() - t0);
        }
      }
    }
    const ms = samples.map((s) => median(s));
    this.timings = { ms, source };
    return profileReport(this.explain(), source);
  }

  /** The profile as Chrome trace-event JSON (open in Perfetto or chrome://tracing). */
  traceEvents(): { traceEvents: object[]; displayTimeUnit: string } {
    if (!this.timings) throw new Error(`shadergrad: plan '${this.label}': call await plan.profile() before traceEvents()`);
    let t = 0;
    const events = this.explain().map((r) => {
      const dur = (r.ms ?? 0) * 1000;
      const e = {
        name: `${r.op} · ${r.kernel}`, cat: r.file, ph: 'X', ts: t, dur, pid: 1, tid: 1,
        args: { op: r.op, node: r.nodeId, entry: r.entry, grid: r.grid.join('×'), workgroup: r.workgroupSize.join('×'),
          inputs: r.inputs, outputs: r.outputs, reads: r.reads, writes: r.writes, flops: r.flops, bytes: r.bytes, timing: this.timings!.source },
      };
      t += dur;
      return e;
    });
    return { traceEvents: [{ name: 'process_name', ph: 'M', pid: 1, args: { name: `shadergrad plan ${this.label}` } }, ...events], displayTimeUnit: 'ms' };
  }

  /** Give every buffer the plan owns back to the pool. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) releaseBuffer(b);
    for (const s of this.keep) s.release();
    if (this.prepared.uniform) releaseBuffer(this.prepared.uniform);
  }
}

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The uniform values an op's encode() gives for one of its dispatches (dynamic hyper-parameters). */
function reencodeParams(node: Node, d: RecordedDispatch, nth: number): RecordedDispatch['params'] | undefined {
  let k = 0;
  let found: RecordedDispatch['params'] | undefined;
  const capture = {
    dispatch: (_kernel: KernelDef, opts: { params?: RecordedDispatch['params'] }) => {
      if (k++ === nth) found = opts.params;
    },
    scratch: () => d.buffers[0] as GPUBuffer,
    fill: () => {},
    // The recorder's limits, so that the op encodes the same sequence of dispatches as when recorded.
    limits: {
      maxWorkgroupsPerDim: gpu().device.limits.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorage: gpu().device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffers: gpu().device.limits.maxStorageBuffersPerShaderStage,
    },
  };
  const dummy = d.buffers.find((b) => b !== undefined)!;
  node.op.encode!(capture as never, {
    inputs: node.inputs.map(() => dummy), outputs: node.outputs.map(() => dummy),
    inMeta: node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), outMeta: node.outputs, attrs: node.attrs,
  });
  return found;
}

export interface ProfileReport {
  source: 'timestamp-query' | 'wall-clock';
  totalMs: number;
  /** Per kernel: calls, total ms, share, GFLOP/s and GB/s from the cost model. */
  kernels: { kernel: string; calls: number; ms: number; share: number; gflops: number; gbps: number }[];
  rows: ExplainRow[];
  table: string;
}

function profileReport(rows: ExplainRow[], source: ProfileReport['source']): ProfileReport {
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

export function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

function formatExplain(rows: ExplainRow[], memory: Plan['memory'], source?: string): string {
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

// ---- arenas --------------------------------------------------------------------------------------

const ALIGN_FLOATS = 64; // 256 bytes: minStorageBufferOffsetAlignment

export interface Arena {
  storage: Storage;
  /** Float offset of each tensor. */
  offsets: number[];
  /** Total floats, including alignment padding. */
  size: number;
}

function arenaLayout(tensors: Tensor[]): { offsets: number[]; size: number } {
  return arenaLayoutOf(tensors.map((t) => t.size));
}

/**
 * Move parameters into one packed buffer: each parameter becomes a 256-byte aligned slice of the
 * arena (its values are copied on the GPU), so one dispatch can update them all.
 */
export async function packArena(params: Tensor[], label = 'parameters'): Promise<Arena> {
  const { device } = gpu();
  params.forEach((p, i) => {
    if (p.dtype !== 'f32') throw new Error(`shadergrad: parameter ${i} ${p.describe()} must be f32`);
    if (!p.storage || p.node.op.name !== 'source') {
      throw new Error(`shadergrad: parameter ${i} ${p.describe()} must be a realised source tensor (sg.tensor or an nn parameter)`);
    }
  });
  const { offsets, size } = arenaLayout(params);
  const storage = Storage.allocate(size * 4, label);
  const encoder = device.createCommandEncoder();
  encoder.clearBuffer(storage.buffer, 0, size * 4);
  params.forEach((p, i) => {
    const s = p.storage!;
    if (p.size) encoder.copyBufferToBuffer(s.buffer, s.offset, storage.buffer, offsets[i] * 4, p.size * 4);
  });
  // In program order: after every write to the parameters issued before (old storages released
  // below stay unused until then).
  const { result } = submitInOrder(() => {
    device.queue.submit([encoder.finish()]);
    noteSubmit();
  });
  params.forEach((p, i) => {
    const old = p.node.storage[0]!;
    p.node.storage[0] = storage.slice(offsets[i] * 4, p.size * 4);
    moveReaders(old, p.node.storage[0]);
    old.release();
  });
  const arena = { storage, offsets, size };
  arenas.set(storage.buffer, arena);
  await result;
  return arena;
}

const arenas = new WeakMap<GPUBuffer, Arena>();

/** The arena `params` already live in (packed by an earlier compile), if they are laid out as one. */
function arenaOf(params: Tensor[]): Arena | undefined {
  const a = params[0]?.storage && arenas.get(params[0].storage.buffer);
  if (!a || a.offsets.length !== params.length) return undefined;
  const ok = params.every((p, i) => p.storage?.buffer === a.storage.buffer && p.storage.offset === a.offsets[i] * 4);
  return ok ? a : undefined;
}

// ---- optimizer state: one home, owned by the optimizer --------------------------------------------

/**
 * An optimizer's state: `count` arenas laid out like its parameter arena (parameter i at the same
 * 256-byte aligned float offset `offsets[i]`, alignment padding zero), and the number of steps taken.
 * Eager `opt.step(grads)`, every compiled plan of the optimizer, checkpoints (sg.save / sg.load) and
 * fit's NaN diagnosis read and write these same storages and this same counter, so the paths can be
 * mixed in any order and the optimizer behaves as one torch.optim optimizer.
 */
export class OptimizerState {
  /** Steps taken, by every path (Adam's bias correction, SGD's first momentum step). */
  step = 0;
  /** Float offset of each parameter inside an arena (as packArena lays the parameters out). */
  readonly offsets: number[];
  /** Floats per arena, padding included. */
  readonly size: number;
  private storages?: Storage[];

  constructor(readonly sizes: readonly number[], readonly count: number, readonly init: readonly number[] = []) {
    const layout = arenaLayoutOf(sizes);
    this.offsets = layout.offsets;
    this.size = layout.size;
  }

  /** Whether the arenas exist on the live device (allocated by a first step, a compile or a load). */
  get allocated(): boolean {
    return this.storages !== undefined && this.storages.every((a) => a.live);
  }

  /** The state arenas, allocated and filled with their initial values on first use. */
  arenas(): Storage[] {
    if (this.storages && !this.storages.every((a) => a.live)) {
      // The device was lost (or sg.dispose()d): the moments went with it. Start from the initial
      // state on the new device; sg.load(model, path, { optimizer }) puts a checkpoint's back.
      this.storages = undefined;
      this.step = 0;
    }
    if (!this.storages) {
      const { device } = gpu();
      this.storages = Array.from({ length: this.count }, (_, k) => {
        const a = Storage.allocate(this.size * 4, `optimizer state ${k}`);
        device.queue.writeBuffer(a.buffer, a.offset, new Float32Array(this.size).fill(this.init[k] ?? 0));
        return a;
      });
    }
    return this.storages;
  }

  /** Parameter i's piece of arena k (a view sharing the arena's buffer). */
  slice(k: number, i: number): Storage {
    return this.arenas()[k].slice(this.offsets[i] * 4, this.sizes[i] * 4);
  }

  /** Back to the initial state (step 0, arenas at their initial values) in place: plans stay bound to the arenas. */
  clear(): void {
    this.step = 0;
    if (!this.storages) return;
    const { device } = gpu();
    this.storages.forEach((a, k) => device.queue.writeBuffer(a.buffer, a.offset, new Float32Array(this.size).fill(this.init[k] ?? 0)));
  }

  /** Give the arenas back to the pool and start again from step 0 (plans compiled before keep their own reference). */
  reset(): void {
    this.storages?.forEach((s) => s.release());
    this.storages = undefined;
    this.step = 0;
  }
}

function arenaLayoutOf(sizes: readonly number[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let off = 0;
  for (const n of sizes) {
    offsets.push(off);
    off += Math.ceil(Math.max(1, n) / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  return { offsets, size: Math.max(off, ALIGN_FLOATS) };
}

/** State of PlanOptimizer objects that do not carry their own `state` (plain objects in tests). */
const looseStates = new WeakMap<PlanOptimizer, OptimizerState>();

/** The one state of `opt`: its own `state`, or (for a plain PlanOptimizer object) one kept for it here. */
export function optimizerStateOf(opt: PlanOptimizer, params?: Tensor[]): OptimizerState {
  if (opt.state) return opt.state;
  let s = looseStates.get(opt);
  if (!s) {
    if (!params) throw new Error('shadergrad: internal: the optimizer has no state yet');
    s = new OptimizerState(params.map((p) => p.size), opt.stateCount, opt.stateInit);
    looseStates.set(opt, s);
  }
  return s;
}

/** The state arenas of `opt` for this parameter arena (allocated, and initialised, on first use). */
function optimizerState(opt: PlanOptimizer, params: Tensor[], arena: Arena): OptimizerState {
  const own = (opt as { params?: Tensor[] }).params;
  if (own && (own.length !== params.length || own.some((p, i) => p !== params[i]))) {
    throw new Error(`shadergrad: compile: the optimizer updates ${own.length} parameters (${own.map((p) => p.describe()).join(', ')}); ` +
      `compile was given other \`params\` (${params.map((p) => p.describe()).join(', ')}): pass the optimizer's own parameters`);
  }
  const s = optimizerStateOf(opt, params);
  if (s.size !== arena.size || s.offsets.some((o, i) => o !== arena.offsets[i]) || s.count !== opt.stateCount) {
    throw new Error('shadergrad: compile: this optimizer already updates another set of parameters');
  }
  s.arenas();
  return s;
}

/** The state arenas of an optimizer and its step count (for checkpoints); undefined before any use. */
export function optimizerStateStorages(opt: PlanOptimizer): { arenas: Storage[]; step: number } | undefined {
  const s = opt.state ?? looseStates.get(opt);
  return s?.allocated ? { arenas: s.arenas(), step: s.step } : undefined;
}

/** Steps an optimizer has taken (compiled and eager). */
export function optimizerSteps(opt: PlanOptimizer): number {
  return (opt.state ?? looseStates.get(opt))?.step ?? 0;
}

// ---- compile ---------------------------------------------------------------------------------------

/**
 * Trace `fn` once into a Plan. `fn` receives placeholder tensors for `options.inputs` and returns
 * the loss (a one-element tensor) or a record of named outputs with a `loss` entry. With `params`,
 * the plan computes their gradients; with an `optimizer`, it also updates them in place.
 */
export async function compile(fn: (...inputs: Tensor[]) => StepOutputs, options: CompileOptions): Promise<Plan> {
  checkOptions('compile', options, OPTION_KEYS.compile);
  if (Array.isArray(options.inputs)) options.inputs.forEach((s, i) => checkOptions(`compile: inputs[${i}]`, s, OPTION_KEYS.inputSpec));
  const ctx = gpu();
  const label = options.label ?? 'step';
  const readEvery = Math.max(1, Math.floor(options.readEvery ?? 1));
  const params = options.params ?? [];
  if (options.optimizer && params.length === 0) throw new Error('shadergrad: compile: an optimizer needs `params`');

  // Placeholders for the inputs.
  const inputs = options.inputs.map((spec, i) => {
    const shape = [...spec.shape];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`shadergrad: compile: input ${i} has an invalid shape ${fmtShape(shape)}`);
    return fromStorage(Storage.allocate(numel(shape) * 4, spec.name ?? `input ${i}`), shape, spec.dtype ?? 'f32', spec.name ?? `input${i}`);
  });

  // Parameters and their gradients live in arenas.
  const paramArena = params.length ? arenaOf(params) ?? await packArena(params) : undefined;
  const gradArena = paramArena ? Storage.allocate(paramArena.size * 4, 'gradients') : undefined;
  const shared = paramArena && options.optimizer ? optimizerState(options.optimizer, params, paramArena) : undefined;
  const stateArenas = shared?.arenas() ?? [];

  // Trace.
  const hyper: Hyper | undefined = options.optimizer ? { ...options.optimizer.hyper(1) } : undefined;
  const { result: traced, updates: stateUpdates } = collectStateUpdates(() => tracePlan(() => withTracing(() => {
    const out = fn(...inputs);
    const named: Record<string, Tensor> = out instanceof Tensor ? { loss: out } : { ...out };
    for (const [k, t] of Object.entries(named)) {
      if (!(t instanceof Tensor)) throw new Error(`shadergrad: compile: output '${k}' is not a Tensor`);
    }
    let grads: Tensor[] = [];
    let update: { param: Tensor; states: Tensor[] } | undefined;
    if (params.length) {
      const loss = named.loss;
      if (!loss) throw new Error("shadergrad: compile: with `params`, the step function must return the loss (a tensor, or { loss, ... })");
      grads = gradients(loss, params);
    }
    if (options.optimizer && paramArena && gradArena) {
      const P = paramArena.size;
      const flatParam = fromStorage(paramArena.storage.retain(), [P], 'f32', 'parameter arena');
      const flatGrad = fromStorage(gradArena.retain(), [P], 'f32', 'gradient arena');
      const states = stateArenas.map((s, k) => fromStorage(s.retain(), [P], 'f32', `optimizer state ${k}`));
      update = options.optimizer.update(flatParam, flatGrad, states, hyper!);
    }
    return { named, grads, update };
  })));
  // State tensors (running statistics, dropout keys) may still be lazy results of an earlier eager
  // step: realise them now, so the plan reads and overwrites their buffers instead of recomputing them.
  const lazyState = stateUpdates.map(([t]) => t).filter((t) => !t.storage);
  if (lazyState.length) await realise(...lazyState);

  // Schedule: forward + backward, then the optimizer.
  const outputNames = Object.keys(traced.named);
  const outputs = outputNames.map((k) => traced.named[k]);
  const stateValues = stateUpdates.map(([, v]) => v);
  const unfused = pendingNodes([...outputs, ...traced.grads, ...stateValues]);
  const mainSet = new Set(unfused);
  const tail = traced.update ? pendingNodes([traced.update.param, ...traced.update.states]).filter((n) => !mainSet.has(n)) : [];
  const rootOf = (t: Tensor): Tensor => {
    let r = t;
    while (r.node.op.alias && !r.node.storage[0]) r = r.node.inputs[0];
    return r;
  };
  // Fuse elementwise chains of the forward and backward (the optimizer's ops keep their identity:
  // their uniforms are rewritten every step). Values read outside the chain stay materialised.
  const mustKeep = new Set<Tensor>([...outputs, ...traced.grads, ...stateValues].map(rootOf));
  for (const n of tail) for (const t of n.inputs) mustKeep.add(rootOf(t));
  const fusion = options.debug || options.fuse === false ? { order: unfused, fused: 0 } : tracePlan(() => fuseElementwise(unfused, mustKeep));
  const order = [...fusion.order, ...tail];
  const tailSet = new Set(tail);
  /** The tensors written by the plan's nodes. */
  const produced = new Set<Tensor>(order.flatMap((n) => n.tensors));

  // Where each value lives, keyed by tensor; alias outputs resolve to their root.
  const key = (t: Tensor) => t;
  const fixed = new Map<Tensor, Placement>();
  const keep: Storage[] = [];

  // Gradients go straight into their arena slices (copied when the producer can't write there). A
  // gradient shared by several parameters (of w1 and of w2 in w1 + w2) goes to a planned slot and is
  // copied into each of their slices: copying one arena slice into another would bind the arena as
  // both read and written in one dispatch.
  const gradTargets: { grad: Tensor; offset: number; bytes: number }[] = [];
  if (gradArena && paramArena) {
    const uses = new Map<Tensor, number>();
    for (const g of traced.grads) uses.set(key(rootOf(g)), (uses.get(key(rootOf(g))) ?? 0) + 1);
    traced.grads.forEach((g, i) => {
      const r = rootOf(g);
      const ok = !r.node.storage[r.index] && produced.has(r) && uses.get(key(r)) === 1 && !outputs.some((o) => key(rootOf(o)) === key(r));
      if (ok) {
        const s = gradArena.slice(paramArena.offsets[i] * 4, params[i].size * 4);
        keep.push(s);
        fixed.set(key(r), { storage: s, label: `g${i}` });
      } else {
        gradTargets.push({ grad: g, offset: paramArena.offsets[i] * 4, bytes: params[i].size * 4 });
      }
    });
  }

  // Liveness over the planned values.
  const values: PlannedValue[] = [];
  const valueIndex = new Map<Tensor, number>();
  const outputKeys = new Set(outputs.map((o) => key(rootOf(o))));
  const gradCopyKeys = new Set(gradTargets.map((g) => key(rootOf(g.grad))));
  order.forEach((node, i) => {
    if (node.op.alias) return;
    node.outputs.forEach((m, j) => {
      const k = node.tensors[j];
      if (fixed.has(k)) return;
      valueIndex.set(k, values.length);
      values.push({ bytes: Math.max(4, numel(m.shape) * 4), def: i, lastUse: i, pinned: options.debug || outputKeys.has(k) || gradCopyKeys.has(k) });
    });
  });
  order.forEach((node, i) => {
    for (const t of node.inputs) {
      const vi = valueIndex.get(key(rootOf(t)));
      if (vi !== undefined) values[vi].lastUse = Math.max(values[vi].lastUse, i);
    }
  });
  // Values read by the copies at the end (optimizer results, state updates) stay live to the end.
  {
    for (const t of [...(traced.update ? [traced.update.param, ...traced.update.states] : []), ...stateValues]) {
      const vi = valueIndex.get(key(rootOf(t)));
      if (vi !== undefined) values[vi].pinned = true;
    }
  }
  const mem = planMemory(values, order.length);
  const slotBuffers = mem.slotBytes.map((b) => acquireBuffer(b, undefined, `${label} slot`));
  const slotOfKey = (k: Tensor) => mem.slotOf[valueIndex.get(k)!];

  const placement = (t: Tensor): { ref: BufferRef; storage?: Storage; label: string } => {
    const r = rootOf(t);
    const s = r.node.storage[r.index];
    if (s) {
      const inIdx = inputs.indexOf(r);
      const pIdx = params.indexOf(r);
      const lbl = inIdx >= 0 ? `in${inIdx}` : pIdx >= 0 ? `p${pIdx}` : r.node.tensors[0].name ?? `c${r.node.id}`;
      return { ref: s.ref, storage: s, label: lbl };
    }
    const f = fixed.get(key(r));
    if (f) return { ref: f.storage.ref, storage: f.storage, label: f.label };
    const slot = slotOfKey(key(r));
    if (slot === undefined) throw new Error(`shadergrad: internal: no buffer planned for ${t.describe()}`);
    const bytes = Math.max(4, r.size * 4);
    return { ref: { buffer: slotBuffers[slot], offset: 0, size: Math.ceil(bytes / 4) * 4 }, label: `s${slot}` };
  };

  // Record every op once.
  const rec = new Recorder(true);
  const rows: Omit<ExplainRow, 'ms'>[] = [];
  const dynamicNodes: Node[] = [];
  const costs = new Map<number, Cost>();
  const record = (node: Node) => {
    if (node.op.alias) return;
    if (!node.op.encode) throw new Error(`shadergrad: op ${node.op.name} cannot run in a plan`);
    rec.op = node.op.name;
    rec.nodeId = node.id;
    const before = rec.commands.length;
    const ins = node.inputs.map(placement);
    const outs = node.tensors.map(placement);
    node.op.encode(rec, {
      inputs: ins.map((p) => p.ref), outputs: outs.map((p) => p.ref),
      inMeta: node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), outMeta: node.outputs, attrs: node.attrs,
    });
    const cost = node.op.cost(node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), node.outputs, node.attrs);
    costs.set(node.id, cost);
    if (tailSet.has(node)) dynamicNodes.push(node);
    for (let c = before; c < rec.commands.length; c++) {
      const opName = node.op.name === 'fusedElementwise' ? `fused(${(node.attrs as ChainAttrs).ops.join('·')})` : node.op.name;
      rows.push({
        index: c, op: opName, nodeId: node.id, kernel: '', file: '', entry: '', workgroupSize: [1, 1, 1], grid: [1, 1, 1],
        inputs: node.inputs.map((t) => `${fmtShape(t.shape)}${t.dtype === 'i32' ? 'i' : ''}`),
        outputs: node.outputs.map((m: Meta) => `${fmtShape(m.shape)}${m.dtype === 'i32' ? 'i' : ''}`),
        reads: ins.map((p) => p.label), writes: outs.map((p) => p.label),
        flops: c === before ? cost.flops : 0, bytes: c === before ? cost.bytes : 0,
      });
    }
  };
  for (const node of fusion.order) record(node);
  // Gradients whose producer could not write into the arena: copy them there, before the optimizer
  // (the tail) reads the arena.
  const copyInto = (src: BufferRef, dst: BufferRef, n: number, what: string) => {
    rec.op = what;
    rec.nodeId = undefined;
    rec.dispatch(unaryKernel, {
      bind: { x: src, y: dst }, params: { n, alpha: 0 }, overrides: { OP: COPY_CODE }, grid: grid1d(n, 256, rec.limits.maxWorkgroupsPerDim),
    });
  };
  for (const g of gradTargets) {
    const src = placement(g.grad);
    const n = g.bytes / 4;
    if (n === 0) continue;
    copyInto(src.ref, { buffer: gradArena!.buffer, offset: g.offset, size: Math.ceil(g.bytes / 4) * 4 }, n, 'gradient → arena');
    rows.push(copyRow(rows.length, 'gradient → arena', src.label, 'grads', n));
  }
  for (const node of tail) record(node);
  // The optimizer's new values back into the arenas, and state updates (batch norm running
  // statistics) into their own buffers: copy commands after the compute pass (a DMA copy, not a
  // kernel), in the same submit. Their explain rows follow the dispatches' rows.
  const copies: { src: ReturnType<typeof placement>; dst: Storage; n: number; what: string; to: string }[] = [];
  if (traced.update && paramArena) {
    const pairs: [Tensor, Storage, string][] = [[traced.update.param, paramArena.storage, 'params'],
      ...traced.update.states.map((t, k) => [t, stateArenas[k], `state${k}`] as [Tensor, Storage, string])];
    for (const [t, dst, name] of pairs) copies.push({ src: placement(t), dst, n: paramArena.size, what: `optimizer → ${name}`, to: name });
  }
  for (const [target, value] of stateUpdates) {
    copies.push({ src: placement(value), dst: target.storage!, n: target.size, what: `state → ${target.name ?? `#${target.node.id}`}`, to: target.name ?? 'state' });
  }
  const tailCopies: TailCopy[] = [];
  const tailRows: Omit<ExplainRow, 'ms'>[] = [];
  for (const { src, dst, n, what, to } of copies) {
    if (src.storage === dst || n === 0) continue; // updated in place already
    const r = src.ref;
    tailCopies.push({
      src: { buffer: isSlice(r) ? r.buffer : r, offset: isSlice(r) ? r.offset : 0 },
      dst: { buffer: dst.buffer, offset: dst.offset }, bytes: n * 4,
    });
    tailRows.push({ ...copyRow(0, what, src.label, to, n), kernel: 'copyBufferToBuffer', file: 'command encoder', entry: 'copy' });
  }
  const { dispatches, prepared } = await prepare(rec.commands as RecordedCommand[]);
  dispatches.forEach((d, i) => {
    rows[i].kernel = d.kernel.name;
    rows[i].file = `shaders/${d.kernel.file}`;
    rows[i].entry = d.kernel.entry;
    rows[i].workgroupSize = d.kernel.workgroupSize;
    rows[i].grid = d.grid;
  });
  for (const r of tailRows) rows.push({ ...r, index: rows.length });
  if (prepared.uniform) {
    gpu().device.queue.writeBuffer(prepared.uniform, 0, prepared.uniformData);
  }
  const dynamic = dispatches.map((d, index) => ({ index, node: dynamicNodes.find((n) => n.id === d.nodeId)! }))
    .filter((x) => x.node !== undefined && x.node.inputs.length > 0 && x.node.attrs !== null);

  // Initial optimizer state and a zeroed gradient arena (its alignment padding is never written).
  const { device } = ctx;
  const init = device.createCommandEncoder();
  if (gradArena) init.clearBuffer(gradArena.buffer, gradArena.offset, Math.ceil(gradArena.byteLength / 4) * 4);
  device.queue.submit([init.finish()]);
  noteSubmit();

  // Readback: the outputs (losses, metrics), copied into a ring of staging buffers.
  const outputRefs = outputs.map((o) => {
    const r = placement(o).ref;
    return { buffer: isSlice(r) ? r.buffer : r, offset: isSlice(r) ? r.offset : 0, bytes: o.size * 4, dtype: o.dtype };
  });
  // Keep the graph's constant sources alive (their storages are bound in the plan).
  for (const n of order) for (const t of n.inputs) if (t.node.storage[t.index]) keep.push(t.node.storage[t.index]!.retain());
  for (const t of inputs) keep.push(t.storage!.retain());
  if (gradArena) keep.push(gradArena);
  for (const a of stateArenas) keep.push(a.retain());

  const fixedBytes = inputs.reduce((n, t) => n + t.size * 4, 0) + (paramArena ? paramArena.size * 4 * (2 + stateArenas.length) : 0);
  const debugValues = options.debug
    ? order.filter((n) => !n.op.alias).flatMap((n) => n.tensors.map((t, index) => {
      const p = placement(t);
      const r = p.ref;
      const storage = p.storage ?? new Storage(isSlice(r) ? r.buffer : r, Math.max(4, t.size * 4), isSlice(r) ? r.offset : 0);
      return { node: n, index, storage };
    }))
    : undefined;
  return new Plan(
    label, inputs, outputNames, outputRefs, dispatches, prepared, dynamic, hyper, options.optimizer,
    [...slotBuffers, ...rec.scratchBuffers], keep, rows,
    { plannedBytes: mem.plannedBytes, naiveBytes: mem.naiveBytes, slots: mem.slotBytes.length, fixedBytes },
    readEvery, Math.max(1, options.ringSize ?? 8), debugValues, tailCopies,
    [...(traced.update ? params : []), ...stateUpdates.map(([t]) => t)],
  );
}

/** A copy command encoded after a plan's compute pass. */
interface TailCopy {
  src: { buffer: GPUBuffer; offset: number };
  dst: { buffer: GPUBuffer; offset: number };
  bytes: number;
}

function copyRow(index: number, what: string, from: string, to: string, n: number): Omit<ExplainRow, 'ms'> {
  return {
    index, op: what, nodeId: 0, kernel: '', file: '', entry: '', workgroupSize: [1, 1, 1], grid: [1, 1, 1],
    inputs: [`[${n}]`], outputs: [`[${n}]`], reads: [from], writes: [to], flops: 0, bytes: 8 * n,
  };
}

/** Re-export for explain() consumers. */
export { pipelineKey, paramLayout };
