// Matmul: C = op(A) · op(B), batched with broadcasting, optional transposes (by strides, never by a
// copy). Three kernel versions (shaders/matmul.wgsl): naive, tiled, tiled_vec4; 'auto' picks the
// fastest that applies. Reference: src/reference/matmul.ts.

import { defineKernel, type KernelDef } from '../gpu/kernels.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/matmul.js';
import { defineOp, fmtShape, numel, type BufferRef } from './op.js';
import { broadcastShapes, checkRank, sameShape } from './shape.js';
import { expand, sumTo } from './elementwise.js';
import { reshape } from './shape-ops.js';

const matmulBindings = [
  { name: 'A', kind: 'read' as const }, { name: 'B', kind: 'read' as const }, { name: 'C', kind: 'read_write' as const },
  { name: 'params', kind: 'uniform' as const },
];
const matmulParams = ['M', 'N', 'K', 'a_batch', 'b_batch', 'sa_m', 'sa_k', 'sb_k', 'sb_n'].map((name) => ({ name, type: 'u32' as const }));

export const matmulKernels = {
  naive: defineKernel({ name: 'matmul_naive', file: 'matmul.wgsl', entry: 'matmul_naive', bindings: matmulBindings, params: matmulParams, workgroupSize: [8, 8, 1] }),
  tiled: defineKernel({ name: 'matmul_tiled', file: 'matmul.wgsl', entry: 'matmul_tiled', bindings: matmulBindings, params: matmulParams, workgroupSize: [16, 16, 1] }),
  vec4: defineKernel({
    name: 'matmul_tiled_vec4', file: 'matmul.wgsl', entry: 'matmul_tiled_vec4',
    bindings: [{ name: 'A', kind: 'read' }, { name: 'B4', kind: 'read' }, { name: 'C4', kind: 'read_write' }, { name: 'params', kind: 'uniform' }],
    params: matmulParams, workgroupSize: [16, 16, 1],
  }),
};

export type MatmulVersion = 'auto' | 'naive' | 'tiled' | 'vec4';

export interface MatmulOptions {
  /** Use Aᵀ (A stored as [..., K, M]). */
  transA?: boolean;
  /** Use Bᵀ (B stored as [..., N, K]). */
  transB?: boolean;
  /** Kernel version; 'auto' (default) picks tiled_vec4 when it applies, else tiled. */
  version?: MatmulVersion;
}

interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  version: MatmulVersion;
}

function mnk(a: number[], b: number[], { transA, transB }: MatmulAttrs) {
  const M = transA ? a[a.length - 1] : a[a.length - 2];
  const K = transA ? a[a.length - 2] : a[a.length - 1];
  const Kb = transB ? b[b.length - 1] : b[b.length - 2];
  const N = transB ? b[b.length - 2] : b[b.length - 1];
  return { M, N, K, Kb };
}

export function pickVersion(attrs: MatmulAttrs, N: number): Exclude<MatmulVersion, 'auto'> {
  if (attrs.version !== 'auto') {
    if (attrs.version === 'vec4' && (attrs.transB || N % 4 !== 0)) return 'tiled';
    return attrs.version;
  }
  return !attrs.transB && N % 4 === 0 ? 'vec4' : 'tiled';
}

