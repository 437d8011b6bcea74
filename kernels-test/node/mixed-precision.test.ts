// Mixed precision in compiled plans (#17 point 3): precision: 'mixed' stores intermediates as f16
// where every kernel touching them can (src/graph/precision.ts) and scales the loss as PyTorch's
// GradScaler does (src/graph/amp.ts, shaders/amp.wgsl): the backward seeded with S, the gradients
// unscaled in place, a step whose gradients overflow skipped on the GPU (the optimizer's dispatches
// get 0 workgroups, the parameters and moments stay bit for bit), S backed off / grown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const B = 8;
const X = Float32Array.from({ length: B * 6 }, (_, i) => Math.sin(i * 0.37) * 2);
const Y = Int32Array.from({ length: B }, (_, i) => i % 4);

function mlp(seed: number): sg.nn.Module {
  sg.manualSeed(seed);
  return sg.nn.sequential(sg.nn.linear(6, 16), sg.nn.relu(), sg.nn.linear(16, 16), sg.nn.gelu(), sg.nn.linear(16, 4));
}

const flat = async (m: sg.nn.Module) => (await sg.read(...m.parameters())).flatMap((v) => Array.from(v));

/** `steps` steps; `sync`: read each step back before the next (the scaler's skip count reaches the host). */
async function train(options: { precision?: 'f32' | 'mixed'; scaler?: sg.GradScalerOptions; debug?: boolean }, steps: number, lossScale = 1, sync = false) {
  const model = mlp(11);
  const opt = sg.optim.adam(model.parameters(), { lr: 0.01 });
  const plan = await sg.compile((x: Tensor, y: Tensor) => sg.mul(sg.crossEntropy(model.forward(x), y), sg.tensor(lossScale)), {
    inputs: [{ shape: [B, 6] }, { shape: [B], dtype: 'i32' }], params: opt.params, optimizer: opt, ...options,
  });
  for (let s = 0; s < steps; s++) {
    plan.run(X, Y);
    if (sync) await plan.flush();
  }
  const history = await plan.flush();
  return { model, opt, plan, history, params: await flat(model) };
}

