// scaledDotProductAttention (torch.nn.functional.scaled_dot_product_attention): softmax(scale·q·kᵀ +
// bias)·v over q [..., L, E], k [..., S, E], v [..., S, Ev], with a causal mask, a boolean or float
// mask, and dropout on the weights. Kernels: shaders/attention.wgsl (its header has the online
// softmax and the backward's algebra). Reference: src/reference/attention.ts.
//
// A ladder of three rungs, the same numbers from each ('auto' picks by the 'attention' rule of
// src/ops/kernel-rules.ts):
//   composite  matmul → scale/mask (attention_mask) → softmax → matmul: the readable baseline. The
//              L×S scores and weights are tensors, every step has its own gradient rule, so
//              gradients of gradients work.
//   fused      FlashAttention-style (attention_forward): one pass over K and V per block of 64 query
//              rows, the keys through workgroup tiles, the online softmax, only the row
//              log-sum-exp saved; the backward (attention_backward_prep / _dq / _dkv) recomputes the
//              weights from it. No L×S matrix in memory (except dS when a float mask's gradient is
//              asked for: attention_backward_bias). No second derivatives.
//   rows       the fused kernels with every thread reading from device memory: no barrier (the idea
//              of matmul_reg; on SwiftShader it is not rewarded, so 'auto' never picks it).
// Dropout draws weight (…, i, j) from dropout's Philox generator at counter offset + its flat index
// in [..., L, S], in every rung, so the rungs drop the same weights; the fused backward redraws them.
// A fully masked row (no key left) gives 0 and gradients 0, as PyTorch's SDPA since 2.5 (the
// documented math formula would give NaN).

