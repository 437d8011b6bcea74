// Benchmark rows: the same work in shadergrad (every kernel version), TensorFlow.js (WebGPU) and
// jax-js (WebGPU, eager and jit). Inputs are seeded; each row carries sampled float64 reference values.
// This file: the helpers every row uses (one Impl per library), matmul and the training steps (MLP,
// the CLI's CNN); bench/rows-ops.ts: conv, normalisation and optimizer rows, and the groups;
// bench/rows-transformer.ts: the transformer training step and the attention memory report.

import * as sg from '../src/index.js';
import { gpu } from '../src/gpu/device.js';
import { buildModel } from '../src/cli/setup.js';
import { type HostTensor, host } from '../src/reference/host.js';
import { conv2dForward } from '../src/reference/conv.js';
import { batchNormTrainForward } from '../src/reference/batchnorm.js';
import { maxPool2dForward } from '../src/reference/pool.js';
import type { Tensor, Plan, MatmulVersion } from '../src/index.js';
import type { Impl, Row } from './harness.js';
import type { Peers } from './peers.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type TfTensor = import('@tensorflow/tfjs').Tensor;
export type Jax = typeof import('@jax-js/jax');
export type JaxArray = import('@jax-js/jax').Array;

export function seeded(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

const waitGpu = () => gpu().device.queue.onSubmittedWorkDone();

/** Several outputs as one flat array: a row's check indexes into the concatenation. */
export function concat(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Host-side transpose of a row-major array of `shape`: result axis k is source axis perm[k] (layouts for tfjs). */
export function permute(src: ArrayLike<number>, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(src.length);
  const oshape = perm.map((d) => shape[d]);
  const sstride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const idx = new Array<number>(oshape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let k = 0; k < idx.length; k++) s += idx[k] * sstride[perm[k]];
    out[o] = src[s];
    for (let k = idx.length - 1; k >= 0 && ++idx[k] === oshape[k]; k--) idx[k] = 0;
  }
  return out;
}

/** NCHW ↔ NHWC and OIHW ↔ HWIO (TensorFlow.js's conv layouts). */
export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const OIHW_TO_HWIO = [2, 3, 1, 0];
export const HWIO_TO_OIHW = [3, 2, 0, 1];

const named = (t: Tensor | Tensor[]): Record<string, Tensor> =>
  Array.isArray(t) ? Object.fromEntries(t.map((x, i) => [`out${i}`, x])) : { out: t };

/** A compiled shadergrad plan over constant inputs (no upload per run), timed to GPU completion. */
export function oursPlan(label: string, build: () => Tensor | Tensor[], eager: () => Tensor | Tensor[] = build): Impl {
  let plan: Plan | undefined;
  return {
    label, lib: 'shadergrad',
    async run() {
      plan ??= await sg.compile(() => named(build()), { inputs: [], readEvery: 2 ** 30, label });
      plan.run();
      await waitGpu();
    },
    output: async () => concat(await sg.read(...[eager()].flat())),
    gpuMs: async () => (plan && gpu().has('timestamp-query') ? (await plan.profile(3)).totalMs : undefined),
    dispose: () => plan?.dispose(),
  };
}

/** Submit what TensorFlow.js's WebGPU backend has encoded: it keeps a compute pass open between ops, so close it and submit. */
function tfSubmit(tf: Tf): () => void {
  const backend = tf.backend() as unknown as { commandEncoder: unknown; endComputePassEncoder(): void; submitQueue(): void };
  return () => {
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
  };
}

/** Wait for TensorFlow.js's WebGPU work (submitted first, see tfSubmit). */
function tfSync(tf: Tf): () => Promise<void> {
  const submit = tfSubmit(tf);
  const backend = tf.backend() as unknown as { device: GPUDevice };
  return async () => {
    submit();
    await backend.device.queue.onSubmittedWorkDone();
  };
}

/** TensorFlow.js outputs, `post` mapping each one back to the reference's layout (not timed). */
export function tfImpl(
  peers: Peers, label: string, fn: () => TfTensor | TfTensor[], post: (data: Float32Array, i: number) => ArrayLike<number> = (d) => d,
): Impl | undefined {
  const tf = peers.tf;
  if (!tf) return undefined;
  const sync = tfSync(tf);
  const call = () => [tf.tidy(fn)].flat();
  return {
    label, lib: 'tfjs',
    async run() {
      const outs = call();
      await sync();
      tf.dispose(outs);
    },
    async output() {
      const outs = call();
      const data = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
      tf.dispose(outs);
      return concat(data.map(post));
    },
  };
}

export function jaxImpl(peers: Peers, label: string, fn: () => JaxArray | JaxArray[]): Impl | undefined {
  if (!peers.jax) return undefined;
  return {
    label, lib: 'jax',
    async run() {
      const outs = [fn()].flat();
      await Promise.all(outs.map((o) => o.blockUntilReady()));
      outs.forEach((o) => o.dispose());
    },
    async output() {
      return concat(await Promise.all([fn()].flat().map((o) => o.data() as Promise<Float32Array>)));
    },
  };
}

/** One op in all three libraries: shadergrad impls, then tfjs (when loaded), then jax-js eager and jit. */
export function opImpls(peers: Peers, o: {
  ours: Impl[];
  tf?: (tf: Tf) => { fn: () => TfTensor | TfTensor[]; post?: (data: Float32Array, i: number) => ArrayLike<number> };
  /** f takes its arguments by move (jax-js's rule); each call gets new references to `args`. */
  jax?: (jax: Jax) => { f: (...args: JaxArray[]) => JaxArray | JaxArray[]; args: JaxArray[] };
}): Impl[] {
  const impls = [...o.ours];
  if (peers.tf && o.tf) {
    const t = o.tf(peers.tf);
    impls.push(tfImpl(peers, 'tfjs-webgpu', t.fn, t.post)!);
  }
  if (peers.jax && o.jax) {
    const { f, args } = o.jax(peers.jax);
    const jitted = peers.jax.jit(f);
    const refs = () => args.map((a) => a.ref);
    impls.push(jaxImpl(peers, 'jax-js', () => f(...refs()))!, jaxImpl(peers, 'jax-js jit', () => jitted(...refs()) as JaxArray | JaxArray[])!);
  }
  return impls;
}

function sampleIndices(n: number, count: number, seed: number): number[] {
  if (n <= count) return [...Array(n).keys()];
  const r = seeded(count, seed);
  return Array.from(r, (v) => Math.floor(((v + 1) / 2) * n) % n);
}

/**
 * The check of a row whose output is the concatenation of `parts` ([length, reference value at i]):
 * `count` sampled indices per part, each part's atol = tol × the RMS of its sampled reference values
 * (so parts of different magnitude, e.g. dx and dw, are held to the same relative standard).
 */
export function refCheck(parts: [number, (i: number) => number][], tol: number, count = 48, seed = 13): Row['check'] {
  const check: Row['check'] & { atol: number[] } = { indices: [], values: [], atol: [], rtol: tol };
  let offset = 0;
  parts.forEach(([n, at], p) => {
    const idx = sampleIndices(n, count, seed + p);
    const vals = idx.map(at);
    const rms = Math.sqrt(vals.reduce((s, v) => s + v * v, 0) / vals.length);
    check.indices.push(...idx.map((i) => i + offset));
    check.values.push(...vals);
    check.atol.push(...idx.map(() => tol * rms + 1e-7));
    offset += n;
  });
  return check;
}

export function matmulRow(peers: Peers, n: number, versions: MatmulVersion[]): Row {
  const A = seeded(n * n, 11);
  const B = seeded(n * n, 12);
  const indices = sampleIndices(n * n, 64, 13);
  const values = indices.map((i) => {
    const r = Math.floor(i / n);
    const c = i % n;
    let s = 0;
    for (let k = 0; k < n; k++) s += A[r * n + k] * B[k * n + c];
    return s;
  });
  const a = sg.tensor(A, [n, n]);
  const b = sg.tensor(B, [n, n]);
  const impls: (Impl | undefined)[] = versions.map((v) =>
    oursPlan(`shadergrad ${v}`, () => sg.matmul(a, b, { version: v }), () => sg.matmul(a, b, { version: v })));
  if (peers.tf) {
    const tf = peers.tf;
    const ta = tf.tensor2d(A, [n, n]);
    const tb = tf.tensor2d(B, [n, n]);
    impls.push(tfImpl(peers, 'tfjs-webgpu', () => tf.matMul(ta, tb)));
  }
  if (peers.jax) {
    const np = peers.jax.numpy;
    const ja = np.array(A, { shape: [n, n] });
    const jb = np.array(B, { shape: [n, n] });
    const jitted = peers.jax.jit((x: JaxArray, y: JaxArray) => np.matmul(x, y));
    impls.push(jaxImpl(peers, 'jax-js', () => np.matmul(ja.ref, jb.ref)));
    impls.push(jaxImpl(peers, 'jax-js jit', () => jitted(ja.ref, jb.ref)));
  }
  return {
    group: 'matmul', name: `matmul ${n}×${n}×${n}`, flops: 2 * n ** 3, bytes: 12 * n * n,
    check: { indices, values, atol: 1e-3 * Math.sqrt(n), rtol: 1e-3 }, impls: impls.filter((i): i is Impl => !!i),
  };
}

// ---- training steps ------------------------------------------------------------------------------

/** Adam hyper-parameters shared by every training and optimizer row (torch's defaults, lr 1e-3). */
export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/** Normalisation epsilon (torch's default for layer and batch norm). */
export const NORM_EPS = 1e-5;

/** float64 x·Wᵀ + b for x [n, k], W [m, k]. */
export function linearF64(x: ArrayLike<number>, n: number, k: number, w: ArrayLike<number>, b: ArrayLike<number> | null, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < m; j++) {
      let s = b ? b[j] : 0;
      for (let i = 0; i < k; i++) s += x[r * k + i] * w[j * k + i];
      y[r * m + j] = s;
    }
  }
  return y;
}

