// The transformer rows (#14 item 9): one training step of a small decoder-only transformer in the
// three libraries, and the peak memory of causal attention's forward + backward by sequence length
// (fused rung against the composite one, which materialises the T×T scores).
//
// The model: token embedding + learned positions → `layers` pre-norm blocks (LayerNorm → causal
// self-attention with one packed qkv projection → out projection → residual; LayerNorm →
// Linear(d, 4d) → GELU (exact, erf) → Linear(4d, d) → residual) → final LayerNorm → vocab head,
// mean cross-entropy on the next tokens, AdamW (torch's decoupled decay on every parameter). In
// shadergrad it is sg.nn.transformerEncoder(sg.nn.transformerEncoderLayer(..., { causal: true }))
// with torch's parameter names; the peers build the same computation from their ops.

import * as sg from '../src/index.js';
import type { Impl, Row } from './harness.js';
import type { Peers } from './peers.js';
import {
  ADAM, NORM_EPS, crossEntropyF64, jaxCrossEntropy, jaxNormalize, jaxTrainImpl, linearF64, oursTrainImpl, seeded,
  tfStateful, type Jax, type JaxArray, type ParamInit, type Tf, type TfTensor,
} from './rows.js';

/** `layers` blocks of width d with `heads` heads, sequences of T tokens out of `vocab`, `batch` sequences. */
export interface TransformerShape { layers: number; d: number; heads: number; T: number; batch: number; vocab: number }

/** AdamW's decoupled weight decay (torch's default), on every parameter in all three libraries. */
export const WEIGHT_DECAY = 1e-2;

type Named = [string, ParamInit][];

/**
 * Initial weights under the names of shadergrad's model (a Sequential: 0 embedding, 1 positions,
 * 2 encoder, 3 head), which are torch's: 2.layers.<i>.self_attn.in_proj_weight [3d, d], ....
 */
function initialWeights({ layers, d, T, vocab }: TransformerShape): Named {
  let seed = 700;
  const p = (shape: number[], scale: number, offset = 0): ParamInit => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, data: seeded(n, seed++, scale).map((v) => v + offset) };
  };
  const out: Named = [['0.weight', p([vocab, d], 1)], ['1.pos_embed', p([1, T, d], 0.1)]];
  const norm = (name: string) => out.push([`${name}.weight`, p([d], 0.1, 1)], [`${name}.bias`, p([d], 0.05)]);
  const linear = (name: string, o: number, i: number) => out.push([`${name}.weight`, p([o, i], 1 / Math.sqrt(i))], [`${name}.bias`, p([o], 0.02)]);
  for (let l = 0; l < layers; l++) {
    const b = `2.layers.${l}`;
    out.push([`${b}.self_attn.in_proj_weight`, p([3 * d, d], 1 / Math.sqrt(d))], [`${b}.self_attn.in_proj_bias`, p([3 * d], 0.02)]);
    linear(`${b}.self_attn.out_proj`, d, d);
    linear(`${b}.linear1`, 4 * d, d);
    linear(`${b}.linear2`, d, 4 * d);
    norm(`${b}.norm1`);
    norm(`${b}.norm2`);
  }
  norm('2.norm');
  linear('3', vocab, d);
  return out;
}

/** Token sequences: inputs x [batch, T] and next-token targets y [batch·T]. */
function tokens({ T, batch, vocab }: TransformerShape): { X: Int32Array; Y: Int32Array } {
  const r = seeded(batch * (T + 1), 77);
  const seq = Int32Array.from(r, (v) => Math.min(vocab - 1, Math.floor(((v + 1) / 2) * vocab)));
  const X = new Int32Array(batch * T);
  const Y = new Int32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < T; t++) {
      X[b * T + t] = seq[b * (T + 1) + t];
      Y[b * T + t] = seq[b * (T + 1) + t + 1];
    }
  }
  return { X, Y };
}

// ---- the float64 reference (first-step loss) --------------------------------------------------------

/** erf in float64: Taylor series below 2.5, erfc's continued fraction above (error < 1e-13). */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

function layerNormF64(x: Float64Array, n: number, d: number, w: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i] / d;
    let vr = 0;
    for (let i = 0; i < d; i++) vr += (x[r * d + i] - mean) ** 2 / d;
    const rstd = 1 / Math.sqrt(vr + NORM_EPS);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * rstd * w[i] + b[i];
  }
  return y;
}

