// Lazy tensors. An op on tensors records a Node; nothing runs until a value is needed
// (`await t.data()`), when the pending graph is encoded into one command encoder and one submit.
// Each node output has exactly one Tensor object; its GPU buffer goes back to the pool when the
// Tensor is disposed or garbage-collected.

import { gpu, onDispose } from '../gpu/device.js';
import { count } from '../gpu/stats.js';
import { Recorder, submitRecording, type Readback } from '../runtime/executor.js';
import { Storage } from '../memory/pool.js';
import type { EncodeArgs, EncodeCtx } from '../gpu/dispatch.js';
import type { Submission } from '../runtime/queue.js';
import { flattenTensorData, type NestedNumbers } from './from-js.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { noteTensorCreated, noteTensorGone, setScopeHooks } from './scope.js';
import { fmtShape, numel, type DType, type Meta } from '../util/shape.js';
import { ShadergradError, sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const TENSOR_KEYS = keysOf<Opts<typeof tensor, 2>>({ dtype: 1, name: 1 });

let nextId = 1;

/** > 0 while a gradient is being traced: realised nodes then keep their inputs for the backward. */
let tracing = 0;

/** Symbol.dispose where the runtime has it (the same fallback TypeScript's `using` uses). */
const disposeSymbol: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

/**
 * What the tensor runtime needs of an op: its name, its shape rule, and how it records its kernels
 * (or that its output is a view of its input). The full contract — gradient, references, cost — is
 * OpDef (src/ops/op.ts), which extends this; opOf(node.op) gives it to the layers above.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface NodeOp<A = any> {
  name: string;
  /** Output metas; throws a clear error naming the argument for bad input. */
  infer(inputs: Meta[], attrs: A): Meta[];
  /** Record the dispatches that compute the outputs. Omitted only for aliasing ops. */
  encode?: (ctx: EncodeCtx, args: EncodeArgs<A>) => void;
  /** Output 0 is a view of input 0's buffer (reshape): no dispatch, no copy. */
  alias?: boolean;
}

export class Node {
  readonly id = nextId++;
  /** One slot per output. Mutated in place, never replaced: the GC finaliser holds this array. */
  readonly storage: (Storage | null)[];
  tensors: Tensor[] = [];
  /** The submission that computes this node's outputs, while it may still be waiting in the queue. */
  pending?: Submission;
  constructor(
    readonly op: NodeOp,
    public inputs: Tensor[],
    public attrs: unknown,
    readonly outputs: Meta[],
  ) {
    this.storage = outputs.map(() => null);
  }

  /**
   * Every output still in use has its buffer. A disposed output's slot is empty whether or not the
   * node ran (sg.tidy disposes layerNorm's mean and rstd beside the output it returns): it does not
   * make the node pending again, which would re-encode it after its inputs were dropped.
   */
  get realised(): boolean {
    return this.storage.every((s, i) => s !== null || this.tensors[i]?.isDisposed === true);
  }
}

// What the finaliser holds must not reach the Tensor (or it would keep it alive for ever): only the
// node's storage slots, whose entry for this output is released when the tensor is collected.
interface Held {
  slots: (Storage | null)[];
  index: number;
}

const finalizer = new FinalizationRegistry<Held>(({ slots, index }) => {
  slots[index]?.release();
  slots[index] = null;
  noteTensorGone();
});

export class Tensor {
  /** A name used in error messages and explain() (parameters get theirs from the model). */
  name?: string;
  /** Set on parameters and on inputs of grad(); a plain flag for the training library. */
  requiresGrad = false;
  private disposed = false;

  constructor(readonly node: Node, readonly index: number) {
    finalizer.register(this, { slots: node.storage, index }, this);
    noteTensorCreated(this);
  }

  get shape(): number[] {
    return this.node.outputs[this.index].shape;
  }

  get dtype(): DType {
    return this.node.outputs[this.index].dtype;
  }

