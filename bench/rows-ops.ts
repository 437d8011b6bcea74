// Benchmark rows beyond matmul: conv2d forward and backward, softmax / cross-entropy / layer norm /
// batch norm (memory-bound: GB/s), one Adam update over 1M parameters, and the groups that
// `npm run bench --only …` and the bench page pick from, with sizes per adapter. Each row holds the
// same work in shadergrad, TensorFlow.js (WebGPU) and jax-js (WebGPU, eager and jit), checked
// against float64 values computed here (or by the project's CPU references, src/reference/).

import * as sg from '../src/index.js';
import type { MatmulVersion } from '../src/index.js';
import { host } from '../src/reference/host.js';
import { conv2dForward, conv2dInputGrad, conv2dWeightGrad, type ConvGeometry } from '../src/reference/conv.js';
import { CONV_VERSIONS } from '../src/ops/conv.js';
import { attentionBackward, attentionForward } from '../src/reference/attention.js';
import type { Impl, Row } from './harness.js';
import type { Peers } from './peers.js';
import {
  ADAM, HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, NORM_EPS, OIHW_TO_HWIO, cnnStepRow, concat, jaxAdam, jaxCrossEntropy,
  jaxNormalize, matmulRow, mlpStepRow, opImpls, oursPlan, permute, refCheck, seeded, tfNormalize, tfStateful,
  type JaxArray, type Tf, type TfTensor,
} from './rows.js';
import { attentionMemory, formatAttentionMemory, transformerStepRow, type AttentionMemoryShape } from './rows-transformer.js';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const at = (shape: number[], perm: number[]) => perm.map((d) => shape[d]);

// ---- conv2d ---------------------------------------------------------------------------------------

/** A 3×3, padding 1, stride 1 convolution of x [N, C, H, H] to O channels. */
export interface ConvShape { N: number; C: number; H: number; O: number }

/**
 * Two rows: the forward (each shadergrad kernel version) and the backward (dx and dw from x, w and
 * dy: shadergrad's two gradient ops, TensorFlow.js's Conv2DBackpropInput / Conv2DBackpropFilter
 * kernels — what its conv2d gradient runs —, jax-js's vjp of lax.convGeneralDilated).
 */