/** Causal multi-head attention of packed qkv [N·T, 3d] (q, k, v, then heads, within each row): [N·T, d]. */
function attentionF64(qkv: Float64Array, N: number, T: number, d: number, H: number): Float64Array {
  const Dh = d / H;
  const o = new Float64Array(N * T * d);
  const s = new Float64Array(T);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const qi = (n * T + i) * 3 * d + h * Dh;
        let m = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = (n * T + j) * 3 * d + d + h * Dh;
          let dot = 0;
          for (let e = 0; e < Dh; e++) dot += qkv[qi + e] * qkv[kj + e];
          s[j] = dot / Math.sqrt(Dh);
          m = Math.max(m, s[j]);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += (s[j] = Math.exp(s[j] - m));
        for (let j = 0; j <= i; j++) {
          const vj = (n * T + j) * 3 * d + 2 * d + h * Dh;
          for (let e = 0; e < Dh; e++) o[(n * T + i) * d + h * Dh + e] += (s[j] / z) * qkv[vj + e];
        }
      }
    }
  }
  return o;
}

/** The model's mean next-token cross-entropy at the initial weights, in float64. */
export function transformerLossF64(s: TransformerShape, weights: Named, X: Int32Array, Y: Int32Array): number {
  const { layers, d, heads, T, batch, vocab } = s;
  const W = new Map(weights.map(([n, p]) => [n, p.data]));
  const w = (n: string) => W.get(n)!;
  const NT = batch * T;
  let h: Float64Array = new Float64Array(NT * d);
  for (let r = 0; r < NT; r++) for (let i = 0; i < d; i++) h[r * d + i] = w('0.weight')[X[r] * d + i] + w('1.pos_embed')[(r % T) * d + i];
  const addInto = (a: Float64Array, b: Float64Array) => a.forEach((v, i) => (a[i] = v + b[i]));
  for (let l = 0; l < layers; l++) {
    const b = (n: string) => w(`2.layers.${l}.${n}`);
    const a = layerNormF64(h, NT, d, b('norm1.weight'), b('norm1.bias'));
    const qkv = linearF64(a, NT, d, b('self_attn.in_proj_weight'), b('self_attn.in_proj_bias'), 3 * d);
    addInto(h, linearF64(attentionF64(qkv, batch, T, d, heads), NT, d, b('self_attn.out_proj.weight'), b('self_attn.out_proj.bias'), d));
    const f = layerNormF64(h, NT, d, b('norm2.weight'), b('norm2.bias'));
    const u = linearF64(f, NT, d, b('linear1.weight'), b('linear1.bias'), 4 * d).map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    addInto(h, linearF64(u, NT, 4 * d, b('linear2.weight'), b('linear2.bias'), d));
  }
  h = layerNormF64(h, NT, d, w('2.norm.weight'), w('2.norm.bias'));
  return crossEntropyF64(linearF64(h, NT, d, w('3.weight'), w('3.bias'), vocab), Y, vocab);
}

// ---- the three libraries ----------------------------------------------------------------------------

/** shadergrad: the model from sg.nn modules, its state dict loaded from `weights`. */
async function oursModel(s: TransformerShape, weights: Named, X: Int32Array, Y: Int32Array) {
  const { layers, d, heads, T, batch, vocab } = s;
  const layer = sg.nn.transformerEncoderLayer(d, heads, {
    dimFeedforward: 4 * d, dropout: 0, activation: 'gelu', normFirst: true, batchFirst: true, causal: true,
  });
  const model = sg.nn.sequential(sg.nn.embedding(vocab, d), sg.nn.learnedPositionalEmbedding(T, d),
    sg.nn.transformerEncoder(layer, layers, { norm: sg.nn.layerNorm(d) }), sg.nn.linear(d, vocab));
  await model.loadStateDict(Object.fromEntries(weights.map(([n, p]) => [n, { shape: p.shape, dtype: 'f32', data: p.data }])));
  const x = sg.tensor(X, [batch, T], { dtype: 'i32' });
  const y = sg.tensor(Y, [batch * T], { dtype: 'i32' });
  await sg.realise(x, y);
  return { params: model.parameters(), loss: () => sg.crossEntropy(sg.reshape(model.forward(x), [batch * T, vocab]), y) };
}

