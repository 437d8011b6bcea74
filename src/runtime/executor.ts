// Records dispatches and runs them: every dispatch's uniform params are packed into one uniform
// buffer, bind groups are made, and all dispatches go into one command encoder with one compute
// pass and one submit. The eager path (tensor.data()) and the compiled plan both use `Recorder`.

import { gpu, isInitialised } from '../gpu/device.js';
import {
  bindGroupLayout, bindingNumber, wgslKernel, packParams, paramLayout, pipeline, type KernelDef, type Overrides,
} from '../gpu/kernels.js';
import { count } from '../gpu/stats.js';
import { ERROR_BYTES, errorBuffer, errorBufferInUse, throwIndexErrors } from './device-errors.js';
import {
  acquireBuffer, noteSubmit, READBACK_USAGE, releaseBuffer, STORAGE_USAGE, UNIFORM_USAGE,
} from '../memory/pool.js';
import { submitInOrder, type Submission } from './queue.js';
import { isSlice, type BufferRef, type DispatchOptions, type EncodeCtx } from '../gpu/dispatch.js';
import { sgError, ShapeError } from '../util/errors.js';

export interface RecordedDispatch {
  kernel: KernelDef;
  overrides?: Overrides;
  /** Buffers in binding order; the uniform binding is undefined here and filled at run time. */
  buffers: (BufferRef | undefined)[];
  params?: DispatchOptions['params'];
  grid: [number, number, number];
  /** The op (node label) this dispatch came from. */
  op: string;
  /** Index of the node in the recorded graph, for explain(). */
  nodeId?: number;
  /**
   * Dispatched with dispatchWorkgroupsIndirect from 3 u32 at this place instead of `grid` (which
   * stays the grid it runs with when it runs): a compiled mixed-precision step skips its optimizer so
   * (shaders/amp.wgsl writes the arguments).
   */
  indirect?: { buffer: GPUBuffer; offset: number };
}

export interface RecordedFill {
  kind: 'fill';
  buffer: BufferRef;
  bytes: number;
  value: number;
  op: string;
}

export type RecordedCommand = RecordedDispatch | RecordedFill;

export function isFill(c: RecordedCommand): c is RecordedFill {
  return (c as RecordedFill).kind === 'fill';
}

export const fillKernel: KernelDef = wgslKernel('fill_u32');

/** Collects the commands of one submit. */
export class Recorder implements EncodeCtx {
  readonly commands: RecordedCommand[] = [];
  readonly scratchBuffers: GPUBuffer[] = [];
  op = '';
  nodeId?: number;
  readonly limits: EncodeCtx['limits'];

  /**
   * `persistent`: the commands are kept and replayed (a compiled plan), so scratch buffers belong to
   * the plan.
   */
  constructor(readonly persistent = false) {
    const { device } = gpu();
    this.limits = {
      maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
    };
  }

  dispatch(kernel: KernelDef, opts: DispatchOptions): void {
    const buffers = kernel.bindings.map((b) => {
      if (b.kind === 'uniform') return undefined;
      if (b.indexErrors) return errorBuffer();
      const buf = opts.bind[b.name];
      if (!buf) throw sgError(`op ${this.op}: kernel ${kernel.name} needs a buffer for binding '${b.name}'`);
      return buf;
    });
    for (const name of Object.keys(opts.bind)) {
      if (!kernel.bindings.some((b) => b.name === name)) {
        throw sgError(`op ${this.op}: kernel ${kernel.name} has no binding '${name}'`);
      }
    }
    const [x, y = 1, z = 1] = opts.grid;
    const max = this.limits.maxWorkgroupsPerDim;
    if (x > max || y > max || z > max) {
      throw sgError(`op ${this.op}: grid [${x}, ${y}, ${z}] for kernel ${kernel.name} exceeds ${max} workgroups per dimension`, ShapeError);
    }
    this.commands.push({
      kernel, overrides: opts.overrides, buffers, params: opts.params, grid: [x, y, z], op: this.op, nodeId: this.nodeId,
    });
  }

  /** Give up on this recording without submitting it (encoding failed, or nothing to run). */
  abandon(): void {
    for (const b of this.scratchBuffers) releaseBuffer(b);
    this.scratchBuffers.length = 0;
  }

