// The transformer modules in compiled steps (issue 14 item 8): a tiny decoder-only language model
// (token embedding, learned positions, two causal pre-norm nn.transformerEncoderLayer blocks with
// dropout, a final LayerNorm, a vocabulary head) trained by a plan with AdamW parameter groups. The
// first compiled step equals the eager step; steady-state steps create no buffers, pipelines or bind
// groups and submit once; explain() names the attention kernels; dropout draws new masks every step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const N = 2;
const T = 6;
const D = 8;
const V = 5;

function tinyGpt(seed: number, dropout: number) {
  sg.manualSeed(seed);
  const layer = sg.nn.transformerEncoderLayer(D, 2, { dimFeedforward: 16, dropout, activation: 'gelu', batchFirst: true, normFirst: true, causal: true });
  return sg.nn.sequential(
    sg.nn.embedding(V, D), sg.nn.learnedPositionalEmbedding(T, D),
    sg.nn.transformerEncoder(layer, 2, { norm: sg.nn.layerNorm(D) }), sg.nn.linear(D, V),
  );
}

/** Next-token cross-entropy over every position: logits [N, T, V] against targets [N, T]. */
const lmLoss = (model: sg.nn.Module, x: Tensor, y: Tensor) => sg.crossEntropy(sg.reshape(model.forward(x), [N * T, V]), sg.reshape(y, [N * T]));

/** No weight decay on biases, norms and the position table (as GPT recipes). */
function adamW(model: sg.nn.Module) {
  const named = model.namedParameters().filter(([, t]) => t.requiresGrad);
  const decay = named.filter(([n, t]) => t.rank >= 2 && !n.includes('pos_embed')).map(([, t]) => t);
  const rest = named.filter(([n, t]) => !(t.rank >= 2 && !n.includes('pos_embed'))).map(([, t]) => t);
  return sg.optim.adamW([{ params: decay }, { params: rest, weightDecay: 0 }], { lr: 0.02, weightDecay: 0.1 });
}

// A repeating sequence: token t+1 follows token t (mod V), so next-token loss can fall far.
const X = Int32Array.from({ length: N * T }, (_, i) => (i + Math.floor(i / T)) % V);
const Y = Int32Array.from(X, (t) => (t + 1) % V);

describe('a tiny causal transformer in a compiled step', () => {
  it('the first compiled step equals the eager step (loss and updated weights)', async () => {
    const eager = tinyGpt(3, 0);
    const compiled = tinyGpt(3, 0);
    const x = sg.tensor(X, [N, T], { dtype: 'i32' });
    const y = sg.tensor(Y, [N, T], { dtype: 'i32' });
    const optE = adamW(eager);
    const [value, grads] = await sg.valueAndGrad((xi, yi) => lmLoss(eager, xi, yi), optE.params)(x, y);
    const eagerLoss = await value.item();
    await optE.step(grads);
    const optC = adamW(compiled);
    const plan = await sg.compile((xi, yi) => lmLoss(compiled, xi, yi), {
      inputs: [{ shape: [N, T], dtype: 'i32' }, { shape: [N, T], dtype: 'i32' }], params: optC.params, optimizer: optC, readEvery: 1,
    });
    plan.run(X, Y);
    const [r] = await plan.flush();
    expect(r.values.loss[0]).toBeCloseTo(eagerLoss, 5);
    const we = eager.stateDict();
    const wc = compiled.stateDict();
    for (const name of ['2.layers.0.self_attn.in_proj_weight', '2.layers.1.linear2.weight', '2.norm.bias', '0.weight']) {
      const [a, b] = [await we[name].data(), await wc[name].data()];
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, name).toBeLessThan(1e-5);
    }
    plan.dispose();
    optE.dispose();
    optC.dispose();
  });

  it('trains with dropout and parameter groups; steady state creates nothing and submits once; explain() lists attention', async () => {
    const model = tinyGpt(4, 0.1);
    const opt = adamW(model);
    const keysBefore = await Promise.all(Object.values(model.extraState()).map((k) => k.data()));
    const plan = await sg.compile((xi, yi) => lmLoss(model, xi, yi), {
      inputs: [{ shape: [N, T], dtype: 'i32' }, { shape: [N, T], dtype: 'i32' }], params: opt.params, optimizer: opt, readEvery: 10,
    });
    const kernels = plan.explain().map((r) => r.kernel);
    // 'auto' attention: the composite rung on a software adapter (attention_mask), fused on a GPU.
    expect(kernels.some((k) => k === 'attention_mask' || k === 'attention_forward')).toBe(true);
    expect(kernels.some((k) => k.startsWith('layernorm_forward'))).toBe(true);
    plan.run(X, Y);
    await plan.flush();
    sg.resetStats();
    for (let i = 0; i < 60; i++) plan.run(X, Y);
    const s = sg.stats();
    expect([s.buffersCreated, s.pipelinesCreated, s.bindGroupsCreated, s.submits]).toEqual([0, 0, 0, 60]);
    const losses = (await plan.flush()).map((r) => r.values.loss[0]);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    // Every dropout key (3 Dropout layers and the attention's, per block) advanced inside the plan.
    const keysAfter = await Promise.all(Object.values(model.extraState()).map((k) => k.data()));
    expect(keysAfter.length).toBe(8);
    keysAfter.forEach((k, i) => expect(Array.from(k)).not.toEqual(Array.from(keysBefore[i])));
    plan.dispose();
    opt.dispose();
  });
});