export function convRows(peers: Peers, { N, C, H, O }: ConvShape): Row[] {
  const [K, P] = [3, 1];
  const xs = [N, C, H, H];
  const ws = [O, C, K, K];
  const ys = [N, O, H, H];
  const X = seeded(numel(xs), 41);
  const Wt = seeded(numel(ws), 42, 1 / Math.sqrt(C * K * K));
  const DY = seeded(numel(ys), 43);
  const g: ConvGeometry = { stride: [1, 1], padding: [P, P], dilation: [1, 1], groups: 1 };
  const y = conv2dForward(host(xs, X), host(ws, Wt), null, g).data;
  const dx = conv2dInputGrad(host(ys, DY), host(ws, Wt), xs, g).data;
  const dw = conv2dWeightGrad(host(xs, X), host(ys, DY), ws, g).data;
  const [x, w, dy] = [sg.tensor(X, xs), sg.tensor(Wt, ws), sg.tensor(DY, ys)];
  const opts = { padding: P };
  const flops = 2 * N * O * H * H * C * K * K;
  const tag = `${N}×${C}×${H}×${H} → ${O} k3`;
  const notes = ['tfjs runs in NHWC / HWIO (its layout): inputs are transposed on the host before, outputs after (not timed)'];

  // TensorFlow.js's tensors in its layouts, and the jax-js convolution, shared by both rows.
  const tfArgs = (tf: Tf) => ({
    tx: tf.tensor4d(permute(X, xs, NCHW_TO_NHWC), at(xs, NCHW_TO_NHWC) as [number, number, number, number]),
    tw: tf.tensor4d(permute(Wt, ws, OIHW_TO_HWIO), at(ws, OIHW_TO_HWIO) as [number, number, number, number]),
    tdy: tf.tensor4d(permute(DY, ys, NCHW_TO_NHWC), at(ys, NCHW_TO_NHWC) as [number, number, number, number]),
  });
  const toNCHW = (d: Float32Array, shape: number[]) => permute(d, at(shape, NCHW_TO_NHWC), NHWC_TO_NCHW);
  const jconv = (lax: typeof import('@jax-js/jax').lax) => (a: JaxArray, b: JaxArray) => lax.convGeneralDilated(a, b, [1, 1], [[P, P], [P, P]]);

  const forward: Row = {
    group: 'conv', name: `conv2d fwd ${tag}`, flops, bytes: 4 * (numel(xs) + numel(ws) + numel(ys)), notes,
    check: refCheck([[y.length, (i) => y[i]]], 1e-3),
    impls: opImpls(peers, {
      ours: CONV_VERSIONS.map((version) => oursPlan(`shadergrad ${version}`, () => sg.conv2d(x, w, { ...opts, version }))),
      tf: (tf) => {
        const { tx, tw } = tfArgs(tf);
        return { fn: () => tf.conv2d(tx, tw, 1, 'same'), post: (d) => toNCHW(d, ys) };
      },
      jax: (jax) => ({ f: jconv(jax.lax), args: [jax.numpy.array(X, { shape: xs }), jax.numpy.array(Wt, { shape: ws })] }),
    }),
  };
  const backward: Row = {
    group: 'conv', name: `conv2d bwd (dx, dw) ${tag}`, flops: 2 * flops,
    bytes: 4 * (2 * numel(xs) + 2 * numel(ws) + numel(ys)), notes,
    check: refCheck([[dx.length, (i) => dx[i]], [dw.length, (i) => dw[i]]], 1e-3),
    impls: opImpls(peers, {
      // The rule's gradient kernels ('shadergrad'), and the implicit GEMM ones of each gemm version.
      ours: ([undefined, 'gemm4x4', 'gemm4x8', 'gemm8x8'] as const).map((version) => oursPlan(`shadergrad${version ? ` ${version}` : ''}`,
        () => [sg.conv2dBackwardInput(dy, w, xs, { ...opts, version }), sg.conv2dBackwardWeight(x, dy, ws, { ...opts, version })])),
      tf: (tf) => {
        const { tx, tw, tdy } = tfArgs(tf);
        const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined } as const;
        const kernel = (name: string, inputs: Record<string, TfTensor>, more: Record<string, number[]>) =>
          tf.engine().runKernel(name, inputs, { ...attrs, ...more } as unknown as import('@tensorflow/tfjs').NamedAttrMap) as TfTensor;
        return {
          fn: () => [
            kernel('Conv2DBackpropInput', { dy: tdy, filter: tw }, { inputShape: at(xs, NCHW_TO_NHWC) }),
            kernel('Conv2DBackpropFilter', { x: tx, dy: tdy }, { filterShape: at(ws, OIHW_TO_HWIO) }),
          ],
          post: (d, i) => (i === 0 ? toNCHW(d, xs) : permute(d, at(ws, OIHW_TO_HWIO), HWIO_TO_OIHW)),
        };
      },
      jax: (jax) => {
        const conv = jconv(jax.lax);
        return {
          f: (a, b, d) => {
            const [out, back] = jax.vjp(conv, [a, b]);
            out.dispose();
            const grads = back(d) as JaxArray[];
            back.dispose();
            return grads;
          },
          args: [jax.numpy.array(X, { shape: xs }), jax.numpy.array(Wt, { shape: ws }), jax.numpy.array(DY, { shape: ys })],
        };
      },
    }),
  };
  return [forward, backward];
}

// ---- softmax, cross-entropy, layer norm, batch norm (GB/s) ----------------------------------------------

/** Per-row max and log-sum-exp of logits [N, C], float64, computed on demand. */
function rowStats(Z: Float32Array, C: number): (r: number) => { lse: number } {
  const cache = new Map<number, { lse: number }>();
  return (r) => {
    let s = cache.get(r);
    if (!s) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, Z[r * C + c]);
      let e = 0;
      for (let c = 0; c < C; c++) e += Math.exp(Z[r * C + c] - m);
      cache.set(r, (s = { lse: m + Math.log(e) }));
    }
    return s;
  };
}

