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
  const backend = tf.backend() as unknown as { endComputePassEncoder(): void; submitQueue(): void; device: GPUDevice };
  return {
    label, lib: 'tfjs',
    async run() {
      const c = fn();
      backend.endComputePassEncoder(); // tfjs keeps a pass open between ops: close it, then submit
      backend.submitQueue();
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