/** float64 mean cross-entropy of logits z [n, C] with class labels. */
export function crossEntropyF64(z: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  let loss = 0;
  for (let r = 0; r < labels.length; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[r * C + c] - m);
    loss += (m + Math.log(s) - z[r * C + labels[r]]) / labels.length;
  }
  return loss;
}

/**
 * (x − mean)/√(var + ε)·scale + offset over `axes` (TensorFlow.js: moments + its fused batchNorm).
 * keepDims: statistics of x's rank, needed unless the reduced axes are all but the last; tf's
 * batchNorm gradient wants them of the rank of scale and offset.
 */
export function tfNormalize(tf: Tf, x: TfTensor, axes: number[], scale: TfTensor, offset: TfTensor, keepDims: boolean): TfTensor {
  const { mean, variance } = tf.moments(x, axes, keepDims);
  return tf.batchNorm(x, mean, variance, offset, scale, NORM_EPS);
}

/** The same in jax-js (arguments by move). */
export function jaxNormalize(jax: Jax, x: JaxArray, axes: number[], scale: JaxArray, offset: JaxArray): JaxArray {
  const np = jax.numpy;
  const xc = x.ref.sub(x.mean(axes, { keepdims: true }));
  const rstd = np.reciprocal(np.sqrt(np.square(xc.ref).mean(axes, { keepdims: true }).add(NORM_EPS)));
  return xc.mul(rstd).mul(scale).add(offset);
}

