// CPU reference for (batched) matmul with transpose flags, float64.
// a: [batch?, M, K] (or [batch?, K, M] when transA), b: [batch?, K, N] (or [batch?, N, K] when transB).
// Batch dimensions broadcast. Output [batch, M, N].

import { type HostTensor, broadcastIndex, host, sumToShape, unravel } from './host.js';
import { broadcastShape } from './elementwise.js';

interface Dims {
  batchShape: number[];
  M: number;
  N: number;
  K: number;
}

function dims(a: HostTensor, b: HostTensor, transA: boolean, transB: boolean): Dims {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  return { batchShape: broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), M, N, K };
}

function aAt(a: HostTensor, base: number, m: number, k: number, M: number, K: number, t: boolean): number {
  return a.data[base + (t ? k * M + m : m * K + k)];
}

export function matmulForward(a: HostTensor, b: HostTensor, transA = false, transB = false): HostTensor {
  const { batchShape, M, N, K } = dims(a, b, transA, transB);
  const out = host([...batchShape, M, N]);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  for (let bi = 0; bi < batch; bi++) {
    const idx = unravel(bi, batchShape);
    const ab = broadcastIndex(idx, a.shape.slice(0, -2)) * M * K;
    const bb = broadcastIndex(idx, b.shape.slice(0, -2)) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += aAt(a, ab, m, k, M, K, transA) * aAt(b, bb, k, n, K, N, transB);
        out.data[(bi * M + m) * N + n] = s;
      }
    }
  }
  return out;
}

/** dA = dC · op(B)ᵀ and dB = op(A)ᵀ · dC, laid out like A and B, summed over broadcast batches. */
export function matmulBackward(a: HostTensor, b: HostTensor, dy: HostTensor, transA = false, transB = false): [HostTensor, HostTensor] {
  const { batchShape, M, N, K } = dims(a, b, transA, transB);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const aRows = transA ? [K, M] : [M, K];
  const bRows = transB ? [N, K] : [K, N];
  const da = host([...batchShape, ...aRows]);
  const db = host([...batchShape, ...bRows]);
  for (let bi = 0; bi < batch; bi++) {
    const idx = unravel(bi, batchShape);
    const ab = broadcastIndex(idx, a.shape.slice(0, -2)) * M * K;
    const bb = broadcastIndex(idx, b.shape.slice(0, -2)) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dy.data[(bi * M + m) * N + n];
        for (let k = 0; k < K; k++) {
          const ia = transA ? k * M + m : m * K + k;
          const ib = transB ? n * K + k : k * N + n;
          da.data[bi * M * K + ia] += g * b.data[bb + ib];
          db.data[bi * K * N + ib] += g * a.data[ab + ia];
        }
      }
    }
  }
  return [sumToShape(da, a.shape), sumToShape(db, b.shape)];
}

// ---- linear: y = act(x·Wᵀ + b) -------------------------------------------------------------------

export type Activation = 'none' | 'relu' | 'sigmoid' | 'tanh';

function act(kind: Activation, z: number): number {
  switch (kind) {
    case 'relu': return z > 0 ? z : 0;
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'tanh': return Math.tanh(z);
    default: return z;
  }
}

/** d act / dz at z. */
function actGrad(kind: Activation, z: number): number {
  switch (kind) {
    case 'relu': return z > 0 ? 1 : 0;
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    default: return 1;
  }
}

/** z[m, n] = Σ_k x[m, k] · W[n, k] + b[n] for x viewed as [M, K] (all leading dims are rows). */
function linearPre(x: HostTensor, w: HostTensor, b: HostTensor | null): { z: Float64Array; M: number; K: number; N: number } {
  const K = x.shape[x.shape.length - 1];
  const M = K === 0 ? x.shape.slice(0, -1).reduce((p, q) => p * q, 1) : x.data.length / K;
  const N = w.shape[0];
  const z = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b ? b.data[n] : 0;
      for (let k = 0; k < K; k++) s += x.data[m * K + k] * w.data[n * K + k];
      z[m * N + n] = s;
    }
  }
  return { z, M, K, N };
}

export function linearForward(x: HostTensor, w: HostTensor, b: HostTensor | null, kind: Activation): HostTensor {
  const { z, N } = linearPre(x, w, b);
  const y = host([...x.shape.slice(0, -1), N]);
  for (let i = 0; i < z.length; i++) y.data[i] = act(kind, z[i]);
  return y;
}

/** dz = dy · act'(z); dx = dz·W, dW = dzᵀ·x, db = Σ_m dz. */
export function linearBackward(x: HostTensor, w: HostTensor, b: HostTensor | null, dy: HostTensor, kind: Activation): [HostTensor, HostTensor, HostTensor | null] {
  const { z, M, K, N } = linearPre(x, w, b);
  const dx = host(x.shape);
  const dw = host(w.shape);
  const db = b ? host(b.shape) : null;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const dz = dy.data[m * N + n] * actGrad(kind, z[m * N + n]);
      if (db) db.data[n] += dz;
      for (let k = 0; k < K; k++) {
        dx.data[m * K + k] += dz * w.data[n * K + k];
        dw.data[n * K + k] += dz * x.data[m * K + k];
      }
    }
  }
  return [dx, dw, db];
}
