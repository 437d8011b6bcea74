// LoRA (issue 15 item 6): sg.nn.lora wraps a Linear with a frozen base and a trainable low-rank
// update, y = base(x) + (α/r)·(dropout(x)·Aᵀ)·Bᵀ, under PEFT's state-dict names; applyLora wraps the
// targeted Linear layers of a model in place (Sequential MLPs, transformer layers); merge() folds the
// update into the base weight. Checked against the float64 formula, in eager and compiled training,
// and in a fine-tuning run on a shifted task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { rng } from '../harness.js';
import { OPTION_KEYS } from '../../src/option-keys.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const randoms = (n: number, seed: number, scale = 1) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
};

/** C = A · Bᵀ in float64: A [m, k], B [n, k] (row-major) → [m, n]. */
function matmulT(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Transpose of a row-major [m, n]. */
function transposed(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Values of every parameter (by dotted name), frozen ones included. */
async function snapshot(model: sg.nn.Module): Promise<Map<string, Float32Array>> {
  const named = model.namedParameters();
  const values = await sg.read(...named.map(([, t]) => t));
  return new Map(named.map(([n], i) => [n, values[i] as Float32Array]));
}

/** A LoRA layer with a nonzero B (as after some training), so the update shows. */
async function trainedLora(inF: number, outF: number, rank: number, alpha: number, seed: number) {
  sg.manualSeed(seed);
  const layer = sg.nn.lora(sg.nn.linear(inF, outF), { rank, alpha });
  await sg.assign(layer.loraB.weight, sg.tensor(randoms(outF * rank, seed + 1), [outF, rank]));
  return layer;
}

describe('nn.lora: one wrapped Linear', () => {
  it('initially equals the base layer; PEFT names; A ~ U(±1/√in), B = 0; only A and B train', async () => {
    sg.manualSeed(11);
    const base = sg.nn.linear(7, 5);
    const x = sg.tensor(randoms(3 * 7, 1), [3, 7]);
    const before = await base.forward(x).data();
    const layer = sg.nn.lora(base, { rank: 3 });
    expect(Array.from(await layer.forward(x).data())).toEqual(Array.from(before));
    expect(Object.entries(layer.stateDict()).map(([n, t]) => [n, t.shape])).toEqual([
      ['base_layer.weight', [5, 7]], ['base_layer.bias', [5]], ['lora_A.weight', [3, 7]], ['lora_B.weight', [5, 3]],
    ]);
    const [a, b] = await sg.read(layer.loraA.weight, layer.loraB.weight);
    expect(Array.from(b).every((v) => v === 0)).toBe(true);
    expect(Array.from(a).every((v) => Math.abs(v) <= 1 / Math.sqrt(7))).toBe(true);
    expect(new Set(a).size).toBe(a.length); // drawn, not constant
    expect(layer.parameters()).toEqual([layer.loraA.weight, layer.loraB.weight]);
    expect([base.weight.requiresGrad, base.bias!.requiresGrad]).toEqual([false, false]);
    expect(layer.numParameters()).toBe(3 * (7 + 5));
    expect(layer.numParameters(true)).toBe(5 * 7 + 5 + 3 * (7 + 5));
    expect([layer.weight, layer.bias, layer.inFeatures, layer.outFeatures, layer.scaling]).toEqual([base.weight, base.bias, 7, 5, 1]);
    expect(layer.toString()).toContain('LoraLinear(\n  (base_layer): Linear(7, 5)\n  (lora_A): Linear(7, 3, bias=false)');
  });

  it('forward equals the float64 formula y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ (odd sizes, α ≠ r, batch dims)', async () => {
    const [N, IN, OUT, R, ALPHA] = [3, 7, 5, 2, 3];
    const layer = await trainedLora(IN, OUT, R, ALPHA, 21);
    const X = randoms(2 * N * IN, 22);
    const y = await layer.forward(sg.tensor(X, [2, N, IN])).data();
    const [w, bias, a, b] = await sg.read(layer.weight, layer.bias!, layer.loraA.weight, layer.loraB.weight);
    const base = matmulT(X, w, 2 * N, IN, OUT);
    const upd = matmulT(matmulT(X, a, 2 * N, IN, R), b, 2 * N, R, OUT);
    const want = base.map((v, i) => v + bias[i % OUT] + (ALPHA / R) * upd[i]);
    expect(maxDiff(y, want)).toBeLessThan(1e-5);
  });

  it('gradients reach only lora_A and lora_B and equal the float64 ones', async () => {
    const [N, IN, OUT, R, ALPHA] = [4, 5, 3, 2, 4];
    const layer = await trainedLora(IN, OUT, R, ALPHA, 31);
    const X = randoms(N * IN, 32);
    const G = randoms(N * OUT, 33);
    const x = sg.tensor(X, [N, IN]);
    const g = sg.tensor(G, [N, OUT]);
    const params = layer.parameters();
    expect(params).toEqual([layer.loraA.weight, layer.loraB.weight]);
    const [, [dA, dB]] = await sg.valueAndGrad(() => sg.sum(sg.mul(layer.forward(x), g)), params)(...params);
    const [a, b] = await sg.read(layer.loraA.weight, layer.loraB.weight);
    const s = ALPHA / R;
    // L = Σ G ∘ y: dB = s·Gᵀ·(X·Aᵀ) [OUT, R]; dA = s·(G·B)ᵀ·X [R, IN].
    const xa = matmulT(X, a, N, IN, R); // [N, R]
    const wantDB = matmulT(transposed(G, N, OUT), transposed(xa, N, R), OUT, N, R).map((v) => s * v);
    const gb = matmulT(G, transposed(b, OUT, R), N, OUT, R); // [N, R]
    const wantDA = matmulT(transposed(gb, N, R), transposed(X, N, IN), R, N, IN).map((v) => s * v);
    expect(maxDiff(await dB.data(), wantDB)).toBeLessThan(1e-5);
    expect(maxDiff(await dA.data(), wantDA)).toBeLessThan(1e-5);
  });

  it('lora_dropout drops only the LoRA path input, in training, with a key that advances', async () => {
    // rank = in = out and A = B = I: the update is (α/r)·dropout(x) itself.
    const D = 6;
    sg.manualSeed(41);
    const layer = sg.nn.lora(sg.nn.linear(D, D), { rank: D, alpha: 3, dropout: 0.5 });
    const eye = Float32Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0));
    await sg.assignAll([[layer.loraA.weight, sg.tensor(eye, [D, D])], [layer.loraB.weight, sg.tensor(eye, [D, D])]]);
    expect(Object.keys(layer.extraState())).toEqual(['lora_dropout.key']);
    expect(Object.keys(layer.stateDict())).toEqual(['base_layer.weight', 'base_layer.bias', 'lora_A.weight', 'lora_B.weight']);
    const X = randoms(4 * D, 42);
    const x = sg.tensor(X, [4, D]);
    const base = await layer.baseLayer.forward(x).data();
    const s = 3 / D;
    const train1 = await layer.forward(x).data();
    const train2 = await layer.forward(x).data();
    const kept = (y: ArrayLike<number>) => Array.from(y, (v, i) => {
      const d = v - base[i];
      if (Math.abs(d) < 1e-6) return 0;
      expect(Math.abs(d - s * X[i] / 0.5)).toBeLessThan(1e-5); // kept: scaled by 1/(1 − p)
      return 1;
    });
    const [m1, m2] = [kept(train1), kept(train2)];
    expect(m1.reduce((p: number, q) => p + q, 0)).toBeGreaterThan(0);
    expect(m1.reduce((p: number, q) => p + q, 0)).toBeLessThan(m1.length);
    expect(m1).not.toEqual(m2); // a new mask every forward
    layer.eval();
    const evalY = await layer.forward(x).data();
    expect(maxDiff(evalY, Array.from(base, (v, i) => v + s * X[i]))).toBeLessThan(1e-5);
  });

  it('merge() folds (α/r)·B·A into the base weight in place; outputs agree within 1e-5; unmerge() restores it', async () => {
    const [IN, OUT, R, ALPHA] = [6, 4, 3, 5];
    const layer = await trainedLora(IN, OUT, R, ALPHA, 51);
    const x = sg.tensor(randoms(5 * IN, 52), [5, IN]);
    const unmerged = await layer.forward(x).data();
    const [w0, a, b] = await sg.read(layer.weight, layer.loraA.weight, layer.loraB.weight);
    const weightTensor = layer.weight;
    const merged = layer.merge(); // ordered where it is called: the forward below sees the merged weight
    const y = await layer.forward(x).data();
    expect(await merged).toBe(layer.baseLayer);
    expect(layer.merged).toBe(true);
    expect(layer.weight).toBe(weightTensor); // same tensor, written in place
    expect(maxDiff(y, unmerged)).toBeLessThan(1e-5);
    const ba = matmulT(b, transposed(a, R, IN), OUT, R, IN);
    expect(maxDiff(await layer.weight.data(), Array.from(w0, (v, i) => v + (ALPHA / R) * ba[i]))).toBeLessThan(1e-6);
    await layer.merge(); // a second merge changes nothing
    expect(maxDiff(await layer.forward(x).data(), unmerged)).toBeLessThan(1e-5);
    await layer.unmerge();
    expect(layer.merged).toBe(false);
    expect(maxDiff(await layer.weight.data(), w0)).toBeLessThan(1e-6);
    expect(maxDiff(await layer.forward(x).data(), unmerged)).toBeLessThan(1e-5);
  });
});

