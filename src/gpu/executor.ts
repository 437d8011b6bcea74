// Records dispatches and runs them: every dispatch's uniform params are packed into one uniform
// buffer, bind groups are made, and all dispatches go into one command encoder with one compute
// pass and one submit. The eager path (tensor.data()) and the compiled plan both use `Recorder`.

import { gpu } from './device.js';
import {
  bindGroupLayout, bindingNumber, defineKernel, packParams, paramLayout, pipeline, type KernelDef, type Overrides,
} from './kernels.js';
import { count } from './stats.js';
import {
  acquireBuffer, beginRecording, endRecording, noteSubmit, releaseBuffer, STORAGE_USAGE, UNIFORM_USAGE,
} from '../memory/pool.js';
import { isSlice, type BufferRef, type DispatchOptions, type EncodeCtx } from '../ops/op.js';

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

export const fillKernel: KernelDef = defineKernel({
  name: 'fill_u32', file: 'fill.wgsl', entry: 'fill_u32',
  bindings: [{ name: 'out', kind: 'read_write' }, { name: 'params', kind: 'uniform' }],
  params: [{ name: 'n', type: 'u32' }, { name: 'value', type: 'u32' }],
  workgroupSize: [256, 1, 1],
});

/** Collects the commands of one submit. */
export class Recorder implements EncodeCtx {
  readonly commands: RecordedCommand[] = [];
  readonly scratchBuffers: GPUBuffer[] = [];
  op = '';
  nodeId?: number;
  readonly limits: EncodeCtx['limits'];

  /**
   * `persistent`: the commands are kept and replayed (a compiled plan), so scratch buffers belong to
   * the plan and no submit is pending.
   */
  constructor(readonly persistent = false) {
    const { device } = gpu();
    if (!persistent) beginRecording();
    this.limits = {
      maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
    };
  }

  dispatch(kernel: KernelDef, opts: DispatchOptions): void {
    const buffers = kernel.bindings.map((b) => {
      if (b.kind === 'uniform') return undefined;
      const buf = opts.bind[b.name];
      if (!buf) throw new Error(`shadergrad: op ${this.op}: kernel ${kernel.name} needs a buffer for binding '${b.name}'`);
      return buf;
    });
    for (const name of Object.keys(opts.bind)) {
      if (!kernel.bindings.some((b) => b.name === name)) {
        throw new Error(`shadergrad: op ${this.op}: kernel ${kernel.name} has no binding '${name}'`);
      }
    }
    const [x, y = 1, z = 1] = opts.grid;
    const max = this.limits.maxWorkgroupsPerDim;
    if (x > max || y > max || z > max) {
      throw new Error(`shadergrad: op ${this.op}: grid [${x}, ${y}, ${z}] for kernel ${kernel.name} exceeds ${max} workgroups per dimension`);
    }
    this.commands.push({
      kernel, overrides: opts.overrides, buffers, params: opts.params, grid: [x, y, z], op: this.op, nodeId: this.nodeId,
    });
  }

  /** Give up on this recording without submitting it (encoding failed, or nothing to run). */
  abandon(): void {
    for (const b of this.scratchBuffers) releaseBuffer(b);
    this.scratchBuffers.length = 0;
    if (!this.persistent) endRecording();
  }

  scratch(bytes: number): GPUBuffer {
    const b = acquireBuffer(bytes, STORAGE_USAGE, `scratch for ${this.op}`);
    this.scratchBuffers.push(b);
    return b;
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
      pass.dispatchWorkgroups(...d.grid);
      pass.end();
    });
  } else {
    const pass = encoder.beginComputePass();
    dispatches.forEach((d, i) => {
      pass.setPipeline(prepared.pipelines[i]!);
      pass.setBindGroup(0, prepared.bindGroups[i]!);
      pass.dispatchWorkgroups(...d.grid);
    });
    pass.end();
  }
  count('dispatches', dispatches.length);
}

export interface Readback {
  buffer: GPUBuffer;
  offset?: number;
  bytes: number;
}

/**
 * Run recorded commands in one submit, then copy `reads` to staging buffers and map them.
 * Validation errors raised by this submit are thrown with the ops involved.
 */
export async function runOnce(rec: Recorder, reads: Readback[] = []): Promise<ArrayBuffer[]> {
  const { device } = gpu();
  let prep: Awaited<ReturnType<typeof prepare>>;
  try {
    prep = await prepare(rec.commands);
  } catch (e) {
    rec.abandon();
    throw e;
  }
  const { dispatches, prepared } = prep;
  device.pushErrorScope('validation');
  if (prepared.uniform) {
    device.queue.writeBuffer(prepared.uniform, 0, prepared.uniformData);
    count('bytesWritten', prepared.uniformData.byteLength);
  }
  const encoder = device.createCommandEncoder();
  encodeDispatches(encoder, dispatches, prepared);
  const staging = reads.map((r) => {
    const size = Math.ceil(r.bytes / 4) * 4;
    const s = acquireBuffer(size, 0x0001 /* MAP_READ */ | 0x0008 /* COPY_DST */, 'readback');
    if (size > 0) encoder.copyBufferToBuffer(r.buffer, r.offset ?? 0, s, 0, size);
    return s;
  });
  device.queue.submit([encoder.finish()]);
  noteSubmit();
  endRecording();
  const err = await device.popErrorScope();
  for (const b of rec.scratchBuffers) releaseBuffer(b);
  if (prepared.uniform) releaseBuffer(prepared.uniform);
  if (err) {
    const ops = [...new Set(dispatches.map((d) => `${d.op} (${d.kernel.name})`))].join(', ');
    throw new Error(`shadergrad: GPU validation error while running ${ops}: ${err.message}`);
  }
  const out: ArrayBuffer[] = [];
  for (let i = 0; i < staging.length; i++) {
    const s = staging[i];
    const size = Math.ceil(reads[i].bytes / 4) * 4;
    await s.mapAsync(0x0001 /* READ */, 0, Math.max(size, 4));
    out.push(s.getMappedRange(0, size).slice(0));
    s.unmap();
    releaseBuffer(s);
    count('bytesRead', size);
  }
  return out;
}