  get size(): number {
    return numel(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get op(): string {
    return this.node.op.name;
  }

  /** e.g. `tensor 'x' [2, 3] f32` or `tensor #7 (matmul) [2, 3] f32` — used in every error message. */
  describe(): string {
    const who = this.name ? `'${this.name}'` : `#${this.node.id}${this.node.op.name === 'source' ? '' : ` (${this.node.op.name})`}`;
    return `tensor ${who} ${fmtShape(this.shape)} ${this.dtype}`;
  }

  toString(): string {
    return this.describe();
  }

  /** Realise the tensor and read its values back (Float32Array, or Int32Array for i32). */
  async data(): Promise<Float32Array | Int32Array> {
    const [v] = await read(this);
    return v;
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw sgError(`item() needs a one-element tensor, got ${this.describe()}`, ShapeError);
    return (await this.data())[0];
  }

  /** Nested JS arrays with this tensor's shape. */
  async array(): Promise<unknown> {
    const d = Array.from(await this.data());
    const build = (dim: number, off: number): unknown => {
      if (dim === this.rank) return d[off];
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /** Give the GPU buffer back now (optional: the runtime also frees it when the tensor is collected). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (finalizer.unregister(this)) noteTensorGone(this);
    this.node.storage[this.index]?.release();
    this.node.storage[this.index] = null;
    if (this.node.tensors.every((t) => t.disposed)) this.node.inputs = [];
  }

  /** `using t = sg.tensor(...)`: disposed when the block ends. */
  [disposeSymbol](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal the buffer once realised */
  get storage(): Storage | null {
    return this.node.storage[this.index];
  }
}

/** A thrown error that names a tensor that can no longer be used (disposed, or from a lost device). */
export class TensorUnusableError extends ShadergradError {
  override name = 'TensorUnusableError';
}

export function checkUsable(t: Tensor, where: string): void {
  if (!(t instanceof Tensor)) throw sgError(`${where} expects a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) throw new TensorUnusableError(`shadergrad: ${where}: ${t.describe()} was disposed`);
  checkLive(t, where);
}

/** Throws if a realised tensor's buffer belongs to a device that was lost or disposed since. */
function checkLive(t: Tensor, where: string): void {
  const s = t.storage;
  if (s && !s.live) {
    throw new TensorUnusableError(`shadergrad: ${where}: ${t.describe()} belongs to a GPU device that was lost or disposed; ` +
      'after sg.init() make it again (sg.tensor) or load it (sg.load restores parameters onto the new device)');
  }
}

/** Record an op on tensors; returns its output tensors (not run yet). */
export function apply<A>(op: NodeOp<A>, inputs: Tensor[], attrs: A): Tensor[] {
  inputs.forEach((t, i) => checkUsable(t, `${op.name} input ${i}`));
  const outs = op.infer(inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), attrs);
  checkBindingLimit(outs.map((m, i) => [m, `output ${i} of ${op.name}`]), op.name);
  const node = new Node(op, inputs, attrs, outs);
  node.tensors = outs.map((_, i) => new Tensor(node, i));
  if (op.alias) {
    const src = inputs[0].storage;
    if (src) node.storage[0] = src.retain();
  } else {
    // A node recorded while compile() traces a step belongs to the plan and is never realised on
    // its own: it is no reader to realise before a write.
    if (planTracing === 0) for (const t of inputs) if (t.storage) noteReader(t.storage, node);
  }
  return node.tensors;
}

// ---- recorded reads before a write ---------------------------------------------------------------
// A lazy op recorded before a buffer is written in place (sg.assign, an optimizer step, sg.load, a
// compiled plan's step) must see the values from before the write, as in PyTorch, where the op would
// already have run. So every storage remembers the unrealised nodes that read it (weakly), and a
// write first realises them: in the same submission, ahead of the copy (assign), or in a submission
// issued just before the step (plan.run, through realiseReadersOf). Readers are kept per GPU buffer,
// so views (reshape, ...) and arena slices are covered: a write anywhere in a buffer realises them.

const readers = new WeakMap<GPUBuffer, WeakRef<Node>[]>();

function noteReader(s: Storage, node: Node): void {
  let list = readers.get(s.buffer);
  if (!list) readers.set(s.buffer, (list = []));
  list.push(new WeakRef(node));
  // A buffer read by many ops and never written (a dataset) keeps its list short.
  if (list.length >= 64 && (list.length & (list.length - 1)) === 0) {
    const live = list.filter((r) => pendingReader(r) !== undefined);
    readers.set(s.buffer, live);
  }
}

function pendingReader(r: WeakRef<Node>): Node | undefined {
  const n = r.deref();
  return n && !n.realised && n.tensors.some((t) => !t.isDisposed) ? n : undefined;
}

let planTracing = 0;

/** Run `fn` (compile()'s tracing of a step) so that the nodes it records belong to a plan. */
export function tracePlan<T>(fn: () => T): T {
  planTracing++;
  try {
    return fn();
  } finally {
    planTracing--;
  }
}

/** The unrealised nodes that read these storages (and forget them: the caller realises them). */
function takeReaders(storages: (Storage | null)[]): Tensor[] {
  const out = new Set<Node>();
  for (const s of storages) {
    if (!s) continue;
    for (const r of readers.get(s.buffer) ?? []) {
      const n = pendingReader(r);
      if (n) out.add(n);
    }
    readers.delete(s.buffer);
  }
  return [...out].map((n) => n.tensors.find((t) => !t.isDisposed)!);
}

/** A storage takes over another's readers (packArena moves parameters into an arena). */
export function moveReaders(from: Storage, to: Storage): void {
  const list = readers.get(from.buffer);
  if (!list || from.buffer === to.buffer) return;
  readers.delete(from.buffer);
  readers.set(to.buffer, [...(readers.get(to.buffer) ?? []), ...list]);
}

/**
 * Before a write in place to these tensors' buffers (an assign, a compiled plan's step): realise,
 * in a submission issued now, the recorded ops that read them, except those the writer computes
 * itself (`own`: the values an assign copies in are computed in its own submission, before the copy).
 * A written source tensor also forgets the values it was created with (hostValues): host-side index
 * checks and the float64 replay must not see them once the buffer holds others.
 */
export function realiseReadersOf(written: Tensor[], own: Tensor[] = []): void {
  for (const t of written) if (t.node.op === sourceOp) t.node.attrs = null;
  let pending = takeReaders(written.map((t) => t.storage));
  if (!pending.length) return;
  if (own.length) {
    const mine = new Set(pendingNodes(own));
    pending = pending.filter((t) => !mine.has(t.node));
  }
  try {
    if (pending.length) realiseNow(...pending);
  } catch {
    // One of them cannot be computed (an input was freed): the others still must see the old values;
    // the broken one reports its error when it is read.
    for (const t of pending) {
      try {
        realiseNow(t);
      } catch {
        /* reported by its own read */
      }
    }
  }
}

/**
 * A tensor a kernel binds must fit in one storage binding. Checked when the op is recorded, so the
 * error names the tensor instead of surfacing later as an invalid bind group.
 */
function checkBindingLimit(metas: [Meta, string][], where: string): void {
  const limit = gpu().device.limits.maxStorageBufferBindingSize;
  for (const [m, what] of metas) {
    const bytes = numel(m.shape) * 4;
    if (bytes > limit) {
      throw sgError(`${where}: ${what} ${fmtShape(m.shape)} ${m.dtype} needs ${bytes} bytes, more than this device's ` +
        `maxStorageBufferBindingSize (${limit} bytes); split it (smaller batch or layer) or use an adapter with a larger limit`, ShapeError);
    }
  }
}

export function apply1<A>(op: NodeOp<A>, inputs: Tensor[], attrs: A): Tensor {
  return apply(op, inputs, attrs)[0];
}

// ---- sources ------------------------------------------------------------------------------------

/** The op of tensors made from values (sg.tensor, parameters): leaves of every graph, never recorded. */
export const sourceOp: NodeOp<null> = {
  name: 'source',
  infer: () => {
    throw new Error('source tensors are created with sg.tensor()');
  },
  encode: () => {
    throw sgError('a source tensor has no data (was it disposed?)');
  },
};

/** What sg.tensor reads: a typed array, an array of numbers, or nested arrays (one dimension a level). */
export type TensorData = Float32Array | Int32Array | Uint8Array | number[] | ArrayLike<number> | NestedNumbers;

function checkShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape)) throw sgError(`${what}: shape must be an array of sizes, got ${String(shape)}`, ShapeError);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw sgError(`${what}: shape ${JSON.stringify(shape)} has a size that is not a non-negative integer (${d})`, ShapeError);
    }
  }
}