  scratch(bytes: number): GPUBuffer {
    const b = acquireBuffer(bytes, STORAGE_USAGE, `scratch for ${this.op}`);
    this.scratchBuffers.push(b);
    return b;
  }

  /** Buffer-to-buffer copies encoded after the compute pass (assign: new values into a tensor's buffer). */
  readonly copies: { src: BufferRef; dst: BufferRef; bytes: number }[] = [];

  copy(src: BufferRef, dst: BufferRef, bytes: number): void {
    if (bytes > 0) this.copies.push({ src, dst, bytes });
  }

  fill(buffer: BufferRef, bytes: number, value: number): void {
    this.commands.push({ kind: 'fill', buffer, bytes, value, op: this.op });
  }
}

/** Everything needed to encode the commands again and again (the compiled plan keeps this). */
export interface Prepared {
  pipelines: (GPUComputePipeline | null)[];
  bindGroups: (GPUBindGroup | null)[];
  uniform: GPUBuffer | null;
  uniformData: ArrayBuffer;
  /** Byte offset of each dispatch's params in the uniform buffer (-1: none). */
  uniformOffsets: number[];
}

/** Turn fills into dispatches of the fill kernel so everything stays in one compute pass. */
function lowerFills(commands: RecordedCommand[]): RecordedDispatch[] {
  return commands.map((c) => {
    if (!isFill(c)) return c;
    const n = Math.ceil(c.bytes / 4);
    const groups = Math.ceil(n / 256);
    const gx = Math.min(groups, 65535);
    return {
      kernel: fillKernel, buffers: [c.buffer, undefined], params: { n, value: c.value >>> 0 },
      grid: [gx, Math.ceil(groups / gx), 1], op: c.op,
    } as RecordedDispatch;
  });
}

/** Create pipelines, the uniform arena and the bind groups for a list of commands. */
export async function prepare(commands: RecordedCommand[]): Promise<{ dispatches: RecordedDispatch[]; prepared: Prepared }> {
  const { device } = gpu();
  const dispatches = lowerFills(commands);
  const pipelines = await Promise.all(dispatches.map((d) => pipeline(d.kernel, d.overrides)));
  const align = device.limits.minUniformBufferOffsetAlignment;
  const offsets: number[] = [];
  let total = 0;
  for (const d of dispatches) {
    if (d.kernel.params) {
      offsets.push(total);
      total += Math.ceil(paramLayout(d.kernel.params).size / align) * align;
    } else offsets.push(-1);
  }
  const uniformData = new ArrayBuffer(Math.max(total, 16));
  const view = new DataView(uniformData);
  dispatches.forEach((d, i) => {
    if (offsets[i] >= 0) packParams(d.kernel, d.params ?? {}, view, offsets[i]);
  });
  const uniform = total > 0 ? acquireBuffer(total, UNIFORM_USAGE, 'params') : null;
  const bindGroups = dispatches.map((d, i) => {
    const entries: GPUBindGroupEntry[] = d.kernel.bindings.map((b, j) => {
      if (b.kind === 'uniform') {
        return { binding: bindingNumber(d.kernel, j), resource: { buffer: uniform!, offset: offsets[i], size: paramLayout(d.kernel.params!).size } };
      }
      const ref = d.buffers[j]!;
      return { binding: bindingNumber(d.kernel, j), resource: isSlice(ref) ? { buffer: ref.buffer, offset: ref.offset, size: ref.size } : { buffer: ref } };
    });
    count('bindGroupsCreated');
    return device.createBindGroup({ label: `${d.op}:${d.kernel.name}`, layout: bindGroupLayout(d.kernel), entries });
  });
  return { dispatches, prepared: { pipelines, bindGroups, uniform, uniformData, uniformOffsets: offsets } };
}

/**
 * A prepared dispatch list in flat arrays, for encoding the same dispatches step after step (a
 * compiled plan): pipelines and bind groups by index, the grids as x, y, z triples.
 */
export interface DispatchList {
  pipelines: GPUComputePipeline[];
  bindGroups: GPUBindGroup[];
  grids: Uint32Array;
  /** Per dispatch, the indirect arguments' buffer, or null (null altogether when none is indirect). */
  indirect: (GPUBuffer | null)[] | null;
  indirectOffsets: Uint32Array;
}

