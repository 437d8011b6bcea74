// Record a scheduled step: every op's encode() once, into a fixed list of dispatches with their
// buffers bound; pipelines, bind groups and the uniform buffer are built once (prepare() in
// src/runtime/executor.ts). After the compute pass come copy commands: the optimizer's results into the
// arenas and state updates into their buffers. Every dispatch and copy gets a row for plan.explain().
//
// The optimizer's dispatches are "dynamic": before each step the plan rewrites their uniform values
// from the new hyper-parameters (rewriteHyperUniforms below).

import { gpu } from '../gpu/device.js';
import { Recorder, prepare, type Prepared, type RecordedCommand, type RecordedDispatch } from '../runtime/executor.js';
import { packParams, paramLayout, wgslConsts, type KernelDef } from '../gpu/kernels.js';
import { count } from '../gpu/stats.js';
import { Storage } from '../memory/pool.js';
import { BINARY_CODES, binaryKernel, COPY_CODE, UNARY_CODES, unaryKernel } from '../ops/elementwise.js';
import { fmtShape, type Meta } from '../util/shape.js';
import { grid1d, type BufferRef } from '../gpu/dispatch.js';
import type { Node, Tensor } from '../tensor/tensor.js';
import type { Arena } from './arena.js';
import type { ChainAttrs } from './fusion.js';
import type { Hyper } from './optimizer-state.js';
import type { ExplainRow } from './plan-views.js';
import { bufferAt, type Placed, type Placement, type Schedule } from './schedule.js';
import type { TracedStep } from './trace.js';
import { opOf } from '../ops/op.js';
import { sgError } from '../util/errors.js';
import { acquireBuffer, STORAGE_USAGE } from '../memory/pool.js';
import { halfBytes, type HalfPlan } from './precision.js';
import { ampFinishKernel, ampUnscaleKernel, type LossScaling } from './amp.js';

/** GPUBufferUsage.INDIRECT (Node has no GPUBufferUsage global before a device exists). */
const INDIRECT_USAGE = 0x0100;
/** amp_unscale's thread cap: 65536 flags keep amp_finish's OR (one workgroup) at 256 loads a thread. */
const AMP_MAX_THREADS = 65536;
/** amp_finish's entry modes (shaders/amp.wgsl). */
const { RUN_IF_FINITE, RUN_IF_FOUND_INF } = wgslConsts('amp.wgsl');

/** binary_forward's layout for two operands of one shape. */
const { LAYOUT_SAME } = wgslConsts('elementwise.wgsl');

/** A copy command encoded after a plan's compute pass. */
export interface AfterPassCopy {
  src: { buffer: GPUBuffer; offset: number };
  dst: { buffer: GPUBuffer; offset: number };
  bytes: number;
  /** The optimizer's results: with gradient accumulation, copied only on the steps that update. */
  optimizer?: boolean;
}

/**
 * Gradient accumulation over `k` micro-steps: every step adds the gradient arena into `acc` (through
 * `sum`, since a kernel may not read and write one buffer); the k-th step scales the sum by 1/k into
 * the gradient arena, runs the optimizer and zeroes `acc`. Dispatches [0, microDispatches) run on
 * every step, the rest (the scaling and the optimizer) only on the k-th.
 */
export interface Accumulation {
  k: number;
  acc: Storage;
  sum: GPUBuffer;
  microDispatches: number;
}

/** An optimizer dispatch whose uniform values follow the hyper-parameters of each step. */
export interface DynamicDispatch {
  index: number;
  node: Node;
}

export interface Recording {
  dispatches: RecordedDispatch[];
  prepared: Prepared;
  /** One row per dispatch, then one per copy after the pass. */
  rows: Omit<ExplainRow, 'ms'>[];
  afterPassCopies: AfterPassCopy[];
  dynamic: DynamicDispatch[];
  /** Scratch buffers the ops asked for (the plan owns them). */
  scratchBuffers: GPUBuffer[];
  accumulation?: Accumulation;
}

export interface RecordArgs {
  traced: TracedStep;
  schedule: Schedule;
  place: Placement;
  paramArena?: Arena;
  gradArena?: Storage;
  stateArenas: Storage[];
  /** Accumulate gradients over this many micro-steps before each optimizer step (default 1). */
  accumulate?: number;
  /** Mixed precision: the values stored as f16 (src/graph/precision.ts). */
  half?: HalfPlan;
  /** Mixed precision: loss scaling (src/graph/amp.ts); needs an optimizer. */
  scaling?: LossScaling;
}