/**
 * Make a tensor from values: `sg.tensor([[1, 2], [3, 4]])` (the shape inferred from the nesting, as
 * torch.tensor does) or `sg.tensor(float32Array, [2, 2])`. dtype defaults to 'i32' for an Int32Array
 * and 'f32' otherwise (torch would make int64 of Python ints; a JavaScript number cannot say).
 */
export function tensor(data: TensorData | number, shape?: readonly number[], options: { dtype?: DType; name?: string } = {}): Tensor {
  checkOptions('tensor', options, TENSOR_KEYS);
  if (options.dtype !== undefined && options.dtype !== 'f32' && options.dtype !== 'i32') {
    throw sgError(`tensor: dtype must be 'f32' or 'i32', got ${JSON.stringify(options.dtype)}`, ShapeError);
  }
  const { device } = gpu();
  const what = options.name ? `tensor '${options.name}'` : 'sg.tensor';
  const parsed = flattenTensorData(data, shape, what);
  const flat = parsed.values;
  const shp = parsed.shape;
  checkShape(shp, what);
  const n = numel(shp);
  if (flat.length !== n) {
    throw sgError(`${what}: ${flat.length} values do not fill shape ${fmtShape(shp)} (needs ${n})`, ShapeError);
  }
  const dtype: DType = options.dtype ?? (flat instanceof Int32Array ? 'i32' : 'f32');
  const arr = dtype === 'i32' ? Int32Array.from(flat as ArrayLike<number>) : Float32Array.from(flat as ArrayLike<number>);
  if (dtype === 'i32') {
    for (let i = 0; i < n; i++) {
      if (arr[i] !== (flat as ArrayLike<number>)[i]) {
        throw sgError(`${what}: value ${(flat as ArrayLike<number>)[i]} at index ${i} is not a 32-bit integer`);
      }
    }
  }
  checkBindingLimit([[{ shape: shp, dtype }, 'values']], what);
  const storage = Storage.allocate(n * 4, options.name);
  if (n > 0) {
    device.queue.writeBuffer(storage.buffer, 0, arr.buffer, arr.byteOffset, arr.byteLength);
    count('bytesWritten', arr.byteLength);
  }
  const t = fromStorage(storage, shp, dtype, options.name);
  // Small sources remember their values so CPU references can replay a graph (tests, explain()).
  if (n <= HOST_COPY_LIMIT) t.node.attrs = { host: Float64Array.from(arr) };
  return t;
}