/** Mean cross-entropy in jax-js from i32 labels (arguments by move). */
export function jaxCrossEntropy(jax: Jax, z: JaxArray, labels: JaxArray): JaxArray {
  const C = z.shape[z.ndim - 1];
  return jax.nn.logSoftmax(z, -1).mul(jax.nn.oneHot(labels, C)).sum(-1).mean().neg();
}

/** One hand-written Adam update in jax-js: [θ', m', v'] (arguments by move; step size lr/(1−β₁ᵗ), √(1−β₂ᵗ)). */
export function jaxAdam(jax: Jax, p: JaxArray, g: JaxArray, m: JaxArray, v: JaxArray, stepSize: number | JaxArray, bc2Sqrt: number | JaxArray): JaxArray[] {
  const np = jax.numpy;
  const m1 = m.mul(ADAM.beta1).add(g.ref.mul(1 - ADAM.beta1));
  const v1 = v.mul(ADAM.beta2).add(np.square(g).mul(1 - ADAM.beta2));
  const p1 = p.sub(m1.ref.mul(stepSize).div(np.sqrt(v1.ref).div(bc2Sqrt).add(ADAM.eps)));
  return [p1, m1, v1];
}

export type ParamInit = { shape: number[]; data: Float32Array };

/**
 * shadergrad: the whole step (forward, backward, one optimizer dispatch over the parameter arena) as
 * one compiled plan; Adam unless `weightDecay` is given (then AdamW, torch's decoupled decay).
 */
