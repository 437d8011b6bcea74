// CPU references for scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention),
// float64, written from the maths. Shapes: q [..., L, E], k [..., S, E], v [..., S, Ev] with the same
// leading dims; the output is [..., L, Ev]. For one row i of one head:
//
//   s_j  = scale · q_i·k_j + bias_ij       bias: the float mask's value, or −∞ where the boolean mask
//                                          is false (0) or, when causal, j > i
//   P_ij = e^(s_j) / Σ_j' e^(s_j')         (P_i = 0 when every s_j is −∞: a fully masked row, as
//                                          PyTorch's SDPA since 2.5, instead of 0/0 = NaN)
//   Z_ij = keep(counter) / (1 − p)         dropout on the weights: keep from dropout's Philox
//                                          generator, counter = offset + flat index of (…, i, j)
//   out_i = Σ_j P_ij Z_ij v_j
//
// Backward, for dout: dv_j = Σ_i P_ij Z_ij dout_i; dP_ij = Z_ij dout_i·v_j; the softmax's gradient
// dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij'); dq_i = scale Σ_j dS_ij k_j; dk_j = scale Σ_i dS_ij q_i;
// the float mask's gradient is dS summed over its broadcast dims (sumToShape, by the caller).
// The composite rung's scale/mask step (attentionMask below) has its own reference pair.

import { broadcastIndex, host, unravel, type HostTensor } from './host.js';
import { dropThreshold, keeps } from './dropout.js';

export type MaskKind = 'none' | 'bool' | 'float';

export interface AttentionRefAttrs {
  scale: number;
  causal: boolean;
  maskKind: MaskKind;
  /** Dropout probability on the weights (0: none). */
  p: number;
  /** Philox counter of weight (0, …, 0, 0): weight (…, i, j) draws from offset + its flat index. */
  offset: number;
}

interface Dims {
  lead: number[];
  N: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
}

function dimsOf(q: HostTensor, k: HostTensor, v: HostTensor): Dims {
  const r = q.shape.length;
  const lead = q.shape.slice(0, r - 2);
  return { lead, N: lead.reduce((a, b) => a * b, 1), L: q.shape[r - 2], S: k.shape[r - 2], E: q.shape[r - 1], Ev: v.shape[r - 1] };
}

/** The score bias of (n, i, j): 0, the float mask's value, or −∞ where masked. */
function biasOf(d: Dims, mask: HostTensor | null, a: Pick<AttentionRefAttrs, 'causal' | 'maskKind'>): (n: number, i: number, j: number) => number {
  return (n, i, j) => {
    if (a.causal && j > i) return -Infinity;
    if (!mask || a.maskKind === 'none') return 0;
    const m = mask.data[broadcastIndex([...unravel(n, d.lead), i, j], mask.shape)];
    if (a.maskKind === 'bool') return m !== 0 ? 0 : -Infinity;
    return m;
  };
}

/** The dropout factor Z of (n, i, j): keep / (1 − p), or 1 without dropout. */
function dropoutOf(d: Dims, seed: readonly [number, number] | null, a: Pick<AttentionRefAttrs, 'p' | 'offset'>): (n: number, i: number, j: number) => number {
  if (a.p === 0 || !seed) return () => 1;
  const t = dropThreshold(a.p);
  const scale = 1 / (1 - a.p);
  return (n, i, j) => (keeps((n * d.L + i) * d.S + j, seed, a.offset, t) ? scale : 0);
}

/** The softmax weights of every row: P [N, L, S], and the row log-sum-exp (+∞ for a fully masked row). */
function weights(q: HostTensor, k: HostTensor, mask: HostTensor | null, d: Dims, a: AttentionRefAttrs) {
  const bias = biasOf(d, mask, a);
  const P = new Float64Array(d.N * d.L * d.S);
  const lse = new Float64Array(d.N * d.L);
  const s = new Float64Array(d.S);
  for (let n = 0; n < d.N; n++) {
    for (let i = 0; i < d.L; i++) {
      let m = -Infinity;
      for (let j = 0; j < d.S; j++) {
        let dot = 0;
        for (let e = 0; e < d.E; e++) dot += q.data[(n * d.L + i) * d.E + e] * k.data[(n * d.S + j) * d.E + e];
        s[j] = a.scale * dot + bias(n, i, j);
        m = Math.max(m, s[j]);
      }
      const row = (n * d.L + i) * d.S;
      if (m === -Infinity) {
        lse[n * d.L + i] = Infinity; // fully masked: P stays 0
        continue;
      }
      let l = 0;
      for (let j = 0; j < d.S; j++) l += Math.exp(s[j] - m);
      for (let j = 0; j < d.S; j++) P[row + j] = Math.exp(s[j] - m) / l;
      lse[n * d.L + i] = m + Math.log(l);
    }
  }
  return { P, lse };
}

