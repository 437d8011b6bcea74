// Benchmark rows: the same work in shadergrad (every kernel version), TensorFlow.js (WebGPU) and
// jax-js (WebGPU, eager and jit). Inputs are seeded; each row carries sampled float64 reference values.

import * as sg from '../src/index.js';
import { gpu } from '../src/gpu/device.js';
import type { Tensor, Plan, MatmulVersion } from '../src/index.js';
import type { Impl, Row } from './harness.js';
import type { Peers } from './peers.js';

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

/** A compiled shadergrad plan over constant inputs (no upload per run), timed to GPU completion. */
export function oursPlan(label: string, build: () => Tensor, eager: () => Tensor): Impl {
  let plan: Plan | undefined;
  return {
    label, lib: 'shadergrad',
    async run() {
      plan ??= await sg.compile(() => ({ out: build() }), { inputs: [], readEvery: 2 ** 30, label });
      plan.run();
      await waitGpu();
    },
    output: () => eager().data(),
    gpuMs: async () => (plan && gpu().has('timestamp-query') ? (await plan.profile(3)).totalMs : undefined),
    dispose: () => plan?.dispose(),
  };
}

export function tfImpl(peers: Peers, label: string, fn: () => import('@tensorflow/tfjs').Tensor): Impl | undefined {
  const tf = peers.tf;
  if (!tf) return undefined;
  const backend = tf.backend() as unknown as { commandEncoder: unknown; endComputePassEncoder(): void; submitQueue(): void; device: GPUDevice };
  return {
    label, lib: 'tfjs',
    async run() {
      const c = fn();
      if (backend.commandEncoder) {
        backend.endComputePassEncoder(); // tfjs keeps a pass open between ops: close it, then submit
        backend.submitQueue();
      }
      await backend.device.queue.onSubmittedWorkDone();
      c.dispose();
    },
    async output() {
      const c = fn();
      const d = await c.data();
      c.dispose();
      return d as Float32Array;
    },
  };
}

type JaxArray = import('@jax-js/jax').Array;

export function jaxImpl(peers: Peers, label: string, fn: () => JaxArray): Impl | undefined {
  if (!peers.jax) return undefined;
  return {
    label, lib: 'jax',
    async run() {
      const c = fn();
      await c.blockUntilReady();
      c.dispose();
    },
    async output() {
      return (await fn().data()) as Float32Array;
    },
  };
}

function sampleIndices(n: number, count: number, seed: number): number[] {
  if (n <= count) return [...Array(n).keys()];
  const r = seeded(count, seed);
  return Array.from(r, (v) => Math.floor(((v + 1) / 2) * n) % n);
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

/**
 * One training step of an MLP 784-128-10 (batch 64, Adam, cross-entropy): shadergrad's compiled plan
 * (one submit) against TensorFlow.js's optimizer.minimize on the WebGPU backend. The check compares
 * the first step's loss with a float64 forward pass of the same initial weights.
 */
export function mlpStepRow(peers: Peers, batch = 64): Row {
  const [I, H, O] = [784, 128, 10];
  const X = seeded(batch * I, 21).map((v) => (v + 1) / 2);
  const Y = Int32Array.from({ length: batch }, (_, i) => (i * 7) % O);
  const W1 = seeded(H * I, 22, 1 / Math.sqrt(I));
  const W2 = seeded(O * H, 23, 1 / Math.sqrt(H));
  // float64 loss of the initial weights (biases 0)
  let want = 0;
  for (let n = 0; n < batch; n++) {
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let k = 0; k < I; k++) s += X[n * I + k] * W1[j * I + k];
      h[j] = Math.max(s, 0);
    }
    const z = Array.from({ length: O }, (_, o) => h.reduce((s, v, j) => s + v * W2[o * H + j], 0));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    want += (lse - z[Y[n]]) / batch;
  }
  const impls: Impl[] = [];
  // shadergrad: compiled step; output() gives the loss of the first step on fresh weights.
  const oursStep = (): Impl => {
    let plan: Plan | undefined;
    const build = async () => {
      const w1 = sg.tensor(W1, [H, I]);
      const b1 = sg.tensor(new Float32Array(H), [H]);
      const w2 = sg.tensor(W2, [O, H]);
      const b2 = sg.tensor(new Float32Array(O), [O]);
      const params = [w1, b1, w2, b2];
      const opt = sg.optim.adam(params, { lr: 1e-3 });
      const x = sg.tensor(X, [batch, I]);
      const y = sg.tensor(Y, [batch], { dtype: 'i32' });
      await sg.realise(x, y);
      const p = await sg.compile(() => sg.crossEntropy(sg.linear(sg.relu(sg.linear(x, w1, b1)), w2, b2), y),
        { inputs: [], params, optimizer: opt, readEvery: 2 ** 30, label: 'mlp step' });
      return p;
    };
    return {
      label: 'shadergrad compiled step', lib: 'shadergrad',
      async run() {
        plan ??= await build();
        plan.run();
        await waitGpu();
      },
      async output() {
        const p = await build();
        const q = await sg.compile(() => sg.crossEntropy(sg.linear(sg.relu(sg.linear(sg.tensor(X, [batch, I]), sg.tensor(W1, [H, I]))), sg.tensor(W2, [O, H])), sg.tensor(Y, [batch], { dtype: 'i32' })), { inputs: [] });
        q.run();
        const [r] = await q.flush();
        p.dispose();
        q.dispose();
        return r.values.loss;
      },
      gpuMs: async () => (plan && gpu().has('timestamp-query') ? (await plan.profile(3)).totalMs : undefined),
      dispose: () => plan?.dispose(),
    };
  };
  impls.push(oursStep());
  if (peers.tf) {
    const tf = peers.tf;
    const x = tf.tensor2d(X, [batch, I]);
    const y = tf.oneHot(tf.tensor1d(Y, 'int32'), O);
    const mk = () => ({ w1: tf.variable(tf.tensor2d(W1, [H, I])), b1: tf.variable(tf.zeros([H])), w2: tf.variable(tf.tensor2d(W2, [O, H])), b2: tf.variable(tf.zeros([O])) });
    const v = mk();
    const opt = tf.train.adam(1e-3);
    const loss = (p: ReturnType<typeof mk>) => tf.losses.softmaxCrossEntropy(y,
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1, false, true), p.b1)), p.w2, false, true), p.b2)) as import('@tensorflow/tfjs').Scalar;
    const impl = tfImpl(peers, 'tfjs-webgpu minimize', () => opt.minimize(() => loss(v), true)!);
    if (impl) {
      impl.output = async () => {
        const fresh = mk();
        const l = loss(fresh);
        const d = await l.data();
        l.dispose();
        Object.values(fresh).forEach((t) => t.dispose());
        return d as Float32Array;
      };
      impls.push(impl);
    }
  }
  return {
    group: 'train step', name: `MLP 784-128-10 step, batch ${batch}, Adam`, flops: 6 * batch * (I * H + H * O),
    bytes: 4 * (batch * I + 4 * (I * H + H * O)), check: { indices: [0], values: [want], atol: 1e-4, rtol: 1e-4 }, impls,
  };
}