describe('loss scaling', () => {
  // debug: true keeps every value f32 (and unfused) in both plans: the loss scaling alone is compared.
  it('a power-of-two scale changes nothing: the scaling alone (debug: values f32) == f32 bit for bit', async () => {
    const a = await train({ debug: true }, 4);
    const b = await train({ precision: 'mixed', scaler: { initScale: 1024, growthInterval: 2 }, debug: true }, 4);
    expect(b.plan.halfValues).toBe(0);
    expect(b.plan.precision).toBe('mixed');
    expect(b.params).toEqual(a.params);
    expect(b.history.map((h) => h.values.loss[0])).toEqual(a.history.map((h) => h.values.loss[0]));
    // Grown ×2 after every 2 finite steps: 1024 → 2048 → 4096 after 4 steps.
    expect(b.plan.scaler).toMatchObject({ scale: 4096, growthTracker: 0, skippedSteps: 0, foundInf: false, step: 4 });
    expect(b.opt.steps).toBe(4);
    const ops = b.plan.explain().map((r) => r.op);
    expect(ops).toContain('unscale gradients (× 1/scale)');
    expect(ops).toContain('skipped step (overflow): keep the old values');
    for (const r of [a, b]) {
      r.plan.dispose();
      r.opt.dispose();
    }
  });

  it('an overflowing step is skipped on the GPU: parameters and moments unchanged, scale backed off, step count kept', async () => {
    // The loss times 2^40, seeded with 2^100: the backward overflows f32 (2^140).
    const r = await train({ precision: 'mixed', scaler: { initScale: 2 ** 100, backoffFactor: 0.5 } }, 1, 2 ** 40);
    const before = await flat(mlp(11));
    expect(r.params).toEqual(before);
    expect(r.plan.scaler).toMatchObject({ scale: 2 ** 99, growthTracker: 0, skippedSteps: 1, foundInf: true });
    expect(r.opt.steps).toBe(0); // torch: scaler.step() does not call optimizer.step()
    r.plan.dispose();
    r.opt.dispose();
  });

  it('the default scale 2^16 (past f16 range) seeds the backward in f32: no overflow, no skipped step', async () => {
    // mse's backward reads the seed through ops that take f16 storage: the seed S and what its readers
    // write (the mean's backward expands S before dividing by n) stay f32. Stored as f16, 65536 would
    // be +∞ and the first step would overflow (skipped, the scale halved to 32768).
    sg.manualSeed(5);
    const model = sg.nn.sequential(sg.nn.linear(6, 16), sg.nn.gelu(), sg.nn.linear(16, 4));
    const opt = sg.optim.adam(model.parameters(), { lr: 1e-3 });
    const plan = await sg.compile((x: Tensor, y: Tensor) => sg.mseLoss(model.forward(x), y), {
      inputs: [{ shape: [B, 6] }, { shape: [B, 4] }], params: opt.params, optimizer: opt, precision: 'mixed',
    });
    expect(plan.halfValues).toBeGreaterThan(0);
    const seedRow = plan.explain().find((r) => r.op.startsWith('slice') && r.inputs[0] === '[4]');
    expect(seedRow?.outputs[0]).toBe('[1]');
    const expandRow = plan.explain().find((r) => r.op.startsWith('expand') && r.inputs[0] === '[1]');
    expect(expandRow?.outputs[0]).toBe('[32]');
    const target = Float32Array.from({ length: B * 4 }, (_, i) => Math.cos(i));
    for (let s = 0; s < 3; s++) plan.run(X, target);
    await plan.flush();
    expect(plan.scaler).toMatchObject({ scale: 65536, skippedSteps: 0, foundInf: false });
    expect(opt.steps).toBe(3);
    plan.dispose();
    opt.dispose();
  });

  it("a fused chain's result is stored as f16 (it is written into the tensor of the chain's last op)", async () => {
    const r = await train({ precision: 'mixed' }, 1);
    const fused = r.plan.explain().filter((row) => row.op.startsWith('fused('));
    expect(fused.length).toBeGreaterThan(0);
    for (const row of fused) expect(row.outputs[0], row.op).toMatch(/h$/);
    r.plan.dispose();
    r.opt.dispose();
  });

  it('finds one non-finite gradient anywhere in a large arena (amp_unscale: each thread strides over many values)', async () => {
    // 300 000 gradients (one unscale thread per 16: 18 750 threads, each striding over 16). Only
    // the last parameter's gradient overflows (2^100 · 2^100 = ∞ in f32), at the end of the arena;
    // a finite run with the same parameters is not skipped, and its last gradients are unscaled too.
    const big = 300_000;
    const run = async (seedScale: number) => {
      const w1 = sg.tensor(new Float32Array(big).fill(0.5), [big]);
      const w2 = sg.tensor([1], [1]);
      const opt = sg.optim.sgd([w1, w2], { lr: 0.1 });
      const plan = await sg.compile((x: Tensor) => sg.add(sg.mul(sg.sum(w1), sg.tensor(1e-3)), sg.sum(sg.mul(w2, x))), {
        inputs: [{ shape: [1] }], params: [w1, w2], optimizer: opt, precision: 'mixed', scaler: { initScale: seedScale },
      });
      plan.run(new Float32Array([2 ** 100]));
      await plan.flush();
      const [v1, v2] = await sg.read(w1, w2);
      const out = { scaler: plan.scaler, first: v1[0], last: v1[big - 1], w2: v2[0], steps: opt.steps };
      plan.dispose();
      opt.dispose();
      return out;
    };
    const overflow = await run(2 ** 100);
    expect(overflow.scaler).toMatchObject({ skippedSteps: 1, foundInf: true });
    expect(overflow).toMatchObject({ first: 0.5, last: 0.5, w2: 1, steps: 0 });
    const finite = await run(2 ** 10); // scaled by 2^10 in the backward, unscaled to the f32 update
    expect(finite.scaler).toMatchObject({ skippedSteps: 0, foundInf: false });
    expect(finite.steps).toBe(1);
    expect(finite.last).toBeCloseTo(0.5 - 0.1 * 1e-3, 6);
    expect(finite.w2).toBeCloseTo(1 - 0.1 * 2 ** 100, -25);
  });

  it('after backing off, training proceeds as an f32 run from the first finite step', async () => {
    // Seeded with 2^100 the first step overflows (loss × 2^40); backed off by 2^-64 to 2^36 the rest
    // are finite. Adam's moments were untouched by the skipped step and its step count not advanced,
    // so the three real steps equal an f32 run's three (the scale is a power of two: exact).
    const mixed = await train({ precision: 'mixed', scaler: { initScale: 2 ** 100, backoffFactor: 2 ** -64, growthInterval: 1000 }, debug: true }, 4, 2 ** 40, true);
    expect(mixed.plan.scaler).toMatchObject({ scale: 2 ** 36, growthTracker: 3, skippedSteps: 1, foundInf: false });
    expect(mixed.opt.steps).toBe(3);
    const f32 = await train({ debug: true }, 3, 2 ** 40);
    expect(mixed.params).toEqual(f32.params);
    for (const r of [mixed, f32]) {
      r.plan.dispose();
      r.opt.dispose();
    }
  });

  it('refuses bad options, naming them', async () => {
    const model = mlp(1);
    const opt = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    const c = (o: object) => sg.compile((x: Tensor, y: Tensor) => sg.crossEntropy(model.forward(x), y), {
      inputs: [{ shape: [B, 6] }, { shape: [B], dtype: 'i32' }], params: opt.params, optimizer: opt, ...o,
    });
    await expect(c({ precision: 'half' })).rejects.toThrow(/precision must be 'f32' or 'mixed', got "half"/);
    await expect(c({ scaler: { initScale: 8 } })).rejects.toThrow(/scaler .* is for precision: 'mixed'/);
    await expect(c({ precision: 'mixed', scaler: { initScale: 0 } })).rejects.toThrow(/scaler.initScale must be a finite number > 0, got 0/);
    await expect(c({ precision: 'mixed', scaler: { growthFactor: 1 } })).rejects.toThrow(/scaler.growthFactor must be a finite number > 1/);
    await expect(c({ precision: 'mixed', scaler: { backoffFactor: 1 } })).rejects.toThrow(/scaler.backoffFactor must be a number in \(0, 1\)/);
    await expect(c({ precision: 'mixed', scaler: { growthInterval: 0.5 } })).rejects.toThrow(/scaler.growthInterval must be an integer ≥ 1/);
    await expect(c({ precision: 'mixed', scaler: { init: 8 } })).rejects.toThrow(/init/);
    opt.dispose();
  });
});