export async function recordStep({ traced, schedule, place, paramArena, gradArena, stateArenas, accumulate = 1, half, scaling }: RecordArgs): Promise<Recording> {
  const rec = new Recorder(true);
  const rows: Omit<ExplainRow, 'ms'>[] = [];
  const record = (node: Node) => {
    if (node.op.alias) return;
    if (!node.op.encode) throw sgError(`op ${node.op.name} cannot run in a plan`);
    rec.op = node.op.name;
    rec.nodeId = node.id;
    const before = rec.commands.length;
    const ins = node.inputs.map(place.of);
    const outs = node.tensors.map(place.of);
    const h = half?.flags(node);
    node.op.encode(rec, {
      inputs: ins.map((p) => p.ref), outputs: outs.map((p) => p.ref),
      inMeta: node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), outMeta: node.outputs, attrs: node.attrs, half: h,
    });
    const cost = opOf(node.op).cost(node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), node.outputs, node.attrs);
    const bytes = halfBytes(cost.bytes, node, h);
    // The explain rows mark f16 storage: [64, 128]h.
    const tag = (dtype: string, isHalf: boolean | undefined) => (dtype === 'i32' ? 'i' : isHalf ? 'h' : '');
    for (let c = before; c < rec.commands.length; c++) {
      const opName = node.op.name === 'fusedElementwise' ? `fused(${(node.attrs as ChainAttrs).ops.join('·')})` : node.op.name;
      rows.push({
        index: c, op: opName, nodeId: node.id, kernel: '', file: '', entry: '', workgroupSize: [1, 1, 1], grid: [1, 1, 1],
        inputs: node.inputs.map((t, k) => `${fmtShape(t.shape)}${tag(t.dtype, h?.inputs[k])}`),
        outputs: node.outputs.map((m: Meta, j) => `${fmtShape(m.shape)}${tag(m.dtype, h?.outputs[j])}`),
        reads: ins.map((p) => p.label), writes: outs.map((p) => p.label),
        flops: c === before ? cost.flops : 0, bytes: c === before ? bytes : 0,
      });
    }
  };
  for (const node of schedule.main) record(node);
  // Gradients whose producer could not write into the arena: copy them there (a copy kernel, in the
  // pass) before the optimizer reads the arena.
  for (const g of place.gradCopies) {
    const src = place.of(g.grad);
    const n = g.bytes / 4;
    if (n === 0) continue;
    rec.op = 'gradient → arena';
    rec.nodeId = undefined;
    rec.dispatch(unaryKernel, {
      bind: { x: src.ref, y: { buffer: gradArena!.buffer, offset: g.offset, size: Math.ceil(g.bytes / 4) * 4 } },
      params: { n, alpha: 0 }, overrides: { OP: COPY_CODE }, grid: grid1d(n, 256, rec.limits.maxWorkgroupsPerDim),
    });
    rows.push(copyRow(rows.length, 'gradient → arena', src.label, 'grads', n));
  }
  let accumulation: Accumulation | undefined;
  if (accumulate > 1 && gradArena && traced.update) {
    const n = gradArena.byteLength / 4;
    const grid = grid1d(n, 256, rec.limits.maxWorkgroupsPerDim);
    const acc = Storage.allocate(gradArena.byteLength, 'accumulated gradients');
    const sum = rec.scratch(gradArena.byteLength);
    rec.op = 'accumulate gradients';
    rec.nodeId = undefined;
    rec.dispatch(binaryKernel, {
      bind: { a: acc.ref, b: gradArena.ref, out: sum }, params: { n, rank: 1, shape: [n], astride: [1], bstride: [1] },
      overrides: { OP: BINARY_CODES.add, LAYOUT: LAYOUT_SAME }, grid,
    });
    rows.push(copyRow(rows.length, 'accumulate gradients', 'acc + grads', 'sum', n));
    const microDispatches = rec.commands.length;
    rec.op = `mean of ${accumulate} gradients`;
    rec.dispatch(unaryKernel, {
      bind: { x: sum, y: gradArena.ref }, params: { n, alpha: 1 / accumulate }, overrides: { OP: UNARY_CODES.scale }, grid,
    });
    rows.push(copyRow(rows.length, `mean of ${accumulate} gradients`, 'sum', 'grads', n));
    accumulation = { k: accumulate, acc, sum, microDispatches };
  }
  // Loss scaling: unscale the gradients in place, then decide (on the GPU) whether the optimizer steps.
  let amp: { finish: RecordedDispatch; first: number; restoreFirst: number; end: number } | undefined;
  if (scaling && gradArena && traced.update) {
    const n = gradArena.byteLength / 4;
    // One thread per 16 gradients, at most AMP_MAX_THREADS (each takes every threads-th value), one flag
    // each: the flags add a quarter of a byte per gradient to the 8 the unscale moves.
    const groups = Math.min(Math.ceil(n / 16), AMP_MAX_THREADS);
    const grid = grid1d(groups, 64, rec.limits.maxWorkgroupsPerDim);
    const flags = rec.scratch(groups * 4);
    rec.nodeId = undefined;
    rec.op = 'unscale gradients (loss scaling)';
    rec.dispatch(ampUnscaleKernel, { bind: { grads: gradArena.ref, scale_state: scaling.state.ref, partial: flags }, params: { n, threads: groups }, grid });
    rows.push({ ...copyRow(rows.length, 'unscale gradients (× 1/scale)', 'grads,scale', 'grads', n), bytes: 8 * n + 4 * groups });
    rec.op = 'loss scale: skip the step on overflow, update the scale';
    // Bound to placeholders now: the argument buffers are sized once the optimizer's dispatches are known.
    rec.dispatch(ampFinishKernel, {
      bind: { flags, state: scaling.state.ref, grid_template: flags, args: flags },
      params: { partials: groups, entries: 0, growth_interval: scaling.growthInterval, growth_factor: scaling.growthFactor, backoff_factor: scaling.backoffFactor },
      grid: [1],
    });
    rows.push({ ...copyRow(rows.length, 'loss scale: found inf? skip the step; update the scale', 'flags,scale', 'scale,args', groups), bytes: 4 * groups + 32 });
    amp = { finish: rec.commands[rec.commands.length - 1] as RecordedDispatch, first: rec.commands.length, restoreFirst: 0, end: 0 };
  }
  for (const node of schedule.optimizerNodes) record(node);
  const after = afterPassCopies(traced, place, paramArena, stateArenas);
  if (amp) {
    // A skipped step: the after-pass copies must write the parameters and states back unchanged, so
    // (only then) the values in the arenas are first copied where the optimizer would have written.
    amp.restoreFirst = rec.commands.length;
    rec.op = 'skipped step: keep the values';
    for (const r of after.restores) {
      rec.dispatch(unaryKernel, {
        bind: { x: r.from, y: r.to }, params: { n: r.n, alpha: 0 }, overrides: { OP: COPY_CODE }, grid: grid1d(r.n, 256, rec.limits.maxWorkgroupsPerDim),
      });
      rows.push({ ...copyRow(rows.length, 'skipped step (overflow): keep the old values', r.fromLabel, r.toLabel, r.n), bytes: 0 });
    }
    amp.end = rec.commands.length;
    const entries = amp.end - amp.first;
    const argsBuffer = acquireBuffer(Math.max(16, entries * 12), STORAGE_USAGE | INDIRECT_USAGE, 'indirect dispatch arguments');
    const templateBuffer = acquireBuffer(Math.max(16, entries * 16), STORAGE_USAGE, 'indirect dispatch grids');
    rec.scratchBuffers.push(argsBuffer, templateBuffer);
    const slot = (name: string) => ampFinishKernel.bindings.findIndex((b) => b.name === name);
    amp.finish.buffers[slot('grid_template')] = templateBuffer;
    amp.finish.buffers[slot('args')] = argsBuffer;
    amp.finish.params = { ...amp.finish.params, entries };
    (amp as { args?: GPUBuffer; template?: GPUBuffer }).args = argsBuffer;
    (amp as { args?: GPUBuffer; template?: GPUBuffer }).template = templateBuffer;
  }

  const { dispatches, prepared } = await prepare(rec.commands as RecordedCommand[]);
  if (amp) {
    const { args, template } = amp as unknown as { args: GPUBuffer; template: GPUBuffer };
    const grids = new Uint32Array(4 * (amp.end - amp.first));
    for (let i = amp.first; i < amp.end; i++) {
      const e = i - amp.first;
      grids.set(dispatches[i].grid, 4 * e);
      grids[4 * e + 3] = i < amp.restoreFirst ? RUN_IF_FINITE : RUN_IF_FOUND_INF;
      dispatches[i].indirect = { buffer: args, offset: 12 * e };
    }
    gpu().device.queue.writeBuffer(template, 0, grids);
  }
  dispatches.forEach((d, i) => {
    rows[i].kernel = d.kernel.name;
    rows[i].file = `shaders/${d.kernel.file}`;
    rows[i].entry = d.kernel.entry;
    rows[i].workgroupSize = d.kernel.workgroupSize;
    rows[i].grid = d.grid;
  });
  for (const r of after.rows) rows.push({ ...r, index: rows.length });
  if (prepared.uniform) {
    gpu().device.queue.writeBuffer(prepared.uniform, 0, prepared.uniformData);
  }
  const optimizerNodes = new Map(schedule.optimizerNodes.map((n) => [n.id, n]));
  // The optimizer's nodes whose attributes take the per-step hyper-parameters. sg.optim's update ops
  // say so (their attrs carry `hyperGroup`): only they are rewritten, so the other optimizer nodes
  // (penalties, clipping, a parameter group's slices and joins) keep their attributes even where a
  // name matches (a slice's `step` is not the optimizer's step). A custom PlanOptimizer's ops carry no
  // tag: all its nodes take the hyper-parameters their attribute names match.
  const candidates = dispatches.map((d, index) => ({ index, node: optimizerNodes.get(d.nodeId!)! }))
    .filter((x) => x.node !== undefined && x.node.inputs.length > 0 && x.node.attrs !== null);
  const tagged = candidates.filter((x) => typeof (x.node.attrs as { hyperGroup?: unknown }).hyperGroup === 'number');
  const dynamic = tagged.length ? tagged : candidates;
  return { dispatches, prepared, rows, afterPassCopies: after.copies, dynamic, scratchBuffers: rec.scratchBuffers, accumulation };
}