describe('nn.applyLora on models', () => {
  it('a Sequential MLP: wraps the targeted Linear layers in place, freezes the rest, counts drop as expected', async () => {
    sg.manualSeed(61);
    const model = sg.nn.sequential(sg.nn.linear(8, 16), sg.nn.relu(), sg.nn.linear(16, 16), sg.nn.relu(), sg.nn.linear(16, 4));
    const total = 8 * 16 + 16 + 16 * 16 + 16 + 16 * 4 + 4;
    expect(model.numParameters()).toBe(total);
    const x = sg.tensor(randoms(3 * 8, 62), [3, 8]);
    const before = await model.forward(x).data();
    const wrapped = sg.nn.applyLora(model, { rank: 2, targets: ['0', '2'] });
    expect(wrapped).toEqual(['0', '2']);
    expect(model.layers[0]).toBeInstanceOf(sg.nn.LoraLinear);
    expect(model.layers[2]).toBeInstanceOf(sg.nn.LoraLinear);
    expect(model.layers[4]).toBeInstanceOf(sg.nn.Linear);
    const lora = 2 * (8 + 16) + 2 * (16 + 16);
    expect(model.numParameters()).toBe(lora);
    expect(model.numParameters(true)).toBe(total + lora);
    expect(model.parameters().length).toBe(4);
    expect(Object.keys(model.stateDict())).toEqual([
      '0.base_layer.weight', '0.base_layer.bias', '0.lora_A.weight', '0.lora_B.weight',
      '2.base_layer.weight', '2.base_layer.bias', '2.lora_A.weight', '2.lora_B.weight', '4.weight', '4.bias',
    ]);
    expect(Array.from(await model.forward(x).data())).toEqual(Array.from(before));
    // A predicate, on a fresh model: every Linear with 16 outputs.
    sg.manualSeed(61);
    const m2 = sg.nn.sequential(sg.nn.linear(8, 16), sg.nn.relu(), sg.nn.linear(16, 16), sg.nn.relu(), sg.nn.linear(16, 4));
    const seen: string[] = [];
    expect(sg.nn.applyLora(m2, { rank: 1, alpha: 2, targets: (name, l) => (seen.push(name), l.outFeatures === 16) })).toEqual(['0', '2']);
    expect(seen).toEqual(['0', '2', '4']);
    expect(m2.numParameters()).toBe(8 + 16 + 16 + 16);
    // Applying again leaves wrapped layers alone and adds the new target.
    expect(sg.nn.applyLora(m2, { rank: 1, targets: ['0', '4'] })).toEqual(['4']);
    expect(m2.numParameters()).toBe(8 + 16 + 16 + 16 + 16 + 4);
  });

  it('a transformer encoder layer: linear1, linear2 and self_attn.out_proj; outputs unchanged until B trains', async () => {
    sg.manualSeed(71);
    const layer = sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 });
    const total = layer.numParameters();
    expect(total).toBe(3 * 8 * 8 + 3 * 8 + 8 * 8 + 8 + 8 * 16 + 16 + 16 * 8 + 8 + 4 * 8);
    const x = sg.tensor(randoms(3 * 2 * 8, 72), [3, 2, 8]);
    const before = await layer.forward(x).data();
    expect(sg.nn.applyLora(layer, { rank: 2, targets: ['linear1', 'linear2', 'out_proj'] })).toEqual(['self_attn.out_proj', 'linear1', 'linear2']);
    expect(layer.numParameters()).toBe(2 * (8 + 8) + 2 * (8 + 16) + 2 * (16 + 8));
    expect(layer.numParameters(true)).toBe(total + 2 * (8 + 8) + 2 * (8 + 16) + 2 * (16 + 8));
    expect(layer.linear1).toBeInstanceOf(sg.nn.LoraLinear);
    expect(layer.selfAttn.outProj).toBeInstanceOf(sg.nn.LoraLinear);
    expect(Object.keys(layer.stateDict())).toContain('self_attn.out_proj.lora_B.weight');
    expect(Object.keys(layer.stateDict())).toContain('linear1.base_layer.weight');
    expect(maxDiff(await layer.forward(x).data(), before)).toBe(0);
    // With nonzero B in linear1, the ReLU feed-forward goes through the LoRA path (not the fused base one).
    const l1 = layer.linear1 as unknown as sg.nn.LoraLinear;
    await sg.assign(l1.loraB.weight, sg.tensor(randoms(16 * 2, 73), [16, 2]));
    expect(maxDiff(await layer.forward(x).data(), before)).toBeGreaterThan(1e-3);
    await sg.nn.mergeLora(layer);
    expect(layer.linear1).toBeInstanceOf(sg.nn.Linear);
    expect(Object.keys(layer.stateDict()).some((k) => k.includes('lora'))).toBe(false);
  });

  it('a transformer encoder: every layer\'s target; MultiheadAttention and unknown names are refused clearly', () => {
    sg.manualSeed(81);
    const enc = sg.nn.transformerEncoder(sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2);
    expect(() => sg.nn.applyLora(enc, { rank: 2, targets: ['self_attn'] })).toThrow(
      /nn\.applyLora: target 'self_attn' selects no Linear layer of TransformerEncoder: it names 'layers\.0\.self_attn' \(MultiheadAttention\), 'layers\.1\.self_attn' \(MultiheadAttention\), not a Linear; LoRA adapts Linear layers only \(MultiheadAttention's in_proj_weight is a raw parameter, not a Linear; its output projection is 'out_proj'\)/,
    );
    expect(() => sg.nn.applyLora(enc, { rank: 2, targets: ['linear3'] })).toThrow(/target 'linear3' selects no Linear layer of TransformerEncoder: the Linear layers are 'layers\.0\.self_attn\.out_proj', 'layers\.0\.linear1'/);
    expect(enc.numParameters()).toBe(enc.numParameters(true)); // a refused call changes nothing
    expect(sg.nn.applyLora(enc, { rank: 2, targets: ['linear1', 'layers.1'] })).toEqual([
      'layers.0.linear1', 'layers.1.self_attn.out_proj', 'layers.1.linear1', 'layers.1.linear2',
    ]);
    // Building an encoder clones its layer: apply LoRA after, not before.
    const layer = sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 });
    sg.nn.applyLora(layer, { rank: 1, targets: ['linear1'] });
    expect(() => sg.nn.transformerEncoder(layer, 2)).toThrow(/TransformerEncoderLayer\.clone: a fresh layer has no 'linear1\.base_layer\.weight', .* apply sg\.nn\.applyLora after building the encoder/);
  });

  it('mergeLora on an MLP: plain Linear layers again, same outputs within 1e-5, original state-dict keys', async () => {
    sg.manualSeed(91);
    const model = sg.nn.sequential(sg.nn.linear(5, 9), sg.nn.tanh(), sg.nn.linear(9, 3));
    const keys = Object.keys(model.stateDict());
    sg.nn.applyLora(model, { rank: 2, alpha: 8, targets: () => true, seed: 5 });
    for (const m of model.layers) if (m instanceof sg.nn.LoraLinear) await sg.assign(m.loraB.weight, sg.tensor(randoms(m.outFeatures * 2, m.outFeatures), [m.outFeatures, 2]));
    const x = sg.tensor(randoms(4 * 5, 92), [4, 5]);
    const y = await model.forward(x).data();
    expect(await sg.nn.mergeLora(model)).toBe(model);
    expect(model.layers.map((l) => l.kind)).toEqual(['Linear', 'Tanh', 'Linear']);
    expect(Object.keys(model.stateDict())).toEqual(keys);
    expect(maxDiff(await model.forward(x).data(), y)).toBeLessThan(1e-5);
  });
});

