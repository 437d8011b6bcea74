// Lazy tensors. An op on tensors records a Node; nothing runs until a value is needed
// (`await t.data()`), when the pending graph is encoded into one command encoder and one submit.
// Each node output has exactly one Tensor object; its GPU buffer goes back to the pool when the
// Tensor is disposed or garbage-collected.

import { gpu, onDispose } from '../gpu/device.js';
import { count } from '../gpu/stats.js';
import { Recorder, runOnce, type Readback } from '../gpu/executor.js';
import { Storage } from '../memory/pool.js';
import { fmtShape, numel, type DType, type Meta, type OpDef } from '../ops/op.js';

let nextId = 1;

/** > 0 while a gradient is being traced: realised nodes then keep their inputs for the backward. */
let tracing = 0;

export class Node {
  readonly id = nextId++;
  storage: (Storage | null)[];
  tensors: Tensor[] = [];
  constructor(
    readonly op: OpDef,
    public inputs: Tensor[],
    public attrs: unknown,
    readonly outputs: Meta[],
  ) {
    this.storage = outputs.map(() => null);
  }

  get realised(): boolean {
    return this.storage.every((s) => s !== null);
  }
}

const finalizer = new FinalizationRegistry<{ node: Node; index: number }>(({ node, index }) => {
  node.storage[index]?.release();
  node.storage[index] = null;
});

export class Tensor {
  /** A name used in error messages and explain() (parameters get theirs from the model). */
  name?: string;
  /** Set on parameters and on inputs of grad(); a plain flag for the training library. */
  requiresGrad = false;
  private disposed = false;

  constructor(readonly node: Node, readonly index: number) {
    finalizer.register(this, { node, index }, this);
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
    if (this.size !== 1) throw new Error(`shadergrad: item() needs a one-element tensor, got ${this.describe()}`);
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
    finalizer.unregister(this);
    this.node.storage[this.index]?.release();
    this.node.storage[this.index] = null;
    if (this.node.tensors.every((t) => t.disposed)) this.node.inputs = [];
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal the buffer once realised */
  get storage(): Storage | null {
    return this.node.storage[this.index];
  }
}

function checkUsable(t: Tensor, where: string): void {
  if (!(t instanceof Tensor)) throw new Error(`shadergrad: ${where} expects a Tensor, got ${typeof t}`);
  if (t.isDisposed) throw new Error(`shadergrad: ${where}: ${t.describe()} was disposed`);
}

/** Record an op on tensors; returns its output tensors (not run yet). */
export function apply<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor[] {
  inputs.forEach((t, i) => checkUsable(t, `${op.name} input ${i}`));
  const outs = op.infer(inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })), attrs);
  const node = new Node(op, inputs, attrs, outs);
  node.tensors = outs.map((_, i) => new Tensor(node, i));
  if (op.alias) {
    const src = inputs[0].storage;
    if (src) node.storage[0] = src.retain();
  }
  return node.tensors;
}

export function apply1<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  return apply(op, inputs, attrs)[0];
}

// ---- sources ------------------------------------------------------------------------------------

export const sourceOp: OpDef<null> = {
  name: 'source',
  infer: () => {
    throw new Error('source tensors are created with sg.tensor()');
  },
  encode: () => {
    throw new Error('shadergrad: a source tensor has no data (was it disposed?)');
  },
  grad: { none: 'a source tensor is a leaf of the graph' },
  reference: () => {
    throw new Error('source tensors take their values from the caller');
  },
  referenceBackward: { none: 'leaf' },
  cost: () => ({ flops: 0, bytes: 0 }),
  kernels: [],
};

export type TensorData = Float32Array | Int32Array | Uint8Array | number[] | ArrayLike<number>;

function checkShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape)) throw new Error(`shadergrad: ${what}: shape must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`shadergrad: ${what}: shape ${JSON.stringify(shape)} has a size that is not a non-negative integer (${d})`);
    }
  }
}

/** Make a tensor from values. dtype defaults to 'i32' for Int32Array and 'f32' otherwise. */
export function tensor(data: TensorData | number, shape?: readonly number[], options: { dtype?: DType; name?: string } = {}): Tensor {
  const { device } = gpu();
  const flat = typeof data === 'number' ? [data] : data;
  const shp = shape ? [...shape] : typeof data === 'number' ? [] : [flat.length];
  const what = options.name ? `tensor '${options.name}'` : 'sg.tensor';
  checkShape(shp, what);
  const n = numel(shp);
  if (flat.length !== n) {
    throw new Error(`shadergrad: ${what}: ${flat.length} values do not fill shape ${fmtShape(shp)} (needs ${n})`);
  }
  const dtype: DType = options.dtype ?? (flat instanceof Int32Array ? 'i32' : 'f32');
  const arr = dtype === 'i32' ? Int32Array.from(flat as ArrayLike<number>) : Float32Array.from(flat as ArrayLike<number>);
  if (dtype === 'i32') {
    for (let i = 0; i < n; i++) {
      if (arr[i] !== (flat as ArrayLike<number>)[i]) {
        throw new Error(`shadergrad: ${what}: value ${(flat as ArrayLike<number>)[i]} at index ${i} is not a 32-bit integer`);
      }
    }
  }
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

/** Nodes that must run to produce `targets`, in topological order (inputs first). */
export function pendingNodes(targets: Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.realised) return;
    for (const t of n.inputs) visit(t.node);
    order.push(n);
  };
  // An explicit stack would avoid recursion limits; graphs here are at most a few thousand deep.
  for (const t of targets) visit(t.node);
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
      for (const t of node.inputs) {
        if (!t.storage) throw new Error(`shadergrad: ${node.op.name}: input ${t.describe()} has no data (disposed?)`);
      }
      done.push(node);
      if (node.op.alias) {
        node.storage[0] = node.inputs[0].storage!.retain();
        continue;
      }
      node.storage = node.outputs.map((m, i) => Storage.allocate(numel(m.shape) * 4, `${node.op.name}[${i}]`));
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
function unrealise(nodes: Node[]): void {
  for (const n of nodes) {
    n.storage.forEach((s) => s?.release());
    n.storage = n.outputs.map(() => null);
  }
}

async function runNodes(rec: Recorder, nodes: Node[], reads: Readback[]): Promise<ArrayBuffer[]> {
  try {
    return await runOnce(rec, reads);
  } catch (e) {
    unrealise(nodes);
    throw e;
  }
}

/** Realise several tensors together (one submit) and read them all back. */
export async function read(...targets: Tensor[]): Promise<(Float32Array | Int32Array)[]> {
  targets.forEach((t, i) => checkUsable(t, `read (argument ${i})`));
  const rec = new Recorder();
  const nodes = encodeOrAbandon(rec, targets);
  const bufs = await runNodes(rec, nodes, targets.map((t) => ({ buffer: t.storage!.buffer, offset: t.storage!.offset, bytes: t.size * 4 })));
  afterRun(nodes);
  return bufs.map((b, i) => (targets[i].dtype === 'i32' ? new Int32Array(b) : new Float32Array(b)));
}

/** Realise tensors on the GPU without reading them back. */
export async function realise(...targets: Tensor[]): Promise<void> {
  targets.forEach((t, i) => checkUsable(t, `realise (argument ${i})`));
  const rec = new Recorder();
  const nodes = encodeOrAbandon(rec, targets);
  if (rec.commands.length === 0) {
    rec.abandon();
    return;
  }
  await runNodes(rec, nodes, []);
  afterRun(nodes);
}

function encodeOrAbandon(rec: Recorder, targets: Tensor[]): Node[] {
  try {
    return encodePending(rec, targets);
  } catch (e) {
    rec.abandon();
    throw e;
  }
}

function afterRun(nodes: Node[]): void {
  // Outside gradient tracing, a realised node no longer needs its inputs: drop them so long eager
  // loops do not keep whole histories of buffers alive.
  if (tracing === 0) for (const n of nodes) n.inputs = [];
}

export function withTracing<T>(fn: () => T): T {
  tracing++;
  try {
    return fn();
  } finally {
    tracing--;
  }
}

export async function withTracingAsync<T>(fn: () => Promise<T>): Promise<T> {
  tracing++;
  try {
    return await fn();
  } finally {
    tracing--;
  }
}

onDispose(() => {
  tracing = 0;
});