const HOST_COPY_LIMIT = 4096;

/** The values a small source tensor was created with (undefined for large or computed tensors). */
export function hostValues(t: Tensor): Float64Array | undefined {
  if (t.node.op !== sourceOp) return undefined;
  return (t.node.attrs as { host?: Float64Array } | null)?.host;
}

/** Wrap an existing storage as a source tensor (used by the executor, optimizers and the loader). */
export function fromStorage(storage: Storage, shape: number[], dtype: DType, name?: string): Tensor {
  const node = new Node(sourceOp, [], null, [{ shape, dtype }]);
  node.storage[0] = storage;
  const t = new Tensor(node, 0);
  node.tensors = [t];
  if (name) t.name = name;
  return t;
}

// ---- realisation -------------------------------------------------------------------------------
//
// A read is recorded where the program issues it: its pending nodes are encoded at once (their
// output buffers allocated, their input buffers bound) and the submission takes its place in the
// queue (src/runtime/queue.ts). So a read sees the state at that point of the program, whatever is
// submitted after it; and a second read of a node that an earlier, still waiting submission
// computes is submitted after that one (and fails with it if it fails).

/** Nodes that must run to produce `targets`, in topological order (inputs first). */
export function pendingNodes(targets: Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // An explicit stack: long eager chains (thousands of ops) must not overflow the JS call stack.
  const stack: [Node, boolean][] = targets.map((t) => [t.node, false] as [Node, boolean]).reverse();
  while (stack.length) {
    const [n, expanded] = stack.pop()!;
    if (expanded) {
      order.push(n);
      continue;
    }
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.realised) continue;
    stack.push([n, true]);
    for (let i = n.inputs.length - 1; i >= 0; i--) if (!seen.has(n.inputs[i].node)) stack.push([n.inputs[i].node, false]);
  }
  return order;
}

const NAN_BITS = 0x7fc00000;

/** Encode the pending nodes for `targets` into `rec`, allocating their outputs. */
export function encodePending(rec: Recorder, targets: Tensor[]): Node[] {
  const ctx = gpu();
  const nodes = pendingNodes(targets);
  const done: Node[] = [];
  try {
    for (const node of nodes) {
      node.inputs.forEach((t, i) => {
        if (!t.storage) {
          throw new TensorUnusableError(`shadergrad: ${node.op.name}: input ${i} ${t.describe()} has no data ` +
            `(${t.isDisposed ? 'it was disposed' : 'it was freed (disposed by sg.tidy, or its computation failed)'})`);
        }
        checkLive(t, `${node.op.name} input ${i}`);
      });
      done.push(node);
      if (node.op.alias) {
        node.storage[0] = node.inputs[0].storage!.retain();
        continue;
      }
      node.outputs.forEach((m, i) => {
        node.storage[i] = Storage.allocate(numel(m.shape) * 4, `${node.op.name}[${i}]`);
      });
      rec.op = node.op.name;
      rec.nodeId = node.id;
      if (ctx.poison) {
        node.storage.forEach((s) => rec.fill(s!.ref, s!.byteLength, NAN_BITS));
      }
      node.op.encode!(rec, {
        inputs: node.inputs.map((t) => t.storage!.ref),
        outputs: node.storage.map((s) => s!.ref),
        inMeta: node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
        outMeta: node.outputs,
        attrs: node.attrs,
      });
    }
  } catch (e) {
    unrealise(done);
    throw e;
  }
  return nodes;
}