/** TensorFlow.js: the loss over variables in the order of `weights`. */
function tfLoss(tf: Tf, s: TransformerShape, names: string[], X: Int32Array, Y: Int32Array): (vars: TfTensor[]) => TfTensor {
  const { layers, d, heads, T, batch, vocab } = s;
  const [NT, Dh] = [batch * T, d / heads];
  const x = tf.tensor1d(X, 'int32');
  const y = tf.oneHot(tf.tensor1d(Y, 'int32'), vocab);
  const bias = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]);
  const index = new Map(names.map((n, i) => [n, i]));
  const linear = (a: TfTensor, w: TfTensor, b: TfTensor) => tf.add(tf.matMul(a, w, false, true), b);
  return (v) => {
    const w = (n: string) => v[index.get(n)!];
    // by hand: tf.batchNorm's gradient wants statistics of the rank of scale and offset
    const norm = (a: TfTensor, n: string) => {
      const { mean, variance } = tf.moments(a, [1], true);
      return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, NORM_EPS))), w(`${n}.weight`)), w(`${n}.bias`));
    };
    let h = tf.reshape(tf.add(tf.reshape(tf.gather(w('0.weight'), x), [batch, T, d]), w('1.pos_embed')), [NT, d]);
    for (let l = 0; l < layers; l++) {
      const b = `2.layers.${l}`;
      const qkv = linear(norm(h, `${b}.norm1`), w(`${b}.self_attn.in_proj_weight`), w(`${b}.self_attn.in_proj_bias`));
      const [q, k, vv] = tf.split(tf.transpose(tf.reshape(qkv, [batch, T, 3, heads, Dh]), [2, 0, 3, 1, 4]), 3, 0).map((t) => tf.reshape(t, [batch, heads, T, Dh]));
      const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(Dh)), bias));
      const o = tf.reshape(tf.transpose(tf.matMul(p, vv), [0, 2, 1, 3]), [NT, d]);
      h = tf.add(h, linear(o, w(`${b}.self_attn.out_proj.weight`), w(`${b}.self_attn.out_proj.bias`)));
      const u = linear(norm(h, `${b}.norm2`), w(`${b}.linear1.weight`), w(`${b}.linear1.bias`));
      const g = tf.mul(tf.mul(u, 0.5), tf.add(tf.erf(tf.mul(u, Math.SQRT1_2)), 1));
      h = tf.add(h, linear(g, w(`${b}.linear2.weight`), w(`${b}.linear2.bias`)));
    }
    return tf.losses.softmaxCrossEntropy(y, linear(norm(h, '2.norm'), w('3.weight'), w('3.bias')));
  };
}

/**
 * TensorFlow.js AdamW: tf.variableGrads, then θ·(1 − lr·λ) on every variable, then train.adam's
 * applyGradients (optimizer.minimize is exactly variableGrads + applyGradients; the decay goes
 * between them, where torch's AdamW applies it, after the gradient and before the Adam step).
 */
function tfAdamWImpl(tf: Tf, label: string, init: ParamInit[], loss: (vars: TfTensor[]) => TfTensor): Impl {
  type State = { vars: import('@tensorflow/tfjs').Variable[]; opt: import('@tensorflow/tfjs').AdamOptimizer };
  return tfStateful<State>(tf, label, {
    fresh: () => ({ vars: init.map((p) => tf.variable(tf.tensor(p.data, p.shape))), opt: tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps) }),
    step: (s) => {
      const { value, grads } = tf.variableGrads(() => loss(s.vars) as import('@tensorflow/tfjs').Scalar, s.vars);
      tf.tidy(() => s.vars.forEach((v) => v.assign(tf.mul(v, 1 - ADAM.lr * WEIGHT_DECAY))));
      s.opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose(grads);
      return value;
    },
    read: async (_, cost) => (await cost!.data()) as Float32Array,
    drop: (s) => {
      s.opt.dispose();
      s.vars.forEach((v) => v.dispose());
    },
  });
}

