// A compiled step in steady state (#17 items 4 and 5): creates no GPU object and allocates no pool
// buffer per step, uploads only its inputs and the optimizer's uniform range (one writeBuffer each),
// and its step figures count what the model needs (plan.figures(), src/graph/plan-views.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { gpu } from '../../src/gpu/device.js';
import { queueBusy } from '../../src/runtime/queue.js';
import { rng } from '../harness.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const [B, I, H, O] = [8, 12, 16, 5];

async function mlpStep(seed: number, readEvery = 5) {
  sg.nn.manualSeed(seed);
  const model = sg.nn.sequential(sg.nn.linear(I, H), sg.nn.relu(), sg.nn.linear(H, O));
  const params = model.parameters();
  const optimizer = sg.optim.adam(params, { lr: 1e-2 });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [B, I] }, { shape: [B], dtype: 'i32' }], params, optimizer, readEvery,
  });
  return { plan, params };
}

function batch(seed: number): [Float32Array, Int32Array] {
  const r = rng(seed);
  return [Float32Array.from({ length: B * I }, () => r() * 2 - 1), Int32Array.from({ length: B }, () => Math.floor(r() * O))];
}

/** Count calls of the device's create* methods and the queue's writeBuffer while `fn` runs. */
async function watching(fn: () => Promise<void>): Promise<{ creates: Record<string, number>; writes: number[] }> {
  const { device } = gpu();
  const names = ['createBuffer', 'createBindGroup', 'createBindGroupLayout', 'createPipelineLayout', 'createComputePipeline',
    'createComputePipelineAsync', 'createShaderModule', 'createQuerySet', 'createTexture'] as const;
  const creates: Record<string, number> = {};
  const writes: number[] = [];
  const d = device as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = names.map((n) => [n, d[n]] as const);
  for (const [n, f] of saved) {
    creates[n] = 0;
    d[n] = (...a: unknown[]) => {
      creates[n]++;
      return f.apply(device, a);
    };
  }
  const q = device.queue as unknown as { writeBuffer: (...a: unknown[]) => void };
  const write = q.writeBuffer;
  q.writeBuffer = (...a: unknown[]) => {
    writes.push(a.length >= 5 ? (a[4] as number) : (a[2] as ArrayBufferView | ArrayBuffer).byteLength);
    write.apply(device.queue, a);
  };
  try {
    await fn();
  } finally {
    for (const [n, f] of saved) d[n] = f;
    q.writeBuffer = write;
  }
  return { creates, writes };
}

describe('compiled step in steady state', () => {
  it('creates nothing, allocates nothing and uploads only the batch and the optimizer uniforms', async () => {
    const { plan } = await mlpStep(3);
    const [x, y] = batch(1);
    for (let i = 0; i < 3; i++) plan.run(x, y);
    await plan.flush();
    const steps = 30;
    const batches = Array.from({ length: steps }, (_, i) => batch(10 + i));
    sg.resetStats();
    const before = sg.stats();
    const { creates, writes } = await watching(async () => {
      for (const [bx, by] of batches) plan.run(bx, by);
    });
    const s = sg.stats();
    expect(creates).toEqual(Object.fromEntries(Object.keys(creates).map((k) => [k, 0])));
    expect([s.buffersCreated, s.pipelinesCreated, s.bindGroupsCreated]).toEqual([0, 0, 0]);
    expect([s.bytesAllocated, s.buffersInUse, s.bytesInUse, s.liveTensors]).toEqual([before.bytesAllocated, before.buffersInUse, before.bytesInUse, before.liveTensors]);
    expect(s.submits).toBe(steps);
    expect(s.dispatches).toBe(steps * plan.size);
    // Per step: x, y, and one write of the optimizer's uniform range (not the whole uniform buffer).
    const f = plan.figures();
    const uniform = f.uploadBytes - 4 * (B * I + B);
    expect(uniform).toBeGreaterThan(0);
    expect(writes).toEqual(Array.from({ length: steps }, () => [4 * B * I, 4 * B, uniform]).flat());
    expect(s.bytesWritten).toBe(steps * f.uploadBytes);
    await plan.flush();
    expect(plan.history.length).toBeGreaterThanOrEqual(steps / 5);
    expect(plan.history.every((r) => Number.isFinite(r.values.loss[0]))).toBe(true);
    plan.dispose();
  });

  it('a step deferred behind earlier work owns its input arrays', async () => {
    const { plan } = await mlpStep(4, 1);
    const { plan: twin } = await mlpStep(4, 1);
    const [x, y] = batch(2);
    // Eager work that waits for a pipeline keeps the queue busy: the plan's step is deferred.
    const pending = sg.add(sg.tensor(Float32Array.from([1, 2, 3]), [3]), 1).data();
    expect(queueBusy()).toBe(true);
    plan.run(x, y);
    x.fill(100); // the caller reuses its array before the deferred step was submitted
    twin.run(batch(2)[0], y);
    await pending;
    const [a] = await plan.flush();
    const [b] = await twin.flush();
    expect(a.values.loss[0]).toBeCloseTo(b.values.loss[0], 6);
    plan.dispose();
    twin.dispose();
  });
});

describe('step figures', () => {
  it('count the model: parameters, gradients, Adam state, the batch, and the linear layers\' forward and backward FLOPs', async () => {
    const { plan } = await mlpStep(5);
    const f = plan.figures();
    const P = I * H + H + H * O + O;
    expect(f.dispatches).toBe(plan.size);
    expect(f.copies).toBe(plan.explain().length - plan.size);
    // linear's cost model counts the bias as one more multiply-add per output: 2·B·out·(in + 1);
    // the first layer reads the batch (no input gradient: × 2), the second a hidden value (× 3)
    expect(f.ideal.flops).toBe(2 * 2 * B * (I + 1) * H + 3 * 2 * B * (H + 1) * O);
    expect(f.ideal.parts.parameters).toBe(2 * 4 * P);
    expect(f.ideal.parts.gradients).toBe(2 * 4 * P);
    expect(f.ideal.parts.optimizerState).toBe(2 * 2 * 4 * P); // Adam: two moments
    expect(f.ideal.parts.inputs).toBe(4 * (B * I + B));
    expect(f.ideal.parts.stateUpdates).toBe(0);
    // The backward reads at least the hidden activations (for dW2) and at most every forward value.
    expect(f.ideal.parts.activations).toBeGreaterThanOrEqual(2 * 4 * B * H);
    expect(f.ideal.parts.activations).toBeLessThanOrEqual(2 * 4 * B * (2 * H + 2 * O + 1));
    expect(f.ideal.bytes).toBe(Object.values(f.ideal.parts).reduce((a, b) => a + b, 0));
    expect(f.flops).toBeGreaterThanOrEqual(f.ideal.flops);
    expect(f.bytes).toBeGreaterThan(f.ideal.bytes);
    expect(plan.explainTable()).toMatch(/step figures: \d+ dispatches \+ \d+ copies in 1 submit/);
    plan.dispose();
  });
});
