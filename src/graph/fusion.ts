// Fusion of elementwise chains, a compile() pass. After differentiation, maximal chains of unary and
// binary elementwise ops whose intermediate results are read only inside the chain become one
// `fusedElementwise` node running shaders/elementwise.wgsl:chain_forward — one read of each input
// and one write, instead of a round trip through memory per op. A chain is fused when every input
// has the output's shape or one element, it has at most 8 ops and at most 4 distinct inputs.
// kernels-test/node/fusion.test.ts compares every fused plan with its unfused composite.

import { wgslConsts, wgslKernel } from '../gpu/kernels.js';
import { BINARY_CODES, UNARY_CODES, halfGrid, halfOverrides } from '../ops/elementwise.js';
import { defineOp } from '../ops/op.js';
import { numel, type Meta, sameShape } from '../util/shape.js';
import { type HostTensor, host } from '../reference/host.js';
import { binaryRefs, unaryRefs } from '../reference/elementwise.js';
import { Node, type Tensor } from '../tensor/tensor.js';

export const chainKernel = wgslKernel('chain_forward');
/** A step's kind `K<s>` in shaders/elementwise.wgsl's chain_forward. */
const { STEP_UNARY, STEP_BINARY } = wgslConsts('elementwise.wgsl');

export interface ChainStep {
  kind: 'unary' | 'binary';
  op: string;
  /** Registers read: 0–3 are the inputs, 4+s the result of step s. */
  a: number;
  b: number;
  alpha: number;
}

export interface ChainAttrs {
  steps: ChainStep[];
  shape: number[];
  /** The ops fused, for explain(). */
  ops: string[];
}

const MAX_STEPS = 8;
const MAX_INPUTS = 4;