/** jax-js: the loss over parameters in the order of `weights` (arguments by move). */
function jaxLoss(jax: Jax, s: TransformerShape, names: string[]): (params: JaxArray[], x: JaxArray, y: JaxArray) => JaxArray {
  const np = jax.numpy;
  const { layers, d, heads, T, batch } = s;
  const [NT, Dh] = [batch * T, d / heads];
  const bias = np.array(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), { shape: [T, T] });
  const index = new Map(names.map((n, i) => [n, i]));
  const linear = (a: JaxArray, w: JaxArray, b: JaxArray) => np.matmul(a, w.transpose()).add(b);
  return (params, x, y) => {
    const w = (n: string) => params[index.get(n)!];
    const norm = (a: JaxArray, n: string) => jaxNormalize(jax, a, [1], w(`${n}.weight`), w(`${n}.bias`));
    // the lookup as one-hot · table: the gradient of np.take (a scatter) does not compile under jit
    let h = np.matmul(jax.nn.oneHot(x, s.vocab), w('0.weight')).reshape([batch, T, d]).add(w('1.pos_embed')).reshape([NT, d]);
    for (let l = 0; l < layers; l++) {
      const b = `2.layers.${l}`;
      const qkv = linear(norm(h.ref, `${b}.norm1`), w(`${b}.self_attn.in_proj_weight`), w(`${b}.self_attn.in_proj_bias`));
      const [q, k, v] = np.split(np.transpose(qkv.reshape([batch, T, 3, heads, Dh]), [2, 0, 3, 1, 4]), 3, 0).map((t) => t.reshape([batch, heads, T, Dh]));
      const p = jax.nn.softmax(np.matmul(q, np.transpose(k, [0, 1, 3, 2])).mul(1 / Math.sqrt(Dh)).add(bias.ref), -1);
      const o = np.transpose(np.matmul(p, v), [0, 2, 1, 3]).reshape([NT, d]);
      h = h.add(linear(o, w(`${b}.self_attn.out_proj.weight`), w(`${b}.self_attn.out_proj.bias`)));
      const u = linear(norm(h.ref, `${b}.norm2`), w(`${b}.linear1.weight`), w(`${b}.linear1.bias`));
      h = h.add(linear(jax.nn.gelu(u, { approximate: false }), w(`${b}.linear2.weight`), w(`${b}.linear2.bias`)));
    }
    return jaxCrossEntropy(jax, linear(norm(h, '2.norm'), w('3.weight'), w('3.bias')), y);
  };
}

/**
 * One AdamW training step of the transformer: shadergrad's compiled plan (one submit), TensorFlow.js's
 * variableGrads + decay + adam.applyGradients, jax-js's jit(valueAndGrad + AdamW). All three start from
 * the same weights on the same tokens; the check compares each first-step loss with the float64 one.
 */
export function transformerStepRow(peers: Peers, s: TransformerShape): Row {
  const { layers, d, heads, T, batch, vocab } = s;
  const weights = initialWeights(s);
  const init = weights.map(([, p]) => p);
  const names = weights.map(([n]) => n);
  const { X, Y } = tokens(s);
  const want = transformerLossF64(s, weights, X, Y);
  const params = init.reduce((n, p) => n + p.data.length, 0);
  const NT = batch * T;
  // forward: the linear layers (12 d² per token and layer), the attention (4 d per causal pair), the head
  const forward = 2 * NT * (12 * d * d * layers + d * vocab) + 4 * d * batch * layers * (T * (T + 1)) / 2;
  const impls: Impl[] = [oursTrainImpl('shadergrad compiled step', () => oursModel(s, weights, X, Y), WEIGHT_DECAY)];
  if (peers.tf) impls.push(tfAdamWImpl(peers.tf, 'tfjs-webgpu variableGrads + AdamW', init, tfLoss(peers.tf, s, names, X, Y)));
  if (peers.jax) {
    const np = peers.jax.numpy;
    impls.push(jaxTrainImpl(peers.jax, 'jax-js jit(valueAndGrad + AdamW)', init, jaxLoss(peers.jax, s, names),
      np.array(X, { shape: [NT], dtype: np.int32 }), np.array(Y, { shape: [NT], dtype: np.int32 }), WEIGHT_DECAY));
  }
  return {
    group: 'transformer', name: `transformer ${layers}×(d ${d}, ${heads} heads), T ${T}, batch ${batch}, AdamW`,
    flops: 3 * forward, bytes: 4 * (2 * NT + 4 * params), unit: 'ms', samples: batch,
    check: { indices: [0], values: [want], atol: 1e-4, rtol: 1e-4 }, impls,
    notes: [
      `decoder-only: embedding ${vocab}×${d} + learned positions, ${layers} pre-norm blocks (causal self-attention, packed qkv; GELU MLP ${d}→${4 * d}→${d}), final LayerNorm, vocab head; ${params} parameters; AdamW (λ ${WEIGHT_DECAY} on every parameter)`,
      'shadergrad: sg.nn.transformerEncoder of transformerEncoderLayer(causal, normFirst, gelu) modules; the peers compose the same ops (tfjs and jax-js have no attention or layer-norm op: matmul → scale + causal bias (−1e9) → softmax → matmul; layer norm from moments / mean-variance)',
      'tfjs: AdamW as variableGrads → θ·(1 − lr·λ) → train.adam applyGradients (what minimize does, with torch\'s decay in between), embedding by tf.gather; jax-js: the whole step in one jit, embedding as oneHot · table (np.take\'s gradient, a scatter, does not compile under jit)',
    ],
  };
}