export const matmulOp = defineOp<MatmulAttrs>({
  name: 'matmul',
  kernels: Object.values(matmulKernels),
  infer: ([a, b], attrs) => {
    for (const [t, n] of [[a, 'a'], [b, 'b']] as const) {
      if (t.shape.length < 2) throw new Error(`shadergrad: matmul: ${n} must have at least 2 dimensions, got ${fmtShape(t.shape)}`);
      if (t.dtype !== 'f32') throw new Error(`shadergrad: matmul: ${n} must be f32, got ${t.dtype}`);
    }
    const { M, N, K, Kb } = mnk(a.shape, b.shape, attrs);
    if (K !== Kb) {
      throw new Error(`shadergrad: matmul: inner dimensions differ: a ${fmtShape(a.shape)}${attrs.transA ? 'ᵀ' : ''} has K = ${K}, ` +
        `b ${fmtShape(b.shape)}${attrs.transB ? 'ᵀ' : ''} has K = ${Kb}`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)');
    checkRank([...batch, M, N], 'matmul');
    return [{ shape: [...batch, M, N], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, outMeta, attrs }) => {
    const [a, b] = inMeta;
    const { M, N, K } = mnk(a.shape, b.shape, attrs);
    const batch = numel(outMeta[0].shape.slice(0, -2));
    if (M * N * batch === 0) return;
    if (K === 0) {
      ctx.fill(outputs[0], M * N * batch * 4, 0);
      return;
    }
    const params = {
      M, N, K,
      a_batch: numel(a.shape.slice(0, -2)) === 1 ? 0 : M * K,
      b_batch: numel(b.shape.slice(0, -2)) === 1 ? 0 : K * N,
      sa_m: attrs.transA ? 1 : K, sa_k: attrs.transA ? M : 1,
      sb_k: attrs.transB ? 1 : N, sb_n: attrs.transB ? K : 1,
    };
    const v = pickVersion(attrs, N);
    const k: KernelDef = matmulKernels[v];
    if (v === 'naive') {
      ctx.dispatch(k, { bind: { A: inputs[0], B: inputs[1], C: outputs[0] }, params, grid: [Math.ceil(N / 8), Math.ceil(M / 8), batch] });
    } else {
      const bind: Record<string, BufferRef> = v === 'vec4' ? { A: inputs[0], B4: inputs[1], C4: outputs[0] } : { A: inputs[0], B: inputs[1], C: outputs[0] };
      ctx.dispatch(k, { bind, params, grid: [Math.ceil(N / 64), Math.ceil(M / 64), batch] });
    }
  },
  // With C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, re-expressed with transpose
  // flags so that no transposed copy is made; broadcast batches are summed back.
  grad: ({ inputs: [a, b], dys: [dy], attrs: { transA, transB, version } }) => {
    if (!dy) return [null, null];
    const o = (tA: boolean, tB: boolean) => ({ transA: tA, transB: tB, version });
    const da = transA ? matmul(b, dy, o(transB, true)) : matmul(dy, b, o(false, !transB));
    const db = transB ? matmul(dy, a, o(true, transA)) : matmul(a, dy, o(!transA, false));
    return [sumTo(da, a.shape), sumTo(db, b.shape)];
  },
  reference: ([a, b], { transA, transB }) => [ref.matmulForward(a, b, transA, transB)],
  referenceBackward: ({ inputs: [a, b], dys: [dy], attrs: { transA, transB } }) =>
    (dy ? ref.matmulBackward(a, b, dy, transA, transB) : [null, null]),
  cost: ([a, b], [c], attrs) => {
    const { K } = mnk(a.shape, b.shape, attrs);
    return { flops: 2 * numel(c.shape) * K, bytes: 4 * (numel(a.shape) + numel(b.shape) + numel(c.shape)) };
  },
});

/**
 * Matrix product with PyTorch's torch.matmul semantics: 1-D operands are treated as a row/column
 * vector, leading dimensions broadcast. `transA`/`transB` use the stored transpose without a copy.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const attrs: MatmulAttrs = { transA: !!options.transA, transB: !!options.transB, version: options.version ?? 'auto' };
  if (!['auto', 'naive', 'tiled', 'vec4'].includes(attrs.version)) {
    throw new Error(`shadergrad: matmul: unknown version '${attrs.version}' (auto, naive, tiled or vec4)`);
  }
  if (a.rank === 0 || b.rank === 0) throw new Error(`shadergrad: matmul: scalars are not matrices (${a.describe()}, ${b.describe()})`);
  const vecA = a.rank === 1;
  const vecB = b.rank === 1;
  const A = vecA ? reshape(a, [1, a.size]) : a;
  const B = vecB ? reshape(b, [b.size, 1]) : b;
  // The kernel broadcasts a whole batch (stride 0) but not part of one: expand partial broadcasts.
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2), 'matmul (batch dimensions)');
  const fit = (t: Tensor) => {
    const bs = t.shape.slice(0, -2);
    if (numel(bs) === 1 || sameShape(bs, batch)) return t;
    return expand(t, [...batch, ...t.shape.slice(-2)]);
  };
  let c = apply1(matmulOp, [fit(A), fit(B)], attrs);
  if (vecA || vecB) {
    const s = c.shape.slice(0, -2);
    if (!vecA) s.push(c.shape[c.rank - 2]);
    if (!vecB) s.push(c.shape[c.rank - 1]);
    c = reshape(c, s);
  }
  return c;
}