export const fusedElementwiseOp = defineOp<ChainAttrs>({
  name: 'fusedElementwise',
  kernels: [chainKernel],
  infer: (_ins, { shape }) => [{ shape, dtype: 'f32' }],
  // Half storage (compile's precision: 'mixed'): each input independently, and the output (a word of
  // two values per thread). The inputs are f32 (a fused chain is made of f32 unary and binary ops).
  half: (ins) => ({ reads: ins.map((m) => m.dtype === 'f32'), writes: [true] }),
  encode: (ctx, { inputs, outputs, inMeta, attrs, half }) => {
    const n = numel(attrs.shape);
    if (n === 0) return;
    // The program becomes override constants: one pipeline per distinct chain, straight-line code.
    const overrides: Record<string, number> = { STEPS: attrs.steps.length, INPUTS: inputs.length };
    const alpha: number[] = [];
    attrs.steps.forEach((s, k) => {
      overrides[`K${k}`] = s.kind === 'unary' ? STEP_UNARY : STEP_BINARY;
      overrides[`C${k}`] = s.kind === 'unary' ? UNARY_CODES[s.op as never] : BINARY_CODES[s.op as never];
      overrides[`A${k}`] = s.a;
      overrides[`B${k}`] = s.b;
      alpha.push(s.alpha);
    });
    let scalars = 0;
    inMeta.forEach((m, k) => {
      if (numel(m.shape) === 1 && n !== 1) scalars |= 1 << k;
    });
    const bind = { in0: inputs[0], in1: inputs[1] ?? inputs[0], in2: inputs[2] ?? inputs[0], in3: inputs[3] ?? inputs[0], fused: outputs[0] };
    Object.assign(overrides, halfOverrides({ inputs: ['IN0_HALF', 'IN1_HALF', 'IN2_HALF', 'IN3_HALF'], outputs: ['FUSED_HALF'] }, half));
    ctx.dispatch(chainKernel, {
      bind, params: { n, scalars, alpha }, overrides, grid: halfGrid(n, half?.outputs[0], ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: { none: 'fusion runs after differentiation, on the compiled graph' },
  reference: (ins, attrs) => [runChain(ins, attrs)],
  referenceBackward: { none: 'fusion runs after differentiation' },
  cost: (ins, [o], attrs) => ({
    flops: numel(o.shape) * attrs.steps.length,
    bytes: 4 * (ins.reduce((a, m) => a + numel(m.shape), 0) + numel(o.shape)),
  }),
});

/** The chain on the CPU with the float64 references (the fused kernel's reference). */
function runChain(ins: HostTensor[], { steps, shape }: ChainAttrs): HostTensor {
  const out = host(shape);
  const regs = new Float64Array(4 + steps.length);
  for (let i = 0; i < out.data.length; i++) {
    ins.forEach((t, k) => (regs[k] = t.data.length === 1 ? t.data[0] : t.data[i]));
    steps.forEach((s, j) => {
      regs[4 + j] = s.kind === 'unary' ? unaryRefs[s.op].f(regs[s.a], s.alpha) : binaryRefs[s.op].f(regs[s.a], regs[s.b]);
    });
    out.data[i] = regs[3 + steps.length];
  }
  return out;
}

const UNARY = new Set(Object.keys(UNARY_CODES));
const BINARY = new Set(Object.keys(BINARY_CODES));

function fusible(n: Node): boolean {
  const name = n.op.name;
  if (!(UNARY.has(name) || BINARY.has(name)) || n.outputs[0].dtype !== 'f32') return false;
  const shape = n.outputs[0].shape;
  return n.inputs.every((t) => sameShape(t.shape, shape) || t.size === 1);
}

export interface FusionResult {
  /** The schedule with chains replaced by fused nodes. */
  order: Node[];
  fused: number;
}

/**
 * Fuse elementwise chains in `order`. `keep` holds tensors that must stay materialised (outputs,
 * gradients, the optimizer's results): they can end a chain but never be swallowed by one.
 */
export function fuseElementwise(order: Node[], keep: Set<Tensor>): FusionResult {
  const readers = new Map<Tensor, number>();
  for (const n of order) for (const t of n.inputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  const inOrder = new Set(order);
  const absorbed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  let fused = 0;

  for (let i = order.length - 1; i >= 0; i--) {
    const root = order[i];
    if (absorbed.has(root) || !fusible(root)) continue;
    const shape = root.outputs[0].shape;
    // Grow the chain backwards through producers read only by the chain.
    const members = new Set<Node>([root]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const m of members) {
        for (const t of m.inputs) {
          const p = t.node;
          if (members.has(p) || absorbed.has(p) || !inOrder.has(p) || !fusible(p)) continue;
          if (!sameShape(p.outputs[0].shape, shape) || keep.has(t) || readers.get(t) !== 1) continue;
          if (members.size >= MAX_STEPS) continue;
          const trial = new Set(members).add(p);
          if (externalInputs(trial).length > MAX_INPUTS) continue;
          members.add(p);
          grew = true;
        }
      }
    }
    if (members.size < 2) continue;
    // Program in schedule order.
    const steps = order.filter((n) => members.has(n));
    const inputs = externalInputs(members);
    const reg = new Map<Tensor, number>(inputs.map((t, k) => [t, k]));
    const prog: ChainStep[] = steps.map((n, s) => {
      const a = reg.get(n.inputs[0])!;
      const b = n.inputs.length > 1 ? reg.get(n.inputs[1])! : 0;
      reg.set(n.tensors[0], 4 + s);
      const kind = UNARY.has(n.op.name) ? 'unary' : 'binary';
      return { kind, op: n.op.name, a, b, alpha: kind === 'unary' ? (n.attrs as { alpha: number }).alpha : 0 };
    });
    const node = new Node(fusedElementwiseOp, inputs, { steps: prog, shape: [...shape], ops: steps.map((n) => n.op.name) }, [{ shape: [...shape], dtype: 'f32' } as Meta]);
    node.tensors = [root.tensors[0]]; // the fused node writes the chain's result where the root did
    for (const n of steps) absorbed.add(n);
    replaced.set(root, node);
    fused++;
  }
  const out: Node[] = [];
  for (const n of order) {
    const r = replaced.get(n);
    if (r) out.push(r);
    else if (!absorbed.has(n)) out.push(n);
  }
  return { order: out, fused };
}

/** Tensors read by `members` but produced outside them, in first-use order. */
function externalInputs(members: Set<Node>): Tensor[] {
  const seen = new Set<Tensor>();
  const list: Tensor[] = [];
  const ordered = [...members].sort((a, b) => a.id - b.id);
  for (const m of ordered) {
    for (const t of m.inputs) {
      if (members.has(t.node) || seen.has(t)) continue;
      seen.add(t);
      list.push(t);
    }
  }
  return list;
}