/** out = (P ∘ Z) v and the row log-sum-exp [..., L]. */
export function attentionForward(
  q: HostTensor, k: HostTensor, v: HostTensor, mask: HostTensor | null, seed: readonly [number, number] | null, a: AttentionRefAttrs,
): { out: HostTensor; lse: HostTensor } {
  const d = dimsOf(q, k, v);
  const { P, lse } = weights(q, k, mask, d, a);
  const Z = dropoutOf(d, seed, a);
  const out = host([...d.lead, d.L, d.Ev]);
  for (let n = 0; n < d.N; n++) {
    for (let i = 0; i < d.L; i++) {
      for (let j = 0; j < d.S; j++) {
        const w = P[(n * d.L + i) * d.S + j] * Z(n, i, j);
        if (w === 0) continue;
        for (let e = 0; e < d.Ev; e++) out.data[(n * d.L + i) * d.Ev + e] += w * v.data[(n * d.S + j) * d.Ev + e];
      }
    }
  }
  return { out, lse: host([...d.lead, d.L], lse) };
}

/**
 * Gradients of Σ out·dout: dq, dk, dv, and dS [..., L, S], the gradient of every score (a float
 * mask's gradient is dS summed over the mask's broadcast dims).
 */
export function attentionBackward(
  q: HostTensor, k: HostTensor, v: HostTensor, mask: HostTensor | null, seed: readonly [number, number] | null,
  dout: HostTensor, a: AttentionRefAttrs,
): { dq: HostTensor; dk: HostTensor; dv: HostTensor; dscores: HostTensor } {
  const d = dimsOf(q, k, v);
  const { P } = weights(q, k, mask, d, a);
  const Z = dropoutOf(d, seed, a);
  const dq = host(q.shape);
  const dk = host(k.shape);
  const dv = host(v.shape);
  const dscores = host([...d.lead, d.L, d.S]);
  const dP = new Float64Array(d.S);
  for (let n = 0; n < d.N; n++) {
    for (let i = 0; i < d.L; i++) {
      const row = (n * d.L + i) * d.S;
      const dOut = (e: number) => dout.data[(n * d.L + i) * d.Ev + e];
      let rowSum = 0;
      for (let j = 0; j < d.S; j++) {
        const z = Z(n, i, j);
        let dot = 0;
        for (let e = 0; e < d.Ev; e++) {
          const ve = v.data[(n * d.S + j) * d.Ev + e];
          dot += dOut(e) * ve;
          dv.data[(n * d.S + j) * d.Ev + e] += P[row + j] * z * dOut(e);
        }
        dP[j] = z * dot;
        rowSum += P[row + j] * dP[j];
      }
      for (let j = 0; j < d.S; j++) {
        const dS = P[row + j] * (dP[j] - rowSum);
        dscores.data[row + j] = dS;
        if (dS === 0) continue;
        for (let e = 0; e < d.E; e++) {
          dq.data[(n * d.L + i) * d.E + e] += a.scale * dS * k.data[(n * d.S + j) * d.E + e];
          dk.data[(n * d.S + j) * d.E + e] += a.scale * dS * q.data[(n * d.L + i) * d.E + e];
        }
      }
    }
  }
  return { dq, dk, dv, dscores };
}

// ---- the composite rung's scale/mask step ------------------------------------------------------------

/**
 * scores = scale · x + bias over x [..., L, S] (bias as above: −∞ where masked), and keep [..., L, 1]:
 * 1 for a row with at least one score above −∞, else 0 — a fully masked row's scores are written as 0
 * (so the softmax after it stays finite) and the composite multiplies the weights by keep.
 */
export function attentionMaskForward(x: HostTensor, mask: HostTensor | null, a: Pick<AttentionRefAttrs, 'scale' | 'causal' | 'maskKind'>): [HostTensor, HostTensor] {
  const r = x.shape.length;
  const lead = x.shape.slice(0, r - 2);
  const d: Dims = { lead, N: lead.reduce((p, c) => p * c, 1), L: x.shape[r - 2], S: x.shape[r - 1], E: 0, Ev: 0 };
  const bias = biasOf(d, mask, a);
  const s = host(x.shape);
  const keep = host([...lead, d.L, 1]);
  for (let n = 0; n < d.N; n++) {
    for (let i = 0; i < d.L; i++) {
      const row = (n * d.L + i) * d.S;
      let any = false;
      for (let j = 0; j < d.S; j++) {
        s.data[row + j] = a.scale * x.data[row + j] + bias(n, i, j);
        if (s.data[row + j] !== -Infinity) any = true;
      }
      keep.data[n * d.L + i] = any ? 1 : 0;
      if (!any) s.data.fill(0, row, row + d.S);
    }
  }
  return [s, keep];
}

/** dx = scale · dy where the score depends on x (above −∞ in a row that keeps), 0 elsewhere. */
export function attentionMaskBackward(dy: HostTensor, s: HostTensor, keep: HostTensor, scale: number): HostTensor {
  const S = s.shape[s.shape.length - 1];
  const dx = host(dy.shape);
  for (let i = 0; i < dy.data.length; i++) {
    const live = keep.data[Math.floor(i / S)] !== 0 && s.data[i] !== -Infinity;
    dx.data[i] = live ? scale * dy.data[i] : 0;
  }
  return dx;
}