describe('training with LoRA', () => {
  const mlp = (seed: number) => {
    sg.manualSeed(seed);
    return sg.nn.sequential(sg.nn.linear(4, 12), sg.nn.relu(), sg.nn.linear(12, 12), sg.nn.relu(), sg.nn.linear(12, 2));
  };

  it('eager optimizer steps change only lora_A / lora_B (base weights stay bit-identical)', async () => {
    const model = mlp(101);
    sg.nn.applyLora(model, { rank: 2, alpha: 4, targets: ['0', '2', '4'] });
    const before = await snapshot(model);
    const opt = sg.optim.adam(model.parameters(), { lr: 0.05 });
    const x = sg.tensor(randoms(8 * 4, 102), [8, 4]);
    const y = sg.tensor(randoms(8 * 2, 103), [8, 2]);
    const params = model.parameters();
    for (let s = 0; s < 3; s++) {
      const [, grads] = await sg.valueAndGrad(() => sg.mseLoss(model.forward(x), y), params)(...params);
      await opt.step(grads);
    }
    const after = await snapshot(model);
    for (const [name, v] of before) {
      if (name.includes('lora_')) expect(maxDiff(after.get(name)!, v), name).toBeGreaterThan(0);
      else expect(Array.from(after.get(name)!), name).toEqual(Array.from(v));
    }
    opt.dispose();
  });

  it('a compiled step (Adam, LoRA dropout) trains only the LoRA weights; steady state creates nothing; the loss falls', async () => {
    const model = mlp(111);
    sg.nn.applyLora(model, { rank: 2, alpha: 4, dropout: 0.1, targets: ['0', '2', '4'] });
    const before = await snapshot(model);
    const keysBefore = await Promise.all(Object.values(model.extraState()).map((k) => k.data()));
    expect(keysBefore.length).toBe(3);
    const opt = sg.optim.adam(model.parameters(), { lr: 0.03 });
    const N = 16;
    const X = randoms(N * 4, 112);
    const Y = Float32Array.from({ length: N * 2 }, (_, i) => Math.sin(3 * X[(i >> 1) * 4 + (i & 1)]));
    const plan = await sg.compile((xb, yb) => sg.mseLoss(model.forward(xb), yb), {
      inputs: [{ shape: [N, 4] }, { shape: [N, 2] }], params: opt.params, optimizer: opt, readEvery: 10,
    });
    plan.run(X, Y);
    await plan.flush();
    sg.resetStats();
    for (let i = 0; i < 80; i++) plan.run(X, Y);
    const s = sg.stats();
    expect([s.buffersCreated, s.pipelinesCreated, s.bindGroupsCreated]).toEqual([0, 0, 0]);
    const losses = (await plan.flush()).map((r) => r.values.loss[0]);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    const after = await snapshot(model);
    for (const [name, v] of before) {
      if (name.includes('lora_')) expect(maxDiff(after.get(name)!, v), name).toBeGreaterThan(0);
      else expect(Array.from(after.get(name)!), name).toEqual(Array.from(v));
    }
    const keysAfter = await Promise.all(Object.values(model.extraState()).map((k) => k.data()));
    keysAfter.forEach((k, i) => expect(Array.from(k)).not.toEqual(Array.from(keysBefore[i])));
    plan.dispose();
    opt.dispose();
  });

  it('fine-tuning demo: pre-train an MLP on one task, LoRA-fine-tune on a shifted task with < 20 % trainable', async () => {
    const N = 32;
    const H = 48;
    sg.manualSeed(121);
    const model = sg.nn.sequential(sg.nn.linear(4, H), sg.nn.tanh(), sg.nn.linear(H, H), sg.nn.tanh(), sg.nn.linear(H, 2));
    const X = randoms(N * 4, 122);
    // Task A: y = tanh(x·P); task B: the same with a shifted map P + Q.
    const P = randoms(4 * 2, 123, 1.5);
    const Q = randoms(4 * 2, 124, 1.5);
    const target = (M: Float32Array) => Float32Array.from({ length: N * 2 }, (_, i) => {
      const [n, j] = [i >> 1, i & 1];
      let s = 0;
      for (let k = 0; k < 4; k++) s += X[n * 4 + k] * M[k * 2 + j];
      return Math.tanh(s);
    });
    const YA = target(P);
    const YB = target(P.map((v, i) => v + Q[i]));
    const train = async (steps: number, lr: number) => {
      const opt = sg.optim.adam(model.parameters(), { lr });
      const plan = await sg.compile((xb, yb) => sg.mseLoss(model.forward(xb), yb), {
        inputs: [{ shape: [N, 4] }, { shape: [N, 2] }], params: opt.params, optimizer: opt, readEvery: 10,
      });
      for (let i = 0; i < steps; i++) plan.run(X, task);
      const losses = (await plan.flush()).map((r) => r.values.loss[0]);
      plan.dispose();
      opt.dispose();
      return losses;
    };
    const lossOn = async (Y: Float32Array) => (await sg.mseLoss(model.eval().forward(sg.tensor(X, [N, 4])), sg.tensor(Y, [N, 2])).item());
    let task = YA;
    const pre = await train(150, 0.02);
    model.train();
    expect(pre[pre.length - 1]).toBeLessThan(pre[0] * 0.2);
    const baseParams = model.numParameters();
    const lossA = await lossOn(YA);
    const startB = await lossOn(YB);
    expect(startB).toBeGreaterThan(3 * lossA); // the shift matters

    sg.nn.applyLora(model.train(), { rank: 2, alpha: 4, targets: () => true, seed: 7 });
    const trainable = model.numParameters();
    expect(trainable).toBe(2 * (4 + H) + 2 * (H + H) + 2 * (H + 2));
    expect(trainable / baseParams).toBeLessThan(0.2);
    const frozen = await snapshot(model);
    task = YB;
    const fine = await train(150, 0.02);
    model.train();
    const endB = await lossOn(YB);
    expect(endB).toBeLessThan(startB * 0.25);
    const after = await snapshot(model);
    for (const [name, v] of frozen) if (!name.includes('lora_')) expect(Array.from(after.get(name)!), name).toEqual(Array.from(v));
    expect(fine[fine.length - 1]).toBeLessThan(fine[0]);
    // Merged, the plain MLP computes the fine-tuned function.
    await sg.nn.mergeLora(model);
    expect(model.layers.every((l) => !(l instanceof sg.nn.LoraLinear))).toBe(true);
    expect(Math.abs((await lossOn(YB)) - endB)).toBeLessThan(1e-5);
  });
});

