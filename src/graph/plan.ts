// The Plan runtime: replay a compiled step. run() writes the inputs, encodes every dispatch into one
// compute pass, then the copies after the pass, and submits once, in program order
// (src/runtime/queue.ts); every `readEvery` steps the outputs (and the device's index-error flags) are
// copied into a ring of staging buffers and mapped without waiting. flush() waits for all of it.
// In steady state a step creates no buffers, pipelines or bind groups and never waits on the GPU.

import { deviceGeneration, gpu, throwPendingError } from '../gpu/device.js';
import { checkIndexErrors, ERROR_BYTES, errorBuffer, throwIndexErrors } from '../runtime/device-errors.js';
import { dispatchList, encodeList, lostOr, type DispatchList, type Prepared, type RecordedDispatch } from '../runtime/executor.js';
import { queueBusy, submitInOrder } from '../runtime/queue.js';
import { count } from '../gpu/stats.js';
import { acquireBuffer, noteSubmit, READBACK_USAGE, releaseBuffer, type Storage } from '../memory/pool.js';
import { fmtShape, type DType } from '../util/shape.js';
import { checkUsable, realiseReadersOf, Tensor } from '../tensor/tensor.js';
import { optimizerStateOf, type Hyper, type PlanOptimizer } from './optimizer-state.js';
import {
  firstNonFinite, formatExplain, formatFigures, profileReport, stepFigures, timeDispatches, traceEventsOf, type DebugValue, type ExplainRow, type IdealStep,
  type MemoryStats, type ProfileReport, type StepFigures, type Timings,
} from './plan-views.js';
import { hyperRewriter, type Accumulation, type AfterPassCopy, type DynamicDispatch } from './record.js';
import { ShadergradError, sgError, ShapeError } from '../util/errors.js';
import type { Precision } from './precision.js';
import { scalerStateOf, type LossScaling, type ScalerState } from './amp.js';

/** Bytes of the loss scaler's state in a read-back. */
const SCALER_BYTES = 16;
/** Read-backs of loss scalers so far, in order (plan.scaler.order: which plan's is the newest). */
let scalerReads = 0;

export interface StepRecord {
  step: number;
  values: Record<string, Float32Array | Int32Array>;
}

/** Everything compile() hands a Plan. */
export interface PlanParts {
  label: string;
  /** The placeholder tensors run() writes the step's inputs into. */
  inputs: Tensor[];
  outputNames: string[];
  /** Where each output lives, for the readback. */
  outputRefs: { buffer: GPUBuffer; offset: number; bytes: number; dtype: DType }[];
  dispatches: RecordedDispatch[];
  prepared: Prepared;
  /** The optimizer's dispatches, their uniforms rewritten from `hyper` every step. */
  dynamic: DynamicDispatch[];
  /** The hyper-parameters the optimizer's ops were recorded with (updated in place every step). */
  hyper?: Hyper;
  optimizer?: PlanOptimizer;
  /** Buffers the plan gives back to the pool on dispose(): planned slots, scratch buffers. */
  owned: GPUBuffer[];
  /** Storages the plan binds and keeps alive: inputs, arenas, constants. */
  keep: Storage[];
  rows: Omit<ExplainRow, 'ms'>[];
  memory: MemoryStats;
  readEvery: number;
  /** Staging buffers in the readback ring at the start. */
  ringSize: number;
  /** Debug mode: every intermediate, for checkFinite(). */
  debugValues?: DebugValue[];
  /** Buffer-to-buffer copies after the compute pass: the optimizer's results and state updates. */
  afterPassCopies: AfterPassCopy[];
  /** Tensors each step writes in place (parameters, running statistics). */
  written: Tensor[];
  /** Gradient accumulation: the optimizer steps on every k-th run (src/graph/record.ts). */
  accumulation?: Accumulation;
  /** What the model's step needs at least (plan.figures()). */
  ideal?: IdealStep;
  /** compile's precision, and how many values the plan stores as f16. */
  precision?: Precision;
  halfValues?: number;
  /** Mixed precision's loss scaler: its state (read back with the outputs) and the optimizer whose steps it skips. */
  scaler?: { scaling: LossScaling; optimizer: PlanOptimizer };
}