/**
 * The optimizer's new values back into the arenas, and state updates (batch norm running
 * statistics) into their own buffers: copy commands after the compute pass (a DMA copy, not a
 * kernel), in the same submit. Their explain rows follow the dispatches' rows.
 */
function afterPassCopies(traced: TracedStep, place: Placement, paramArena: Arena | undefined, stateArenas: Storage[]): {
  copies: AfterPassCopy[]; rows: Omit<ExplainRow, 'ms'>[];
  /** For a step skipped by loss scaling: each optimizer copy's destination back into its source. */
  restores: { from: BufferRef; to: BufferRef; n: number; fromLabel: string; toLabel: string }[];
} {
  const wanted: { src: Placed; dst: Storage; n: number; what: string; to: string; optimizer?: boolean }[] = [];
  if (traced.update && paramArena) {
    const pairs: [Tensor, Storage, string][] = [[traced.update.param, paramArena.storage, 'params'],
      ...traced.update.states.map((t, k) => [t, stateArenas[k], `state${k}`] as [Tensor, Storage, string])];
    for (const [t, dst, name] of pairs) wanted.push({ src: place.of(t), dst, n: paramArena.size, what: `optimizer → ${name}`, to: name, optimizer: true });
  }
  for (const [target, value] of traced.stateUpdates) {
    wanted.push({ src: place.of(value), dst: target.storage!, n: target.size, what: `state → ${target.name ?? `#${target.node.id}`}`, to: target.name ?? 'state' });
  }
  const copies: AfterPassCopy[] = [];
  const rows: Omit<ExplainRow, 'ms'>[] = [];
  const restores: { from: BufferRef; to: BufferRef; n: number; fromLabel: string; toLabel: string }[] = [];
  for (const { src, dst, n, what, to, optimizer } of wanted) {
    if (src.storage === dst || n === 0) continue; // updated in place already
    copies.push({ src: bufferAt(src.ref), dst: { buffer: dst.buffer, offset: dst.offset }, bytes: n * 4, optimizer });
    rows.push({ ...copyRow(0, what, src.label, to, n), kernel: 'copyBufferToBuffer', file: 'command encoder', entry: 'copy' });
    if (optimizer) restores.push({ from: dst.ref, to: src.ref, n, fromLabel: to, toLabel: src.label });
  }
  return { copies, rows, restores };
}

function copyRow(index: number, what: string, from: string, to: string, n: number): Omit<ExplainRow, 'ms'> {
  return {
    index, op: what, nodeId: 0, kernel: '', file: '', entry: '', workgroupSize: [1, 1, 1], grid: [1, 1, 1],
    inputs: [`[${n}]`], outputs: [`[${n}]`], reads: [from], writes: [to], flops: 0, bytes: 8 * n,
  };
}

// ---- dynamic hyper-parameters ---------------------------------------------------------------------

/**
 * Before a step: copy `hyper` into the attributes of the optimizer's ops that have a numeric field of
 * the same name (lr, step, ...), rewrite the uniform values of their dispatches and upload the
 * uniform buffer. No pipeline, bind group or buffer is created.
 */
export function rewriteHyperUniforms(hyper: Hyper, dynamic: DynamicDispatch[], dispatches: RecordedDispatch[], prepared: Prepared): void {
  hyperRewriter(dynamic, dispatches, prepared).apply(hyper);
}

/**
 * rewriteHyperUniforms for one plan, with everything that does not change between steps worked out
 * once: each dynamic node's numeric attributes (and the `<key>@<g>` names of a parameter group),
 * each dispatch's place among its node's dispatches, and the byte range of the uniform buffer they
 * occupy — the only range uploaded each step.
 */
export function hyperRewriter(dynamic: DynamicDispatch[], dispatches: RecordedDispatch[], prepared: Prepared): { apply: (hyper: Hyper) => void; bytes: number } {
  const view = new DataView(prepared.uniformData);
  const nodes = [...new Set(dynamic.map((d) => d.node))].map((node) => {
    const attrs = node.attrs as Record<string, unknown>;
    // A parameter group's update (attrs.hyperGroup = g > 0) takes `<key>@<g>` where the optimizer gives one.
    const g = typeof attrs.hyperGroup === 'number' ? attrs.hyperGroup : 0;
    const keys = Object.keys(attrs).filter((k) => typeof attrs[k] === 'number').map((k) => [k, g > 0 ? `${k}@${g}` : undefined] as const);
    return { attrs, keys };
  });
  const slots = dynamic.map(({ index, node }) => {
    let first = index;
    while (first > 0 && dispatches[first - 1].nodeId === node.id) first--;
    return { node, d: dispatches[index], nth: index - first, offset: prepared.uniformOffsets[index] };
  });
  const align = gpu().device.limits.minUniformBufferOffsetAlignment;
  let lo = Infinity;
  let hi = 0;
  for (const s of slots) {
    if (s.offset < 0 || !s.d.kernel.params) continue;
    lo = Math.min(lo, s.offset);
    hi = Math.max(hi, s.offset + Math.ceil(paramLayout(s.d.kernel.params).size / align) * align);
  }
  hi = Math.min(hi, prepared.uniformData.byteLength);
  const apply = (hyper: Hyper) => {
    for (const { attrs, keys } of nodes) {
      for (const [k, grouped] of keys) {
        const v = grouped !== undefined && grouped in hyper ? hyper[grouped] : hyper[k];
        if (v !== undefined) attrs[k] = v;
      }
    }
    for (const { node, d, nth, offset } of slots) {
      const params = uniformValuesOf(node, d, nth);
      if (params) packParams(d.kernel, params, view, offset);
    }
    if (hi > lo) {
      gpu().device.queue.writeBuffer(prepared.uniform!, lo, prepared.uniformData, lo, hi - lo);
      count('bytesWritten', hi - lo);
    }
  };
  return { apply, bytes: hi > lo ? hi - lo : 0 };
}

/**
 * The uniform values `node`'s encode() gives, with its current attributes, for its `nth` dispatch
 * (`d`). Why run encode() again: an op computes its uniform values inside encode() (from its
 * attributes and shapes) and has no separate function for them. So encode() runs against a context
 * that only captures each dispatch's params (nothing is recorded, allocated or bound; every buffer
 * handed to it is one of `d`'s), with the recorder's device limits so that it chooses the same
 * dispatches as when it was recorded.
 */
function uniformValuesOf(node: Node, d: RecordedDispatch, nth: number): RecordedDispatch['params'] | undefined {
  let k = 0;
  let found: RecordedDispatch['params'] | undefined;
  const capture = {
    dispatch: (_kernel: KernelDef, opts: { params?: RecordedDispatch['params'] }) => {
      if (k++ === nth) found = opts.params;
    },
    scratch: () => d.buffers[0] as GPUBuffer,
    fill: () => {},
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