export function softmaxRow(peers: Peers, N: number, C: number): Row {
  const Z = seeded(N * C, 51, 4);
  const stats = rowStats(Z, C);
  const z = sg.tensor(Z, [N, C]);
  return {
    group: 'norm', name: `softmax ${N}×${C}`, unit: 'GB/s', flops: 5 * N * C, bytes: 8 * N * C,
    check: refCheck([[N * C, (i) => Math.exp(Z[i] - stats(Math.floor(i / C)).lse)]], 1e-3),
    impls: opImpls(peers, {
      ours: [oursPlan('shadergrad', () => sg.softmax(z, -1))],
      tf: (tf) => {
        const tz = tf.tensor2d(Z, [N, C]);
        return { fn: () => tf.softmax(tz) };
      },
      jax: (jax) => ({ f: (a) => jax.nn.softmax(a, -1), args: [jax.numpy.array(Z, { shape: [N, C] })] }),
    }),
  };
}

/** Mean cross-entropy from class labels and its gradient (the training pair): [loss, dlogits]. */
export function crossEntropyRow(peers: Peers, N: number, C: number): Row {
  const Z = seeded(N * C, 52, 4);
  const Y = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);
  const stats = rowStats(Z, C);
  let loss = 0;
  for (let r = 0; r < N; r++) loss += (stats(r).lse - Z[r * C + Y[r]]) / N;
  const grad = (i: number) => {
    const r = Math.floor(i / C);
    return (Math.exp(Z[i] - stats(r).lse) - (i % C === Y[r] ? 1 : 0)) / N;
  };
  const z = sg.tensor(Z, [N, C]);
  const y = sg.tensor(Y, [N], { dtype: 'i32' });
  return {
    group: 'norm', name: `cross-entropy fwd+bwd ${N}×${C}`, unit: 'GB/s', flops: 8 * N * C, bytes: 4 * (2 * N * C + N + 1),
    notes: ['tfjs (softmaxCrossEntropy) and jax-js take one-hot labels: tf.oneHot / nn.oneHot of the i32 labels is part of their timed work'],
    check: refCheck([[1, () => loss], [N * C, grad]], 1e-3),
    impls: opImpls(peers, {
      ours: [oursPlan('shadergrad', () => {
        const l = sg.crossEntropy(z, y);
        return [l, sg.gradients(l, [z])[0]];
      })],
      tf: (tf) => {
        const [tz, ty] = [tf.tensor2d(Z, [N, C]), tf.tensor1d(Y, 'int32')];
        const f = tf.valueAndGrad((a: TfTensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(ty, C), a));
        return {
          fn: () => {
            const { value, grad: g } = f(tz);
            return [value, g];
          },
        };
      },
      jax: (jax) => ({
        f: (a, b) => {
          const [l, g] = jax.valueAndGrad((u: JaxArray, v: JaxArray) => jaxCrossEntropy(jax, u, v))(a, b);
          return [l, g as JaxArray];
        },
        args: [jax.numpy.array(Z, { shape: [N, C] }), jax.numpy.array(Y, { shape: [N], dtype: jax.numpy.int32 })],
      }),
    }),
  };
}

/**
 * (x − mean)/√(var + ε)·scale + offset, float64, where element i belongs to group `group(i)` (the
 * values sharing statistics) and takes scale and offset at `param(i)`.
 */
function normalizeF64(X: Float32Array, groups: number, group: (i: number) => number, param: (i: number) => number, scale: Float32Array, offset: Float32Array): Float64Array {
  const sum = new Float64Array(groups);
  const sq = new Float64Array(groups);
  const count = new Float64Array(groups);
  for (let i = 0; i < X.length; i++) {
    sum[group(i)] += X[i];
    count[group(i)]++;
  }
  for (let i = 0; i < X.length; i++) sq[group(i)] += (X[i] - sum[group(i)] / count[group(i)]) ** 2;
  return Float64Array.from(X, (v, i) => {
    const k = group(i);
    return ((v - sum[k] / count[k]) / Math.sqrt(sq[k] / count[k] + NORM_EPS)) * scale[param(i)] + offset[param(i)];
  });
}