export class NonFiniteError extends ShadergradError {
  override name = 'NonFiniteError';
}

export class Plan {
  step = 0;
  readonly history: StepRecord[] = [];
  /** Readbacks skipped because every staging buffer was still being mapped. */
  droppedReads = 0;
  timings?: Timings;
  /** The ring never grows past this many staging buffers; further readbacks are dropped and counted. */
  readonly maxRing = 64;
  readonly label: string;
  readonly inputs: Tensor[];
  readonly outputNames: string[];
  readonly dispatches: RecordedDispatch[];
  readonly rows: Omit<ExplainRow, 'ms'>[];
  readonly memory: MemoryStats;

  private readonly parts: PlanParts;
  private readonly pending = new Set<Promise<void>>();
  /** An error of a step submitted after run() returned: thrown by the next run() or flush(). */
  private deferredError?: Error;
  private readonly freeRing: GPUBuffer[];
  private disposed = false;
  private ringCreated: number;
  /** Bytes of a staging buffer: the outputs, then the index-error flags when the plan checks indices. */
  private readonly readBytes: number;
  /** The device's index-error buffer (src/runtime/device-errors.ts) when a kernel of the plan checks indices. */
  private readonly errorFlags: GPUBuffer | null;
  /** The loss scaler as last read back (mixed precision with an optimizer; undefined before the first read-back). */
  private scalerRead?: ScalerState & { step: number; order: number };
  /** The newest step whose index-error flags were read. */
  private flagsReadAt = 0;
  /** The device generation the plan was compiled on (its buffers die with that device). */
  private readonly generation = deviceGeneration();
  /** The dispatches in flat arrays for the encode loop. */
  private readonly list: DispatchList;
  /** Rewrites the optimizer's uniforms from each step's hyper-parameters. */
  private readonly hyper?: ReturnType<typeof hyperRewriter>;
  private readonly encoderDescriptor: GPUCommandEncoderDescriptor;
  /** Shared by steps submitted at once (a deferred step gets its own arrays). */
  private readonly noCopies: [Storage, Tensor][] = [];
  private readonly noWrites: [Tensor, Float32Array | Int32Array][] = [];

