// Mixed precision (compile's `precision: 'mixed'`): half-precision storage, f32 arithmetic. A pass
// over the scheduled step decides which intermediate values are stored as f16 — two per 32-bit word,
// shaders/common/half.wgsl — and tells each node's encode() which of its bindings hold f16
// (EncodeArgs.half). Kernels always compute in f32; only storage changes, so no cast nodes are added.
//
// A value is stored as f16 when
//   - it is an f32 output of a node in the step whose op's half rule (OpDef.half) can write it as f16,
//   - every node reading it (through reshapes, which share its buffer) can read that input as f16, and
//   - nothing outside the kernels reads it: not a step output (read back as f32), not a gradient (the
//     f32 gradient arena), not a state update or an optimizer value (copied after the pass).
// Parameters, inputs and the optimizer's state stay f32 (master weights, as PyTorch AMP keeps them);
// the kernels that read them read f32. Loss scaling (shaders/amp.wgsl, src/graph/record.ts) keeps the
// small gradients stored as f16 from flushing to zero.

import type { HalfStorage } from '../gpu/dispatch.js';
import { opOf } from '../ops/op.js';
import type { Node, Tensor } from '../tensor/tensor.js';
import { numel, type Meta } from '../util/shape.js';
import { rootOf } from './schedule.js';

export type Precision = 'f32' | 'mixed';

export interface HalfPlan {
  /** The values (root tensors) stored as f16. */
  readonly values: ReadonlySet<Tensor>;
  /** What `node`'s encode() is told (undefined: every binding f32). */
  flags(node: Node): HalfStorage | undefined;
  /** Bytes a value takes in storage (⌈n/2⌉ words as f16, n words as f32). */
  bytes(t: Tensor): number;
}

const metaOf = (t: Tensor): Meta => ({ shape: t.shape, dtype: t.dtype });

/** The f16 storage plan of `order` (every node of the step, in execution order); `keep`: roots that stay f32. */
export function planHalfStorage(order: Node[], keep: ReadonlySet<Tensor>): HalfPlan {
  const rules = new Map<Node, { reads: boolean[]; writes: boolean[] }>();
  const ruleOf = (n: Node) => {
    let r = rules.get(n);
    if (!r) {
      const def = opOf(n.op);
      r = n.op.alias || !def.half ? { reads: [], writes: [] } : def.half(n.inputs.map(metaOf), n.outputs, n.attrs);
      rules.set(n, r);
    }
    return r;
  };
  const half = new Set<Tensor>();
  for (const n of order) {
    if (n.op.alias) continue;
    const r = ruleOf(n);
    n.tensors.forEach((t, j) => {
      if (r.writes[j] && t.dtype === 'f32' && !keep.has(t) && numel(t.shape) > 0) half.add(t);
    });
  }
  for (const n of order) {
    if (n.op.alias) continue;
    const r = ruleOf(n);
    n.inputs.forEach((t, k) => {
      const root = rootOf(t);
      if (half.has(root) && !r.reads[k]) half.delete(root);
    });
  }
  // Only values written by the step's own nodes (a fused chain writes its result into the tensor of
  // the chain's last op, whose .node is that op: what counts is who writes it) — never guess: f32.
  const written = new Set(order.flatMap((n) => n.tensors));
  for (const t of half) if (!written.has(t)) half.delete(t);
  const flags = new Map<Node, HalfStorage | undefined>();
  return {
    values: half,
    flags(node) {
      if (flags.has(node)) return flags.get(node);
      const inputs = node.inputs.map((t) => half.has(rootOf(t)));
      const outputs = node.tensors.map((t) => half.has(t));
      const f = inputs.some(Boolean) || outputs.some(Boolean) ? { inputs, outputs } : undefined;
      flags.set(node, f);
      return f;
    },
    bytes: (t) => {
      const n = numel(t.shape);
      return half.has(rootOf(t)) ? Math.ceil(n / 2) * 4 : n * 4;
    },
  };
}

/**
 * A node's cost-model bytes corrected for the values it reads or writes as f16 (2 bytes a value instead
 * of 4). The cost model may count a tensor in part (a slice reads only what it takes) or more than once,
 * so the correction is proportional: the bytes scale by (what every tensor once takes with this
 * storage) ÷ (the same all f32) — exact for the usual model that counts every tensor once.
 */
export function halfBytes(costBytes: number, node: Node, f: HalfStorage | undefined): number {
  if (!f) return costBytes;
  let full = 0;
  let saved = 0;
  const seen = new Set<Tensor>();
  node.inputs.forEach((t, k) => {
    const r = rootOf(t);
    if (seen.has(r)) return;
    seen.add(r);
    full += 4 * numel(t.shape);
    if (f.inputs[k]) saved += 2 * numel(t.shape);
  });
  node.tensors.forEach((t, j) => {
    full += 4 * numel(t.shape);
    if (f.outputs[j]) saved += 2 * numel(t.shape);
  });
  return full > 0 ? Math.round(costBytes * (1 - saved / full)) : costBytes;
}