export function dispatchList(dispatches: RecordedDispatch[], prepared: Prepared): DispatchList {
  const grids = new Uint32Array(3 * dispatches.length);
  dispatches.forEach((d, i) => grids.set(d.grid, 3 * i));
  const anyIndirect = dispatches.some((d) => d.indirect);
  return {
    pipelines: prepared.pipelines.map((p) => p!), bindGroups: prepared.bindGroups.map((b) => b!), grids,
    indirect: anyIndirect ? dispatches.map((d) => d.indirect?.buffer ?? null) : null,
    indirectOffsets: Uint32Array.from(dispatches, (d) => d.indirect?.offset ?? 0),
  };
}

function dispatchOne(pass: GPUComputePassEncoder, d: RecordedDispatch): void {
  if (d.indirect) pass.dispatchWorkgroupsIndirect(d.indirect.buffer, d.indirect.offset);
  else pass.dispatchWorkgroups(...d.grid);
}

/**
 * Encode the first `n` dispatches of `list` into one compute pass: the hot loop of plan.run(). No
 * allocation, and setPipeline only where the pipeline changes.
 */
export function encodeList(encoder: GPUCommandEncoder, list: DispatchList, n = list.pipelines.length): void {
  if (n === 0) return;
  const { pipelines, bindGroups, grids, indirect, indirectOffsets } = list;
  const pass = encoder.beginComputePass();
  let last: GPUComputePipeline | undefined;
  for (let i = 0, g = 0; i < n; i++, g += 3) {
    const p = pipelines[i];
    if (p !== last) {
      pass.setPipeline(p);
      last = p;
    }
    pass.setBindGroup(0, bindGroups[i]);
    const ind = indirect === null ? null : indirect[i];
    if (ind) pass.dispatchWorkgroupsIndirect(ind, indirectOffsets[i]);
    else pass.dispatchWorkgroups(grids[g], grids[g + 1], grids[g + 2]);
  }
  pass.end();
  count('dispatches', n);
}

/** Encode prepared dispatches into one compute pass of `encoder`. */
export function encodeDispatches(
  encoder: GPUCommandEncoder, dispatches: RecordedDispatch[], prepared: Prepared,
  timestamps?: (i: number) => GPUComputePassTimestampWrites | undefined,
): void {
  if (dispatches.length === 0) return;
  if (timestamps) {
    // Profiling: one pass per dispatch so each gets its own begin/end timestamps.
    dispatches.forEach((d, i) => {
      const pass = encoder.beginComputePass({ label: d.op, timestampWrites: timestamps(i) });
      pass.setPipeline(prepared.pipelines[i]!);
      pass.setBindGroup(0, prepared.bindGroups[i]!);
      dispatchOne(pass, d);
      pass.end();
    });
  } else {
    const pass = encoder.beginComputePass();
    dispatches.forEach((d, i) => {
      pass.setPipeline(prepared.pipelines[i]!);
      pass.setBindGroup(0, prepared.bindGroups[i]!);
      dispatchOne(pass, d);
    });
    pass.end();
  }
  count('dispatches', dispatches.length);
}

export interface Readback {
  buffer: GPUBuffer;
  offset?: number;
  bytes: number;
  /** What is read (a tensor's description), for error messages. */
  what?: string;
}

/**
 * Queue recorded commands (src/runtime/queue.ts): pipelines are prepared now, the commands are
 * submitted in program order in one submit, then `reads` are copied to staging buffers and mapped.
 * `deps` are earlier submissions that compute buffers these commands bind: if one failed, this one
 * fails too instead of reading garbage. Validation errors are thrown with the ops involved.
 */