// ---- attention memory ----------------------------------------------------------------------------------

/** Causal attention, forward + backward, at several sequence lengths. */
export interface AttentionMemoryShape { B: number; H: number; D: number; Ts: number[] }

export interface AttentionMemory { T: number; version: 'fused' | 'composite'; peakBytes: number; plannedBytes: number }

/**
 * Peak GPU memory of causal scaledDotProductAttention's forward and backward (out, dq, dk, dv from
 * q, k, v [B, H, T, D] and dout) per rung, from sg.stats(): the pool is emptied (sg.trimPool) and the
 * counters reset once the inputs are on the GPU, so peakBytes counts what the realisation allocates on
 * top of them. Also the compiled plan's planned intermediate bytes (its memory plan, after reuse).
 */
export async function attentionMemory({ B, H, D, Ts }: AttentionMemoryShape): Promise<AttentionMemory[]> {
  const out: AttentionMemory[] = [];
  for (const T of Ts) {
    for (const version of ['fused', 'composite'] as const) {
      const shape = [B, H, T, D];
      const n = B * H * T * D;
      const [q, k, v, dout] = [81, 82, 83, 84].map((seed) => sg.tensor(seeded(n, seed), shape));
      await sg.realise(q, k, v, dout);
      const work = () => {
        const o = sg.scaledDotProductAttention(q, k, v, { causal: true, version });
        return [o, ...sg.gradients(sg.sum(sg.mul(o, dout)), [q, k, v])];
      };
      sg.trimPool();
      sg.resetStats();
      const base = sg.stats().bytesAllocated;
      const results = work();
      await sg.realise(...results);
      const peakBytes = sg.stats().peakBytes - base;
      results.forEach((t) => t.dispose());
      const plan = await sg.compile(() => Object.fromEntries(work().map((t, i) => [`out${i}`, t])), { inputs: [], readEvery: 2 ** 30 });
      const plannedBytes = plan.memory.plannedBytes;
      plan.dispose();
      [q, k, v, dout].forEach((t) => t.dispose());
      out.push({ T, version, peakBytes, plannedBytes });
    }
  }
  sg.trimPool();
  return out;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(2);

/** The memory results as a Markdown table: MiB per T and rung, and the growth per doubling of T. */
export function formatAttentionMemory(rows: AttentionMemory[], { B, H, D }: AttentionMemoryShape): string {
  const Ts = [...new Set(rows.map((r) => r.T))];
  const get = (T: number, v: string) => rows.find((r) => r.T === T && r.version === v)!;
  const growthOf = (i: number, f: (T: number) => number) => (i === 0 ? '' : `${(f(Ts[i]) / f(Ts[i - 1])).toFixed(2)}×`);
  const growth = (i: number, v: string, key: 'peakBytes' | 'plannedBytes') => growthOf(i, (T) => get(T, v)[key]);
  const extra = (T: number) => get(T, 'composite').peakBytes - get(T, 'fused').peakBytes;
  const lines = [
    `causal attention fwd+bwd, q/k/v [${B}, ${H}, T, ${D}]: peak MiB allocated above the inputs (sg.stats().peakBytes after sg.trimPool + sg.resetStats), ` +
      'the composite\'s excess over the fused peak, and the compiled plan\'s intermediates (plan.memory.plannedBytes); ×: growth from the previous T',
    '',
    '| T | T×T scores MiB | fused peak MiB | × | composite peak MiB | × | composite − fused MiB | × | fused plan MiB | × | composite plan MiB | × |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  Ts.forEach((T, i) => {
    const [f, c] = [get(T, 'fused'), get(T, 'composite')];
    lines.push(`| ${T} | ${mib(4 * B * H * T * T)} | ${mib(f.peakBytes)} | ${growth(i, 'fused', 'peakBytes')} | ${mib(c.peakBytes)} | ${growth(i, 'composite', 'peakBytes')} | ` +
      `${mib(extra(T))} | ${growthOf(i, extra)} | ` +
      `${mib(f.plannedBytes)} | ${growth(i, 'fused', 'plannedBytes')} | ${mib(c.plannedBytes)} | ${growth(i, 'composite', 'plannedBytes')} |`);
  });
  return lines.join('\n');
}