export function oursTrainImpl(label: string, make: () => Promise<{ params: Tensor[]; loss: () => Tensor }>, weightDecay?: number): Impl {
  let plan: Plan | undefined;
  const build = async (readEvery: number) => {
    const { params, loss } = await make();
    const hyper = { lr: ADAM.lr, beta1: ADAM.beta1, beta2: ADAM.beta2, eps: ADAM.eps };
    const optimizer = weightDecay === undefined ? sg.optim.adam(params, hyper) : sg.optim.adamW(params, { ...hyper, weightDecay });
    return sg.compile(loss, { inputs: [], params, optimizer, readEvery, label });
  };
  return {
    label, lib: 'shadergrad',
    async run() {
      plan ??= await build(2 ** 30);
      plan.run();
      await waitGpu();
    },
    async hostStep() {
      plan ??= await build(2 ** 30);
      const t0 = performance.now();
      plan.run();
      const dt = performance.now() - t0;
      await waitGpu();
      return dt;
    },
    plan: async () => (plan ??= await build(2 ** 30)),
    async output() { // the loss of a first step on fresh weights
      const p = await build(1);
      p.run();
      const [r] = await p.flush();
      p.dispose();
      return r.values.loss;
    },
    gpuMs: async () => (plan && gpu().has('timestamp-query') ? (await plan.profile(3)).totalMs : undefined),
    dispose: () => plan?.dispose(),
  };
}

/**
 * TensorFlow.js work that updates state (variables, optimizer slots): each run is one more step from
 * the state of the last; output() reads a first step from a fresh state.
 */
export function tfStateful<S>(tf: Tf, label: string, o: {
  fresh: () => S | Promise<S>;
  step: (s: S) => TfTensor | void;
  read: (s: S, out: TfTensor | void) => Promise<ArrayLike<number>>;
  drop: (s: S) => void;
}): Impl {
  const sync = tfSync(tf);
  const submit = tfSubmit(tf);
  let state: S | undefined;
  return {
    label, lib: 'tfjs',
    async run() {
      state ??= await o.fresh();
      const out = o.step(state);
      await sync();
      out?.dispose();
    },
    async hostStep() { // the step's JavaScript and the submit of what it encoded; no read-back
      state ??= await o.fresh();
      const t0 = performance.now();
      const out = o.step(state);
      submit();
      const dt = performance.now() - t0;
      await sync();
      out?.dispose();
      return dt;
    },
    async output() {
      const s = await o.fresh();
      const out = o.step(s);
      const d = await o.read(s, out);
      out?.dispose();
      o.drop(s);
      return d;
    },
    dispose: () => state && o.drop(state),
  };
}

/** TensorFlow.js: optimizer.minimize with tf.train.adam over variables; output() is a first step's loss. */
function tfTrainImpl(tf: Tf, label: string, init: ParamInit[], loss: (vars: TfTensor[]) => TfTensor): Impl {
  type State = { vars: import('@tensorflow/tfjs').Variable[]; opt: import('@tensorflow/tfjs').AdamOptimizer };
  return tfStateful<State>(tf, label, {
    fresh: () => ({ vars: init.map((p) => tf.variable(tf.tensor(p.data, p.shape))), opt: tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps) }),
    step: (s) => s.opt.minimize(() => loss(s.vars) as import('@tensorflow/tfjs').Scalar, true, s.vars)!,
    read: async (_, cost) => (await cost!.data()) as Float32Array,
    drop: (s) => {
      s.opt.dispose();
      s.vars.forEach((v) => v.dispose());
    },
  });
}

/**
 * jax-js: jit of valueAndGrad and a hand-written Adam, the whole step in one jitted function; with
 * `weightDecay`, AdamW (θ·(1 − lr·λ) before the Adam step, as torch).
 */