export function submitRecording(rec: Recorder, reads: Readback[] = [], deps: Submission[] = []): { submission: Submission; result: Promise<ArrayBuffer[]> } {
  // A read also copies out the index-error flags (src/runtime/device-errors.ts) of every kernel before it.
  // (The buffer exists once any kernel that checks indices was recorded.)
  const flags = reads.length > 0 ? errorBufferInUse() : null;
  const all = flags ? [...reads, { buffer: flags, bytes: ERROR_BYTES, what: 'the index-error flags' }] : reads;
  // A failed preparation abandons the recording (its scratch buffers go back to the pool).
  const ready = rec.commands.length > 0 ? prepare(rec.commands).catch((e) => {
    rec.abandon();
    throw e;
  }) : undefined;
  ready?.catch(() => undefined); // handled at its turn in the queue, maybe after earlier work finishes
  const { submission, result } = submitInOrder((prepared) => {
    const failed = deps.find((d) => d.error);
    if (failed) {
      rec.abandon();
      throw sgError(`a computation this read needs failed earlier: ${failed.error!.message}`);
    }
    return submitNow(rec, prepared, all);
  }, ready);
  return {
    submission,
    result: result.then(async ({ errors, staging }) => {
      const err = await errors;
      if (err) {
        for (const s of staging) releaseBuffer(s);
        throw err;
      }
      const out = await mapAll(staging, all);
      if (flags) throwIndexErrors(new Uint32Array(out.pop()!));
      return out;
    }),
  };
}

/** Encode and submit (synchronous: runs at the submission's turn in the queue). */
function submitNow(rec: Recorder, prep: Awaited<ReturnType<typeof prepare>> | undefined, reads: Readback[]): { errors: Promise<Error | null>; staging: GPUBuffer[] } {
  const { device } = gpu();
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  if (prep) {
    const { prepared, dispatches } = prep;
    if (prepared.uniform) {
      device.queue.writeBuffer(prepared.uniform, 0, prepared.uniformData);
      count('bytesWritten', prepared.uniformData.byteLength);
    }
    encodeDispatches(encoder, dispatches, prepared);
  }
  for (const c of rec.copies) {
    const [sb, so] = isSlice(c.src) ? [c.src.buffer, c.src.offset] : [c.src, 0];
    const [db, dOff] = isSlice(c.dst) ? [c.dst.buffer, c.dst.offset] : [c.dst, 0];
    encoder.copyBufferToBuffer(sb, so, db, dOff, c.bytes);
  }
  const staging = reads.map((r) => {
    const size = Math.ceil(r.bytes / 4) * 4;
    const s = acquireBuffer(size, READBACK_USAGE, 'readback');
    if (size > 0) encoder.copyBufferToBuffer(r.buffer, r.offset ?? 0, s, 0, size);
    return s;
  });
  device.queue.submit([encoder.finish()]);
  noteSubmit();
  const ops = prep ? [...new Set(prep.dispatches.map((d) => `${d.op} (${d.kernel.name})`))].join(', ') : 'a read-back';
  const errors = device.popErrorScope().then(
    (err) => (err ? sgError(`GPU validation error while running ${ops}: ${err.message}`) : null),
    (e) => lostOr(e, `running ${ops}`),
  );
  // Released now, reused only by later submissions (the pool stamps them with the newest ticket).
  for (const b of rec.scratchBuffers) releaseBuffer(b);
  if (prep?.prepared.uniform) releaseBuffer(prep.prepared.uniform);
  return { errors, staging };
}

/** Map staging buffers and copy their bytes out. */
async function mapAll(staging: GPUBuffer[], reads: Readback[]): Promise<ArrayBuffer[]> {
  const out: ArrayBuffer[] = [];
  try {
    for (let i = 0; i < staging.length; i++) {
      const s = staging[i];
      const size = Math.ceil(reads[i].bytes / 4) * 4;
      try {
        await s.mapAsync(GPUMapMode.READ, 0, Math.max(size, 4));
      } catch (e) {
        throw lostOr(e, `reading back ${reads[i].what ?? 'a buffer'}`);
      }
      out.push(s.getMappedRange(0, size).slice(0));
      s.unmap();
      count('bytesRead', size);
    }
  } finally {
    for (const s of staging) releaseBuffer(s);
  }
  return out;
}

/**
 * An error for a failed GPU operation: browsers and Dawn reject pending maps with an AbortError
 * that has no message when the device goes away; say what happened instead.
 */
export function lostOr(e: unknown, doing: string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const lost = !isInitialised() || /abort|lost|destroy/i.test(`${err.name} ${err.message}`);
  const why = lost ? 'the GPU device was lost or destroyed (call sg.init() again and reload the model)' : err.message || err.name;
  const wrapped = sgError(`${doing} failed: ${why}`);
  (wrapped as Error & { cause?: unknown }).cause = err;
  return wrapped;
}