  constructor(parts: PlanParts) {
    this.parts = parts;
    this.label = parts.label;
    this.inputs = parts.inputs;
    this.outputNames = parts.outputNames;
    this.dispatches = parts.dispatches;
    this.rows = parts.rows;
    this.memory = parts.memory;
    this.errorFlags = parts.dispatches.some((d) => d.kernel.bindings.some((b) => b.indexErrors)) ? errorBuffer() : null;
    this.readBytes = Math.max(4, parts.outputRefs.reduce((n, o) => n + Math.ceil(o.bytes / 4) * 4, 0) +
      (parts.scaler ? SCALER_BYTES : 0) + (this.errorFlags ? ERROR_BYTES : 0));
    // Readback: the outputs (losses, metrics), copied into a ring of staging buffers.
    this.freeRing = parts.outputRefs.length
      ? Array.from({ length: parts.ringSize }, () => acquireBuffer(this.readBytes, READBACK_USAGE, `${this.label} readback`))
      : [];
    parts.owned.push(...this.freeRing);
    this.ringCreated = this.freeRing.length;
    this.list = dispatchList(parts.dispatches, parts.prepared);
    if (parts.hyper && parts.dynamic.length && parts.prepared.uniform) this.hyper = hyperRewriter(parts.dynamic, parts.dispatches, parts.prepared);
    this.encoderDescriptor = { label: this.label };
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
    if (this.disposed) throw sgError(`plan '${this.label}' was disposed`);
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = undefined;
      throw e;
    }
    throwPendingError();
    gpu();
    if (this.generation !== deviceGeneration()) {
      throw sgError(`plan '${this.label}' was compiled on a GPU device that was lost or disposed; compile it again after sg.init()`);
    }
    const n = this.inputs.length;
    if (inputs.length !== n) {
      throw sgError(`plan '${this.label}' takes ${n} inputs, got ${inputs.length}`);
    }
    // Submitted in program order (src/runtime/queue.ts): at once when nothing earlier waits, else after
    // it, with the input values copied now so the caller may reuse its arrays.
    const deferred = queueBusy();
    let copies = this.noCopies;
    let writes = this.noWrites;
    if (n > 0) {
      copies = deferred ? [] : this.noCopies;
      writes = deferred ? [] : this.noWrites;
      copies.length = 0;
      writes.length = 0;
      for (let i = 0; i < n; i++) {
        const v = inputs[i];
        const ph = this.inputs[i];
        if (v instanceof Tensor) {
          if (v.size !== ph.size || v.dtype !== ph.dtype) {
            throw sgError(`plan '${this.label}': ${this.inputName(i)} expects ${fmtShape(ph.shape)} ${ph.dtype}, got ${v.describe()}`, ShapeError);
          }
          checkUsable(v, `plan '${this.label}' ${this.inputName(i)}`);
          if (!v.storage) throw sgError(`plan '${this.label}': ${v.describe()} is not realised; await sg.realise(t) first`);
          copies.push([v.storage, ph]);
          continue;
        }
        if (v.length !== ph.size) {
          throw sgError(`plan '${this.label}': ${this.inputName(i)} expects ${ph.size} values (${fmtShape(ph.shape)}), got ${v.length}`, ShapeError);
        }
        let arr = ph.dtype === 'i32' ? (v instanceof Int32Array ? v : Int32Array.from(v)) : (v instanceof Float32Array ? v : Float32Array.from(v));
        if (deferred && arr === v) arr = arr.slice();
        writes.push([ph, arr]);
      }
    }
    const step = ++this.step;
    let hyper: Hyper | undefined;
    const { optimizer, accumulation } = this.parts;
    // With gradient accumulation the optimizer steps on every k-th run only (its step count too).
    const update = !accumulation || step % accumulation.k === 0;
    if (optimizer && this.parts.hyper && update) {
      // The optimizer's step counts every plan that updates the same parameters.
      const shared = optimizerStateOf(optimizer);
      shared.step++;
      hyper = optimizer.hyper(shared.step);
    }
    // Ops recorded earlier that read what this step overwrites run first (program order).
    realiseReadersOf(this.parts.written);
    if (!deferred && n > 0 && queueBusy()) {
      // Those realisations wait in the queue, so this step will too: it must own its arrays.
      copies = [...copies];
      writes = writes.map(([ph, a]) => [ph, a.slice()]);
    }
    for (let i = 0; i < copies.length; i++) copies[i][0].retain(); // an input tensor disposed before a deferred submit keeps its values
    const { submission, result } = submitInOrder(() => {
      try {
        this.submitStep(step, writes, copies, hyper, update);
      } finally {
        for (let i = 0; i < copies.length; i++) copies[i][0].release();
      }
    });
    if (submission.done) {
      if (submission.error) {
        result.catch(() => undefined);
        throw submission.error;
      }
    } else {
      const p = result.catch((e) => {
        this.deferredError ??= e;
      }).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  private inputName(i: number): string {
    return this.inputs[i].name ?? `input ${i}`;
  }

  /** Write the inputs, encode the step, submit (at this step's turn in the queue). */
  private submitStep(step: number, writes: [Tensor, Float32Array | Int32Array][], copies: [Storage, Tensor][], hyper: Hyper | undefined, update = true): void {
    const { device } = gpu();
    const { outputRefs } = this.parts;
    if (this.disposed) throw sgError(`plan '${this.label}' was disposed before step ${step} was submitted`);
    for (let i = 0; i < writes.length; i++) {
      const [ph, arr] = writes[i];
      device.queue.writeBuffer(ph.storage!.buffer, ph.storage!.offset, arr.buffer, arr.byteOffset, arr.byteLength);
      count('bytesWritten', arr.byteLength);
    }
    if (hyper && this.hyper) {
      Object.assign(this.parts.hyper!, hyper);
      this.hyper.apply(this.parts.hyper!);
    }
    const encoder = device.createCommandEncoder(this.encoderDescriptor);
    for (let i = 0; i < copies.length; i++) {
      const [src, ph] = copies[i];
      encoder.copyBufferToBuffer(src.buffer, src.offset, ph.storage!.buffer, ph.storage!.offset, ph.size * 4);
    }
    const acc = this.parts.accumulation;
    if (acc && !update) {
      // A micro-step: forward, backward and acc + grads only; then acc ← the sum.
      encodeList(encoder, this.list, acc.microDispatches);
      encoder.copyBufferToBuffer(acc.sum, 0, acc.acc.buffer, acc.acc.offset, acc.acc.byteLength);
    } else {
      encodeList(encoder, this.list);
      if (acc) encoder.clearBuffer(acc.acc.buffer, acc.acc.offset, acc.acc.byteLength);
    }
    const after = this.parts.afterPassCopies;
    for (let i = 0; i < after.length; i++) {
      const c = after[i];
      if (c.optimizer && !update) continue;
      encoder.copyBufferToBuffer(c.src.buffer, c.src.offset, c.dst.buffer, c.dst.offset, c.bytes);
    }
    const read = outputRefs.length > 0 && step % this.parts.readEvery === 0;
    let staging: GPUBuffer | undefined;
    if (read) {
      staging = this.freeRing.pop();
      if (!staging && this.ringCreated < this.maxRing) {
        // The CPU ran further ahead of the GPU than the ring covers: grow it (bounded).
        staging = acquireBuffer(this.readBytes, READBACK_USAGE, `${this.label} readback`);
        this.parts.owned.push(staging);
        this.ringCreated++;
      }
      if (!staging) this.droppedReads++;
      else {
        let off = 0;
        for (const o of outputRefs) {
          encoder.copyBufferToBuffer(o.buffer, o.offset, staging, off, Math.ceil(o.bytes / 4) * 4);
          off += Math.ceil(o.bytes / 4) * 4;
        }
        if (this.parts.scaler) {
          const st = this.parts.scaler.scaling.state;
          encoder.copyBufferToBuffer(st.buffer, st.offset, staging, off, SCALER_BYTES);
          off += SCALER_BYTES;
        }
        if (this.errorFlags) encoder.copyBufferToBuffer(this.errorFlags, 0, staging, off, ERROR_BYTES);
      }
    }
    device.queue.submit([encoder.finish()]);
    noteSubmit();
    if (staging) this.collect(staging, step);
  }

  private collect(staging: GPUBuffer, step: number): void {
    const p = staging.mapAsync(GPUMapMode.READ).then(() => {
      const data = staging.getMappedRange();
      const values: Record<string, Float32Array | Int32Array> = {};
      let off = 0;
      this.parts.outputRefs.forEach((o, i) => {
        const n = o.bytes / 4;
        const slice = data.slice(off, off + n * 4);
        values[this.outputNames[i]] = o.dtype === 'i32' ? new Int32Array(slice) : new Float32Array(slice);
        off += Math.ceil(o.bytes / 4) * 4;
      });
      if (this.parts.scaler) {
        this.noteScaler(scalerStateOf(new Float32Array(data.slice(off, off + SCALER_BYTES))), step);
        off += SCALER_BYTES;
      }
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
   * A read-back of the loss scaler. A step skipped on overflow is not an optimizer step (PyTorch's
   * scaler.step does not call optimizer.step): its count comes off the optimizer's step count, which
   * Adam's bias correction and SGD's first momentum step read. The count reaches the host with the
   * read-back, so the steps already submitted behind a skipped one ran with a count one higher.
   */
  private noteScaler(s: ScalerState, step: number): void {
    if (!this.scalerRead || step >= this.scalerRead.step) this.scalerRead = { ...s, step, order: ++scalerReads };
    const { optimizer, scaling } = this.parts.scaler!;
    const fresh = s.skippedSteps - scaling.counted;
    if (fresh > 0) {
      const shared = optimizerStateOf(optimizer);
      shared.step = Math.max(0, shared.step - fresh);
      scaling.counted = s.skippedSteps;
    }
  }

  /**
   * Mixed precision with an optimizer: the loss scaler as of the newest step read back (scale, growth
   * tracker, steps skipped so far, whether that step overflowed); undefined before a read-back or
   * without loss scaling.
   */
  get scaler(): (ScalerState & { step: number; order: number }) | undefined {
    return this.scalerRead ? { ...this.scalerRead } : undefined;
  }

  /** compile's precision: 'f32' or 'mixed'. */
  get precision(): Precision {
    return this.parts.precision ?? 'f32';
  }

  /** How many of the step's values are stored as f16 (mixed precision). */
  get halfValues(): number {
    return this.parts.halfValues ?? 0;
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

  /**
   * flush(), then hand over the records and empty the history: what a loop that reads its losses
   * every few steps calls, so the history does not grow with the run (and the read-back ring, which
   * holds at most maxRing results in flight, is emptied before it drops any).
   */
  async drain(): Promise<StepRecord[]> {
    const records = [...(await this.flush())];
    this.history.length = 0;
    return records;
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
    const { debugValues } = this.parts;
    if (!debugValues) throw sgError(`plan '${this.label}' was not compiled with { debug: true }`);
    const problem = await firstNonFinite(debugValues, this.step);
    if (problem) throw new NonFiniteError(problem);
  }

  /** The teaching view: one row per dispatch (see ExplainRow). */
  explain(): ExplainRow[] {
    return this.rows.map((r, i) => ({ ...r, ms: this.timings?.ms[i] }));
  }

  /** explain() as a printable table, then the step figures. */
  explainTable(): string {
    const table = formatExplain(this.explain(), this.memory, this.timings?.source);
    return this.parts.ideal ? `${table}\n${formatFigures(this.figures())}` : table;
  }

  /**
   * One step in hardware-independent numbers: dispatches, copies, bytes moved and FLOPs (from the
   * ops' cost models) and bytes uploaded, beside the ideal step the model needs (IdealStep in
   * src/graph/plan-views.ts says what that counts).
   */
  figures(): StepFigures {
    const { ideal, dynamic, prepared } = this.parts;
    if (!ideal) throw sgError(`plan '${this.label}' carries no step figures`);
    const inputBytes = this.inputs.reduce((n, t) => n + t.size * 4, 0);
    return stepFigures(this.rows, this.dispatches.length, inputBytes + this.uniformUploadBytes(), ideal);
  }

  /**
   * Time every dispatch (see timeDispatches in src/graph/plan-views.ts) on the current buffer
   * contents, `repeats` times, keeping the median. The copy commands after the pass (optimizer
   * results, state updates) are not timed: their rows keep no ms.
   */
  async profile(repeats = 5): Promise<ProfileReport> {
    this.timings = await timeDispatches(this.dispatches, this.parts.prepared, repeats);
    return profileReport(this.explain(), this.timings.source);
  }

  /** The profile as Chrome trace-event JSON (open in Perfetto or chrome://tracing). */
  traceEvents(): { traceEvents: object[]; displayTimeUnit: string } {
    if (!this.timings) throw sgError(`plan '${this.label}': call await plan.profile() before traceEvents()`);
    return traceEventsOf(this.label, this.explain(), this.timings.source);
  }

  /** Bytes of uniform values uploaded per step: the optimizer's, rewritten from the hyper-parameters. */
  private uniformUploadBytes(): number {
    return this.hyper?.bytes ?? 0;
  }

  /** Give every buffer the plan owns back to the pool. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.parts.owned) releaseBuffer(b);
    for (const s of this.parts.keep) s.release();
    // The placeholders are the plan's own: their buffers go now, not when the collector finds them.
    for (const t of this.inputs) t.dispose();
    if (this.parts.prepared.uniform) releaseBuffer(this.parts.prepared.uniform);
  }
}