export function jaxTrainImpl(jax: Jax, label: string, init: ParamInit[], loss: (params: JaxArray[], x: JaxArray, y: JaxArray) => JaxArray, x: JaxArray, y: JaxArray, weightDecay = 0): Impl {
  const np = jax.numpy;
  type State = { params: JaxArray[]; m: JaxArray[]; v: JaxArray[]; t: JaxArray };
  const step = jax.jit((s: State, xs: JaxArray, ys: JaxArray) => {
    const [l, g] = jax.valueAndGrad(loss)(s.params.map((p) => p.ref), xs, ys);
    const t = s.t.add(1);
    const stepSize = np.reciprocal(np.subtract(1, np.power(ADAM.beta1, t.ref))).mul(ADAM.lr);
    const bc2Sqrt = np.sqrt(np.subtract(1, np.power(ADAM.beta2, t.ref)));
    const next: State = { params: [], m: [], v: [], t };
    s.params.forEach((p, i) => {
      const decayed = weightDecay ? p.mul(1 - ADAM.lr * weightDecay) : p;
      const [p1, m1, v1] = jaxAdam(jax, decayed, (g as JaxArray[])[i], s.m[i], s.v[i], stepSize.ref, bc2Sqrt.ref);
      next.params.push(p1);
      next.m.push(m1);
      next.v.push(v1);
    });
    stepSize.dispose();
    bc2Sqrt.dispose();
    return [l, next] as [JaxArray, State];
  });
  const fresh = (): State => ({
    params: init.map((p) => np.array(p.data, { shape: p.shape })),
    m: init.map((p) => np.zeros(p.shape)), v: init.map((p) => np.zeros(p.shape)), t: np.array(0),
  });
  let state: State | undefined;
  return {
    label, lib: 'jax',
    async run() {
      const [l, next] = step(state ?? fresh(), x.ref, y.ref);
      state = next;
      await jax.blockUntilReady([l, next.params, next.m, next.v]);
      l.dispose();
    },
    async hostStep() {
      // jax-js is lazy: the jitted call records its kernels and they are submitted when a result is
      // asked for; gpuBufferSync() submits them synchronously, so the timed span holds all its JS.
      state ??= fresh();
      const t0 = performance.now();
      const [l, next] = step(state, x.ref, y.ref);
      for (const a of [l, ...next.params, ...next.m, ...next.v, next.t]) a.ref.gpuBufferSync();
      const dt = performance.now() - t0;
      state = next;
      await jax.blockUntilReady([l, next.params, next.m, next.v]);
      l.dispose();
      return dt;
    },
    async output() {
      const [l, next] = step(fresh(), x.ref, y.ref);
      jax.tree.dispose(next);
      return (await l.data()) as Float32Array;
    },
    dispose: () => jax.tree.dispose(state),
  };
}

/**
 * A training step (cross-entropy, Adam) in the three libraries from the same initial weights
 * `init` (shadergrad's layouts). The check compares each one's first-step loss with `want`, a float64
 * forward pass of those weights.
 */
function trainRow(peers: Peers, s: {
  name: string; batch: number; flops: number; bytes: number; want: number; init: ParamInit[]; notes?: string[];
  ours: () => Promise<{ params: Tensor[]; loss: () => Tensor }>;
  tf: (tf: Tf) => { init: ParamInit[]; loss: (vars: TfTensor[]) => TfTensor };
  jax: (jax: Jax) => { loss: (params: JaxArray[], x: JaxArray, y: JaxArray) => JaxArray; x: JaxArray; y: JaxArray };
}): Row {
  const impls: Impl[] = [oursTrainImpl('shadergrad compiled step', s.ours)];
  if (peers.tf) {
    const t = s.tf(peers.tf);
    impls.push(tfTrainImpl(peers.tf, 'tfjs-webgpu minimize', t.init, t.loss));
  }
  if (peers.jax) {
    const j = s.jax(peers.jax);
    impls.push(jaxTrainImpl(peers.jax, 'jax-js jit(valueAndGrad) + Adam', s.init, j.loss, j.x, j.y));
  }
  return {
    group: 'train', name: s.name, flops: s.flops, bytes: s.bytes, unit: 'ms', samples: s.batch,
    check: { indices: [0], values: [s.want], atol: 1e-4, rtol: 1e-4 }, impls,
    notes: [...(peers.jax ? ['jax-js: the whole step is one jit (valueAndGrad + a hand-written Adam); an eager step is not timed'] : []), ...(s.notes ?? [])],
  };
}

const paramCount = (init: ParamInit[]) => init.reduce((n, p) => n + p.data.length, 0);

/**
 * One training step of an MLP 784-128-10 (batch 64, Adam, cross-entropy): shadergrad's compiled plan
 * (one submit) against TensorFlow.js's optimizer.minimize and jax-js's jitted value-and-grad + Adam.
 */