import { wgslConsts, wgslKernel } from '../gpu/kernels.js';
import { ATTENTION_RULE, attentionRung, type AttentionRung } from './kernel-rules.js';
import { apply, apply1, Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/attention.js';
import { seedWords } from '../reference/dropout.js';
import { sumToShape, type HostTensor } from '../reference/host.js';
import { defineOp, type OpDef } from './op.js';
import { grid1d, type BufferRef, type EncodeCtx } from '../gpu/dispatch.js';
import { fmtShape, numel, sameShape, type Meta } from '../util/shape.js';
import { mul, scale as scaleBy, sumTo } from './elementwise.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { checkSeed, dropout, seedTensor } from './dropout.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

const OP = 'scaledDotProductAttention';

// The accepted keys of this module's option bag, for checkOptions (src/util/options.ts).
export const ATTENTION_KEYS = keysOf<AttentionOptions>({ causal: 1, mask: 1, dropout: 1, scale: 1, seed: 1, offset: 1, version: 1 });

export const attentionKernels = {
  /** The fused rung: one query (or key) row per thread, tiles through workgroup memory. */
  forward: wgslKernel('attention_forward'),
  backwardDq: wgslKernel('attention_backward_dq'),
  backwardDkv: wgslKernel('attention_backward_dkv'),
  /** The rows rung: the same, without workgroup memory traffic or barriers. */
  forwardRows: wgslKernel('attention_forward_rows'),
  backwardDqRows: wgslKernel('attention_backward_dq_rows'),
  backwardDkvRows: wgslKernel('attention_backward_dkv_rows'),
  /** D = rowsum(dO ∘ out) beside lse, for both backward passes. */
  backwardPrep: wgslKernel('attention_backward_prep'),
  /** dS for every weight: the float mask's gradient. */
  backwardBias: wgslKernel('attention_backward_bias'),
  /** The composite rung's scale/mask step and its gradient. */
  mask: wgslKernel('attention_mask'),
  maskBackward: wgslKernel('attention_mask_backward'),
};

const { MASK_NONE, MASK_BOOL, MASK_FLOAT, ROWS_WG, TILE_FLOATS } = wgslConsts('attention.wgsl');
const MASK_CODES = { none: MASK_NONE, bool: MASK_BOOL, float: MASK_FLOAT };
const TWO_32 = 4294967296;
/** The bits of +FLT_MAX: the lse of a fully masked row (shaders/attention.wgsl). */
const POS_MAX_BITS = 0x7f7fffff;

export type AttentionVersion = 'auto' | AttentionRung;
const VERSIONS: AttentionVersion[] = ['auto', 'composite', 'fused', 'rows'];

export interface AttentionOptions {
  /** Key j takes no part in query row i when j > i (torch's is_causal: tril(ones(L, S)), top-left aligned). Not with `mask`. */
  causal?: boolean;
  /**
   * Broadcastable to [..., L, S]. An i32 tensor is a boolean mask (torch's bool attn_mask): nonzero =
   * takes part, 0 = masked out. An f32 tensor is added to the scores (−∞ masks out); it gets a
   * gradient (dS summed over its broadcast dims) when one is asked for.
   */
  mask?: Tensor | null;
  /** Dropout probability on the attention weights, in [0, 1) (torch's dropout_p; default 0). */
  dropout?: number;
  /** Multiplies q·kᵀ (default 1/√E). */
  scale?: number;
  /** Dropout's Philox key: as sg.dropout's seed (an integer in [0, 2^53) or an i32 tensor of 2 values). */
  seed?: number | Tensor;
  /** Dropout's counter of weight (0, …, 0, 0): weight (…, i, j) draws from offset + its flat index. Default 0. */
  offset?: number;
  /** The rung: 'auto' (default: the 'attention' rule of src/ops/kernel-rules.ts), 'composite', 'fused' or 'rows'. */
  version?: AttentionVersion;
}

interface AttentionAttrs extends ref.AttentionRefAttrs {
  version: 'fused' | 'rows';
}

type MaskAttrs = Pick<ref.AttentionRefAttrs, 'scale' | 'causal' | 'maskKind'>;

/** The optional inputs after the first `at`: the mask (when there is one), then the dropout key. */
function extras<T>(inputs: T[], at: number, a: Pick<ref.AttentionRefAttrs, 'maskKind' | 'p'>): { mask: T | null; key: T | null } {
  const mask = a.maskKind !== 'none' ? inputs[at++] : null;
  const key = a.p > 0 ? inputs[at] : null;
  return { mask, key };
}

// ---- the kernels' Params and grids -----------------------------------------------------------------

interface Dims {
  BH: number;
  H: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
}

/** Heads, rows and features of q [..., L, E], k [..., S, E], v [..., S, Ev] (or of scores [..., L, S]). */
function dimsOf(q: readonly number[], S: number, E: number, Ev: number): Dims {
  const lead = q.slice(0, -2);
  return { BH: numel(lead), H: lead.length ? lead[lead.length - 1] : 1, L: q[q.length - 2], S, E, Ev };
}

/** Every field of shaders/attention.wgsl's Params. */
function kernelParams(d: Dims, mask: Meta | null, a: Partial<ref.AttentionRefAttrs> & { scale: number }) {
  // The mask's strides over (b, h, i, j), its shape right-aligned in [B, H, L, S]: 0 on a broadcast dim.
  const m = [1, 1, 1, 1, ...(mask?.shape ?? [])].slice(-4);
  const s = [m[1] * m[2] * m[3], m[2] * m[3], m[3], 1].map((st, i) => (m[i] === 1 ? 0 : st));
  const p = a.p ?? 0;
  const offset = a.offset ?? 0;
  return {
    ...d, scale: a.scale, mask_sb: s[0], mask_sh: s[1], mask_sl: s[2], mask_ss: s[3],
    tile: Math.max(1, Math.min(ROWS_WG, Math.floor(TILE_FLOATS / Math.max(d.E, d.Ev, 1)))),
    mask_kind: MASK_CODES[a.maskKind ?? 'none'], causal: a.causal ? 1 : 0, dropout: p > 0 ? 1 : 0,
    threshold: p > 0 ? Math.floor(p * TWO_32) : 0, keep_scale: 1 / (1 - p),
    offset_lo: offset % TWO_32, offset_hi: Math.floor(offset / TWO_32),
  };
}

/** One workgroup per 64 rows of one head: [row blocks, heads], heads past the limit folded into z. */
function rowGrid(rows: number, BH: number, ctx: EncodeCtx): [number, number, number] {
  const max = ctx.limits.maxWorkgroupsPerDim;
  return [Math.ceil(rows / ROWS_WG), Math.min(BH, max), Math.ceil(BH / max)];
}

// ---- the fused forward and backward ----------------------------------------------------------------

function checkFused(name: string, [q, k, v]: Meta[]): Dims {
  const r = q.shape.length;
  if (r < 2 || k.shape.length !== r || v.shape.length !== r || !sameShape(q.shape.slice(0, -2), k.shape.slice(0, -2)) ||
      !sameShape(k.shape.slice(0, -2), v.shape.slice(0, -2)) || k.shape[r - 1] !== q.shape[r - 1] || v.shape[r - 2] !== k.shape[r - 2]) {
    throw sgError(`${name}: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} must be [..., L, E], [..., S, E], [..., S, Ev]`, ShapeError);
  }
  return dimsOf(q.shape, k.shape[r - 2], q.shape[r - 1], v.shape[r - 1]);
}

/** The backward's statistics: the key, then (lse, D) per query row (attention_backward_prep). */
function encodePrep(ctx: EncodeCtx, d: Dims, [out, lse, dout]: BufferRef[], key: BufferRef | null, a: AttentionAttrs, params: ReturnType<typeof kernelParams>): BufferRef {
  const stats = ctx.scratch((2 + 2 * d.BH * d.L) * 4);
  ctx.dispatch(attentionKernels.backwardPrep, {
    bind: { out_fwd: out, lse_fwd: lse, dout, dkey: key ?? out, stats }, params,
    grid: grid1d(d.BH * d.L, ROWS_WG, ctx.limits.maxWorkgroupsPerDim),
  });
  return stats;
}

/** out, lse → dq, dk, dv: inputs [q, k, v, out, lse, dout, mask?, key?]. */
export const attentionBackwardOp: OpDef<AttentionAttrs> = defineOp<AttentionAttrs>({
  name: 'attentionBackward',
  kernels: [attentionKernels.backwardPrep, attentionKernels.backwardDq, attentionKernels.backwardDkv,
    attentionKernels.backwardDqRows, attentionKernels.backwardDkvRows],
  infer: (ins) => {
    checkFused('attentionBackward', ins);
    return ins.slice(0, 3).map((m) => ({ shape: [...m.shape], dtype: 'f32' as const }));
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const d = checkFused('attentionBackward', inMeta);
    if (d.BH === 0) return;
    const [q, k, v, out, lse, dout] = inputs;
    const { mask, key } = extras(inputs, 6, attrs);
    const params = kernelParams(d, extras(inMeta, 6, attrs).mask, attrs);
    const rows = attrs.version === 'rows';
    const stats = encodePrep(ctx, d, [out, lse, dout], key, attrs, params);
    const common = { query: q, key: k, value: v, mask: mask ?? q, dout, stats_in: stats };
    if (d.L > 0) {
      ctx.dispatch(rows ? attentionKernels.backwardDqRows : attentionKernels.backwardDq, {
        bind: { ...common, dq: outputs[0] }, params, grid: rowGrid(d.L, d.BH, ctx),
      });
    }
    if (d.S > 0) {
      ctx.dispatch(rows ? attentionKernels.backwardDkvRows : attentionKernels.backwardDkv, {
        bind: { ...common, dk: outputs[1], dv: outputs[2] }, params, grid: rowGrid(d.S, d.BH, ctx),
      });
    }
  },
  grad: { none: 'second derivatives of attention are not implemented for the fused rungs (use version: \'composite\', built from ops that have them)' },
  reference: ([q, k, v, , , dout, ...rest], attrs) => {
    const { mask, key } = extras([q, k, v, ...rest], 3, attrs);
    const r = ref.attentionBackward(q, k, v, mask, key ? seedWords(key) : null, dout, attrs);
    return [r.dq, r.dk, r.dv];
  },
  referenceBackward: { none: 'second derivatives of attention are not implemented' },
  cost: (ins, _outs, a) => attentionCost(checkFused('attentionBackward', ins), a, true),
});

/** dS [..., L, S] for every weight, for the float mask's gradient: inputs as attentionBackward's. */
export const attentionBiasGradOp: OpDef<AttentionAttrs> = defineOp<AttentionAttrs>({
  name: 'attentionBiasGrad',
  kernels: [attentionKernels.backwardPrep, attentionKernels.backwardBias],
  infer: (ins) => {
    const d = checkFused('attentionBiasGrad', ins);
    return [{ shape: [...ins[0].shape.slice(0, -1), d.S], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const d = checkFused('attentionBiasGrad', inMeta);
    const n = d.BH * d.L * d.S;
    if (n === 0) return;
    const [q, k, v, out, lse, dout] = inputs;
    const { mask, key } = extras(inputs, 6, attrs);
    const params = kernelParams(d, extras(inMeta, 6, attrs).mask, attrs);
    const stats = encodePrep(ctx, d, [out, lse, dout], key, attrs, params);
    ctx.dispatch(attentionKernels.backwardBias, {
      bind: { query: q, key: k, value: v, mask: mask ?? q, dout, stats_in: stats, dbias: outputs[0] }, params,
      grid: grid1d(n, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  grad: { none: 'second derivatives of attention are not implemented' },
  reference: ([q, k, v, , , dout, ...rest], attrs) => {
    const { mask, key } = extras([q, k, v, ...rest], 3, attrs);
    return [ref.attentionBackward(q, k, v, mask, key ? seedWords(key) : null, dout, attrs).dscores];
  },
  referenceBackward: { none: 'second derivatives of attention are not implemented' },
  cost: (ins, _outs, a) => attentionCost(checkFused('attentionBiasGrad', ins), a, false),
});

/** FLOPs: 2E for a score, 2Ev for its share of out (forward); the backward ≈ 2.5× that. Causal: about half. */
function attentionCost(d: Dims, a: ref.AttentionRefAttrs, backward: boolean) {
  const pairs = d.BH * (a.causal ? d.L * d.S - (Math.min(d.L, d.S) * (Math.min(d.L, d.S) - 1)) / 2 : d.L * d.S);
  const flops = pairs * (backward ? 8 * d.E + 6 * d.Ev : 2 * d.E + 2 * d.Ev + 4);
  const io = d.BH * (d.L * d.E + d.S * d.E + d.S * d.Ev + d.L * d.Ev + d.L);
  return { flops, bytes: 4 * (backward ? 2 * io + d.BH * d.L * d.Ev : io) };
}

/** (q, k, v, mask?, key?) → (out, lse). */
export const attentionOp: OpDef<AttentionAttrs> = defineOp<AttentionAttrs>({
  name: 'attention',
  kernels: [attentionKernels.forward, attentionKernels.forwardRows],
  infer: (ins) => {
    const d = checkFused('attention', ins);
    const lead = ins[0].shape.slice(0, -2);
    return [{ shape: [...lead, d.L, d.Ev], dtype: 'f32' }, { shape: [...lead, d.L], dtype: 'f32' }];
  },
  encode: (ctx, { inputs, outputs, inMeta, attrs }) => {
    const d = checkFused('attention', inMeta);
    if (d.BH * d.L === 0) return;
    const [q, k, v] = inputs;
    const { mask, key } = extras(inputs, 3, attrs);
    if (d.S === 0) {
      // No keys: every row is fully masked.
      if (d.Ev > 0) ctx.fill(outputs[0], d.BH * d.L * d.Ev * 4, 0);
      ctx.fill(outputs[1], d.BH * d.L * 4, POS_MAX_BITS);
      return;
    }
    ctx.dispatch(attrs.version === 'rows' ? attentionKernels.forwardRows : attentionKernels.forward, {
      bind: { query: q, key: k, value: v, mask: mask ?? q, dkey: key ?? q, out: outputs[0], lse: outputs[1] },
      params: kernelParams(d, extras(inMeta, 3, attrs).mask, attrs),
      grid: rowGrid(d.L, d.BH, ctx),
    });
  },
  // dq, dk, dv from the backward op (recomputing the weights from lse); the float mask's gradient
  // is dS summed over its broadcast dims (attentionBiasGrad: made only if something reads it).
  // lse is internal (scaledDotProductAttention returns out only), so nothing reaches it.
  grad: ({ inputs, outputs: [out, lse], dys: [dout, dlse], attrs }) => {
    if (dlse) throw sgError('attention: internal: the log-sum-exp output has no gradient rule');
    const { mask, key } = extras(inputs, 3, attrs);
    if (!dout) return inputs.map(() => null);
    const [q, k, v] = inputs;
    const bwd = [q, k, v, out, lse, dout, ...(mask ? [mask] : []), ...(key ? [key] : [])];
    const grads: (Tensor | null)[] = apply(attentionBackwardOp, bwd, attrs);
    if (mask) grads.push(attrs.maskKind === 'float' ? sumTo(apply1(attentionBiasGradOp, bwd, attrs), mask.shape) : null);
    if (key) grads.push(null);
    return grads;
  },
  reference: ([q, k, v, ...rest], attrs) => {
    const { mask, key } = extras([q, k, v, ...rest], 3, attrs);
    const r = ref.attentionForward(q, k, v, mask, key ? seedWords(key) : null, attrs);
    return [r.out, r.lse];
  },
  referenceBackward: ({ inputs: [q, k, v, ...rest], dys: [dout], attrs }) => {
    const { mask, key } = extras([q, k, v, ...rest], 3, attrs);
    if (!dout) return [q, k, v, ...rest].map(() => null);
    const r = ref.attentionBackward(q, k, v, mask, key ? seedWords(key) : null, dout, attrs);
    const grads: (HostTensor | null)[] = [r.dq, r.dk, r.dv];
    if (mask) grads.push(attrs.maskKind === 'float' ? sumToShape(r.dscores, mask.shape) : null);
    if (key) grads.push(null);
    return grads;
  },
  cost: (ins, _outs, a) => attentionCost(checkFused('attention', ins), a, false),
});

// ---- the composite rung's scale/mask step ----------------------------------------------------------

function scoreDims(raw: Meta): Dims {
  const s = raw.shape;
  return dimsOf(s, s[s.length - 1], 0, 0);
}

/** raw_grad = scale·dscores where the score is live (above −∞, in a kept row): inputs [dscores, scores, keep]. */
export const attentionMaskBackwardOp: OpDef<{ scale: number }> = defineOp<{ scale: number }>({
  name: 'attentionMaskBackward',
  kernels: [attentionKernels.maskBackward],
  infer: ([dy, s, keep]) => {
    if (!sameShape(dy.shape, s.shape) || !sameShape(keep.shape, [...s.shape.slice(0, -1), 1])) {
      throw sgError(`attentionMaskBackward: dy ${fmtShape(dy.shape)}, scores ${fmtShape(s.shape)} and keep ${fmtShape(keep.shape)} do not match`, ShapeError);
    }
    return [{ shape: [...dy.shape], dtype: 'f32' }];
  },
  encode: (ctx, { inputs: [dy, s, keep], outputs, inMeta, attrs }) => {
    const d = scoreDims(inMeta[0]);
    const n = d.BH * d.L * d.S;
    if (n === 0) return;
    ctx.dispatch(attentionKernels.maskBackward, {
      bind: { dscores: dy, scores_in: s, row_keep_in: keep, raw_grad: outputs[0] }, params: kernelParams(d, null, attrs),
      grid: grid1d(n, 256, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // Linear in dy with a 0/1 diagonal that is piecewise constant in the scores: the same map again.
  grad: ({ inputs: [, s, keep], dys: [g], attrs }) => [g ? apply1(attentionMaskBackwardOp, [g, s, keep], attrs) : null, null, null],
  reference: ([dy, s, keep], { scale }) => [ref.attentionMaskBackward(dy, s, keep, scale)],
  referenceBackward: ({ inputs: [, s, keep], dys: [g], attrs: { scale } }) => [g ? ref.attentionMaskBackward(g, s, keep, scale) : null, null, null],
  cost: ([dy]) => ({ flops: numel(dy.shape), bytes: 12 * numel(dy.shape) }),
});

/**
 * raw·scale + bias (−∞ where masked) over raw [..., L, S], and row_keep [..., L, 1] (0 for a row with
 * nothing left, whose scores are written as 0): attention_mask. Inputs [raw, mask?].
 */
export const attentionMaskOp: OpDef<MaskAttrs> = defineOp<MaskAttrs>({
  name: 'attentionMask',
  kernels: [attentionKernels.mask],
  infer: ([raw]) => {
    if (raw.shape.length < 2 || raw.dtype !== 'f32') throw sgError(`attentionMask: scores must be f32 [..., L, S], got ${fmtShape(raw.shape)} ${raw.dtype}`, ShapeError);
    return [{ shape: [...raw.shape], dtype: 'f32' }, { shape: [...raw.shape.slice(0, -1), 1], dtype: 'f32' }];
  },
  encode: (ctx, { inputs: [raw, mask], outputs, inMeta, attrs }) => {
    const d = scoreDims(inMeta[0]);
    if (d.BH * d.L === 0) return;
    ctx.dispatch(attentionKernels.mask, {
      bind: { raw, mask: mask ?? raw, scores: outputs[0], row_keep: outputs[1] },
      params: kernelParams(d, inMeta[1] ?? null, attrs),
      grid: grid1d(d.BH * d.L, ROWS_WG, ctx.limits.maxWorkgroupsPerDim),
    });
  },
  // ∂scores/∂raw = scale where the score is live, 0 elsewhere; ∂scores/∂mask = 1 there (float mask),
  // summed over the mask's broadcast dims. row_keep is piecewise constant: no gradient.
  grad: ({ inputs: [, mask], outputs: [s, keep], dys: [g], attrs }) => {
    if (!g) return [null, null];
    const back = (scale: number) => apply1(attentionMaskBackwardOp, [g, s, keep], { scale });
    return [back(attrs.scale), mask && attrs.maskKind === 'float' ? sumTo(back(1), mask.shape) : null];
  },
  reference: ([raw, mask], attrs) => ref.attentionMaskForward(raw, mask ?? null, attrs),
  referenceBackward: ({ inputs: [, mask], outputs: [s, keep], dys: [g], attrs }) => {
    if (!g) return [null, null];
    const live = (scale: number) => ref.attentionMaskBackward(g, s, keep, scale);
    return [live(attrs.scale), mask && attrs.maskKind === 'float' ? sumToShape(live(1), mask.shape) : null];
  },
  cost: ([raw]) => ({ flops: 2 * numel(raw.shape), bytes: 8 * numel(raw.shape) }),
});

/** The composite rung: matmul → scale/mask → softmax (× row_keep) → dropout → matmul. */
/** softmax(scale·q·kᵀ + bias) [..., L, S], a fully masked row 0: the composite rung's weights. */
function compositeWeights(q: Tensor, k: Tensor, mask: Tensor | null, a: MaskAttrs): Tensor {
  const raw = matmul(q, k, { transB: true });                        // [..., L, S]
  if (!a.causal && !mask) return softmax(scaleBy(raw, a.scale), -1);
  const [scores, keep] = apply(attentionMaskOp, mask ? [raw, mask] : [raw], a);
  const weights = softmax(scores, -1);
  // A fully masked row gives 0 (causal alone always leaves key 0).
  return mask ? mul(weights, keep) : weights;
}

function composite(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, key: Tensor | null, a: ref.AttentionRefAttrs): Tensor {
  let weights = compositeWeights(q, k, mask, a);
  if (key) weights = dropout(weights, a.p, { seed: key, offset: a.offset });
  return matmul(weights, v);                                          // [..., L, Ev]
}

// ---- the public function -----------------------------------------------------------------------------

function checkInputs(q: Tensor, k: Tensor, v: Tensor): void {
  const named = [['query', q], ['key', k], ['value', v]] as const;
  for (const [name, t] of named) {
    if (!(t instanceof Tensor)) throw sgError(`${OP}: ${name} must be a Tensor, got ${typeof t}`);
    if (t.dtype !== 'f32') throw sgError(`${OP}: ${name} must be f32, got ${t.describe()}`, ShapeError);
    if (t.rank < 2 || t.rank > 4) throw sgError(`${OP}: ${name} must be [L, E], [N, L, E] or [B, H, L, E], got ${t.describe()}`, ShapeError);
  }
  const lead = (t: Tensor) => t.shape.slice(0, -2);
  if (k.rank !== q.rank || v.rank !== q.rank || !sameShape(lead(k), lead(q)) || !sameShape(lead(v), lead(q))) {
    throw sgError(`${OP}: query ${q.describe()}, key ${k.describe()} and value ${v.describe()} must have the same leading (batch, head) dims`, ShapeError);
  }
  const r = q.rank;
  if (k.shape[r - 1] !== q.shape[r - 1]) {
    throw sgError(`${OP}: key ${k.describe()} must have the query's E = ${q.shape[r - 1]} features (query ${q.describe()})`, ShapeError);
  }
  if (v.shape[r - 2] !== k.shape[r - 2]) {
    throw sgError(`${OP}: value ${v.describe()} must have the key's S = ${k.shape[r - 2]} rows (key ${k.describe()})`, ShapeError);
  }
}

function maskKindOf(mask: Tensor, q: Tensor, S: number): ref.MaskKind {
  if (!(mask instanceof Tensor)) throw sgError(`${OP}: mask must be a Tensor or null, got ${typeof mask}`);
  const full = [...q.shape.slice(0, -1), S];
  const fits = mask.rank <= full.length && mask.shape.every((d, i) => d === 1 || d === full[full.length - mask.rank + i]);
  if (!fits) throw sgError(`${OP}: mask ${mask.describe()} must broadcast to the scores' shape ${fmtShape(full)}`, ShapeError);
  return mask.dtype === 'i32' ? 'bool' : 'float';
}

/** The options that shape the scores: causal, mask (and its kind), scale (default 1/√E). */
function biasOptions(q: Tensor, k: Tensor, options: Pick<AttentionOptions, 'causal' | 'mask' | 'scale'>): MaskAttrs & { mask: Tensor | null } {
  const causal = options.causal ?? false;
  if (typeof causal !== 'boolean') throw sgError(`${OP}: causal must be true or false, got ${String(causal)}`);
  const mask = options.mask ?? null;
  const maskKind = mask ? maskKindOf(mask, q, k.shape[k.rank - 2]) : 'none';
  if (mask && causal) throw sgError(`${OP}: give either causal or mask, not both (as torch: an explicit mask should not be set when is_causal is true)`);
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.rank - 1]);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw sgError(`${OP}: scale must be a finite number, got ${String(scale)}`);
  return { causal, mask, maskKind, scale };
}

export const ATTENTION_WEIGHTS_KEYS = keysOf<AttentionWeightsOptions>({ causal: 1, mask: 1, scale: 1 });
export type AttentionWeightsOptions = Pick<AttentionOptions, 'causal' | 'mask' | 'scale'>;

/**
 * The attention weights softmax(scale·q·kᵀ + bias) [..., L, S] of scaledDotProductAttention (same
 * `causal`, `mask`, `scale`; no dropout), with a fully masked row 0, as the composite rung computes
 * them (matmul → mask → softmax): what nn.MultiheadAttention returns with needWeights, for
 * visualisation. Differentiable in q, k and a float mask.
 */
export function attentionWeights(q: Tensor, k: Tensor, options: AttentionWeightsOptions = {}): Tensor {
  checkOptions('attentionWeights', options, ATTENTION_WEIGHTS_KEYS);
  checkInputs(q, k, k);
  const { mask, ...attrs } = biasOptions(q, k, options);
  return compositeWeights(q, k, mask, attrs);
}

/**
 * Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention:
 * softmax(scale·q·kᵀ + bias)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] (..., = none, N or
 * B, H; the same for all three), giving [..., L, Ev]. bias: −∞ above the diagonal when `causal`
 * (top-left aligned), from `mask` (i32: boolean, 0 = masked out; f32: added), else 0. `dropout` p
 * zeroes each weight with probability p and scales the rest by 1/(1 − p), drawn from sg.dropout's
 * Philox generator (`seed`, `offset`). A fully masked row gives 0 (as PyTorch since 2.5).
 * Gradients reach q, k, v and a float mask; `version` picks the rung (see src/ops/attention.ts).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  checkOptions(OP, options, ATTENTION_KEYS);
  checkInputs(q, k, v);
  const r = q.rank;
  const [E, Ev] = [q.shape[r - 1], v.shape[r - 1]];
  const { causal, mask, maskKind, scale } = biasOptions(q, k, options);
  const p = options.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw sgError(`${OP}: dropout must be a probability in [0, 1), got ${String(p)}`);
  const offset = options.offset ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw sgError(`${OP}: offset must be an integer in [0, 2^53), got ${String(offset)}`);
  }
  checkSeed(options.seed, OP);
  const version = options.version ?? 'auto';
  if (!VERSIONS.includes(version)) throw sgError(`${OP}: unknown version '${String(version)}' (${VERSIONS.join(', ')})`);
  const headDim = Math.max(E, Ev);
  const rung = version === 'auto' ? attentionRung(headDim) : version;
  if (rung !== 'composite' && headDim > ATTENTION_RULE.maxFusedHeadDim) {
    throw sgError(`${OP}: the ${rung} rung keeps a row in ${ATTENTION_RULE.maxFusedHeadDim} registers; query ${q.describe()} and ` +
      `value ${v.describe()} have ${headDim} (use version 'composite' or 'auto')`, ShapeError);
  }
  const key = p > 0 ? seedTensor(options.seed) : null;
  const attrs: ref.AttentionRefAttrs = { scale, causal, maskKind, p, offset };
  if (rung === 'composite') return composite(q, k, v, mask, key, attrs);
  const inputs = [q, k, v, ...(mask ? [mask] : []), ...(key ? [key] : [])];
  return apply(attentionOp, inputs, { ...attrs, version: rung })[0];
}