/** Forget the outputs of nodes whose commands never ran (or failed), so nothing reads garbage. */
function unrealise(nodes: Node[], failed?: Submission): void {
  for (const n of nodes) {
    // A node realised again since (or by another submission) keeps its outputs.
    if (failed && n.pending !== failed) continue;
    n.storage.forEach((s, i) => {
      s?.release();
      n.storage[i] = null;
    });
    n.pending = undefined;
  }
}

/**
 * Encode what `targets` need and queue it, with `reads` copied out after. Returns the submission's
 * result (the read-back bytes); on failure the encoded nodes are unrealised.
 */
function issue(targets: Tensor[], where: string, wantRead: boolean, assigns: [Tensor, Tensor][] = []): Promise<ArrayBuffer[]> | null {
  targets.forEach((t, i) => checkUsable(t, `${where} (argument ${i})`));
  if (assigns.length) realiseReadersOf(assigns.map(([t]) => t), targets);
  const rec = new Recorder();
  let nodes: Node[];
  try {
    nodes = encodePending(rec, targets);
    for (const [t, v] of assigns) {
      if (t.storage !== v.storage) rec.copy(v.storage!.ref, t.storage!.ref, t.size * 4);
    }
  } catch (e) {
    rec.abandon();
    throw e;
  }
  if (!wantRead && rec.commands.length === 0 && rec.copies.length === 0) {
    rec.abandon();
    return null;
  }
  // Earlier submissions still waiting that compute something this one binds.
  const deps = new Set<Submission>();
  const noteDep = (t: Tensor) => {
    const p = t.node.pending;
    if (p && !p.done) deps.add(p);
  };
  targets.forEach(noteDep);
  for (const n of nodes) n.inputs.forEach(noteDep);
  const reads: Readback[] = wantRead
    ? targets.map((t) => ({ buffer: t.storage!.buffer, offset: t.storage!.offset, bytes: t.size * 4, what: t.describe() }))
    : [];
  const { submission, result } = submitRecording(rec, reads, [...deps]);
  for (const n of nodes) n.pending = submission;
  return result.then(
    (bufs) => {
      afterRun(nodes);
      return bufs;
    },
    (e) => {
      unrealise(nodes, submission);
      throw e;
    },
  );
}

/** Realise several tensors together (one submit) and read them all back. */
export async function read(...targets: Tensor[]): Promise<(Float32Array | Int32Array)[]> {
  const bufs = await issue(targets, 'read', true)!;
  return bufs.map((b, i) => (targets[i].dtype === 'i32' ? new Int32Array(b) : new Float32Array(b)));
}

/** Realise tensors on the GPU without reading them back. */
export async function realise(...targets: Tensor[]): Promise<void> {
  await issue(targets, 'realise', false);
}

/**
 * Copy each value into its target's buffer (same shape and dtype, checked by the caller), in program
 * order: recorded now, with whatever the values still need computing, as one submission. A target
 * whose buffer belongs to a lost device gets a new buffer first (so sg.load can restore a model
 * after sg.init() made a new device).
 */
export async function assignValues(pairs: [Tensor, Tensor][]): Promise<void> {
  for (const [t] of pairs) {
    if (t.isDisposed) throw new TensorUnusableError(`shadergrad: assign: ${t.describe()} was disposed`);
    const s = t.storage;
    if (s && !s.live && t.node.op === sourceOp) {
      t.node.storage[t.index] = Storage.allocate(t.size * 4, t.name);
    }
  }
  const all = [...new Set(pairs.flat())];
  await issue(all, 'assign', false, pairs);
}

/**
 * Encode and queue what `targets` need now, without waiting (sg.tidy uses it before disposing the
 * intermediates the targets are computed from). Errors surface on the next read of the targets.
 */
export function realiseNow(...targets: Tensor[]): void {
  const p = issue(targets, 'realise', false);
  p?.catch(() => undefined);
}

function afterRun(nodes: Node[]): void {
  // Outside gradient tracing, a realised node no longer needs its inputs: drop them so long eager
  // loops do not keep whole histories of buffers alive.
  for (const n of nodes) {
    if (n.pending?.done) n.pending = undefined;
    if (tracing === 0) n.inputs = [];
  }
}

export function withTracing<T>(fn: () => T): T {
  tracing++;
  try {
    return fn();
  } finally {
    tracing--;
  }
}

onDispose(() => {
  tracing = 0;
});

setScopeHooks({
  isTensor: (v): v is Tensor => v instanceof Tensor,
  realiseNow: (ts) => realiseNow(...ts.filter((t): t is Tensor => t instanceof Tensor)),
});