export function mlpStepRow(peers: Peers, batch = 64): Row {
  const [I, H, O] = [784, 128, 10];
  const X = seeded(batch * I, 21).map((v) => (v + 1) / 2);
  const Y = Int32Array.from({ length: batch }, (_, i) => (i * 7) % O);
  const init: ParamInit[] = [
    { shape: [H, I], data: seeded(H * I, 22, 1 / Math.sqrt(I)) }, { shape: [H], data: new Float32Array(H) },
    { shape: [O, H], data: seeded(O * H, 23, 1 / Math.sqrt(H)) }, { shape: [O], data: new Float32Array(O) },
  ];
  const [W1, B1, W2, B2] = init.map((p) => p.data);
  const hidden = linearF64(X, batch, I, W1, B1, H).map((v) => Math.max(v, 0));
  const want = crossEntropyF64(linearF64(hidden, batch, H, W2, B2, O), Y, O);
  return trainRow(peers, {
    name: `MLP 784-128-10 step, batch ${batch}, Adam`, batch, want, init,
    flops: 6 * batch * (I * H + H * O), bytes: 4 * (batch * I + 4 * paramCount(init)),
    async ours() {
      const params = init.map((p) => sg.tensor(p.data, p.shape));
      const [w1, b1, w2, b2] = params;
      const x = sg.tensor(X, [batch, I]);
      const y = sg.tensor(Y, [batch], { dtype: 'i32' });
      await sg.realise(x, y);
      return { params, loss: () => sg.crossEntropy(sg.linear(sg.relu(sg.linear(x, w1, b1)), w2, b2), y) };
    },
    tf(tf) {
      const x = tf.tensor2d(X, [batch, I]);
      const y = tf.oneHot(tf.tensor1d(Y, 'int32'), O);
      return {
        init,
        loss: ([w1, b1, w2, b2]) => tf.losses.softmaxCrossEntropy(y,
          tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1, false, true), b1)), w2, false, true), b2)),
      };
    },
    jax(jax) {
      const np = jax.numpy;
      const linear = (x: JaxArray, w: JaxArray, b: JaxArray) => np.matmul(x, w.transpose()).add(b);
      return {
        x: np.array(X, { shape: [batch, I] }), y: np.array(Y, { shape: [batch], dtype: np.int32 }),
        loss: ([w1, b1, w2, b2], x, y) => jaxCrossEntropy(jax, linear(jax.nn.relu(linear(x, w1, b1)), w2, b2), y),
      };
    },
  });
}

/**
 * One training step of the CNN that `shadergrad train` / `explain --model cnn` uses (src/cli/setup.ts:
 * [conv3×3 → batchNorm → relu → maxPool 2] × 2 → linear) on 1×28×28 images, batch 64, Adam. The peers
 * start from shadergrad's initial weights (TensorFlow.js in its NHWC / HWIO layouts). Batch norm
 * uses batch statistics in all three; shadergrad's layer also updates its running statistics.
 */