/** A normalisation row: statistics over `axes` of x [shape], per-feature scale and offset of `pshape`. */
function normRow(peers: Peers, o: {
  name: string; shape: number[]; axes: number[]; pshape: number[]; seed: number;
  /** Scale and offset as the peers broadcast them against x, of x's rank ([1, D], [1, C, 1, 1]). */
  peerShape: number[];
  group: (i: number) => number; groups: number; param: (i: number) => number;
  ours: (x: sg.Tensor, w: sg.Tensor, b: sg.Tensor) => sg.Tensor; notes: string[];
}): Row {
  const n = numel(o.shape);
  const P = numel(o.pshape);
  const X = seeded(n, o.seed, 2).map((v, i) => v + (i % 7) * 0.1);
  const Wt = seeded(P, o.seed + 1, 0.2).map((v) => v + 1);
  const B = seeded(P, o.seed + 2, 0.2);
  const y = normalizeF64(X, o.groups, o.group, o.param, Wt, B);
  const [x, w, b] = [sg.tensor(X, o.shape), sg.tensor(Wt, o.pshape), sg.tensor(B, o.pshape)];
  const pb = o.peerShape;
  return {
    group: 'norm', name: o.name, unit: 'GB/s', flops: 8 * n, bytes: 4 * (2 * n + 2 * P), notes: o.notes,
    check: refCheck([[n, (i) => y[i]]], 1e-3),
    impls: opImpls(peers, {
      ours: [oursPlan('shadergrad', () => o.ours(x, w, b))],
      tf: (tf) => {
        const [tx, tw, tb] = [tf.tensor(X, o.shape), tf.tensor(Wt, pb), tf.tensor(B, pb)];
        return { fn: () => tfNormalize(tf, tx, o.axes, tw, tb, true) };
      },
      jax: (jax) => {
        const np = jax.numpy;
        return { f: (a, c, d) => jaxNormalize(jax, a, o.axes, c, d), args: [np.array(X, { shape: o.shape }), np.array(Wt, { shape: pb }), np.array(B, { shape: pb })] };
      },
    }),
  };
}

export function layerNormRow(peers: Peers, N: number, D: number): Row {
  return normRow(peers, {
    name: `layerNorm ${N}×${D}`, shape: [N, D], axes: [1], pshape: [D], peerShape: [1, D], seed: 53,
    groups: N, group: (i) => Math.floor(i / D), param: (i) => i % D,
    ours: (x, w, b) => sg.layerNorm(x, [D], w, b, NORM_EPS),
    notes: ['tfjs and jax-js have no layer-norm op: tf.moments + tf.batchNorm, and mean / variance in jax-js'],
  });
}

/** Training-mode batch norm forward (batch statistics) of x [N, C, H, W]. */
export function batchNormRow(peers: Peers, N: number, C: number, H: number, W: number): Row {
  const L = H * W;
  return normRow(peers, {
    name: `batchNorm train fwd ${N}×${C}×${H}×${W}`, shape: [N, C, H, W], axes: [0, 2, 3], pshape: [C], peerShape: [1, C, 1, 1], seed: 54,
    groups: C, group: (i) => Math.floor(i / L) % C, param: (i) => Math.floor(i / L) % C,
    ours: (x, w, b) => sg.batchNorm(x, { weight: w, bias: b, training: true, eps: NORM_EPS }).y,
    notes: ['tfjs: tf.moments + tf.batchNorm (NCHW); jax-js has no batch-norm op: mean / variance'],
  });
}

// ---- optimizer ---------------------------------------------------------------------------------------

/**
 * One Adam step (step 10 of a run: non-zero moments) over n parameters: shadergrad's one-dispatch
 * adamUpdate (what a compiled step runs over its parameter arena), TensorFlow.js's
 * train.adam().applyGradients on one variable (its moments set by setWeights), jax-js's hand-written
 * update eager and in jit. Output: [θ', m', v'].
 */