describe('errors', () => {
  it('rank, alpha, dropout, the wrapped module and unknown option keys are named', () => {
    const lin = () => sg.nn.linear(3, 2);
    expect(() => sg.nn.lora(lin(), { rank: 0 })).toThrow("shadergrad: nn.lora: rank must be an integer ≥ 1, got 0");
    expect(() => sg.nn.lora(lin(), { rank: 1.5 })).toThrow(/rank must be an integer ≥ 1, got 1\.5/);
    expect(() => sg.nn.lora(lin(), {} as never)).toThrow(/rank must be an integer ≥ 1, got undefined/);
    expect(() => sg.nn.lora(lin(), undefined as never)).toThrow(/nn\.lora: options \{ rank \} are required/);
    expect(() => sg.nn.lora(lin(), { rank: 2, alpha: NaN })).toThrow(/alpha must be a finite number/);
    expect(() => sg.nn.lora(lin(), { rank: 2, dropout: 1 })).toThrow(/dropout must be a probability in \[0, 1\), got 1/);
    expect(() => sg.nn.lora(sg.nn.conv2d(1, 2, 3) as never, { rank: 2 })).toThrow(/nn\.lora: expected an nn\.Linear to wrap, got a Conv2d; LoRA adapts Linear layers only/);
    expect(() => sg.nn.lora(sg.nn.lora(lin(), { rank: 1 }) as never, { rank: 2 })).toThrow(/got a LoraLinear \(it already has a LoRA update\)/);
    expect(() => sg.nn.lora(lin(), { rank: 2, r: 2 } as never)).toThrow(/nn\.lora: unknown option 'r' \(did you mean 'rank'\?\): PEFT's LoraConfig/);
    expect(() => sg.nn.lora(lin(), { rank: 2, lora_alpha: 2 } as never)).toThrow(/unknown option 'lora_alpha' \(did you mean 'alpha'\?\)/);
    expect(() => sg.nn.applyLora(sg.nn.sequential(lin()), { rank: 2, target_modules: ['0'] } as never)).toThrow(/nn\.applyLora: unknown option 'target_modules' \(did you mean 'targets'\?\)/);
    expect(() => sg.nn.applyLora(sg.nn.sequential(lin()), { rank: 2 } as never)).toThrow(/targets must be a function \(name, linear\) => boolean or a list of non-empty layer names, got undefined/);
    expect(() => sg.nn.applyLora(lin(), { rank: 2, targets: () => true })).toThrow(/the model is itself a Linear layer .* use sg\.nn\.lora/);
    expect(OPTION_KEYS.lora).toEqual(['rank', 'alpha', 'dropout', 'seed']);
    expect(OPTION_KEYS.applyLora).toEqual(['rank', 'alpha', 'dropout', 'seed', 'targets']);
  });

  it('Module.setSubmodule replaces by dotted path and names a missing one', () => {
    const inner = sg.nn.sequential(sg.nn.linear(2, 2), sg.nn.relu());
    const model = sg.nn.sequential(inner, sg.nn.linear(2, 1));
    const repl = sg.nn.linear(2, 2, { bias: false });
    const old = model.setSubmodule('0.0', repl);
    expect(old).toBeInstanceOf(sg.nn.Linear);
    expect(inner.layers[0]).toBe(repl);
    expect(Object.keys(model.stateDict())).toEqual(['0.0.weight', '1.weight', '1.bias']);
    expect(() => model.setSubmodule('0.5', repl)).toThrow("shadergrad: Sequential.setSubmodule: no submodule '0.5' (the children of Sequential are '0', '1')");
    expect(() => model.setSubmodule('3.0', repl)).toThrow(/no submodule '3' on the way to '3\.0'/);
  });
});