export async function cnnStepRow(peers: Peers, batch = 64): Promise<Row> {
  const [C0, HW, K, classes] = [1, 28, 3, 10];
  sg.nn.manualSeed(5);
  const model = () => buildModel('cnn', [C0, HW, HW], classes);
  const named0 = model().namedParameters();
  const shapes = named0.map(([n, t]) => `${n} [${t.shape}]`).join(', ');
  const expected = '0.weight [8,1,3,3], 0.bias [8], 1.weight [8], 1.bias [8], 4.weight [16,8,3,3], 4.bias [16], 5.weight [16], 5.bias [16], 9.weight [10,784], 9.bias [10]';
  if (shapes !== expected) throw new Error(`bench: the CLI's cnn model changed (${shapes}); update cnnStepRow's peers`);
  const values = await sg.read(...named0.map(([, t]) => t));
  const init: ParamInit[] = named0.map(([, t], i) => ({ shape: [...t.shape], data: Float32Array.from(values[i]) }));
  const [c1, c2] = [8, 16];
  const flat = c2 * (HW / 4) ** 2;
  const X = seeded(batch * C0 * HW * HW, 31).map((v) => (v + 1) / 2);
  const Y = Int32Array.from({ length: batch }, (_, i) => (i * 3) % classes);

  // float64 forward of the initial weights (the project's CPU references, src/reference/)
  const h = (i: number) => host(init[i].shape, init[i].data);
  const geometry = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  const pool = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], padding: [0, 0] as [number, number], countIncludePad: false, ceilMode: false };
  const block = (x: HostTensor, k: number) => {
    const y = batchNormTrainForward(conv2dForward(x, h(k), h(k + 1), geometry), h(k + 2), h(k + 3), null, null, NORM_EPS, 0.1)[0];
    return maxPool2dForward({ data: y.data.map((v) => Math.max(v, 0)), shape: y.shape }, pool)[0];
  };
  const features = block(block(host([batch, C0, HW, HW], X), 0), 4);
  const want = crossEntropyF64(linearF64(features.data, batch, flat, init[8].data, init[9].data, classes), Y, classes);

  const convFlops = batch * HW * HW * K * K * 2 * (C0 * c1 + (c1 * c2) / 4);
  return trainRow(peers, {
    name: `CNN (CLI cnn) 1×28×28 step, batch ${batch}, Adam`, batch, want, init,
    notes: [
      'tfjs: NHWC layout (its native one), batch norm from tf.moments + tf.batchNorm; jax-js has no batch-norm or max-pool op: mean/variance and reshape + max',
      'shadergrad\'s batch-norm layers also update their running statistics; the peers\' do not',
    ],
    flops: 3 * (convFlops + 2 * batch * flat * classes), bytes: 4 * (batch * C0 * HW * HW + 4 * paramCount(init)),
    async ours() {
      sg.nn.manualSeed(5);
      const m = model();
      const x = sg.tensor(X, [batch, C0, HW, HW]);
      const y = sg.tensor(Y, [batch], { dtype: 'i32' });
      await sg.realise(x, y);
      return { params: m.parameters(), loss: () => sg.crossEntropy(m.forward(x), y) };
    },
    tf(tf) {
      const x = tf.tensor4d(permute(X, [batch, C0, HW, HW], NCHW_TO_NHWC), [batch, HW, HW, C0]);
      const y = tf.oneHot(tf.tensor1d(Y, 'int32'), classes);
      const hwio = (p: ParamInit): ParamInit => ({ shape: OIHW_TO_HWIO.map((d) => p.shape[d]), data: permute(p.data, p.shape, OIHW_TO_HWIO) });
      // the linear layer reads features flattened as (c, h, w); in NHWC they come as (h, w, c)
      const q = HW / 4;
      const fc: ParamInit = { shape: [classes, flat], data: permute(init[8].data, [classes, c2, q, q], [0, 2, 3, 1]) };
      type T4 = import('@tensorflow/tfjs').Tensor4D;
      const tblock = (a: TfTensor, [w, b, g, be]: TfTensor[]) =>
        tf.maxPool(tf.relu(tfNormalize(tf, tf.add(tf.conv2d(a as T4, w as T4, 1, 'same'), b), [0, 1, 2], g, be, false)) as T4, 2, 2, 'valid');
      return {
        init: [hwio(init[0]), ...init.slice(1, 4), hwio(init[4]), ...init.slice(5, 8), fc, init[9]],
        loss: (v) => tf.losses.softmaxCrossEntropy(y,
          tf.add(tf.matMul(tf.reshape(tblock(tblock(x, v.slice(0, 4)), v.slice(4, 8)), [batch, flat]), v[8], false, true), v[9])),
      };
    },
    jax(jax) {
      const np = jax.numpy;
      const channel = (a: JaxArray) => a.reshape([1, -1, 1, 1]);
      const jblock = (a: JaxArray, [w, b, g, be]: JaxArray[]) => {
        const c = jax.lax.convGeneralDilated(a, w, [1, 1], [[1, 1], [1, 1]]).add(channel(b));
        const r = jax.nn.relu(jaxNormalize(jax, c, [0, 2, 3], channel(g), channel(be)));
        const [n, ch, hh, ww] = r.shape;
        return r.reshape([n, ch, hh / 2, 2, ww / 2, 2]).max([3, 5]);
      };
      return {
        x: np.array(X, { shape: [batch, C0, HW, HW] }), y: np.array(Y, { shape: [batch], dtype: np.int32 }),
        loss: (p, x, y) => jaxCrossEntropy(jax,
          np.matmul(jblock(jblock(x, p.slice(0, 4)), p.slice(4, 8)).reshape([batch, flat]), p[8].transpose()).add(p[9]), y),
      };
    },
  });
}