export function adamRow(peers: Peers, n: number): Row {
  const t = 10;
  const Pv = seeded(n, 61);
  const G = seeded(n, 62, 0.1);
  const M = seeded(n, 63, 0.02);
  const V = seeded(n, 64, 0.1).map((v) => v * v);
  const bc1 = 1 - ADAM.beta1 ** t;
  const bc2 = 1 - ADAM.beta2 ** t;
  const m1 = (i: number) => ADAM.beta1 * M[i] + (1 - ADAM.beta1) * G[i];
  const v1 = (i: number) => ADAM.beta2 * V[i] + (1 - ADAM.beta2) * G[i] ** 2;
  const p1 = (i: number) => Pv[i] - (ADAM.lr / bc1) * m1(i) / (Math.sqrt(v1(i)) / Math.sqrt(bc2) + ADAM.eps);
  const [p, g, m, v] = [Pv, G, M, V].map((d) => sg.tensor(d, [n]));
  const impls: Impl[] = opImpls(peers, {
    ours: [oursPlan('shadergrad adamUpdate (1 dispatch)', () => {
      const r = sg.adamUpdate(p, g, m, v, null, { ...ADAM, step: t });
      return [r.param, r.expAvg, r.expAvgSq];
    })],
    jax: (jax) => ({
      f: (a, b, c, d) => jaxAdam(jax, a, b, c, d, ADAM.lr / bc1, Math.sqrt(bc2)),
      args: [Pv, G, M, V].map((d) => jax.numpy.array(d, { shape: [n] })),
    }),
  });
  if (peers.tf) {
    const tf = peers.tf;
    const tg = tf.tensor1d(G);
    type State = { p: import('@tensorflow/tfjs').Variable; opt: import('@tensorflow/tfjs').AdamOptimizer };
    impls.splice(1, 0, tfStateful<State>(tf, 'tfjs-webgpu train.adam applyGradients', {
      async fresh() {
        const s = { p: tf.variable(tf.tensor1d(Pv)), opt: tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps) };
        const state = [tf.scalar(t - 1, 'int32'), tf.tensor1d(M), tf.tensor1d(V)];
        await s.opt.setWeights([{ name: 'iter', tensor: state[0] }, { name: 'p/m', tensor: state[1] }, { name: 'p/v', tensor: state[2] }]);
        tf.dispose(state);
        return s;
      },
      step: (s) => s.opt.applyGradients([{ name: s.p.name, tensor: tg }]),
      read: async (s) => {
        const [, mw, vw] = await s.opt.getWeights();
        return concat(await Promise.all([s.p, mw.tensor, vw.tensor].map((x) => x.data() as Promise<Float32Array>)));
      },
      drop: (s) => {
        s.opt.dispose();
        s.p.dispose();
      },
    }));
  }
  return {
    group: 'optim', name: `Adam update, ${n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n / 1024}K`} parameters`, unit: 'GB/s',
    flops: 16 * n, bytes: 28 * n, impls,
    check: refCheck([[n, p1], [n, m1], [n, v1]], 1e-4),
    notes: ['tfjs updates its variable and moments in place (each run is the next step); the others write new buffers from the same state'],
  };
}

// ---- attention ---------------------------------------------------------------------------------------

/** Causal attention on q, k, v [B, H, T, D]. */
export interface AttentionShape { B: number; H: number; T: number; D: number }

/**
 * Causal scaled dot-product attention, forward and backward (out, dq, dk, dv from q, k, v and dout):
 * each shadergrad rung; TensorFlow.js and jax-js composed from their ops (matmul → scale + causal bias
 * → softmax → matmul) with tf.grads and jax.vjp. FLOPs: per (query, key) pair on or below the diagonal, 4D forward and 10D
 * backward (FlashAttention's count: the backward's second score computation included).
 */
export function attentionRow(peers: Peers, { B, H, T, D }: AttentionShape): Row {
  const shape = [B, H, T, D];
  const n = B * H * T * D;
  const [Q, K, V, DO] = [61, 62, 63, 64].map((seed) => seeded(n, seed));
  const hq = host(shape, Q);
  const [hk, hv, hdo] = [host(shape, K), host(shape, V), host(shape, DO)];
  const attrs = { scale: 1 / Math.sqrt(D), causal: true, maskKind: 'none' as const, p: 0, offset: 0 };
  const out = attentionForward(hq, hk, hv, null, null, attrs).out.data;
  const g = attentionBackward(hq, hk, hv, null, null, hdo, attrs);
  const [q, k, v, dout] = [Q, K, V, DO].map((d) => sg.tensor(d, shape));
  const pairs = B * H * (T * (T + 1)) / 2;
  /** The causal mask as a bias for the peers: −1e9 above the diagonal. */
  const BIAS = Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0));
  const rung = (version: 'composite' | 'fused' | 'rows') => oursPlan(`shadergrad ${version}`, () => {
    const o = sg.scaledDotProductAttention(q, k, v, { causal: true, version });
    return [o, ...sg.gradients(sg.sum(sg.mul(o, dout)), [q, k, v])];
  });
  return {
    group: 'attention', name: `causal attention fwd+bwd ${B}×${H}×${T}×${D}`, flops: pairs * 14 * D, bytes: 4 * 8 * n,
    notes: ['tfjs has no attention op: matMul → scale + causal bias (−1e9) → softmax → matMul, gradients by tf.grads',
      'jax-js: the same composition with jax.vjp (its nn.dotProductAttention goes through einsum, which needs Iterator helpers, absent from Node 20)'],
    check: refCheck([[n, (i) => out[i]], [n, (i) => g.dq.data[i]], [n, (i) => g.dk.data[i]], [n, (i) => g.dv.data[i]]], 1e-3),
    impls: opImpls(peers, {
      ours: (['composite', 'fused', 'rows'] as const).map(rung),
      tf: (tf) => {
        const [tq, tk, tv, tdo] = [Q, K, V, DO].map((d) => tf.tensor4d(d, [B, H, T, D]));
        const bias = tf.tensor2d(BIAS, [T, T]);
        const f = (a: TfTensor, b: TfTensor, c: TfTensor) =>
          tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(a, b, false, true), 1 / Math.sqrt(D)), bias)), c);
        const grads = tf.grads((a: TfTensor, b: TfTensor, c: TfTensor) => tf.sum(tf.mul(f(a, b, c), tdo)));
        return { fn: () => [f(tq, tk, tv), ...grads([tq, tk, tv])] };
      },
      jax: (jax) => {
        const np = jax.numpy;
        const bias = np.array(BIAS, { shape: [T, T] });
        const attn = (a: JaxArray, b: JaxArray, c: JaxArray) =>
          np.matmul(jax.nn.softmax(np.add(np.multiply(np.matmul(a, np.transpose(b, [0, 1, 3, 2])), 1 / Math.sqrt(D)), bias.ref), -1), c);
        return {
          f: (a, b, c, d) => {
            const [o, back] = jax.vjp(attn, [a, b, c]);
            const grads = back(d) as JaxArray[];
            back.dispose();
            return [o, ...grads];
          },
          args: [Q, K, V, DO].map((d) => np.array(d, { shape })),
        };
      },
    }),
  };
}

// ---- groups ------------------------------------------------------------------------------------------

export const GROUPS = ['matmul', 'conv', 'norm', 'attention', 'optim', 'train', 'transformer'] as const;
/** Reports that `--only` also takes: printed after the table, not timed rows (not in the bench page). */
export const REPORTS = ['attention-memory'] as const;
export type Group = (typeof GROUPS)[number];
/** Shapes: 'test' for the page's quick check, 'software' for a CPU adapter (SwiftShader), 'hardware' for a GPU. */
export type Scale = 'test' | 'software' | 'hardware';

const SHAPES = {
  conv: {
    test: [{ N: 2, C: 1, H: 12, O: 4 }, { N: 2, C: 3, H: 8, O: 8 }],
    software: [{ N: 16, C: 1, H: 28, O: 16 }, { N: 16, C: 16, H: 14, O: 32 }, { N: 16, C: 3, H: 32, O: 32 }],
    hardware: [{ N: 64, C: 1, H: 28, O: 16 }, { N: 64, C: 16, H: 14, O: 32 }, { N: 64, C: 3, H: 32, O: 32 }, { N: 64, C: 32, H: 32, O: 64 }],
  },
  norm: {
    test: { rows: 64, classes: 100, features: 64, bn: [4, 8, 8, 8] },
    software: { rows: 1024, classes: 1000, features: 512, bn: [16, 64, 16, 16] },
    hardware: { rows: 4096, classes: 1000, features: 512, bn: [64, 64, 16, 16] },
  },
  attention: {
    test: { B: 1, H: 2, T: 16, D: 8 },
    software: { B: 8, H: 4, T: 128, D: 32 },
    hardware: { B: 8, H: 8, T: 512, D: 64 },
  },
  optim: { test: 1 << 16, software: 1 << 20, hardware: 1 << 20 },
  train: { test: 8, software: 64, hardware: 64 },
  transformer: {
    test: { layers: 2, d: 32, heads: 2, T: 16, batch: 2, vocab: 16 },
    software: { layers: 4, d: 128, heads: 4, T: 64, batch: 16, vocab: 64 },
    hardware: { layers: 4, d: 128, heads: 4, T: 64, batch: 16, vocab: 64 },
  },
} satisfies Record<Exclude<Group, 'matmul'>, Record<Scale, unknown>>;

/** The rows of the chosen groups, in the order of GROUPS. */
export async function benchRows(peers: Peers, groups: readonly string[], scale: Scale, matmul: { sizes: number[]; versions: (n: number) => MatmulVersion[] }): Promise<Row[]> {
  const rows: Row[] = [];
  if (groups.includes('matmul')) for (const n of matmul.sizes) rows.push(matmulRow(peers, n, matmul.versions(n)));
  if (groups.includes('conv')) for (const s of SHAPES.conv[scale]) rows.push(...convRows(peers, s));
  if (groups.includes('norm')) {
    const s = SHAPES.norm[scale];
    const [n, c, h, w] = s.bn;
    rows.push(softmaxRow(peers, s.rows, s.classes), crossEntropyRow(peers, s.rows, s.classes), layerNormRow(peers, s.rows, s.features), batchNormRow(peers, n, c, h, w));
  }
  if (groups.includes('attention')) rows.push(attentionRow(peers, SHAPES.attention[scale]));
  if (groups.includes('optim')) rows.push(adamRow(peers, SHAPES.optim[scale]));
  if (groups.includes('train')) {
    const batch = SHAPES.train[scale];
    rows.push(mlpStepRow(peers, batch), await cnnStepRow(peers, batch));
  }
  if (groups.includes('transformer')) rows.push(transformerStepRow(peers, SHAPES.transformer[scale]));
  return rows;
}

const ATTENTION_MEMORY: Record<Scale, AttentionMemoryShape> = {
  test: { B: 1, H: 2, D: 8, Ts: [16, 32, 64] },
  software: { B: 8, H: 4, D: 32, Ts: [64, 128, 256] },
  hardware: { B: 8, H: 4, D: 32, Ts: [64, 128, 256, 512] },
};

/**
 * Reports that are not timed rows (printed after the table): 'attention-memory', the peak memory of
 * causal attention's forward + backward by sequence length, fused against composite rung.
 */
export async function benchReports(groups: readonly string[], scale: Scale): Promise<{ name: string; markdown: string; data: unknown }[]> {
  const out: { name: string; markdown: string; data: unknown }[] = [];
  if (groups.includes('attention-memory')) {
    const shape = ATTENTION_MEMORY[scale];
    const data = await attentionMemory(shape);
    out.push({ name: 'attention-memory', markdown: formatAttentionMemory(data, shape), data });
  }
  return out;
}
